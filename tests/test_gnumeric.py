"""Gnumeric, second tableur : son recalcul complet de chaque classeur des exemples livrés donne les valeurs du
moteur (les valeurs en cache écrites par plai-bilan), cellule par cellule, textes compris."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import RACINE, SCENARIOS
from tableur import cellules, ecarts, gnumeric_recalcul

pytestmark = pytest.mark.tableur


def _exporter(*args) -> None:
    subprocess.run([sys.executable, "-m", "plai_bilan.cli", *map(str, args)], check=True, capture_output=True,
                   cwd=RACINE, timeout=300)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_recalcul_gnumeric_egal_au_moteur(scenario, tmp_path):
    etude = tmp_path / "etude.xlsx"
    _exporter("exporter", scenario, "-o", etude)
    recalcule = gnumeric_recalcul(etude, tmp_path / "gnumeric" / "etude.xlsx")
    moteur, gnumeric = cellules(etude), cellules(recalcule)
    assert set(moteur) <= set(gnumeric)
    assert ecarts(moteur, {f: gnumeric[f] for f in moteur}) == []
    assert moteur["Synthèse"].get("A4") is None  # aucune alerte de saisie


def test_recalcul_gnumeric_du_classeur_de_programme(tmp_path):
    classeur = tmp_path / "programme.xlsx"
    _exporter("lot", RACINE / "scenarios" / "programme" / "programme-exemple.csv", "-o", classeur)
    recalcule = gnumeric_recalcul(classeur, tmp_path / "gnumeric" / "programme.xlsx")
    moteur, gnumeric = cellules(classeur), cellules(recalcule)
    assert ecarts(moteur, {f: gnumeric.get(f, {}) for f in moteur}) == []


def test_ligne_ordinaire_sans_menage_apres_recalcul_complet(tmp_path):
    """Loyers, colonne L (origine du loyer) d'une ligne ordinaire sans ménage : le texte du moteur, pas #VALUE!,
    dans LibreOffice (recalcul complet, comme Excel à l'ouverture) et dans Gnumeric."""
    import dataclasses

    from plai_bilan.api import exporter
    from plai_bilan.scenario import charger_scenario
    from tableur import libreoffice

    sc = charger_scenario(RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml")
    lignes = tuple(lg if lg.plai_adapte else dataclasses.replace(lg, menage=None) for lg in sc.logements)
    assert any(lg.menage is None for lg in lignes)
    etude = tmp_path / "etude.xlsx"
    exporter(dataclasses.replace(sc, logements=lignes), etude)
    moteur = cellules(etude)
    origines = {c: v for c, v in moteur["Loyers"].items() if c.startswith("L") and v in ("plafond PLAI",)}
    assert origines  # les lignes ordinaires, au plafond PLAI
    gnumeric = cellules(gnumeric_recalcul(etude, tmp_path / "gnumeric" / "etude.xlsx"))
    assert ecarts(moteur, {f: gnumeric[f] for f in moteur}) == []
    r = libreoffice(etude, tmp_path / "profil", recalcul_complet=True, feuilles=["Loyers", "Synthèse"])
    assert ecarts(r["ouverture"], r["complet"]) == []
    assert all(r["complet"]["Loyers"][c] == v for c, v in origines.items())


S = RACINE / "scenarios"


@pytest.mark.parametrize("args", [
    ("instruire", S / "instruction-villeurbanne-demande-justifiee.toml"),
    ("sieg", S / "aa-villeurbanne-3-plai-adaptes.toml"),
    ("sensibilite", S / "aa-villeurbanne-3-plai-adaptes.toml"),
    ("comparer", S / "programme-grenoble-6-plai-adaptes-aa.toml", S / "programme-grenoble-6-plai-adaptes-cn.toml"),
    ("optimiser", S / "aa-villeurbanne-3-plai-adaptes.toml"),
], ids=lambda a: a[0])
def test_recalcul_gnumeric_des_classeurs_d_analyse(args, tmp_path):
    classeur = tmp_path / "analyse.xlsx"
    _exporter(*args, "--xlsx", classeur)
    moteur = cellules(classeur)
    gnumeric = cellules(gnumeric_recalcul(classeur, tmp_path / "gnumeric" / "analyse.xlsx"))
    assert ecarts(moteur, {f: gnumeric.get(f, {}) for f in moteur}) == []
