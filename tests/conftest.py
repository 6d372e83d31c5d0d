import sys
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((RACINE / "scenarios").glob("*.toml"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(params=SCENARIOS, ids=lambda p: p.stem)
def chemin_scenario(request):
    return request.param
