"""Une étude modifiée dans LibreOffice (réglé par défaut, piloté par UNO comme un utilisateur), enregistrée puis
relue par la ligne de commande : la subvention de la relecture est celle que le classeur recalcule, ou la relecture
est refusée (statut 2) par une phrase qui nomme la feuille et la cellule ou la ligne."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from conftest import RACINE
from tableur import libreoffice, valeurs

pytestmark = pytest.mark.tableur

MONTREUIL = RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml"
HYP, LOYERS, PARAM = "Hypothèses", "Loyers", "Paramètres"


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plai_bilan.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=RACINE, timeout=300)


def _etude(tmp_path: Path) -> Path:
    etude = tmp_path / "etude.xlsx"
    assert _cli("exporter", MONTREUIL, "-o", etude).returncode == 0
    return etude


CLES = {"Typologie": "logements[].typologie", "Nom": "prets[].nom"}


def _ligne(etude: Path, entete_a: str, i: int = 0) -> int:
    """La ligne (à partir de 1) de l'élément i du tableau dont la colonne A porte l'en-tête ``entete_a`` (sous la
    ligne des clés du tableau)."""
    ws = openpyxl.load_workbook(etude)[HYP]
    return next(c.row for c in ws["A"] if c.value == CLES[entete_a]) + 2 + i


def _ligne_cle(etude: Path, cle: str) -> int:
    ws = openpyxl.load_workbook(etude)[HYP]
    return next(c.row for c in ws["D"] if c.value == cle)


def _modifier(etude: Path, tmp_path: Path, mods) -> Path:
    sortie = tmp_path / "modifiee.xlsx"
    libreoffice(etude, tmp_path / "profil", mods, enregistrer=sortie, feuilles=["Synthèse"])
    return sortie


def _refus(fichier: Path, *morceaux: str) -> str:
    r = _cli("subvention", fichier)
    assert r.returncode == 2, r.stdout + r.stderr
    derniere = r.stderr.strip().splitlines()[-1]
    assert "Traceback" not in r.stderr and derniere.startswith("Erreur : ") and str(fichier) in derniere
    for m in morceaux:
        assert m in derniere, (m, derniere)
    return derniere


def _subvention_cli(fichier: Path) -> float:
    r = _cli("subvention", fichier, "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["subvention_minimale"]


def test_etude_ouverte_et_enregistree_sans_modification_relue_a_l_identique(tmp_path):
    etude = _etude(tmp_path)
    enregistree = _modifier(etude, tmp_path, [])
    assert _subvention_cli(enregistree) == pytest.approx(_subvention_cli(MONTREUIL), abs=0.01)


def test_menage_modifie_meme_subvention_dans_le_classeur_et_a_la_relecture(tmp_path):
    etude = _etude(tmp_path)
    ws = openpyxl.load_workbook(etude)[HYP]
    l = _ligne(etude, "Typologie", 0)
    colonne = next(c.column_letter for c in ws[l - 1] if c.value == "Ménage : personnes à charge")
    enregistree = _modifier(etude, tmp_path, [(HYP, f"{colonne}{l}", 2)])
    classeur = valeurs(enregistree)
    from test_classeur import nomme

    s_classeur = nomme(classeur, "subvention_minimale")
    assert s_classeur != pytest.approx(_subvention_cli(MONTREUIL), abs=100)
    assert _subvention_cli(enregistree) == pytest.approx(s_classeur, abs=0.01)


@pytest.mark.parametrize(("entete", "tableau", "valeurs_ligne"), [
    ("Typologie", "logements", {"A": "T2 bis", "B": 2, "C": 45.0, "F": False}),
    ("Nom", "prêts", {"A": "PLAI foncier bis", "B": 16000, "C": 50, "D": "livret_a"}),
])
def test_ligne_inseree_dans_un_tableau_refusee_en_nommant_la_ligne(entete, tableau, valeurs_ligne, tmp_path):
    etude = _etude(tmp_path)
    l = _ligne(etude, entete, 1)  # au milieu du tableau
    mods = [("!deproteger", HYP, None), ("!inserer", HYP, l)] + [(HYP, f"{c}{l}", v) for c, v in valeurs_ligne.items()]
    _refus(_modifier(etude, tmp_path, mods), "feuille « Hypothèses »", f"ligne {l} ", f"tableau des {tableau}",
           "ne couvrent pas")


def test_subvention_inseree_refusee_en_nommant_la_ligne(tmp_path):
    etude = _etude(tmp_path)
    l = _ligne_cle(etude, "subventions[1].montant")
    mods = [("!deproteger", HYP, None), ("!inserer", HYP, l), (HYP, f"A{l}", "Département"), (HYP, f"B{l}", 16000)]
    _refus(_modifier(etude, tmp_path, mods), f"ligne {l} ", "tableau des subventions")


def test_ligne_ajoutee_sous_le_tableau_des_logements_refusee(tmp_path):
    etude = _etude(tmp_path)
    l = _ligne(etude, "Typologie", 4)  # sous la dernière ligne (4 lignes de logements)
    mods = [("!deproteger", HYP, None), ("!inserer", HYP, l), (HYP, f"A{l}", "T4"), (HYP, f"B{l}", 1),
            (HYP, f"C{l}", 80.0), (HYP, f"F{l}", False)]
    _refus(_modifier(etude, tmp_path, mods), f"ligne {l} ", "tableau des logements")


def test_ligne_supprimee_refusee(tmp_path):
    etude = _etude(tmp_path)
    l = _ligne(etude, "Typologie", 2)
    _refus(_modifier(etude, tmp_path, [("!deproteger", HYP, None), ("!supprimer", HYP, l)]), "tableau des logements",
           "supprimée", "#REF!")


def test_formule_remplacee_par_une_valeur_refusee_en_nommant_la_cellule(tmp_path):
    etude = _etude(tmp_path)
    ws = openpyxl.load_workbook(etude)[LOYERS]
    l = next(c.row for c in ws["A"] if c.value == "Typologie") + 1
    colonne = next(c.column_letter for c in ws[l - 1] if c.value == "Loyer appliqué")
    enregistree = _modifier(etude, tmp_path, [("!deproteger", LOYERS, None), (LOYERS, f"{colonne}{l}", 300)])
    _refus(enregistree, f"feuille « Loyers », cellule {colonne}{l}", "formule a été remplacée", "« 300 »")


def test_bareme_modifie_dans_parametres_refuse_en_nommant_la_cellule(tmp_path):
    etude = _etude(tmp_path)
    ws = openpyxl.load_workbook(etude)[PARAM]
    l = next(c.row for c in ws["A"] if str(c.value).startswith("Loyer plafond APL (L)"))
    _refus(_modifier(etude, tmp_path, [(PARAM, f"B{l}", 400)]), f"feuille « Paramètres », cellule B{l}",
           "Loyer plafond APL", "variante", "parametres_locaux")


def test_valeur_verrouillee_modifiee_refusee(tmp_path):
    etude = _etude(tmp_path)
    l = _ligne_cle(etude, "operation.nature")
    mods = [("!deproteger", HYP, None), (HYP, f"B{l}", "acquisition-amelioration")]
    _refus(_modifier(etude, tmp_path, mods), f"cellule B{l} (operation.nature)", "verrouillée")


def test_formules_protegees_et_saisies_ouvertes(tmp_path):
    """Chaque feuille de l'étude est protégée sans mot de passe ; les cellules jaunes seules sont déverrouillées."""
    wb = openpyxl.load_workbook(_etude(tmp_path))
    for ws in wb.worksheets:
        if ws.title == "Contrôle":
            assert ws.sheet_state == "hidden"
            continue
        assert ws.protection.sheet and not ws.protection.password, ws.title
        for rangee in ws.iter_rows():
            for c in rangee:
                if isinstance(c.value, str) and c.value.startswith("=") and ws.title != HYP:
                    assert c.protection.locked, (ws.title, c.coordinate)


def test_poste_de_cout_insere_refuse_en_nommant_la_ligne(tmp_path):
    etude = _etude(tmp_path)
    l = _ligne_cle(etude, "prix_de_revient.honoraires") + 1
    mods = [("!deproteger", HYP, None), ("!inserer", HYP, l), (HYP, f"A{l}", "Frais de portage"), (HYP, f"B{l}", 9000)]
    _refus(_modifier(etude, tmp_path, mods), f"ligne {l} ", "tableau des autres postes du prix de revient")


def test_classeur_de_programme_imprime_sur_une_page_de_large(tmp_path):
    """Le classeur de lot imprimé par LibreOffice : chaque page porte son pied de page (mise en page du classeur),
    le tableau des opérations tient sur une page de large (la première colonne, le nom, sur chaque page)."""
    import shutil

    from tableur import convertir

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) absent")
    classeur = tmp_path / "programme.xlsx"
    assert _cli("lot", RACINE / "scenarios" / "programme" / "programme-exemple.csv", "-o", classeur).returncode == 0
    pdf = convertir(classeur, tmp_path / "pdf", tmp_path / "profil", "pdf")
    pages = [p for p in subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                       check=True).stdout.split("\f") if p.strip()]
    assert pages and all("plai-bilan, programme d'opérations" in p for p in pages)
    operations = [p for p in pages if "Opérations" in p.strip().splitlines()[-1]]
    assert len(operations) == 1  # une page de large : le tableau de l'exemple tient sur une page
