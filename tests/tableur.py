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


PYTHON_UNO = "/usr/bin/python3"


def uno_disponible() -> bool:
    return Path(PYTHON_UNO).exists() and subprocess.run([PYTHON_UNO, "-c", "import uno"],
                                                        capture_output=True).returncode == 0


def libreoffice(fichier: Path, profil: Path, modifications=(), recalcul_complet: bool = False,
                enregistrer: Path | None = None, feuilles=None, invalides: bool = False) -> dict:
    """Ouvre ``fichier`` dans LibreOffice réglé par défaut (pas de recalcul au chargement), applique les
    modifications comme un utilisateur (LibreOffice ne recalcule que ce qui en dépend) et relève les cellules.

    Renvoie {"ouverture": ..., "apres": ..., "complet": ...} : {feuille: {"B5": valeur}} ; une erreur est
    {"erreur": code}."""
    import json

    soffice()
    if not uno_disponible():
        if os.environ.get("CI"):
            pytest.fail("le module uno de LibreOffice (paquet python3-uno) est requis en intégration continue")
        pytest.skip("module uno de LibreOffice absent (paquet python3-uno)")
    commande = {"fichier": str(fichier), "profil": str(profil), "modifications": [list(m) for m in modifications],
                "recalcul_complet": recalcul_complet, "enregistrer": str(enregistrer) if enregistrer else None,
                "feuilles": list(feuilles) if feuilles else None, "invalides": invalides}
    sortie = subprocess.run([PYTHON_UNO, str(Path(__file__).with_name("lo_uno.py"))], input=json.dumps(commande),
                            capture_output=True, text=True, timeout=300)
    assert sortie.returncode == 0, sortie.stderr[-2000:]
    return json.loads(sortie.stdout)


def ecarts(a: dict, b: dict, rel: float = 1e-9, abs_: float = 1e-6) -> list[tuple]:
    """Les cellules dont la valeur diffère entre deux relevés (nombres à ``abs_`` + ``rel`` près)."""
    diff = []
    for feuille in set(a) | set(b):
        fa, fb = a.get(feuille, {}), b.get(feuille, {})
        for c in set(fa) | set(fb):
            x, y = fa.get(c), fb.get(c)
            if isinstance(x, float) and isinstance(y, float):
                if abs(x - y) <= abs_ + rel * abs(y):
                    continue
            elif x == y:
                continue
            diff.append((feuille, c, x, y))
    return sorted(diff)


def gnumeric_recalcul(source: Path, cible: Path) -> Path:
    """Le classeur recalculé en entier par Gnumeric (ssconvert --recalc), second moteur indépendant de LibreOffice."""
    ssconvert = shutil.which("ssconvert")
    if ssconvert is None:
        if os.environ.get("CI"):
            pytest.fail("Gnumeric (ssconvert) est requis en intégration continue : .ci/run doit l'installer")
        pytest.skip("Gnumeric (ssconvert) absent")
    cible.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ssconvert, "--recalc", str(source), str(cible)], check=True, capture_output=True, timeout=300,
                   env={**os.environ, "HOME": str(cible.parent)})
    return cible


def cellules(chemin: Path) -> dict:
    """{feuille: {"B5": valeur}} des valeurs affichées (valeurs calculées) d'un classeur, cellules vides omises."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # « no default style » d'un classeur écrit par Gnumeric
        wb = valeurs(chemin)
    sortie = {}
    for ws in wb.worksheets:
        d = {}
        for rangee in ws.iter_rows():
            for c in rangee:
                v = c.value
                if v is None or v == "":
                    continue
                d[c.coordinate] = float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
        sortie[ws.title] = d
    return sortie
