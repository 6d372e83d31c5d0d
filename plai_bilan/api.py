"""L'API publique de plai-bilan, en quelques noms (réexportés par ``plai_bilan``).

>>> import plai_bilan as pb
>>> sc = pb.charger_scenario("scenarios/aa-villeurbanne-3-plai-adaptes.toml")
>>> b = pb.subvention_minimale(sc)
>>> round(b.subvention_minimale)
76488
"""

from __future__ import annotations

from pathlib import Path

from plai_bilan.bilan import Bilan
from plai_bilan.calcul import bilan_etude, simuler, subvention_minimale
from plai_bilan.comparaison import comparer
from plai_bilan.instruction import instruire
from plai_bilan.scenario import Scenario, charger_scenario, scenario_depuis_dict

__all__ = ["charger_scenario", "scenario_depuis_dict", "simuler", "subvention_minimale", "bilan_etude", "comparer",
           "instruire", "exporter"]


def exporter(objet: Scenario | Bilan, chemin: str | Path, supplements: tuple = ()) -> Bilan:
    """Écrit le classeur d'étude (écriture atomique) d'un scénario ou d'un bilan ; renvoie le bilan écrit.

    Un scénario avec un prêt d'équilibre est résolu (subvention d'équilibre), sinon simulé.
    """
    from plai_bilan.export.excel import exporter as ecrire

    b = objet if isinstance(objet, Bilan) else bilan_etude(objet)
    ecrire(b, chemin, supplements)
    return b
