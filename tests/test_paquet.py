"""Installation d'un non-développeur : la roue construite, installée par pipx hors du dépôt, fonctionne seule."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # roues, pipx, openfisca : lancé en CI ou avec --integration

RACINE = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def roue(tmp_path_factory) -> Path:
    dossier = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(RACINE), "--no-deps", "-q", "-w", str(dossier)],
                   check=True, capture_output=True, timeout=600)
    (roue,) = dossier.glob("plai_bilan-*.whl")
    return roue


def test_la_roue_porte_les_donnees(roue):
    with zipfile.ZipFile(roue) as z:
        noms = set(z.namelist())
    attendus = {f"plai_bilan/parametres/{f.name}" for f in (RACINE / "plai_bilan" / "parametres").glob("*.toml")}
    attendus |= {"plai_bilan/catalogue.toml", "plai_bilan/lignes_compte.toml",
                 "plai_bilan/hypotheses/livret_a_risque.toml", "plai_bilan/exemples/aa-villeurbanne-3-plai-adaptes.toml"}
    assert attendus <= noms
    assert not any(n.startswith(("tests/", "scenarios/")) for n in noms)


def test_pipx_installe_la_roue_et_la_commande_marche_hors_du_depot(roue, tmp_path):
    pipx = shutil.which("pipx")
    if pipx is None:
        if os.environ.get("CI"):
            pytest.fail("pipx est requis en intégration continue (extra test)")
        pytest.skip("pipx absent")
    env = dict(os.environ, PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"))
    # --system-site-packages : les dépendances déjà installées servent, la roue elle-même est installée à part.
    subprocess.run([pipx, "install", "--system-site-packages", str(roue)], check=True, capture_output=True,
                   env=env, timeout=600)
    commande = str(tmp_path / "bin" / "plai-bilan")
    dehors = tmp_path / "ailleurs"
    dehors.mkdir()
    lancer = dict(cwd=dehors, env=env, capture_output=True, text=True, timeout=120)
    version = subprocess.run([commande, "--version"], **lancer)
    assert version.returncode == 0 and version.stdout.startswith("plai-bilan ")
    # Le classeur de saisie vide se refuse en nommant sa première cellule obligatoire ; pré-rempli, il se résout.
    assert subprocess.run([commande, "modele", "-o", "vide.xlsx"], **lancer).returncode == 0
    vide = subprocess.run([commande, "subvention", "vide.xlsx"], **lancer)
    assert vide.returncode == 2 and "feuille « Hypothèses », cellule" in vide.stderr
    exemple = RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"
    assert subprocess.run([commande, "modele", "-o", "saisie.xlsx", "--exemple", str(exemple)],
                          **lancer).returncode == 0
    r = subprocess.run([commande, "subvention", "saisie.xlsx", "--format", "json"], **lancer)
    assert r.returncode == 0, r.stderr
    # Le module chargé est celui de la roue installée, pas celui du dépôt.
    python = tmp_path / "pipx" / "venvs" / "plai-bilan" / "bin" / "python"
    chemin = subprocess.run([str(python), "-c", "import plai_bilan; print(plai_bilan.__file__)"], **lancer)
    assert str(tmp_path / "pipx") in chemin.stdout
    from plai_bilan import charger_scenario, subvention_minimale

    attendu = subvention_minimale(charger_scenario(RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"))
    assert json.loads(r.stdout)["subvention_minimale"] == pytest.approx(attendu.subvention_minimale, abs=0.01)
