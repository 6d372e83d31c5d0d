"""Comparaison d'opérations côte à côte : coûts, subvention d'équilibre, loyers, autofinancement, trésorerie, VAN.

Toutes les opérations sont résolues en un seul lot ; les indicateurs sont ceux de ``Bilan.indicateurs()``. Les grandeurs « avec subvention » appliquent la subvention
minimale de chaque opération (0 si elle est infaisable).
"""

from __future__ import annotations

from plai_bilan.bilan import Bilan
from plai_bilan.calcul import exiger_pret_equilibre, resoudre
from plai_bilan.parametres import Parametres
from plai_bilan.preparation import preparer
from plai_bilan.scenario import Scenario


def comparer(scenarios: list[Scenario], parametres: Parametres | None = None) -> list[Bilan]:
    """Résout toutes les opérations en un lot (avec leur variante PLAI ordinaire)."""
    for sc in scenarios:
        exiger_pret_equilibre(sc)
    return resoudre([preparer(sc, parametres) for sc in scenarios], parametres=parametres)
