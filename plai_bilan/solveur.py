"""Subvention d'équilibre et loyer d'équilibre : formes fermées exactes de model.md 8, vectorisées sur le lot.

Par homogénéité des échéanciers, AF_t(S) = AF_t(0) + S u_t où u_t est l'échéance d'un euro de prêt
d'équilibre. Pour une valeur de critère V_t et son coefficient W_t (u_t, U_t = Σ u_k, ou Σ u_t / (1 + d) ** t),
S* = max(0, max sur les années en échec de -V_t / W_t). Le loyer d'équilibre L* suit la même forme avec
a_t = Σ n_i 12 SU_i (1 + indexation_loyers) ** (t - 1) (1 - vacance - impayés) (1 - charges_pct_loyers), sans plancher.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from plai_bilan.catalogue import catalogue
from plai_bilan.conventions import EGALITE_RELATIVE, NUL, TOLERANCE
from plai_bilan.moteur.exploitation import Compte, compte, valeur_actuelle
from plai_bilan.moteur.lot import Lot

_MOTIFS = catalogue().valeurs["motif"]
MOTIF_APRES, MOTIF_AVANT = _MOTIFS["apres"], _MOTIFS["avant"]
MOTIF_STRUCTUREL, MOTIF_SANS_SOLDE = _MOTIFS["structurel"], _MOTIFS["sans_solde"]


def valeurs_critere(critere: np.ndarray, af: np.ndarray, tresorerie: np.ndarray, van: np.ndarray) -> np.ndarray:
    """V (O, H) : AF_t (annuel), T_t (tresorerie_cumulee) ou la VAN en colonne 1 (van)."""
    v_van = np.zeros_like(af)
    v_van[:, 0] = van
    return np.where((critere == "annuel")[:, None], af, np.where((critere == "van")[:, None], v_van, tresorerie))


def coefficients_critere(critere: np.ndarray, flux: np.ndarray, taux: np.ndarray, t: np.ndarray) -> np.ndarray:
    """W (O, H) : le flux par unité (annuel), son cumul (tresorerie_cumulee) ou sa valeur actuelle en colonne 1."""
    w_van = np.zeros_like(flux)
    w_van[:, 0] = valeur_actuelle(flux, np.nan_to_num(taux), t)
    return np.where((critere == "annuel")[:, None], flux,
                    np.where((critere == "van")[:, None], w_van, np.cumsum(flux, axis=1)))


def masque_critere(critere: np.ndarray, actif: np.ndarray) -> np.ndarray:
    """Les cases qui comptent : les années de l'horizon, ou la seule colonne 1 pour la VAN."""
    m = actif.copy()
    m[critere == "van", 1:] = False
    return m


@dataclass(frozen=True)
class Bornes:
    """Résultat vectorisé de S* = max(0, max_t -V_t / W_t) sur les années en échec."""

    valeur: np.ndarray  # (O,)
    indice: np.ndarray  # (O,) indice de l'année qui atteint le maximum, -1 si aucune
    echec_sans_levier: np.ndarray  # (O, H) années en échec où W_t = 0
    ratio: np.ndarray  # (O, H) -V / W sur les années retenues (-inf ailleurs)


def borne_inferieure(v: np.ndarray, w: np.ndarray, masque: np.ndarray, seulement_echecs: bool = True) -> Bornes:
    """max(0, max -V/W) sur les années en échec (ou sur toutes les années, sans plancher, pour un loyer)."""
    retenues = masque & (v < -TOLERANCE) if seulement_echecs else masque & (w > NUL)
    sans_levier = retenues & (w <= NUL)
    utiles = retenues & ~sans_levier
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(utiles, -v / np.where(utiles, w, 1.0), -np.inf)
    maxi = ratio.max(axis=1)
    # L'année qui atteint le maximum : la première parmi les égalités, à EGALITE_RELATIVE près (des charges et
    # des échéances constantes font des années égales au bruit des flottants près ; model.md 8).
    seuil = maxi - EGALITE_RELATIVE * np.maximum(np.abs(maxi), 1.0)
    idx = np.argmax(ratio >= seuil[:, None], axis=1)
    aucun = ~utiles.any(axis=1)
    if seulement_echecs:
        valeur = np.where(aucun, 0.0, np.maximum(maxi, 0.0))
    else:
        valeur = np.where(aucun, np.nan, maxi)
    return Bornes(valeur, np.where(aucun, -1, idx), sans_levier, ratio)


@dataclass(frozen=True, kw_only=True)
class SolutionLot:
    """Subvention d'équilibre et loyer d'équilibre de chaque opération du lot."""

    critere: np.ndarray
    subvention: np.ndarray  # S* (nan si infaisable)
    faisable: np.ndarray
    annee_critique: np.ndarray  # t, 0 si aucune
    motif: list  # None ou texte
    annees_deficit: list  # liste de (annee, montant) par opération
    pret_equilibre_initial: np.ndarray  # K_bal à S = 0
    loyer_equilibre: np.ndarray  # L* euros / m2 SU / mois
    compte: Compte  # compte à S = 0
    unitaire: np.ndarray  # u_t (O, H)
    annee_critique_apres_pret: np.ndarray  # bool
    valeurs: np.ndarray  # V (O, H) : valeur du critère à S = 0
    coefficients: np.ndarray  # W (O, H) : son coefficient en S
    valeurs_loyer: np.ndarray  # V_L (O, H) : valeur du critère, loyers principaux à 0
    coefficients_loyer: np.ndarray  # W_L (O, H) : son coefficient en L
    bornes: Bornes  # S* : ratios -V / W
    bornes_loyer: Bornes  # L* : ratios -V_L / W_L
    recette_m2: np.ndarray  # a_t (O, H) : recette d'1 €/m² SU/mois


@dataclass(frozen=True, kw_only=True)
class Besoin:
    """Le cœur vectorisé de S* : valeurs, coefficients, bornes et faisabilité de chaque opération du lot."""

    masque: np.ndarray
    u: np.ndarray  # (O, H)
    v: np.ndarray
    w: np.ndarray
    bornes: Bornes
    pret_equilibre: np.ndarray  # K_bal (O,)
    a_solde: np.ndarray
    besoin: np.ndarray  # une subvention est nécessaire
    faisable: np.ndarray

    @property
    def subvention(self) -> np.ndarray:
        """S* (nan si infaisable)."""
        return np.where(self.faisable, self.bornes.valeur, np.nan)

    @property
    def subvention_ou_infini(self) -> np.ndarray:
        """S*, et +inf quand aucune subvention n'équilibre l'opération (pour les quantiles et les tris)."""
        return np.where(self.faisable, self.bornes.valeur, np.inf)

    @property
    def brut(self) -> np.ndarray:
        """max(0, max -V/W) même au-delà du prêt d'équilibre ; inf quand une année en échec est sans levier."""
        return np.where(self.bornes.echec_sans_levier.any(axis=1), np.inf, self.bornes.valeur)


def besoin_subvention(lot: Lot, critere: np.ndarray, c0: Compte) -> Besoin:
    """S* = max(0, max -V/W) et sa faisabilité, sans boucle sur les opérations."""
    actif = lot.actif
    masque = masque_critere(critere, actif)
    a_solde = lot.indice_solde >= 0
    u = np.zeros((lot.n_operations, len(lot.t)))
    k_bal = np.zeros(lot.n_operations)
    if a_solde.any():
        i_s = lot.indice_solde[a_solde]
        u[a_solde] = lot.unitaire.echeances[i_s]
        k_bal[a_solde] = lot.principal[i_s]
    u = u * actif
    v = valeurs_critere(critere, c0.autofinancement, c0.tresorerie, c0.van)
    w = coefficients_critere(critere, u, lot.taux_actualisation, lot.t)
    b = borne_inferieure(v, w, masque)
    sans_levier = b.echec_sans_levier.any(axis=1)
    besoin = (b.valeur > 0) | sans_levier
    faisable = ~besoin | (a_solde & ~sans_levier & (b.valeur <= k_bal + TOLERANCE))
    return Besoin(masque=masque, u=u, v=v, w=w, bornes=b, pret_equilibre=k_bal, a_solde=a_solde, besoin=besoin,
                  faisable=faisable)


@dataclass(frozen=True)
class Subventions:
    """S* seul, par opération : ce que lisent les études de lots (sensibilité, résistance au livret A, mesures)."""

    valeur: np.ndarray  # max(0, max -V/W) sur les années en échec
    annee: np.ndarray  # indice de l'année qui l'atteint, -1 sans
    sans_levier: np.ndarray  # une année en échec sans levier
    faisable: np.ndarray
    pret_equilibre: np.ndarray  # K

    @property
    def subvention(self) -> np.ndarray:
        """S* (nan si infaisable)."""
        return np.where(self.faisable, self.valeur, np.nan)

    @property
    def subvention_ou_infini(self) -> np.ndarray:
        """S*, et +inf quand aucune subvention n'équilibre l'opération."""
        return np.where(self.faisable, self.valeur, np.inf)

    @property
    def brut(self) -> np.ndarray:
        """max(0, max -V/W) même au-delà du prêt d'équilibre ; inf quand une année en échec est sans levier."""
        return np.where(self.sans_levier, np.inf, self.valeur)


# Opérations à partir desquelles le noyau compilé paie son chargement (import de numba et noyau en cache : 0,45 s
# par processus) : le moteur numpy coûte environ 9 us par opération d'un lot de trajectoires, le noyau 1,6 us ;
# l'équilibre mesuré est vers 60 000 (benchmarks/mesurer.py, « seuil du noyau ») ; 40 000 retenus, une opération à
# plusieurs prêts coûtant plus au moteur numpy. Une fois chargé dans le processus, le noyau sert à tout lot.
SEUIL_NOYAU = 40_000


def subventions_lot(lot: Lot, critere: np.ndarray, noyau_compile: bool | None = None) -> Subventions:
    """S* de chaque opération du lot : par le noyau compilé (moteur.noyau) quand numba est là et que le travail le
    vaut (``noyau_compile`` : True l'impose, False l'écarte ; None : le lot compte au moins :data:`SEUIL_NOYAU`
    opérations, ou le noyau est déjà chargé), sinon par :func:`besoin_subvention` sur le compte numpy ; mêmes
    résultats (tests/test_noyau.py)."""
    if noyau_compile is None:
        noyau_compile = lot.n_operations >= SEUIL_NOYAU or "plai_bilan.moteur.noyau" in sys.modules
    s = None
    if noyau_compile and lot.n_operations:
        from plai_bilan.moteur import noyau  # numba chargé seulement ici

        s = noyau.resoudre(lot, critere) if noyau.DISPONIBLE else None
    if s is not None:
        return Subventions(s[:, 0], s[:, 1].astype(int), s[:, 2] != 0, s[:, 3] != 0, s[:, 4])
    b = besoin_subvention(lot, np.asarray(critere), compte(lot))
    return Subventions(b.bornes.valeur, b.bornes.indice, b.bornes.echec_sans_levier.any(axis=1), b.faisable,
                       b.pret_equilibre)


def resoudre_lot(lot: Lot, criteres: np.ndarray | list[str], compte_zero: Compte | None = None) -> SolutionLot:
    """Résout S* et L* pour toutes les opérations du lot (subvention inconnue à 0 dans le lot)."""
    critere = np.asarray(criteres)
    c0 = compte_zero or compte(lot)
    actif = lot.actif
    besoin = besoin_subvention(lot, critere, c0)
    masque, u, v, w, b = besoin.masque, besoin.u, besoin.v, besoin.w, besoin.bornes
    k_bal, a_solde, faisable = besoin.pret_equilibre, besoin.a_solde, besoin.faisable
    duree_bal = (u > NUL).sum(axis=1)
    motifs: list = [None] * lot.n_operations
    deficits: list = [[] for _ in range(lot.n_operations)]
    subvention = b.valeur.copy()
    for i in np.nonzero(~faisable)[0]:
        if not a_solde[i]:
            motifs[i] = MOTIF_SANS_SOLDE
            annees = np.nonzero(masque[i] & (v[i] < -TOLERANCE))[0]
            deficits[i] = [(int(lot.t[j]), float(v[i, j])) for j in annees]
        elif b.echec_sans_levier[i].any():
            annees = np.nonzero(b.echec_sans_levier[i])[0]
            premier = np.nonzero(u[i] > NUL)[0]
            # Aucune échéance dans l'horizon (différé à taux nul plus long que lui) : le déficit est avant la
            # première échéance.
            avant = premier.size == 0 or annees[0] < premier[0]
            motifs[i] = MOTIF_AVANT if avant else MOTIF_APRES
            deficits[i] = [(int(lot.t[j]), float(v[i, j])) for j in annees]
        else:
            motifs[i] = MOTIF_STRUCTUREL
            v_max = v[i] + k_bal[i] * w[i]
            annees = np.nonzero(masque[i] & (v_max < -TOLERANCE))[0]
            deficits[i] = [(int(lot.t[j]), float(v_max[j])) for j in annees]
    subvention = np.where(faisable, subvention, np.nan)
    critique = np.where(faisable & (b.valeur > 0) & (critere != "van") & (b.indice >= 0), lot.t[b.indice], 0)
    apres = (critique > duree_bal) & (critique > 0)

    # Loyer d'équilibre : loyers principaux à 0, accessoires gardés.
    c_l0 = compte(lot, base_loyers=lot.base_accessoires)
    a = (lot.base_surface[:, None] * lot.indice_loyers * (1.0 - lot.vacance - lot.impayes)[:, None]
         * (1.0 - lot.charges_pct_loyers)[:, None]) * actif
    v_l = valeurs_critere(critere, c_l0.autofinancement, c_l0.tresorerie, c_l0.van)
    w_l = coefficients_critere(critere, a, lot.taux_actualisation, lot.t)
    bornes_loyer = borne_inferieure(v_l, w_l, masque, seulement_echecs=False)
    return SolutionLot(critere=critere, subvention=subvention, faisable=faisable, annee_critique=critique, motif=motifs,
                       annees_deficit=deficits, pret_equilibre_initial=k_bal, loyer_equilibre=bornes_loyer.valeur,
                       compte=c0, unitaire=u, annee_critique_apres_pret=apres, valeurs=v, coefficients=w,
                       valeurs_loyer=v_l, coefficients_loyer=w_l, bornes=b, bornes_loyer=bornes_loyer, recette_m2=a)


@dataclass(frozen=True)
class LevierPret:
    """Remplacer aussi un prêt à montant fixe : la subvention (ou les fonds propres) qui équilibrerait l'opération."""

    indice: int  # indice à plat du prêt dans le lot
    capital: float
    besoin: float  # prêt d'équilibre entier + part du prêt fixe à remplacer ; inf si ce prêt n'y suffit pas
    suffit: bool  # la part à remplacer ne dépasse pas le capital du prêt


def leviers_prets_fixes(lot: Lot, i: int, critere: str, v: np.ndarray, w: np.ndarray, masque: np.ndarray,
                        k_bal: float) -> list[LevierPret]:
    """Pour une opération infaisable : une subvention égale au prêt d'équilibre entier (K) ne suffit pas ; si elle
    remplaçait aussi une part Y d'un prêt fixe j, AF_t gagnerait Y u^j_t. Y* = max(-V'_t / W^j_t) sur les années
    en échec, V' = V + K W (la forme fermée de model.md 8 appliquée au prêt j)."""
    prets = np.nonzero((lot.pret_operation == i) & (np.arange(len(lot.principal)) != lot.indice_solde[i]))[0]
    v_k = v[i] + k_bal * w[i]
    resultat = []
    for j in prets:
        u_j = lot.unitaire.echeances[j] * lot.actif[i]
        w_j = coefficients_critere(np.array([critere]), u_j[None, :], lot.taux_actualisation[i:i + 1], lot.t)[0]
        b = borne_inferieure(v_k[None, :], w_j[None, :], masque[i:i + 1])
        y = np.inf if b.echec_sans_levier.any() else float(b.valeur[0])
        capital = float(lot.principal[j])
        resultat.append(LevierPret(int(j), capital, k_bal + y, y <= capital + TOLERANCE))
    return resultat
