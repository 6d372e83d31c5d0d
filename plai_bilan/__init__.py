"""plai-bilan : équilibre financier des opérations de logement très social (PLAI, PLAI adapté).

API publique ::

    import plai_bilan as pb

    sc = pb.charger_scenario("scenarios/aa-villeurbanne-3-plai-adaptes.toml")   # ou pb.scenario_depuis_dict(d)
    b = pb.subvention_minimale(sc)          # un Bilan : b.subvention_minimale, b.compte.tableau(), b.controles...
    pb.exporter(b, "etude.xlsx")            # le classeur d'étude en formules vivantes

``simuler`` donne le compte sans résoudre ; ``comparer`` résout plusieurs opérations en un lot ;
``instruire`` juge un montant demandé. Les erreurs d'entrée sont des :class:`ScenarioInvalide`.
"""

__version__ = "0.3.0"

from plai_bilan.erreurs import ErreurPlaiBilan, ParametreInvalide, ScenarioInvalide  # noqa: E402
from plai_bilan.scenario import charger_scenario, scenario_depuis_dict  # noqa: E402

_PARESSEUX = {nom: "plai_bilan.api" for nom in ("simuler", "subvention_minimale", "bilan_etude", "comparer",
                                                 "instruire", "exporter")}
_PARESSEUX["Bilan"] = "plai_bilan.bilan"


def __getattr__(nom):
    # Import paresseux : le moteur n'est chargé qu'à l'usage (démarrage rapide de la ligne de commande).
    if nom in _PARESSEUX:
        import importlib

        return getattr(importlib.import_module(_PARESSEUX[nom]), nom)
    raise AttributeError(nom)


__all__ = ["ErreurPlaiBilan", "ParametreInvalide", "ScenarioInvalide", "charger_scenario", "scenario_depuis_dict",
           *_PARESSEUX, "__version__"]
