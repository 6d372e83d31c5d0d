"""Le classeur de saisie vide (plai-bilan modele) : sans opération dedans, l'exemple dans les commentaires ;
rempli par un script depuis un scénario TOML écrit à la main, il redonne ce scénario au centime ; les lignes
insérées dans ses tableaux sont lues ; une cellule obligatoire vidée est refusée en la nommant."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from plai_bilan.calcul import subvention_minimale
from plai_bilan.cli import main
from plai_bilan.scenario import charger_scenario
from test_classeur_saisie import memes_resultats

RACINE = Path(__file__).resolve().parent.parent
EXEMPLES = [RACINE / "scenarios" / f"{n}.toml" for n in ("aa-villeurbanne-3-plai-adaptes",
                                                         "cn-montreuil-12-plai-dont-4-adaptes",
                                                         "cn-lyon-30-plus-plai-dont-3-adaptes")]
UNITES = {"montant": "€", "montant_par_logement": "€ par logement", "montant_par_plai_adapte": "€ par PLAI adapté"}
MOTS = {"a_calculer": "à calculer", "reference": "référence FNAP", "bareme": "barème"}


def lancer(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _modele(tmp_path: Path) -> Path:
    saisie = tmp_path / "saisie.xlsx"
    r = lancer("modele", "-o", saisie)
    assert r.exit_code == 0, r.output
    return saisie


def _en_cellule(cle: str, v):
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, str) and v.isdigit():
        return int(v)  # « 2 » tapé dans un tableur devient le nombre 2
    if "_pct" in cle and isinstance(v, int | float) and not isinstance(v, bool):
        return v / 100  # un taux s'écrit en pour cent dans la cellule (2 % = 0,02)
    return v


def _aplatir(d: dict, prefixe: str = "") -> dict:
    sortie = {}
    for k, v in d.items():
        if isinstance(v, dict):
            sortie.update(_aplatir(v, f"{prefixe}{k}."))
        else:
            sortie[f"{prefixe}{k}"] = v
    return sortie


def remplir(saisie: Path, doc: dict) -> None:
    """Remplit le classeur de saisie vide comme un utilisateur : chaque clé du scénario dans la cellule de sa clé
    (colonne D, ou ligne des clés d'un tableau), les subventions et les lignes de tableau dans les lignes libres."""
    wb = openpyxl.load_workbook(saisie)
    ws = wb["Hypothèses"]
    cles = {c.value: c.row for c in ws["D"] if isinstance(c.value, str)}
    for table in ("operation", "prix_de_revient", "fonds_propres", "exploitation", "analyse", "sieg"):
        for cle, v in _aplatir(doc.get(table, {}), f"{table}.").items():
            if cle.startswith("prix_de_revient.autres."):
                l = next(r for k, r in sorted(cles.items(), key=lambda x: x[1]) if k == "prix_de_revient.autres"
                         and ws.cell(row=r, column=2).value is None)
                ws.cell(row=l, column=1).value = "Autre : " + cle.rsplit(".", 1)[1]
                ws.cell(row=l, column=2).value = v
                continue
            assert cle in cles, cle
            ws.cell(row=cles[cle], column=2).value = _en_cellule(cle, v)
    for i, s in enumerate(doc.get("subventions", [])):
        l = cles[f"subventions[{i}].montant"]
        cle = next(k for k in UNITES if k in s)
        ws.cell(row=l, column=1).value = s["financeur"]
        ws.cell(row=l, column=2).value = MOTS.get(s[cle], s[cle])
        ws.cell(row=l, column=3).value = UNITES[cle]
        ws.cell(row=l, column=5).value = s.get("nature", "autre")
        ws.cell(row=l, column=6).value = s.get("produit")
    for tableau in ("logements", "prets"):
        ligne_cles = next(c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith(f"{tableau}[]."))
        colonnes = {c.value[len(tableau) + 3:]: c.column for c in ws[ligne_cles] if isinstance(c.value, str)}
        for j, element in enumerate(doc.get(tableau, [])):
            for cle, v in _aplatir(element).items():
                assert cle in colonnes, (tableau, cle)
                ws.cell(row=ligne_cles + 2 + j, column=colonnes[cle]).value = _en_cellule(cle, v)
    trajectoire = doc.get("livret_a", {}).get("trajectoire")
    if isinstance(trajectoire, list):
        l = next(c.row for c in ws["A"] if c.value == "livret_a.trajectoire") + 2
        for j, t in enumerate(trajectoire):
            ws.cell(row=l + j, column=3).value = t / 100
    wb.save(saisie)


def test_modele_vide_sans_operation_exemple_en_commentaire(tmp_path):
    ws = openpyxl.load_workbook(_modele(tmp_path))["Hypothèses"]
    cles = {c.value: c.row for c in ws["D"] if isinstance(c.value, str) and "." in c.value and "[]" not in c.value}
    assert all(ws.cell(row=l, column=2).value in (None, "") for l in cles.values())
    travaux = ws.cell(row=cles["prix_de_revient.travaux"], column=2)
    assert "Exemple" in travaux.comment.text and "105 000" in travaux.comment.text.replace("\u202f", " ")
    # Aucun financeur : les lignes de subvention sont libres, financeur et unité modifiables sur chacune.
    subventions = [l for k, l in cles.items() if k.startswith("subventions[")]
    assert len(subventions) == 8
    for l in subventions:
        assert ws.cell(row=l, column=1).value in (None, "")
        assert ws.cell(row=l, column=1).protection.locked is False
        assert ws.cell(row=l, column=3).protection.locked is False
    validations = list(ws.data_validations.dataValidation)
    for l in subventions:
        montant = [dv for dv in validations if f"B{l}" in str(dv.sqref).split()]
        assert len(montant) == 1 and montant[0].type == "custom" and "à calculer" in montant[0].formula1
        unite = [dv for dv in validations if f"C{l}" in str(dv.sqref).split()]
        assert unite and unite[0].type == "list" and "par logement" in unite[0].formula1
    pret = next(c.row for c in ws["A"] if c.value == "prets[].nom") + 2
    montant = [dv for dv in validations if f"B{pret}" in str(dv.sqref).split()]
    assert montant and montant[0].type == "custom" and '"solde"' in montant[0].formula1
    # Contrôles sur les cellules de saisie seulement : aucun sur les lignes d'en-tête des tableaux.
    entetes = {c.row for c in ws["A"] if c.value in ("Typologie", "Nom")}
    for dv in validations:
        for plage in str(dv.sqref).split():
            assert int("".join(ch for ch in plage.split(":")[0] if ch.isdigit())) not in entetes, plage
    assert ws.protection.sheet and ws.protection.insertRows is False  # False : l'insertion de lignes est permise


@pytest.mark.parametrize("chemin", EXEMPLES, ids=lambda p: p.stem)
def test_modele_vide_rempli_redonne_le_toml(chemin, tmp_path):
    saisie = _modele(tmp_path)
    doc = tomllib.loads(chemin.read_text(encoding="utf-8"))
    remplir(saisie, doc)
    memes_resultats(subvention_minimale(charger_scenario(chemin)), subvention_minimale(charger_scenario(saisie)))


def test_cellule_obligatoire_videe_refusee_en_la_nommant(tmp_path):
    saisie = _modele(tmp_path)
    doc = tomllib.loads(EXEMPLES[0].read_text(encoding="utf-8"))
    del doc["prix_de_revient"]["travaux"]
    remplir(saisie, doc)
    ws = openpyxl.load_workbook(saisie)["Hypothèses"]
    l = next(c.row for c in ws["D"] if c.value == "prix_de_revient.travaux")
    r = lancer("subvention", saisie)
    assert r.exit_code == 2
    assert f"cellule B{l} (prix_de_revient.travaux) : montant manquant" in r.output


def test_ligne_inseree_dans_les_subventions_lue(tmp_path):
    """Une ligne insérée dans la section Subventions (sans clé en colonne D) compte comme une subvention."""
    saisie = _modele(tmp_path)
    doc = tomllib.loads(EXEMPLES[0].read_text(encoding="utf-8"))
    remplir(saisie, doc)
    avant = subvention_minimale(charger_scenario(saisie)).subvention_minimale
    wb = openpyxl.load_workbook(saisie)
    ws = wb["Hypothèses"]
    l = next(c.row for c in ws["D"] if c.value == "subventions[1].montant")
    ws.insert_rows(l)
    ws.cell(row=l, column=1).value, ws.cell(row=l, column=2).value = "Département", 16000
    wb.save(saisie)
    apres = subvention_minimale(charger_scenario(saisie)).subvention_minimale
    assert avant - apres == pytest.approx(16000, abs=0.01)


@pytest.mark.tableur
def test_modele_rempli_dans_libreoffice_ligne_inseree_et_mots_acceptes(tmp_path):
    """Dans LibreOffice réglé par défaut : une ligne insérée dans la feuille protégée (sans ôter la protection),
    « à calculer » et « solde » saisis ; « Marquer les données incorrectes » ne cercle rien ; relu, le classeur
    compte la subvention de la ligne insérée."""
    from tableur import libreoffice

    saisie = _modele(tmp_path)
    doc = tomllib.loads(EXEMPLES[0].read_text(encoding="utf-8"))
    remplir(saisie, doc)
    ws = openpyxl.load_workbook(saisie)["Hypothèses"]
    i_fnap = next(i for i, x in enumerate(doc["subventions"]) if x.get("montant") == "a_calculer")
    fnap = next(c.row for c in ws["D"] if c.value == f"subventions[{i_fnap}].montant")
    pret = next(c.row for c in ws["A"] if c.value == "prets[].nom") + 2
    solde = next(pret + j for j, p in enumerate(doc["prets"]) if p["montant"] == "solde")
    l = next(c.row for c in ws["D"] if c.value == f"subventions[{1 if i_fnap == 0 else 0}].montant")
    mods = [("Hypothèses", f"B{fnap}", "à calculer"), ("Hypothèses", f"B{solde}", "solde"),
            ("!inserer", "Hypothèses", l), ("Hypothèses", f"A{l}", "Département"), ("Hypothèses", f"B{l}", 16000)]
    enregistre = tmp_path / "rempli.xlsx"
    r = libreoffice(saisie, tmp_path / "profil", mods, enregistrer=enregistre, feuilles=["Hypothèses"],
                    invalides=True)
    assert r["invalides"]["Hypothèses"] == [], r["invalides"]
    attendu = subvention_minimale(charger_scenario(EXEMPLES[0])).subvention_minimale
    assert subvention_minimale(charger_scenario(enregistre)).subvention_minimale == pytest.approx(attendu - 16000,
                                                                                                   abs=0.01)


def test_ligne_inseree_dans_le_tableau_des_logements_lue(tmp_path):
    saisie = _modele(tmp_path)
    doc = tomllib.loads(EXEMPLES[0].read_text(encoding="utf-8"))
    remplir(saisie, doc)
    wb = openpyxl.load_workbook(saisie)
    ws = wb["Hypothèses"]
    l = next(c.row for c in ws["A"] if c.value == "logements[].typologie") + 3  # sous la première ligne
    ws.insert_rows(l)
    for c, v in zip("ABCF", ["T2 ajouté", 2, 48.0, False]):
        ws[f"{c}{l}"] = v
    wb.save(saisie)
    lu = charger_scenario(saisie)
    assert [lg.typologie for lg in lu.logements][1] == "T2 ajouté"
    assert lu.n_logements == charger_scenario(EXEMPLES[0]).n_logements + 2
