"""Le classeur comme entrée : étude relue, classeur de saisie rempli par un script, conversions, erreurs situées.

La vérité est le moteur sur le scénario TOML équivalent (écrit à la main dans le test) : un classeur relu doit
redonner les mêmes résultats au centime.
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from plai_bilan.api import exporter
from plai_bilan.calcul import subvention_minimale
from plai_bilan.cli import main
from plai_bilan.scenario import charger_scenario, scenario_depuis_dict
from conftest import SCENARIOS

RACINE = Path(__file__).resolve().parent.parent
AA = RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"
MONTREUIL = RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml"
CENT = 0.005


def memes_resultats(a, b) -> None:
    """Deux bilans résolus égaux au centime : compte, subvention, décomposition, loyers, contrôles."""
    assert a.faisable == b.faisable
    for x, y in ((a.subvention_minimale, b.subvention_minimale), (a.subvention_plai_ordinaire,
                                                                    b.subvention_plai_ordinaire),
                 (a.cout_contreparties, b.cout_contreparties), (a.prix_de_revient, b.prix_de_revient)):
        assert (x is None) == (y is None)
        if x is not None:
            assert y == pytest.approx(x, abs=CENT)
    for cle, v in a.compte.colonnes().items():
        np.testing.assert_allclose(b.compte.colonnes()[cle], v, atol=CENT, rtol=0, err_msg=cle)
    assert [l.loyer for l in b.loyers_par_logement] == pytest.approx([l.loyer for l in a.loyers_par_logement],
                                                                      abs=CENT)
    assert [(c.code, c.statut) for c in b.controles] == [(c.code, c.statut) for c in a.controles]
    assert a.annee_critique == b.annee_critique
    assert b.sieg.marge == pytest.approx(a.sieg.marge, abs=CENT)
    assert b.prix_de_revient_ht == pytest.approx(a.prix_de_revient_ht, abs=CENT)


def lancer(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# Un foyer, une opération mixte et une acquisition-amélioration dans la boucle par défaut, tous les exemples en CI.
PAR_DEFAUT = ("aa-villeurbanne-3-plai-adaptes", "cn-lyon-30-plus-plai-dont-3-adaptes", "pf-saint-brieuc-pension-de-famille")
EXEMPLES = [p if p.stem in PAR_DEFAUT else pytest.param(p, marks=pytest.mark.integration) for p in SCENARIOS]


@pytest.mark.parametrize("chemin", EXEMPLES, ids=lambda p: p.stem)
def test_etude_relue_donne_les_memes_resultats(chemin, tmp_path):
    sc = charger_scenario(chemin)
    classeur = tmp_path / "etude.xlsx"
    exporter(sc, classeur)
    memes_resultats(subvention_minimale(sc), subvention_minimale(charger_scenario(classeur)))


@pytest.mark.parametrize("chemin", EXEMPLES, ids=lambda p: p.stem)
def test_convertir_classeur_vers_toml_et_retour(chemin, tmp_path):
    """étude .xlsx -> .toml -> classeur de saisie .xlsx -> mêmes résultats à chaque étape."""
    reference = subvention_minimale(charger_scenario(chemin))
    etude = tmp_path / "etude.xlsx"
    exporter(charger_scenario(chemin), etude)
    r = lancer("convertir", etude, "-o", tmp_path / "converti.toml")
    assert r.exit_code == 0, r.output
    assert r.stderr.endswith(f"Scénario écrit dans {tmp_path / 'converti.toml'}\n")
    texte = (tmp_path / "converti.toml").read_text(encoding="utf-8")
    assert texte.startswith("# Scénario plai-bilan converti du classeur etude.xlsx")
    memes_resultats(reference, subvention_minimale(charger_scenario(tmp_path / "converti.toml")))
    r = lancer("convertir", tmp_path / "converti.toml", "-o", tmp_path / "saisie.xlsx")
    assert r.exit_code == 0, r.output
    memes_resultats(reference, subvention_minimale(charger_scenario(tmp_path / "saisie.xlsx")))


def test_toute_commande_accepte_le_classeur(tmp_path):
    etude = tmp_path / "etude.xlsx"
    exporter(charger_scenario(AA), etude)
    for commande in (["simuler"], ["subvention", "--format", "json"], ["sensibilite"], ["risque", "-n", "50"],
                     ["comparer", str(AA)]):
        r = lancer(commande[0], etude, *commande[1:])
        assert r.exit_code == 0, (commande, r.output)
    r = lancer("exporter", etude, "-o", tmp_path / "autre.xlsx")
    assert r.exit_code == 0, r.output


# ------------------------------------------------------------------ classeur de saisie
def _cellule_cle(ws, cle: str) -> str:
    return "B" + str(next(c.row for c in ws["D"] if c.value == cle))


def _premiere_ligne_libre(ws, cle_colonne_a: str) -> int:
    """La première ligne vide (colonne A) du tableau dont la ligne de clés commence par ``cle_colonne_a``."""
    ligne = next(c.row for c in ws["A"] if c.value == cle_colonne_a) + 2
    while ws.cell(row=ligne, column=1).value not in (None, ""):
        ligne += 1
    return ligne


def test_modele_rempli_par_un_script_egal_au_toml(tmp_path):
    """Un script remplit le classeur de saisie (valeur changée, logement, prêt, subvention et poste de coût
    ajoutés dans les lignes libres, livret A d'une année) ; le même changement écrit en TOML à la main."""
    saisie = tmp_path / "saisie.xlsx"
    r = lancer("modele", "-o", saisie, "--exemple", AA)
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(saisie)
    ws = wb["Hypothèses"]
    ws[_cellule_cle(ws, "prix_de_revient.travaux")] = 130000
    ws[_cellule_cle(ws, "exploitation.vacance_pct")] = 0.03  # 3 % (un taux s'écrit en pour cent dans la cellule)
    ws[_cellule_cle(ws, "operation.ascenseur")] = "VRAI"  # choisi dans la liste déroulante : un texte
    l = _premiere_ligne_libre(ws, "logements[].typologie")
    for c, v in zip("ABCDEFGHIJKLMNO", ["T1", 1, 31.5, None, None, True, None, None, None, 10, None, None, False, 0,
                                       9000]):
        if v is not None:
            ws[f"{c}{l}"] = v
    l = _premiere_ligne_libre(ws, "prets[].nom")
    for c, v in zip("ABCDEFGHIJK", ["Prêt de la Métropole", 20000, 30, "fixe", 0.005, None, None, None, None, None,
                                   "amortissement_constant"]):
        if v is not None:
            ws[f"{c}{l}"] = v
    l = next(c.row for c in ws["D"] if c.value == "subventions[4].montant")  # première subvention libre
    ws[f"A{l}"], ws[f"B{l}"], ws[f"C{l}"], ws[f"E{l}"] = "Fondation", 2000, "€ par logement", "autre"
    l = next(c.row for c in ws["D"] if c.value == "prix_de_revient.autres")
    ws[f"A{l}"], ws[f"B{l}"] = "Autre : diagnostics", 4500
    l = next(c.row for c in ws["A"] if c.value == "livret_a.trajectoire") + 2
    ws[f"C{l + 2}"] = 0.025  # année 3 : 2,5 % ; les années 2 et 4+ recopient la précédente
    wb.save(saisie)

    doc = tomllib.loads(AA.read_text(encoding="utf-8"))
    attendu = copy.deepcopy(doc)
    attendu["prix_de_revient"]["travaux"] = 130000
    attendu["prix_de_revient"]["autres"] = {"diagnostics": 4500}
    attendu["exploitation"]["vacance_pct"] = 3.0
    attendu["operation"]["ascenseur"] = True
    attendu["logements"].append({"typologie": "T1", "nombre": 1, "surface_habitable": 31.5, "plai_adapte": True,
                                 "loyer_accessoire": 10, "menage": {"couple": False, "personnes_a_charge": 0,
                                                                    "ressources": 9000}})
    attendu["prets"].append({"nom": "Prêt de la Métropole", "montant": 20000, "duree": 30, "taux_pct": 0.5,
                             "profil": "amortissement_constant"})
    attendu["subventions"].insert(len(doc["subventions"]), {"financeur": "Fondation", "montant_par_logement": 2000,
                                                             "nature": "autre"})
    taux = subvention_minimale(charger_scenario(AA)).livret_a[0] * 100
    attendu["livret_a"] = {"trajectoire": [taux, taux, 2.5]}
    memes_resultats(subvention_minimale(scenario_depuis_dict(attendu)),
                    subvention_minimale(charger_scenario(saisie)))


def test_modele_protege_avec_listes_controles_et_aides(tmp_path):
    saisie = tmp_path / "saisie.xlsx"
    assert lancer("modele", "-o", saisie).exit_code == 0
    ws = openpyxl.load_workbook(saisie)["Hypothèses"]
    assert ws.protection.sheet
    listes = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    nature = _cellule_cle(ws, "operation.nature")
    assert listes[nature] == '"construction-neuve,acquisition-amelioration,vefa,acquisition"'
    assert listes[_cellule_cle(ws, "analyse.critere")] == '"annuel,tresorerie_cumulee,van"'
    assert listes[_cellule_cle(ws, "operation.rls")] == '"VRAI,FAUX,TRUE,FALSE"'
    cellule = ws[_cellule_cle(ws, "exploitation.vacance_pct")]
    assert cellule.protection.locked is False and ws["A1"].protection.locked is not False
    assert cellule.comment is not None and "exploitation.vacance_pct" in cellule.comment.text
    decimaux = [dv for dv in ws.data_validations.dataValidation if dv.type == "decimal"]
    assert any(cellule.coordinate in str(dv.sqref) for dv in decimaux)
    # Place libre : des lignes de logement vides et jaunes sous l'exemple.
    l = _premiere_ligne_libre(ws, "logements[].typologie")
    assert ws.cell(row=l, column=2).protection.locked is False


def test_modele_et_conversions_identiques_a_l_octet(tmp_path):
    for nom in ("a", "b"):
        assert lancer("modele", "-o", tmp_path / f"{nom}.xlsx", "--exemple", AA).exit_code == 0
        assert lancer("convertir", tmp_path / f"{nom}.xlsx", "-o", tmp_path / f"{nom}.toml").exit_code == 0
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert (tmp_path / "a.toml").read_text().split("\n", 1)[1] == (tmp_path / "b.toml").read_text().split("\n", 1)[1]


# ------------------------------------------------------------------ erreurs
def _etude_modifiee(tmp_path, modification) -> Path:
    etude = tmp_path / "etude.xlsx"
    exporter(charger_scenario(MONTREUIL), etude)
    wb = openpyxl.load_workbook(etude)
    modification(wb["Hypothèses"])
    wb.save(etude)
    return etude


def _cellule_tableau(ws, cle: str, i: int) -> str:
    ligne, colonne = next((c.row, x.column_letter) for c in ws["A"] if isinstance(c.value, str)
                          and c.value.startswith(cle.split(".")[0]) for x in ws[c.row] if x.value == cle)
    return f"{colonne}{ligne + 2 + i}"


@pytest.mark.parametrize("cas", ["texte_dans_un_taux", "nombre_nul", "drapeau_illisible", "subvention_illisible",
                                 "zone_inconnue"])
def test_erreur_nomme_feuille_cellule_et_cle(cas, tmp_path):
    ws_ = openpyxl.load_workbook(_etude_modifiee(tmp_path, lambda ws: None))["Hypothèses"]
    vacance = _cellule_cle(ws_, "exploitation.vacance_pct")
    nombre = _cellule_tableau(ws_, "logements[].nombre", 1)
    drapeau = _cellule_tableau(ws_, "logements[].plai_adapte", 0)
    zone = _cellule_cle(ws_, "operation.zone_loyer")
    subvention = "B" + str(next(c.row for c in ws_["D"] if c.value == "subventions[1].montant"))
    cellule, valeur, attendu = {
        "texte_dans_un_taux": (vacance, "deux", f"cellule {vacance} (exploitation.vacance_pct) : un nombre est "
                                                "attendu, pas un texte"),
        "nombre_nul": (nombre, 0, f"cellule {nombre} (logements[1].nombre) : un entier >= 1 est attendu, pas 0"),
        "drapeau_illisible": (drapeau, "peut-être", f"cellule {drapeau} (logements[0].plai_adapte) : VRAI ou FAUX "
                                                    "est attendu, pas « peut-être »"),
        "subvention_illisible": (subvention, "beaucoup", f"cellule {subvention} (subventions[1].montant) : un "
                                 "montant, « à calculer », « référence FNAP » ou « barème » est attendu, pas "
                                 "« beaucoup »"),
        "zone_inconnue": (zone, "B1", f"cellule {zone} (operation.zone_loyer) :"),
    }[cas]
    etude = _etude_modifiee(tmp_path, lambda ws: ws.__setitem__(cellule, valeur))
    cible = tmp_path / "sortie.toml"
    r = lancer("convertir", etude, "-o", cible)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Erreur : {etude} : feuille « Hypothèses », {attendu}")
    assert r.stderr.count("\n") == 1
    assert not cible.exists()


@pytest.mark.parametrize("contenu, attendu", [
    (b"PK\x03\x04" + b"\x00" * 64, "classeur illisible"),
    (b"pas un classeur", "classeur illisible"),
])
def test_classeur_abime(contenu, attendu, tmp_path):
    f = tmp_path / "abime.xlsx"
    f.write_bytes(contenu)
    r = lancer("subvention", f)
    assert r.exit_code == 2 and r.stderr.startswith(f"Erreur : {f} : {attendu}")


def test_classeur_sans_feuille_hypotheses(tmp_path):
    f = tmp_path / "autre.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Feuil1"
    wb.save(f)
    r = lancer("simuler", f)
    assert r.exit_code == 2
    assert r.stderr == (f"Erreur : {f} : feuille « Hypothèses » introuvable : ce classeur n'est ni une étude ni un "
                        "classeur de saisie de plai-bilan (plai-bilan modele -o SAISIE.xlsx)\n")


def test_convertir_refuse_une_extension_incoherente_sans_rien_ecrire(tmp_path):
    r = lancer("convertir", AA, "-o", tmp_path / "x.toml")
    assert r.exit_code == 2 and "un scénario se convertit en classeur .xlsx" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_exporter_une_etude_sur_elle_meme_refuse(tmp_path, monkeypatch):
    etude = tmp_path / "etude.xlsx"
    exporter(charger_scenario(AA), etude)
    avant = etude.read_bytes()
    monkeypatch.chdir(tmp_path)
    r = lancer("exporter", etude)  # nom par défaut : etude.xlsx, l'entrée même
    assert r.exit_code == 2 and etude.read_bytes() == avant


# ------------------------------------------------------------------ édité par LibreOffice, puis relu
@pytest.mark.tableur
def test_etude_modifiee_dans_libreoffice_relue(tmp_path):
    from tableur import libreoffice
    from test_classeur_libreoffice import SORTES, _saisie

    sc = charger_scenario(MONTREUIL)
    etude = tmp_path / "etude.xlsx"
    exporter(sc, etude)
    mods, modifie = [], sc
    for sorte in SORTES:
        m, modifie = _saisie(sorte, etude, modifie)
        mods += m
    enregistre = tmp_path / "apres.xlsx"
    libreoffice(etude, tmp_path / "profil", mods, enregistrer=enregistre)
    relu = charger_scenario(enregistre)
    assert relu.operation.plai_adaptes_meme_adresse == 10 and relu.prets[2].duree == 30
    memes_resultats(subvention_minimale(modifie), subvention_minimale(relu))
    assert dataclasses.replace(relu.logements[0], plai_adapte=True).plai_adapte


def test_exemple_du_paquet_est_celui_des_scenarios():
    """Les exemples livrés dans le paquet (installé sans le dossier scenarios/) sont ceux de scenarios/, octet pour
    octet, et tous y sont."""
    paquet = sorted((RACINE / "plai_bilan" / "exemples").glob("*.toml"))
    assert [p.name for p in paquet] == [p.name for p in SCENARIOS]
    for p, s in zip(paquet, SCENARIOS):
        assert p.read_bytes() == s.read_bytes(), p.name


def _avec_cles(chemin: Path, operation: dict, logement: dict, menage: dict) -> dict:
    doc = tomllib.loads(chemin.read_text(encoding="utf-8"))
    doc["operation"].update(operation)
    doc["logements"][0].update(logement)
    doc["logements"][0]["menage"].update(menage)
    return doc


@pytest.mark.parametrize("chemin, operation, logement, menage", [
    (AA, {"droit": "usufruit", "fin_droit": __import__("datetime").date(2070, 12, 31)},
     {"charges_locatives": 55.0}, {"revenu_total": 7600.0}),
    (RACINE / "scenarios" / "pf-angers-25-places.toml", {"type_foyer": "residence-sociale"},
     {"prestations_mensuelles": 35.0, "charges_locatives": 0.0}, {"revenu_total": 7600.0}),
], ids=["droit_temporaire", "foyer_prestations"])
def test_cles_sans_formule_relues_du_classeur(chemin, operation, logement, menage, tmp_path):
    """Droit temporaire, type de foyer, charges, revenu total et prestations : écrits dans Hypothèses et relus,
    du classeur d'étude comme du classeur de saisie (le droit temporaire change l'horizon et S*)."""
    sc = scenario_depuis_dict(_avec_cles(chemin, operation, logement, menage), tmp_path / "s.toml")
    reference = subvention_minimale(sc)
    etude, saisie = tmp_path / "etude.xlsx", tmp_path / "saisie.xlsx"
    exporter(sc, etude)
    assert lancer("convertir", etude, "-o", tmp_path / "relu.toml").exit_code == 0
    assert lancer("convertir", tmp_path / "relu.toml", "-o", saisie).exit_code == 0
    for relu in (charger_scenario(etude), charger_scenario(tmp_path / "relu.toml"), charger_scenario(saisie)):
        for cle, v in operation.items():
            assert getattr(relu.operation, cle) == v
        lg = relu.logements[0]
        for cle, v in logement.items():
            assert getattr(lg, cle) == pytest.approx(v)
        assert lg.menage.revenu_total == pytest.approx(menage["revenu_total"])
        memes_resultats(reference, subvention_minimale(relu))
