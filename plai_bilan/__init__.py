"""plai-bilan : équilibre financier des opérations de logement très social (PLAI, PLAI adapté).

API publique : :func:`charger_scenario`, :func:`simuler`, :func:`subvention_minimale`, :func:`resoudre`.
"""

__version__ = "0.1.0"

from plai_bilan.erreurs import ErreurPlaiBilan, ParametreInvalide, ScenarioInvalide  # noqa: E402
from plai_bilan.scenario import charger_scenario  # noqa: E402


def __getattr__(nom):
    # Import paresseux : le moteur n'est chargé qu'à l'usage.
    if nom in ("simuler", "subvention_minimale", "resoudre"):
        from plai_bilan import bilan

        return getattr(bilan, nom)
    raise AttributeError(nom)


__all__ = ["ErreurPlaiBilan", "ParametreInvalide", "ScenarioInvalide", "charger_scenario", "simuler",
           "subvention_minimale", "resoudre", "__version__"]
