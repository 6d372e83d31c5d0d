"""Instruire, comparer, sensibilité, risque de taux : chaque résultat recoupé par un calcul indépendant (le moteur
relancé sur le scénario modifié, des moyennes refaites à la main, une régression refaite)."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from plai_bilan.calcul import simuler, subvention_minimale
from plai_bilan.cli import main
from plai_bilan.comparaison import comparer
from plai_bilan.hypotheses import hypotheses_livret_a
from plai_bilan.instruction import instruire
from plai_bilan.parametres import charger_parametres
from plai_bilan.preparation import preparer
from plai_bilan.risque import (Distribution, distribution, moyennes_annuelles, subventions_sous_trajectoires,
                               trajectoires_aleatoires, trajectoires_nommees)
from plai_bilan.scenario import LivretA, charger_scenario
from plai_bilan.sensibilite import sensibilite

RACINE = Path(__file__).resolve().parent.parent / "scenarios"
AA = RACINE / "aa-villeurbanne-3-plai-adaptes.toml"
PROG_AA = RACINE / "programme-grenoble-6-plai-adaptes-aa.toml"
PROG_CN = RACINE / "programme-grenoble-6-plai-adaptes-cn.toml"


def lancer(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def avec_demande(montant, sc=None):
    sc = sc or charger_scenario(AA)
    i = 3
    assert sc.subventions[i].financeur == "État - PLAI adapté"
    return dataclasses.replace(sc, subventions=sc.subventions[:i] + (
        dataclasses.replace(sc.subventions[i], montant=montant),) + sc.subventions[i + 1:])


def ecrire_demande(tmp_path, montant) -> Path:
    f = tmp_path / "demande.toml"
    f.write_text(AA.read_text(encoding="utf-8").replace('montant = "a_calculer"', f"montant = {montant}"),
                 encoding="utf-8")
    return f


# ----------------------------------------------------------------------------------------------- instruire


def test_demande_egale_au_minimum_equilibre_l_operation():
    """Indépendant du verdict : la demande égale au minimum, simulée comme un montant, tient le critère."""
    s = subvention_minimale(charger_scenario(AA)).subvention_minimale
    assert simuler(avec_demande(s)).compte.tresorerie.min() >= -0.01
    assert simuler(avec_demande(s - 100)).compte.tresorerie.min() < -0.01


@pytest.mark.parametrize(("ecart", "verdict", "statut"), [(-100, "plan_non_equilibre", 3),
                                                       (0.5, "plan_non_equilibre", 3), (100, "excessive", 1),
                                                       (20_000, "excessive", 1)])
def test_verdict_et_statut_de_sortie(ecart, verdict, statut, tmp_path):
    """Villeurbanne : S* = 76 488 €, dont C = 68 076 € de contreparties (la GLA) ; sans cofinancement de G, une
    demande au montant justifiable laisse G à trouver, une demande au-delà est excessive."""
    b = subvention_minimale(charger_scenario(AA))
    j = b.subvention_justifiable
    assert j == pytest.approx(b.cout_contreparties) and j < b.subvention_minimale
    f = ecrire_demande(tmp_path, round(j + ecart, 2))
    r = lancer("instruire", f, "--format", "json")
    assert r.exit_code == statut, r.output
    d = json.loads(r.stdout)
    assert d["verdict"] == verdict and d["justifiee"] is False
    assert d["subvention_minimale"] == pytest.approx(b.subvention_minimale, abs=0.01)
    assert d["ecart"] == pytest.approx(round(j + ecart, 2) - b.subvention_minimale, abs=0.011)
    if verdict == "excessive":
        assert d["excedent"] == pytest.approx(ecart, abs=0.011)
    else:
        assert d["manque_hors_contreparties"] == pytest.approx(b.subvention_minimale - max(j, j + ecart), abs=0.011)


def test_criteres_non_conformes_rendent_la_demande_non_eligible():
    """Sans GLA (critère 3 du FNAP), la demande n'est pas éligible, quel que soit son montant."""
    sc = avec_demande(1000.0)
    sc = dataclasses.replace(sc, exploitation=dataclasses.replace(sc.exploitation, gla=None))
    v = instruire(sc)
    assert (v.verdict, v.statut_sortie) == ("non_eligible", 4)
    assert [c.code for c in v.criteres_non_conformes] == ["3"]


def test_demande_reference_et_par_logement():
    sc = avec_demande("reference")
    v = instruire(sc)
    assert v.demande == 3 * 13980  # table FNAP hors IdF/PACA, 1 à 3 PLAI adaptés (seed 001)
    sc = charger_scenario(AA)
    sc = dataclasses.replace(sc, subventions=sc.subventions[:3] + (
        dataclasses.replace(sc.subventions[3], montant=None, montant_par_logement=25000.0),))
    assert instruire(sc).demande == 75000.0


def test_instruire_refuse_une_demande_a_calculer():
    r = lancer("instruire", AA)
    assert r.exit_code == 2
    assert r.stderr == (f"Erreur : {AA} : clé « subventions[3].montant » : l'instruction juge un montant demandé : "
                        "remplacez \"a_calculer\" par le montant de la demande\n")


def test_instruire_financeur_inconnu(tmp_path):
    f = ecrire_demande(tmp_path, 50000)
    r = lancer("instruire", f, "--subvention", "Conseil régional")
    assert r.exit_code == 2
    assert "aucune subvention du financeur « Conseil régional »" in r.stderr


@pytest.mark.tableur
def test_verdict_dans_le_classeur_se_recalcule(tmp_path):
    """La feuille Instruction : changer le montant demandé dans le classeur change le verdict."""
    import openpyxl

    from tableur import convertir, soffice, valeurs

    soffice()
    j = subvention_minimale(charger_scenario(AA)).subvention_justifiable
    f = ecrire_demande(tmp_path, round(j - 500, 2))
    classeur = tmp_path / "instruction.xlsx"
    assert lancer("instruire", f, "--xlsx", classeur).exit_code == 3
    wb = openpyxl.load_workbook(classeur)
    feuille, cellule = next(iter(wb.defined_names["montant_demande"].destinations))
    wb[feuille][cellule.replace("$", "")] = j + 1000
    wb.save(classeur)
    recalcule = valeurs(convertir(classeur, tmp_path / "recalcul", tmp_path / "profil"))
    ws = recalcule["Instruction"]
    verdict = next(ws.cell(row=c.row, column=2).value for c in ws["A"] if c.value == "Verdict")
    assert verdict == "demande excessive"
    justifiable = next(ws.cell(row=c.row, column=2).value for c in ws["A"]
                       if c.value == "Subvention PLAI adapté justifiable, min(S*, C)")
    assert justifiable == pytest.approx(j, abs=0.01)


# ----------------------------------------------------------------------------------------------- comparer


def test_comparer_le_meme_programme_en_aa_et_en_cn():
    resultats = comparer([charger_scenario(PROG_AA), charger_scenario(PROG_CN)])
    for r, f, pr in zip(resultats, (PROG_AA, PROG_CN), (540000 + 330000 + 66000, 260000 + 840000 + 110000)):
        seul = subvention_minimale(charger_scenario(f))
        assert r.subvention_minimale == pytest.approx(seul.subvention_minimale, abs=1e-6)
        assert r.prix_de_revient == pr  # postes du fichier additionnés à la main
    # SU : 2 x (33 + 1,5) + 2 x (47 + 2) + 2 x (63 + 2) = 297 m2.
    assert resultats[0].su_totale == 297.0


def test_comparer_csv_json_et_classeur(tmp_path):
    classeur = tmp_path / "comparaison.xlsx"
    r = lancer("comparer", PROG_AA, PROG_CN, "--format", "csv", "--xlsx", classeur)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("\ufeff")
    lignes = list(csv.DictReader(io.StringIO(r.stdout[1:]), delimiter=";"))
    # En-têtes : les libellés français du catalogue, avec leur unité.
    assert [l["Fichier du scénario"] for l in lignes] == [str(PROG_AA), str(PROG_CN)]
    assert lignes[0]["Prix de revient par logement (€)"] == "156000,00"  # 936 000 / 6
    assert lignes[1]["Prix de revient par logement (€)"] == "201666,67"  # 1 210 000 / 6
    assert lignes[0]["Empreinte SHA-256 du fichier du scénario"] == hashlib.sha256(PROG_AA.read_bytes()).hexdigest()
    s = [subvention_minimale(charger_scenario(f)).subvention_minimale for f in (PROG_AA, PROG_CN)]
    assert [float(l["Subvention d'équilibre par m² SU (€)"].replace(",", ".")) for l in lignes] == pytest.approx(
        [x / 297 for x in s], abs=0.006)
    import openpyxl

    wb = openpyxl.load_workbook(classeur)
    assert wb.sheetnames == ["Comparaison", "Traçabilité"]
    assert len(wb["Comparaison"]._charts) == 1
    d = json.loads(lancer("comparer", PROG_AA, PROG_CN, "--format", "json").stdout)
    assert [o["subvention_minimale"] for o in d["operations"]] == pytest.approx(s, abs=0.01)


# ----------------------------------------------------------------------------------------------- sensibilité


@pytest.fixture(scope="module")
def sens_aa():
    return sensibilite(charger_scenario(AA))


def _ligne(s, cle):
    return next(l for l in s.lignes if l.cle == cle)


def test_sensibilite_egale_au_moteur_sur_le_scenario_modifie(sens_aa):
    """Chaque entrée de la table est la subvention d'équilibre du scénario modifié à la main, résolu seul."""
    sc = charger_scenario(AA)
    s0 = subvention_minimale(sc).subvention_minimale
    assert sens_aa.subvention_base == pytest.approx(s0, abs=1e-6)
    pr = sc.prix_de_revient
    haut = dataclasses.replace(sc, prix_de_revient=dataclasses.replace(pr, travaux=pr.travaux * 1.1))
    assert _ligne(sens_aa, "travaux").subvention_haute == pytest.approx(
        subvention_minimale(haut).subvention_minimale, abs=1e-6)
    plus_un = dataclasses.replace(sc, livret_a=LivretA((2.5,), None))  # 1,5 % au 01/03/2026, + 1 point
    assert _ligne(sens_aa, "livret_a").subvention_haute == pytest.approx(
        subvention_minimale(plus_un).subvention_minimale, abs=1e-6)
    vacance = dataclasses.replace(sc, exploitation=dataclasses.replace(sc.exploitation, vacance_pct=4.0))
    assert _ligne(sens_aa, "vacance_pct").subvention_haute == pytest.approx(
        subvention_minimale(vacance).subvention_minimale, abs=1e-6)
    exo = dataclasses.replace(sc, exploitation=dataclasses.replace(
        sc.exploitation, tfpb=dataclasses.replace(sc.exploitation.tfpb, exoneration=20)))
    assert _ligne(sens_aa, "tfpb_exoneration").subvention_basse == pytest.approx(
        subvention_minimale(exo).subvention_minimale, abs=1e-6)


def test_bascule_du_prix_de_revient(sens_aa):
    """Juste sous la valeur de bascule l'opération s'équilibre sans subvention, juste au-dessus non."""
    sc = charger_scenario(AA)
    b = _ligne(sens_aa, "prix_de_revient").bascule
    assert b is not None

    def a_l_echelle(f):
        pr = sc.prix_de_revient
        return dataclasses.replace(sc, prix_de_revient=dataclasses.replace(
            pr, charge_fonciere=pr.charge_fonciere * f, travaux=pr.travaux * f, honoraires=pr.honoraires * f))

    assert subvention_minimale(a_l_echelle(b * (1 - 1e-4) / 306000)).subvention_minimale == 0
    assert subvention_minimale(a_l_echelle(b * (1 + 1e-4) / 306000)).subvention_minimale > 0


def test_sensibilite_png_et_classeur(tmp_path):
    png, classeur = tmp_path / "tornade.png", tmp_path / "etude.xlsx"
    r = lancer("sensibilite", AA, "--png", png, "--xlsx", classeur)
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import openpyxl

    wb = openpyxl.load_workbook(classeur)
    assert wb.sheetnames[:2] == ["Synthèse", "Sensibilité"]
    assert len(wb["Sensibilité"]._charts) == 1


# ----------------------------------------------------------------------------------------------- risque


def test_rejeu_2021_2023_refait_a_la_main():
    # 2021 : 0,5 % toute l'année. 2022 : 0,5 % en janvier (31 j), 1 % du 1er février au 31 juillet (181 j),
    # 2 % du 1er août au 31 décembre (153 j). 2023 : 2 % en janvier (31 j), 3 % ensuite (334 j).
    attendu = [0.5, (31 * 0.5 + 181 * 1.0 + 153 * 2.0) / 365, (31 * 2.0 + 334 * 3.0) / 365]
    np.testing.assert_allclose(moyennes_annuelles(charger_parametres(), 2021, 2023), attendu, rtol=1e-12)
    e = preparer(charger_scenario(AA))
    rejeu = next(t for t in trajectoires_nommees(e) if t.nom == "rejeu-2021-2023")
    np.testing.assert_allclose(rejeu.taux[:3] * 100, attendu, rtol=1e-12)
    assert (rejeu.taux[3:] == 0.03).all()


def test_calibrage_du_modele_aleatoire_refait():
    """Les paramètres du fichier d'hypothèses sont la régression x_{t+1} = a x_t + c sur les moyennes annuelles."""
    m = hypotheses_livret_a()["modele_aleatoire"]
    x = moyennes_annuelles(charger_parametres(), m["calibrage_debut"], m["calibrage_fin"])
    a, c = np.polyfit(x[:-1], x[1:], 1)
    residus = x[1:] - (a * x[:-1] + c)
    assert m["vitesse"] == pytest.approx(1 - a, abs=0.005)
    assert m["moyenne_pct"] == pytest.approx(c / (1 - a), abs=0.005)
    assert m["volatilite_points"] == pytest.approx(residus.std(ddof=2), abs=0.005)


def test_trajectoires_nommees_egales_au_moteur():
    """Chaque trajectoire, résolue dans le lot répété, égale le scénario réécrit avec cette trajectoire."""
    sc = charger_scenario(AA)
    e = preparer(sc)
    trajectoires = trajectoires_nommees(e)
    s = subventions_sous_trajectoires(e, np.array([t.taux for t in trajectoires]))
    for t, x in zip(trajectoires, s):
        r = subvention_minimale(dataclasses.replace(sc, livret_a=LivretA(tuple(t.taux * 100), None)))
        if r.faisable:
            assert x == pytest.approx(r.subvention_minimale, abs=1e-6), t.nom
        else:
            assert np.isinf(x), t.nom


def test_trajectoires_aleatoires_egales_au_moteur_une_par_une():
    sc = charger_scenario(PROG_CN)  # trois prêts : indexés, préfinancé, à taux fixe
    e = preparer(sc)
    chemins = trajectoires_aleatoires(0.015, e.horizon, 12, graine=7)
    s = subventions_sous_trajectoires(e, chemins)
    for chemin, x in zip(chemins, s):
        r = subvention_minimale(dataclasses.replace(sc, livret_a=LivretA(tuple(chemin * 100), None)))
        assert x == pytest.approx(r.subvention_minimale, abs=1e-6) if r.faisable else np.isinf(x)


def test_p90_d_une_trajectoire_constante_est_sa_subvention():
    sc = charger_scenario(AA)
    e = preparer(sc)
    m = dict(hypotheses_livret_a()["modele_aleatoire"], volatilite_points=0.0, vitesse=0.0)
    chemins = trajectoires_aleatoires(float(e.livret_a[0]), e.horizon, 500, graine=1, modele=m)
    assert (chemins == e.livret_a[0]).all()
    d = Distribution(subventions_sous_trajectoires(e, chemins), 1)
    s = subvention_minimale(sc).subvention_minimale
    for q in (0.5, 0.9, 0.99):
        assert d.quantile(q) == pytest.approx(s, abs=1e-6)


def test_quantile_est_la_subvention_qui_equilibre_la_proportion_voulue():
    d = Distribution(np.array([5.0, 1.0, 4.0, 2.0, 3.0, np.inf, 6.0, 7.0, 8.0, 9.0]), 0)
    assert d.quantile(0.9) == 9.0  # 9 trajectoires sur 10 ont S* <= 9
    assert d.quantile(0.5) == 5.0
    assert d.quantile(0.95) == np.inf
    assert d.part_infaisable == 0.1


def test_distribution_reproductible_et_graine():
    e = preparer(charger_scenario(AA))
    a, b, c = distribution(e, 200), distribution(e, 200), distribution(e, 200, graine=3)
    assert (a.subventions == b.subventions).all()
    assert not (a.subventions == c.subventions).all()
    assert a.graine == hypotheses_livret_a()["modele_aleatoire"]["graine"]


def test_commande_risque(tmp_path):
    png = tmp_path / "distribution.png"
    r = lancer("risque", AA, "-n", 300, "--png", png, "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [t["nom"] for t in d["trajectoires"]] == ["scenario", "rejeu-2021-2023", "plus-1-point", "plus-2-points",
                                                    "hausse-lente"]
    assert d["aleatoire"]["n"] == 300
    assert d["aleatoire"]["p50"] <= d["aleatoire"]["p90"] <= d["aleatoire"]["p99"]
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_rupture_du_livret_a_et_de_l_exoneration(sens_aa):
    """Juste sous la rupture une subvention suffit encore ; juste au-dessus, aucune (le moteur, scénario réécrit)."""
    sc = charger_scenario(AA)
    r = _ligne(sens_aa, "livret_a").rupture
    assert 2.5 < r < 3.5  # +1 point reste faisable, +2 points ne l'est plus (table de sensibilité)
    assert subvention_minimale(dataclasses.replace(sc, livret_a=LivretA((r - 1e-6,), None))).faisable
    assert not subvention_minimale(dataclasses.replace(sc, livret_a=LivretA((r + 1e-6,), None))).faisable
    n = _ligne(sens_aa, "tfpb_exoneration").rupture
    assert n == int(n)

    def exoneration(annees):
        return dataclasses.replace(sc, exploitation=dataclasses.replace(
            sc.exploitation, tfpb=dataclasses.replace(sc.exploitation.tfpb, exoneration=annees)))

    assert subvention_minimale(exoneration(int(n))).faisable
    assert not subvention_minimale(exoneration(int(n) - 1)).faisable
