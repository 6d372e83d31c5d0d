"""plai-bilan optimiser : le plan de financement le moins subventionné dans les règles des prêteurs.

Vérités indépendantes : un cas calculé à la main (annuités d'un prêt indexé sur un livret A constant, recalculées
par numpy-financial) ; le plan écrit en scénario et relu par « subvention » redonne le S* affiché ; les règles datées
(regles_prets.toml) bornent chaque plan proposé (propriété sur des opérations tirées au hasard).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import tomllib
from pathlib import Path

import numpy_financial as npf
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plai_bilan.calcul import subvention_minimale
from plai_bilan.cli import main
from plai_bilan.optimisation import optimiser
from plai_bilan.parametres import charger_parametres
from plai_bilan.preparation import horizon
from plai_bilan.scenario import charger_scenario, scenario_depuis_dict

RACINE = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((RACINE / "scenarios").glob("*.toml"))
P = charger_parametres()

# Un logement, loyer 300 €/mois, frais de gestion 1 000 €/an, rien d'indexé : 2 600 € par an pour la dette, chaque
# année. Prêt d'équilibre CDC indexé sur un livret A constant de 1,5 % (marge -0,20 : taux 1,3 %), 40 ans ; horizon
# 45 ans ; critère annuel : le prêt le plus grand dont l'échéance tient dans 2 600 € est 2 600 x VA(1,3 %, n).
# Sur les leviers : une progressivité > 0 fait croître la dernière échéance, < 0 réduit le capital servi ; un différé
# impose l'intérêt seul puis une échéance plus courte ; l'optimum est n = 45 ans (40 + 5, la borne des règles et
# l'horizon), progressivité 0, sans différé, et les fonds propres au plafond (10 000 €) : S* = 100 000 - 10 000 -
# 2 600 x VA(1,3 %, 45).
CAS = {
    "operation": {"nom": "Cas : deux leviers", "nature": "construction-neuve", "produit": "ordinaire",
                  "region": "hors-idf-paca", "zone_loyer": "2", "zone_apl": "2",
                  "date_agrement": __import__("datetime").date(2026, 3, 1), "mise_en_service": 2027},
    "logements": [{"nombre": 1, "surface_habitable": 50.0, "plai_adapte": False, "loyer_mensuel": 300.0}],
    "prix_de_revient": {"travaux": 100000},
    "subventions": [{"financeur": "Subvention à calculer", "montant": "a_calculer"}],
    "fonds_propres": {"montant": 0},
    "prets": [{"nom": "CDC construction", "index": "livret_a", "marge_pct": -0.2, "duree": 40, "montant": "solde"}],
    "exploitation": {"frais_gestion": 1000, "indexation": {"loyers_pct": 0.0, "charges_pct": 0.0}},
    "livret_a": {"trajectoire": "constante"},
    "analyse": {"critere": "annuel", "duree": 45},
}


def test_cas_calcule_a_la_main_duree_et_fonds_propres():
    sc = scenario_depuis_dict(copy.deepcopy(CAS), "cas")
    livret = P.taux_livret_a(sc.operation.date_agrement)[0]  # 1,50 % au 01/02/2026
    assert livret == 1.5
    r = (livret - 0.2) / 100
    fichier = 100000 - 2600 * npf.pv(r, 40, -1)
    attendu = 100000 - 10000 - 2600 * npf.pv(r, 45, -1)
    o = optimiser(sc, P, fonds_propres_max=10000)
    assert o.subvention_fichier == pytest.approx(fichier, abs=0.01)
    assert o.subvention_optimisee == pytest.approx(attendu, abs=0.01)
    changes = {l.cle: l.valeur_optimisee for l in o.leviers_changes}
    assert changes == {"prets[0].duree": 45, "fonds_propres.montant": 10000.0}
    # Chaque levier seul : la durée seule, puis les fonds propres seuls (1 pour 1).
    seuls = {l.cle: l.economie_seule for l in o.leviers_changes}
    assert seuls["prets[0].duree"] == pytest.approx(2600 * (npf.pv(r, 45, -1) - npf.pv(r, 40, -1)), abs=0.01)
    assert seuls["fonds_propres.montant"] == pytest.approx(10000, abs=0.01)


def test_plan_deja_optimal_rien_a_gagner():
    o = optimiser(charger_scenario(SCENARIOS[0]), P)
    encore = optimiser(o.scenario_optimise, P)
    assert encore.economie == pytest.approx(0, abs=0.005) and not encore.leviers_changes


@pytest.mark.parametrize("chemin", SCENARIOS, ids=lambda p: p.stem)
def test_plan_optimise_ecrit_et_relu_redonne_le_s_etoile_au_centime(chemin, tmp_path):
    ecrit = tmp_path / "optimise.toml"
    r = CliRunner().invoke(main, ["optimiser", str(chemin), "--format", "json", "--ecrire-scenario", str(ecrit)])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["economie"] >= 0 and d["subvention_optimisee"] <= d["subvention_fichier"]
    relu = json.loads(CliRunner().invoke(main, ["subvention", str(ecrit), "--format", "json"]).stdout)
    assert relu["subvention_minimale"] == pytest.approx(d["subvention_optimisee"], abs=0.005)
    assert relu["horizon"] == d["horizon"]
    # Le plan relu est celui affiché, et dans les règles : aucun avertissement des fiches CDC.
    assert [(p["nom"], p["duree"]) for p in d["prets"]] == [(p.nom, p.duree) for p in charger_scenario(ecrit).prets]
    assert not any("règles des fiches CDC" in a for a in charger_scenario(ecrit).avertissements
                   + tuple(subvention_minimale(charger_scenario(ecrit)).avertissements))


def _dans_les_regles(o, sc) -> None:
    op = sc.operation
    for pr in o.scenario_optimise.prets:
        if pr.index != "livret_a":
            continue
        b, _ = P.bornes_pret(pr.objet, op.zone_abc, op.date_agrement)
        i = [x.nom for x in sc.prets].index(pr.nom)
        laissee = any(h.startswith(f"prets[{i}].duree = ") and "laissée" in h for h in o.hors_regles)
        assert b.duree_min <= pr.duree <= min(b.duree_max, o.horizon) or (laissee and pr.duree == sc.prets[i].duree)
        assert b.progressivite_min_pct <= pr.progressivite_pct <= b.progressivite_max_pct
        assert pr.differe_amortissement <= b.differe_max and pr.differe_amortissement < pr.duree
        assert pr.revisabilite in b.revisabilites
        assert not (pr.revisabilite == "double_limitee" and pr.progressivite_pct < 0)
        if pr.objet == "foncier" and not pr.est_solde:
            assert 0 <= float(pr.montant) <= sc.prix_de_revient.charge_fonciere + 0.01


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(SCENARIOS[:3] + SCENARIOS[4:7]), st.integers(30, 60), st.integers(30, 60),
       st.sampled_from([-1.0, 0.0, 0.5, 1.0]), st.integers(0, 3))
def test_tout_plan_propose_est_dans_les_regles(chemin, d0, d1, progressivite, differe):
    """Des plans de départ tirés au hasard, parfois hors règles : le plan proposé y est, et ne demande pas plus."""
    sc = charger_scenario(chemin)
    prets = list(sc.prets)
    for i, d in ((0, d0), (1, d1)):
        if i < len(prets) and prets[i].index == "livret_a":
            rev = "double" if progressivite < 0 else prets[i].revisabilite
            prets[i] = dataclasses.replace(prets[i], duree=d, progressivite_pct=progressivite, revisabilite=rev,
                                           differe_amortissement=min(differe, d - 1))
    sc = dataclasses.replace(sc, prets=tuple(prets))
    o = optimiser(sc, P)
    assert o.horizon == horizon(sc)
    _dans_les_regles(o, sc)
    assert o.subvention_optimisee <= o.subvention_fichier + 0.005 or o.hors_regles
    assert subvention_minimale(o.scenario_optimise, P).subvention_minimale == pytest.approx(
        o.subvention_optimisee, abs=0.005)


def test_objectif_fnap_et_fichier_de_demande():
    demande = RACINE / "scenarios" / "instruction-villeurbanne-demande-justifiee.toml"
    sc, i = _avec_inconnue(charger_scenario(demande))
    o = optimiser(sc, P, objectif="fnap", inconnue=i)
    assert o.inconnue and "subventions[3]" in o.inconnue
    assert o.justifiable_optimisee <= o.justifiable_fichier + 0.005
    # Le texte et le JSON disent la même chose.
    r = CliRunner().invoke(main, ["optimiser", str(demande), "--objectif", "fnap", "--format", "json"])
    d = json.loads(r.stdout)
    assert d["objectif"] == "fnap" and d["justifiable_optimisee"] == pytest.approx(o.justifiable_optimisee, abs=0.01)
    t = CliRunner().invoke(main, ["optimiser", str(demande), "--objectif", "fnap"]).stdout
    assert "la subvention demandée est l'inconnue" in t


def _avec_inconnue(sc):
    from plai_bilan.instruction import avec_inconnue

    return avec_inconnue(sc)


def test_instruire_dit_la_subvention_evitable():
    demande = RACINE / "scenarios" / "instruction-villeurbanne-demande-justifiee.toml"
    d = json.loads(CliRunner().invoke(main, ["instruire", str(demande), "--format", "json"]).stdout)
    montage = [c for c in d["controles"] if c["code"] == "montage"]
    o = optimiser(_avec_inconnue(charger_scenario(demande))[0], P)
    assert len(montage) == 1 and montage[0]["statut"] == "information"
    assert f"{round(o.economie):,} €".replace(",", " ") in montage[0]["detail"].replace("\u202f", " ")


def test_horizon_fixe_tient_les_engagements():
    sc = charger_scenario(RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml")
    o = optimiser(sc, P, horizon_fixe=55)
    assert o.horizon == 55 and o.scenario_optimise.analyse.duree == 55
    assert o.scenario_optimise.exploitation.gla.duree == 55 and o.engagements_prolonges


@pytest.mark.parametrize("options, message", [
    (["--ecrire-scenario", "plan.txt"], "doit porter l'extension .toml"),
    (["--objectif", "autre"], "--objectif"),
])
def test_options_refusees(options, message, tmp_path):
    r = CliRunner().invoke(main, ["optimiser", str(SCENARIOS[0]), *options])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output


@pytest.mark.tableur
def test_feuille_optimisation_dans_libreoffice(tmp_path):
    from tableur import convertir, soffice, valeurs

    soffice()
    classeur = tmp_path / "optimise.xlsx"
    r = CliRunner().invoke(main, ["optimiser", str(SCENARIOS[0]), "--format", "json", "--xlsx", str(classeur)])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    wb = valeurs(convertir(classeur, tmp_path / "recalcul", tmp_path / "profil"))
    ws = wb["Optimisation"]
    assert ws["B4"].value == pytest.approx(d["subvention_fichier"], abs=0.01)
    assert ws["B5"].value == pytest.approx(d["subvention_optimisee"], abs=0.01)
    assert ws["B6"].value == pytest.approx(d["economie"], abs=0.01)
    erreurs = [(f.title, c.coordinate) for f in wb for ligne in f.iter_rows() for c in ligne
               if isinstance(c.value, str) and c.value.startswith(("#", "Err:"))]
    assert not erreurs
    # Le reste du classeur est l'étude du plan optimisé : sa subvention d'équilibre est celle affichée.
    nom = wb.defined_names["subvention_minimale"]
    feuille, cellule = next(iter(nom.destinations))
    assert wb[feuille][cellule.replace("$", "")].value == pytest.approx(d["subvention_optimisee"], abs=0.01)


def test_lot_ajoute_le_s_etoile_optimise_de_chaque_operation(tmp_path):
    """lot --optimiser : la colonne égale, opération par opération, ce qu'affiche optimiser sur le fichier."""
    import csv as module_csv

    tableau = tmp_path / "programme.csv"
    r = CliRunner().invoke(main, ["lot", str(RACINE / "scenarios"), "--optimiser", "-o", str(tableau)])
    assert r.exit_code == 0, r.output
    with open(tableau, encoding="utf-8-sig", newline="") as f:
        lignes = list(module_csv.reader(f, delimiter=";"))
    entetes = lignes[0]
    col_s = entetes.index("S* du plan optimisé (€)")
    col_e = entetes.index("Subvention évitable (€)")
    col_src = entetes.index("Source")
    assert len(lignes) - 1 == len(SCENARIOS)
    for l in lignes[1:]:
        d = json.loads(CliRunner().invoke(main, ["optimiser", str(RACINE / "scenarios" / l[col_src]), "--format",
                                              "json"]).stdout)
        assert float(l[col_s].replace(",", ".")) == pytest.approx(d["subvention_optimisee"], abs=0.01)
        assert float(l[col_e].replace(",", ".")) == pytest.approx(d["economie"], abs=0.01)
