"""Le noyau compilé (moteur.noyau) contre le moteur numpy lisible : même S*, même faisabilité, même année critique."""

from __future__ import annotations

import tomllib
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SCENARIOS
from plai_bilan.calcul import subvention_minimale
from plai_bilan.moteur import noyau
from plai_bilan.moteur.lot import ParametresPrets
from plai_bilan.preparation import construire_lot, preparer
from plai_bilan.scenario import charger_scenario, scenario_depuis_dict
from plai_bilan.solveur import subventions_lot

pytestmark = pytest.mark.skipif(not noyau.DISPONIBLE, reason="numba absent")
CAS = sorted((SCENARIOS[0].parent.parent / "tests" / "cas").glob("*.toml"))
CRITERES = ("annuel", "tresorerie_cumulee", "van")


def memes(lot, criteres) -> None:
    a = subventions_lot(lot, np.asarray(criteres), noyau_compile=True)
    b = subventions_lot(lot, np.asarray(criteres), noyau_compile=False)
    np.testing.assert_allclose(a.valeur, b.valeur, rtol=1e-9, atol=1e-6)
    np.testing.assert_array_equal(a.faisable, b.faisable)
    np.testing.assert_array_equal(a.sans_levier, b.sans_levier)
    np.testing.assert_array_equal(a.pret_equilibre, b.pret_equilibre)
    np.testing.assert_array_equal(a.annee, b.annee)


def _scenario(chemin):
    if chemin.parent.name == "cas":
        with chemin.open("rb") as f:
            return scenario_depuis_dict(tomllib.load(f)["scenario"], chemin.name)
    return charger_scenario(chemin)


def _entrees(chemin, critere):
    sc = _scenario(chemin)
    sc = replace(sc, analyse=replace(sc.analyse, critere=critere,
                                     taux_actualisation_pct=sc.analyse.taux_actualisation_pct or 2.5))
    return sc, preparer(sc)


@pytest.mark.parametrize("critere", CRITERES)
def test_exemples_et_cas_egaux_au_moteur_numpy_et_a_la_subvention_minimale(critere):
    scenarios, entrees = zip(*(_entrees(c, critere) for c in SCENARIOS + CAS))
    utiles = [i for i, e in enumerate(entrees) if e.indice_solde is not None]
    lot = construire_lot([entrees[i] for i in utiles])
    memes(lot, [critere] * len(utiles))
    s = subventions_lot(lot, np.array([critere] * len(utiles)), noyau_compile=True)
    # Le chemin complet d'une opération (subvention_minimale) donne le même S*.
    for k, i in enumerate(utiles):
        r = subvention_minimale(scenarios[i])
        assert bool(s.faisable[k]) == r.faisable
        if r.faisable:
            assert s.valeur[k] == pytest.approx(r.subvention_minimale, abs=1e-6)


@pytest.mark.parametrize("fichier", CAS, ids=lambda p: p.stem)
def test_cas_calcules_a_la_main(fichier):
    with fichier.open("rb") as f:
        doc = tomllib.load(f)
    attendu = doc["attendu"]
    if attendu["commande"] != "subvention":
        pytest.skip("cas sans subvention à calculer")
    e = preparer(scenario_depuis_dict(doc["scenario"], fichier.name))
    s = subventions_lot(construire_lot([e]), np.array([e.hypotheses.critere]), noyau_compile=True)
    assert bool(s.faisable[0]) == attendu["faisable"]
    if attendu["faisable"]:
        assert s.valeur[0] == pytest.approx(attendu["subvention_minimale"], abs=0.005)
        if "annee_critique" in attendu and attendu["annee_critique"]:
            assert s.annee[0] + 1 == attendu["annee_critique"]


# Les tirages des colonnes écrites à la main du noyau ; celles des lignes simples se déduisent de leur rôle dans la
# déclaration (montant, assiette, borne des années). Un test vérifie que chaque colonne du noyau est tirée.
TIRAGES_ECRITS = {
    "base_loyers": lambda rng, n, h: rng.uniform(0, 200_000, n),
    "base_rls": lambda rng, n, h: rng.uniform(0, 10_000, n),
    "vacance": lambda rng, n, h: rng.uniform(0, 0.08, n),
    "impayes": lambda rng, n, h: rng.uniform(0, 0.05, n),
    "indexation_loyers": lambda rng, n, h: rng.uniform(-0.01, 0.03, n),
    "indexation_charges": lambda rng, n, h: rng.uniform(-0.01, 0.03, n),
    "fonds_propres": lambda rng, n, h: rng.choice([0.0, 1.0], n) * rng.uniform(0, 200_000, n),
    "fonds_propres_taux": lambda rng, n, h: rng.choice([0.0, 0.01, 0.03], n),
    "fonds_propres_duree": lambda rng, n, h: rng.integers(0, h + 3, n).astype(float),
    "tresorerie_initiale": lambda rng, n, h: rng.uniform(-20_000, 50_000, n),
    "taux_actualisation": lambda rng, n, h: rng.uniform(0, 0.05, n),
}


def _tirage(nom: str):
    """Le tirage d'une colonne du noyau : écrite à la main, ou lue par une ligne simple selon son rôle."""
    if nom in TIRAGES_ECRITS:
        return TIRAGES_ECRITS[nom]
    for d in noyau.SIMPLES:
        if nom == d.montant:
            if d.assiette_ligne:  # une part d'une ligne (charges en % des loyers)
                return lambda rng, n, h: rng.uniform(0, 0.1, n)
            return lambda rng, n, h: rng.choice([0.0, 1.0], n, p=[0.2, 0.8]) * rng.uniform(0, 3_000, n)
        if nom == d.assiette:
            return lambda rng, n, h: rng.integers(0, 30, n).astype(float)
        if nom == d.bornes:
            return lambda rng, n, h: rng.integers(0, h + 3, n).astype(float)
    raise AssertionError(f"colonne du noyau sans tirage : {nom}")


def test_chaque_colonne_du_noyau_est_tiree():
    assert set(TIRAGES_ECRITS) == set(noyau.COLONNES_ECRITES)
    for nom in noyau.COLONNES:
        assert _tirage(nom) is not None


def _lot_aleatoire(graine: int):
    """Un lot des exemples répétés, chaque colonne du noyau (noyau.COLONNES), chaque prêt et l'horizon tirés au
    hasard (taux négatifs, différés, préfinancement, amortissement constant, horizons différents)."""
    rng = np.random.default_rng(graine)
    base = [preparer(charger_scenario(c)) for c in SCENARIOS]
    base = [e for e in base if e.indice_solde is not None]
    entrees = [base[i] for i in rng.integers(0, len(base), 12)]
    lot = construire_lot(entrees)
    n_op, n_pr, h = lot.n_operations, len(lot.principal), len(lot.t)
    params = ParametresPrets(
        duree=rng.integers(1, h + 15, n_pr), progressivite=rng.uniform(-0.01, 0.02, n_pr),
        revisabilite=rng.integers(0, 3, n_pr), indexe=rng.random(n_pr) < 0.7,
        taux_fixe=rng.choice([0.0, 0.005, 0.03], n_pr), marge=rng.uniform(-0.03, 0.01, n_pr),
        prefinancement=rng.integers(0, 3, n_pr), differe=rng.integers(0, 4, n_pr), profil=rng.integers(0, 2, n_pr))
    livret_a = np.clip(0.02 + np.cumsum(rng.normal(0, 0.004, (n_op, h)), axis=1), -0.01, 0.08)
    colonnes = {nom: _tirage(nom)(rng, n_op, h) for nom in noyau.COLONNES}
    return lot.avec(parametres_prets=params, livret_a=livret_a, principal=lot.principal * rng.uniform(0.2, 2.0, n_pr),
                    horizon=rng.integers(1, h + 1, n_op), **colonnes)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(CRITERES))
def test_lots_aleatoires_egaux_au_moteur_numpy(graine, critere):
    lot = _lot_aleatoire(graine)
    criteres = np.random.default_rng(graine).choice(CRITERES, lot.n_operations) if critere == "van" else \
        [critere] * lot.n_operations
    memes(lot, criteres)


def test_trajectoires_du_livret_a_egales_au_moteur_numpy():
    e = preparer(charger_scenario(SCENARIOS[0]))
    rng = np.random.default_rng(3)
    chemins = np.clip(0.025 + np.cumsum(rng.normal(0, 0.01, (500, e.horizon)), axis=1), -0.02, 0.12)
    lot = construire_lot([e]).sous_trajectoires(chemins)
    memes(lot, [e.hypotheses.critere] * 500)


def test_prets_non_ranges_refuses():
    lot = construire_lot([preparer(charger_scenario(c)) for c in SCENARIOS[:2]])
    ordre = np.arange(len(lot.principal))[::-1]
    desordre = lot.avec(pret_operation=lot.pret_operation[ordre])
    with pytest.raises(ValueError):
        noyau.resoudre(desordre, np.array(["annuel"] * lot.n_operations))


@pytest.mark.integration
def test_sans_dossier_de_cache_inscriptible_le_noyau_compile_quand_meme(tmp_path):
    """Aucun emplacement de cache numba (paquet en lecture seule, dossier personnel absent) : compilé à
    chaque exécution, mêmes résultats."""
    import json
    import os
    import subprocess
    import sys

    commande = [sys.executable, "-m", "plai_bilan.cli", "risque", str(SCENARIOS[0]), "-n", "300", "--format", "json"]
    env = dict(os.environ, NUMBA_CACHE_LOCATOR_CLASSES="_IPythonCacheLocator")  # aucun ne convient à un module
    sans = subprocess.run(commande, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert sans.returncode == 0, sans.stderr
    avec = subprocess.run(commande, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert json.loads(sans.stdout)["aleatoire"] == json.loads(avec.stdout)["aleatoire"]


@pytest.mark.integration
def test_un_seul_coeur_memes_resultats(tmp_path):
    """NUMBA_NUM_THREADS=1 (serveur partagé, docs/programme.md) : mêmes résultats qu'avec tous les cœurs."""
    import json
    import os
    import subprocess
    import sys

    commande = [sys.executable, "-m", "plai_bilan.cli", "risque", str(SCENARIOS[0]), "-n", "300", "--format", "json"]
    un = subprocess.run(commande, capture_output=True, text=True, cwd=tmp_path, timeout=300,
                        env=dict(os.environ, NUMBA_NUM_THREADS="1"))
    tous = subprocess.run(commande, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert un.returncode == 0 == tous.returncode, un.stderr
    assert json.loads(un.stdout) == json.loads(tous.stdout)


def test_compilation_impossible_le_moteur_numpy_prend_le_relais(monkeypatch):
    import numba.core.errors

    def en_panne(*args):
        raise numba.core.errors.NumbaError("compilation impossible")

    lot = _lot_aleatoire(11)
    criteres = np.array(["tresorerie_cumulee"] * lot.n_operations)
    attendu = subventions_lot(lot, criteres, noyau_compile=False)
    monkeypatch.setattr(noyau, "_lot", en_panne)
    monkeypatch.setattr(noyau, "DISPONIBLE", True)
    obtenu = subventions_lot(lot, criteres, noyau_compile=True)
    assert not noyau.DISPONIBLE  # plus essayé ensuite
    np.testing.assert_array_equal(obtenu.valeur, attendu.valeur)
    np.testing.assert_array_equal(obtenu.faisable, attendu.faisable)
