import os
import sys
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((RACINE / "scenarios").glob("*.toml"))
# Les exemples dont une subvention est à calculer ; les autres portent une demande à instruire.
A_CALCULER = [f for f in SCENARIOS if '"a_calculer"' in f.read_text(encoding="utf-8")]
A_INSTRUIRE = [f for f in SCENARIOS if f not in A_CALCULER]
collect_ignore = ["lo_uno.py"]  # lancé par l'interpréteur du système (module uno de LibreOffice)
sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_addoption(parser):
    parser.addoption("--tableur", action="store_true", default=False,
                     help="lance aussi les tests lents de recalcul par LibreOffice (toujours lancés en CI)")
    parser.addoption("--integration", action="store_true", default=False,
                     help="lance aussi les tests d'intégration lents : roues et pipx, compilation du noyau à neuf, "
                          "openfisca, processus lancés et interrompus, dask, fuzz (toujours lancés en CI)")


def pytest_collection_modifyitems(config, items):
    """Les tests qui recalculent un classeur dans LibreOffice (fixture ``profil`` ou marque ``tableur``) et les
    tests d'intégration (marque ``integration``) ne tournent qu'en intégration continue ou avec --tableur,
    --integration : la boucle par défaut tient en environ une minute (50 à 80 s
    de calcul sur 2 cœurs)."""
    ci = bool(os.environ.get("CI"))
    sauts = {"tableur": (ci or config.getoption("--tableur"), pytest.mark.skip(
                 reason="recalcul LibreOffice (lent) : lancez avec --tableur ; toujours lancé en CI")),
             "integration": (ci or config.getoption("--integration"), pytest.mark.skip(
                 reason="intégration (lent) : lancez avec --integration ; toujours lancé en CI"))}
    for item in items:
        if "profil" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.tableur)
        for marque, (lancer, saut) in sauts.items():
            if item.get_closest_marker(marque) and not lancer:
                item.add_marker(saut)


@pytest.fixture(params=A_CALCULER, ids=lambda p: p.stem)
def chemin_scenario(request):
    return request.param
