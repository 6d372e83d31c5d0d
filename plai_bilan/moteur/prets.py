"""Échéanciers de prêts (model.md 3), vectorisés sur les prêts et sur les années : la récurrence année par année
du modèle s'écrit sans boucle (progressivité en forme fermée, capital restant dû en produit cumulé).

Conventions : taux en fractions décimales (0.013 pour 1,3 %) ; l'année t = 1..H est l'indice t - 1 des
tableaux ; l'échéance de l'année t est payée en fin d'année. Un prêt seul est le cas d'une ligne.
Homogénéité : pour une trajectoire de taux donnée, l'échéancier est proportionnel au capital.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIMPLE, DOUBLE, DOUBLE_LIMITEE = 0, 1, 2
ECHEANCE_PRIORITAIRE, AMORTISSEMENT_CONSTANT = 0, 1
CODES_REVISABILITE = {"simple": SIMPLE, "double": DOUBLE, "double_limitee": DOUBLE_LIMITEE}
CODES_PROFIL = {"echeance_prioritaire": ECHEANCE_PRIORITAIRE, "amortissement_constant": AMORTISSEMENT_CONSTANT}


def facteur_annuite(r: np.ndarray, p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """f(r, p, N) = (r - p) / (1 - ((1 + p) / (1 + r)) ** N), et (1 + r) / N si r = p.

    Première échéance d'une annuité croissant de p par an, pour un capital de 1 remboursé en N échéances au
    taux r. Écrit avec log1p / expm1 pour rester exact quand r est proche de p.

    Examples
    --------
    Sans progressivité, l'annuité constante (numpy_financial.pmt) ; le prêt CDC de l'arrêté du 13/03/1979
    (4,94 %, 2 ans de préfinancement, 32 échéances croissant de 1,95 %) : première échéance 5,456 % du nominal.

    >>> round(float(facteur_annuite(0.05, 0.0, 10)), 6)
    0.129505
    >>> round(float(facteur_annuite(0.0494, 0.0195, 32)) * 1.0494 ** 2, 5)
    0.05456
    >>> round(float(facteur_annuite(0.03, 0.03, 10)), 6)  # r = p : (1 + r) / N
    0.103
    """
    r, p, n = np.asarray(r, float), np.asarray(p, float), np.asarray(n, float)
    d = p - r
    # x = log((1 + p) / (1 + r)) exactement près de r = p ; (1 + r) expm1(x) = p - r.
    with np.errstate(divide="ignore", invalid="ignore"):
        f = d / np.expm1(n * np.log1p(d / (1.0 + r)))
    egal = d == 0.0
    if np.any(egal):
        f = np.where(egal, (1.0 + r) / np.where(n > 0, n, 1.0), f)
    return f


@dataclass(frozen=True)
class Echeancier:
    """Tableaux (prêts x années) : échéance, intérêts, amortissement et capital restant dû en fin d'année."""

    capital_initial: np.ndarray  # (L,) capital au début de l'année 1, préfinancement compris
    echeances: np.ndarray
    interets: np.ndarray
    amortissements: np.ndarray
    capital_restant_du: np.ndarray
    taux: np.ndarray  # taux appliqué chaque année
    progressivite: np.ndarray  # progressivité révisée chaque année


def echeancier(
    principal: np.ndarray,
    taux: np.ndarray,
    duree: np.ndarray,
    *,
    progressivite: np.ndarray | float = 0.0,
    revisabilite: np.ndarray | int = DOUBLE_LIMITEE,
    indexe: np.ndarray | bool = True,
    prefinancement: np.ndarray | int = 0,
    differe: np.ndarray | int = 0,
    profil: np.ndarray | int = ECHEANCE_PRIORITAIRE,
) -> Echeancier:
    """Échéanciers de L prêts sur H années.

    ``principal`` (L,) ; ``taux`` (L, H) : r_t de chaque année (déjà plancher à 0 pour un prêt indexé) ;
    ``duree`` (L,) nombre d'échéances n, différé compris. Préfinancement : K0 = K (1 + r_1) ** prefinancement.
    Différé (années 1..d) : échéance = intérêts. Échéance prioritaire : A_t = CRD_{t-1} f(r_t, p_t, n - t + 1),
    I_t = CRD_{t-1} r_t, amortissement = A_t - I_t. Amortissement constant : CRD_{t-1} / (n - t + 1).
    Progressivité : p_1 = p ; simple : p_t = p ; double : (1 + p_t) = (1 + p_{t-1})(1 + r_t)/(1 + r_{t-1}) ;
    double limitée : idem puis max(p_t, 0). Un prêt à taux fixe garde p.
    """
    taux = np.atleast_2d(np.asarray(taux, float))
    n_prets, horizon = taux.shape
    principal = np.broadcast_to(np.asarray(principal, float), (n_prets,))
    duree = np.broadcast_to(np.asarray(duree, int), (n_prets,))
    p0 = np.broadcast_to(np.asarray(progressivite, float), (n_prets,))
    revis = np.broadcast_to(np.asarray(revisabilite, int), (n_prets,))
    indexe = np.broadcast_to(np.asarray(indexe, bool), (n_prets,))
    pref = np.broadcast_to(np.asarray(prefinancement, int), (n_prets,))
    differe = np.broadcast_to(np.asarray(differe, int), (n_prets,))
    profil = np.broadcast_to(np.asarray(profil, int), (n_prets,))

    k0 = principal * (1.0 + taux[:, 0]) ** pref
    t = np.arange(1, horizon + 1)
    prog = _progressivites(taux, p0, indexe & (revis != SIMPLE), revis == DOUBLE_LIMITEE)
    # Coefficient c_t de l'échéance sur le capital restant dû en début d'année, et taux r'_t des intérêts (nuls
    # après la dernière échéance).
    n_restant = duree[:, None] - t[None, :] + 1.0
    actif = n_restant > 0
    n_restant = np.maximum(n_restant, 1.0)
    coef = facteur_annuite(taux, prog, n_restant)
    constant = profil == AMORTISSEMENT_CONSTANT
    if constant.any():
        coef = np.where(constant[:, None], 1.0 / n_restant + taux, coef)
    if differe.any():
        coef = np.where(t[None, :] <= differe[:, None], taux, coef)
    coef *= actif
    r_eff = taux * actif
    # CRD_t = CRD_{t-1} (1 + r'_t - c_t) : la récurrence sur les années est un produit cumulé.
    crd = np.cumprod(1.0 + r_eff - coef, axis=1)
    crd *= k0[:, None]
    debut = np.empty_like(crd)
    debut[:, 0] = k0
    debut[:, 1:] = crd[:, :-1]
    ech = debut * coef
    itr = debut * r_eff
    amo = ech - itr
    return Echeancier(k0, ech, itr, amo, crd, taux, prog)


def _progressivites(taux: np.ndarray, p0: np.ndarray, revise: np.ndarray, limite: np.ndarray) -> np.ndarray:
    """p_t (L, H) sans boucle : la révision double se télescope, 1 + p_t = (1 + p)(1 + r_t) / (1 + r_1) ; limitée
    (max(p_t, 0) à chaque révision), c'est une récurrence de Lindley en produit :
    1 + p_t = (1 + r_t) max((1 + p) / (1 + r_1), 1 / min_{2 <= s <= t} (1 + r_s)) pour t >= 2."""
    un_r = 1.0 + taux
    prog = np.multiply(un_r, ((1.0 + p0) / un_r[:, 0])[:, None])
    if limite.any() and taux.shape[1] > 1:
        prog[:, 1:] = np.where(limite[:, None],
                               np.maximum(prog[:, 1:], un_r[:, 1:] / np.minimum.accumulate(un_r[:, 1:], axis=1)),
                               prog[:, 1:])
    prog -= 1.0
    prog = np.where(revise[:, None], prog, p0[:, None])
    prog[:, 0] = p0
    return prog


def taux_annuels(indexe: np.ndarray, taux_fixe: np.ndarray, marge: np.ndarray, livret_a: np.ndarray) -> np.ndarray:
    """r_t : taux fixe, ou max(LA_t + marge, 0) pour un prêt indexé. ``livret_a`` (L, H) en décimal."""
    indexe = np.asarray(indexe, bool)[:, None]
    return np.where(indexe, np.maximum(livret_a + np.asarray(marge, float)[:, None], 0.0),
                    np.asarray(taux_fixe, float)[:, None] + 0.0 * livret_a)
