"""Foyers (pensions de famille, résidences sociales) : la variante PLAI ordinaire, les prestations et le type.

Vérité indépendante : la variante PLAI ordinaire (G) du moteur égale le besoin du même scénario réécrit à la main
sans PLAI adapté ni GLS renforcée (la GLS de droit commun et son aide restent) ; le critère 2.2 lit la redevance
hors prestations (programme FNAP, critère 2.2 : « hors quittancement des prestations »).
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from plai_bilan.calcul import subvention_minimale
from plai_bilan.cli import main
from plai_bilan.scenario import scenario_depuis_dict

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FOYERS = ["pf-angers-25-places", "pf-saint-brieuc-pension-de-famille", "rs-rennes-30-logements"]


def doc(nom: str) -> dict:
    return tomllib.loads((SCENARIOS / f"{nom}.toml").read_text(encoding="utf-8"))


def besoin(d: dict):
    return subvention_minimale(scenario_depuis_dict(copy.deepcopy(d)))


@pytest.mark.parametrize("nom", FOYERS)
def test_variante_plai_ordinaire_egale_au_scenario_reecrit_sans_plai_adapte(nom):
    d = doc(nom)
    r = besoin(d)
    ordinaire = copy.deepcopy(d)
    for lg in ordinaire["logements"]:
        lg["plai_adapte"] = False  # redevance maximale, plus d'équivalence APL
    ordinaire["exploitation"].pop("gla")  # la GLS renforcée ; la GLS de droit commun et l'AGLS restent
    assert "gls" in ordinaire["exploitation"] and "financement_accompagnement" in ordinaire["exploitation"]
    assert r.subvention_plai_ordinaire == pytest.approx(besoin(ordinaire).subvention_minimale, abs=0.01)
    assert r.cout_contreparties == pytest.approx(r.subvention_minimale - r.subvention_plai_ordinaire, abs=0.01)
    assert sum(r.contreparties.values()) == pytest.approx(r.cout_contreparties, abs=0.01)
    # C n'est que les redevances plus basses et la GLS renforcée.
    assert r.contreparties["accompagnement"] == 0 and r.contreparties["subventions_plai_adapte"] == 0
    sans_gla = copy.deepcopy(d)
    sans_gla["exploitation"].pop("gla")
    assert r.contreparties["gla"] > 0 and besoin(sans_gla).subvention_minimale < r.subvention_minimale


def test_residence_sociale_livree_redevances_plus_basses_et_gls_renforcee():
    r = besoin(doc("rs-rennes-30-logements"))
    assert r.subvention_plai_ordinaire > 0
    assert r.contreparties["loyers"] > 0 and r.contreparties["gla"] > 0
    statuts = {c.code: c.statut for c in r.controles}
    assert statuts["taille"] == "information" and statuts["prestations"] == "information"
    taille = next(c for c in r.controles if c.code == "taille")
    assert "30 logements" in taille.detail and "« petites » résidences sociales" in taille.detail


def test_prestations_hors_equilibre_et_hors_critere_2_2():
    d = doc("rs-rennes-30-logements")
    avec = besoin(d)
    sans = copy.deepcopy(d)
    for lg in sans["logements"]:
        lg.pop("prestations_mensuelles")
    r0 = besoin(sans)
    assert avec.subvention_minimale == pytest.approx(r0.subvention_minimale, abs=1e-6)
    lignes = [l for l in avec.loyers_par_logement if l.plai_adapte]
    # Une redevance à l'équivalence E : avec les prestations, la quittance dépasse E ; le critère 2.2 reste conforme.
    assert any(abs(l.loyer - l.plafond_apl) < 0.01 and l.loyer + l.prestations > l.plafond_apl for l in lignes)
    c22 = [c for c in avec.controles if c.code == "2.2" and c.libelle.startswith("Redevance sous")]
    assert len(c22) == len(lignes) and all(c.statut == "conforme" for c in c22)
    assert all("redevance hors prestations" in c.detail and "25,00 €" in c.detail for c in c22)
    # Des prestations qui feraient dépasser E : la redevance seule décide.
    trop = copy.deepcopy(d)
    for lg in trop["logements"]:
        lg["prestations_mensuelles"] = 400.0
    assert all(c.statut == "conforme" for c in besoin(trop).controles if c.code == "2.2")


@pytest.mark.parametrize("cle, valeur, attendu", [
    ("logements.0.prestations_mensuelles", 25.0, "clé « logements[0].prestations_mensuelles » : réservée aux foyers"),
    ("operation.type_foyer", "residence-sociale", "clé « operation.type_foyer » : réservée aux foyers"),
])
def test_cles_de_foyer_refusees_hors_foyer(cle, valeur, attendu, tmp_path):
    texte = (SCENARIOS / "aa-villeurbanne-3-plai-adaptes.toml").read_text(encoding="utf-8")
    if cle.startswith("operation"):
        texte = texte.replace("[operation]\n", f"[operation]\ntype_foyer = \"{valeur}\"\n", 1)
    else:
        texte = texte.replace("[[logements]]\n", f"[[logements]]\nprestations_mensuelles = {valeur}\n", 1)
    f = tmp_path / "s.toml"
    f.write_text(texte, encoding="utf-8")
    r = CliRunner().invoke(main, ["subvention", str(f)])
    assert r.exit_code == 2 and attendu in r.stderr and "Traceback" not in r.output


def test_type_de_foyer_choix_ferme_et_note_sans_type():
    d = doc("pf-angers-25-places")
    d["operation"]["type_foyer"] = "foyer-de-jeunes"
    with pytest.raises(Exception, match="pension-de-famille"):
        scenario_depuis_dict(d)
    d["operation"].pop("type_foyer")
    c = next(c for c in besoin(d).controles if c.code == "taille")
    assert c.statut == "information" and "operation.type_foyer non déclaré" in c.detail
    d["operation"]["type_foyer"] = "pension-de-famille"
    assert not [c for c in besoin(d).controles if c.code == "taille"]


@pytest.mark.integration
def test_vue_des_menages_quittance_avec_prestations_aide_sans():
    pytest.importorskip("openfisca_france")
    from plai_bilan.menages import vue_menages

    d = doc("rs-rennes-30-logements")
    sans = copy.deepcopy(d)
    for lg in sans["logements"]:
        lg.pop("prestations_mensuelles")
    a, b = vue_menages(besoin(d)), vue_menages(besoin(sans))
    assert [l.apl for l in a.lignes] == [l.apl for l in b.lignes]
    for x, y in zip(a.lignes, b.lignes):
        assert x.prestations == 25.0 and y.prestations == 0.0
        assert x.quittance == pytest.approx(y.quittance + 25.0, abs=1e-9)
        assert x.reste_a_charge == pytest.approx(y.reste_a_charge + 25.0, abs=1e-9)
    assert all(l.taux_effort is not None and l.reste_pour_vivre is not None for l in a.lignes)
