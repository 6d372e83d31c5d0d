"""Loyers (model.md 4) : surface utile, coefficient de structure, plafonds et loyer appliqué.

Formules pures, vectorisées sur les lignes de logements ; montants en euros par mois, surfaces en m2.
"""

from __future__ import annotations

import numpy as np


def surface_utile(surface_habitable: np.ndarray, surface_annexes: np.ndarray, part_annexes: float) -> np.ndarray:
    """SU = SH + part_annexes x A (CCH R.331-10 : la moitié), sans plafonnement pour les conventions HLM."""
    return np.asarray(surface_habitable, float) + part_annexes * np.asarray(surface_annexes, float)


def coefficient_structure(n_logements: float, su_totale: float, a: float, b: float) -> float:
    """CS = a (1 + b N / SU_totale) ; avec a = 0,77 et b = 20, 20 logements et 1 320 m2 donnent 1,0033.

    >>> round(coefficient_structure(20, 1320.0, 0.77, 20.0), 4)
    1.0033
    """
    return a * (1.0 + b * n_logements / su_totale)


def plafond_plai_m2(lmzone: float, cs: float, marge_locale: float) -> float:
    """Loyer maximal de l'opération, euros par m2 SU et par mois : LMzone * CS * (1 + marge locale)."""
    return lmzone * cs * (1.0 + marge_locale)


def plafond_annexes_importantes(plafond_m2: float, lmzone: float, cs: float, sh_totale: float, su_totale: float,
                                majoration: float) -> float:
    """Le plafond au m2 SU de l'opération après la règle des annexes importantes (avis loyers, annexe 8).

    Le produit des loyers maximaux, plafond x SU totale, ne peut dépasser de plus de ``majoration`` (18 %, 25 %
    avec ascenseur) le produit de la surface habitable totale par le loyer de base CS x LMzone ; au-delà, le
    plafond est abaissé pour que ce produit égale la limite : min(plafond, (1 + majoration) SH CS LMzone / SU).

    >>> round(plafond_annexes_importantes(6.0, 5.0, 1.0, 100.0, 130.0, 0.18), 4)  # 590 / 130
    4.5385
    """
    return min(plafond_m2, (1.0 + majoration) * sh_totale * cs * lmzone / su_totale)


def loyer_ordinaire(loyer_saisi: np.ndarray, plafond_loyer: np.ndarray, plafond_apl: np.ndarray,
                    loyer_accessoire: np.ndarray, plai_adapte: np.ndarray) -> np.ndarray:
    """Loyer appliqué d'un logement ordinaire (euros par mois).

    Loyer saisi (``nan`` si absent) ; sinon, PLAI adapté : min(plafond PLAI, plafond APL - loyer accessoire)
    (critère 2.1 du FNAP, accessoire compris) ; sinon le plafond PLAI.
    """
    plafond = np.where(plai_adapte, np.minimum(plafond_loyer, plafond_apl - loyer_accessoire), plafond_loyer)
    return np.where(np.isnan(loyer_saisi), plafond, loyer_saisi)


def redevance_foyer(loyer_saisi: np.ndarray, redevance_max: np.ndarray, equivalence: np.ndarray,
                    plai_adapte: np.ndarray) -> np.ndarray:
    """Redevance appliquée d'un logement-foyer, charges comprises (euros par mois).

    Redevance saisie ; sinon min(redevance maximale, équivalence E) pour un PLAI adapté ; sinon la redevance
    maximale.
    """
    plafond = np.where(plai_adapte, np.minimum(redevance_max, equivalence), redevance_max)
    return np.where(np.isnan(loyer_saisi), plafond, loyer_saisi)
