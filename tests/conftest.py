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


def pytest_collection_modifyitems(config, items):
    """Les tests qui recalculent un classeur dans LibreOffice (fixture ``profil`` ou marque ``tableur``) ne
    tournent qu'en intégration continue ou avec --tableur : la boucle par défaut prend quelques secondes."""
    lancer = bool(os.environ.get("CI")) or config.getoption("--tableur")
    saut = pytest.mark.skip(reason="recalcul LibreOffice (lent) : lancez avec --tableur ; toujours lancé en CI")
    for item in items:
        if "profil" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.tableur)
        if item.get_closest_marker("tableur") and not lancer:
            item.add_marker(saut)


@pytest.fixture(params=A_CALCULER, ids=lambda p: p.stem)
def chemin_scenario(request):
    return request.param
