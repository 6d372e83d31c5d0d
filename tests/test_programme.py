"""Grands volumes : trajectoires par paquets (mêmes résultats, mémoire bornée), barre de progression."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from plai_bilan.preparation import preparer
from plai_bilan.progression import Progression
from plai_bilan.scenario import charger_scenario

AA = Path(__file__).resolve().parent.parent / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"


def test_paquets_de_trajectoires_identiques_a_un_seul_bloc(monkeypatch):
    import plai_bilan.risque as r

    e = preparer(charger_scenario(AA))
    vus = []
    d1 = r.distribution(e, 2_500, 7, progression=lambda fait, total: vus.append(fait))
    monkeypatch.setattr(r, "PAQUET", 1_000)
    d2 = r.distribution(e, 2_500, 7, progression=lambda fait, total: vus.append(fait))
    np.testing.assert_array_equal(d1.subventions, d2.subventions)
    assert vus == [2_500, 1_000, 2_000, 2_500]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_barre_de_progression_seulement_sur_un_terminal():
    t = _Terminal()
    p = Progression("Trajectoires", flux=t)
    p(5, 10)
    p(10, 10)
    assert "Trajectoires [###############...............] 5/10" in t.getvalue()
    assert t.getvalue().endswith("10/10 (0 s, reste ~0 s)\n")
    f = io.StringIO()
    Progression("Trajectoires", flux=f)(10, 10)
    assert f.getvalue() == ""
    t2 = _Terminal()
    Progression("Trajectoires", actif=False, flux=t2)(10, 10)  # JSON demandé : rien
    assert t2.getvalue() == ""
