"""LibreOffice sans écran : recalculer un classeur, le convertir en PDF ; lire les cellules avec openpyxl."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROFIL_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    """Le chemin de soffice ; le test est sauté hors intégration continue s'il manque, et échoue en CI."""
    chemin = shutil.which("soffice") or shutil.which("libreoffice")
    if chemin is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) est requis en intégration continue : .ci/run doit l'installer")
        pytest.skip("LibreOffice (soffice) absent")
    return chemin


def convertir(source: Path, dossier: Path, profil: Path, filtre: str = "xlsx") -> Path:
    """Ouvre ``source`` dans LibreOffice (recalcul complet au chargement) et l'enregistre au format ``filtre``."""
    (profil / "user").mkdir(parents=True, exist_ok=True)
    (profil / "user" / "registrymodifications.xcu").write_text(PROFIL_XCU, encoding="utf-8")
    dossier.mkdir(parents=True, exist_ok=True)
    subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation={profil.as_uri()}",
                    "--convert-to", filtre, "--outdir", str(dossier), str(source)],
                   check=True, capture_output=True, timeout=180)
    sortie = dossier / (source.stem + "." + filtre.split(":")[0])
    assert sortie.exists(), f"LibreOffice n'a pas produit {sortie}"
    return sortie


def valeurs(chemin: Path):
    """Le classeur ouvert en valeurs (les résultats des formules)."""
    import openpyxl

    return openpyxl.load_workbook(chemin, data_only=True)
