"""S* compilé : récurrence des prêts, compte et solveur en une passe par opération (numba).

Le même calcul que ``moteur.prets``, ``moteur.exploitation`` et ``solveur.besoin_subvention``, qui restent la
référence lisible : ce noyau est testé contre eux (tests/test_noyau.py). Il sert les lots dont on ne veut que S*
(sensibilité, résistance au livret A, mesures) : aucun tableau (opérations x années) n'est créé, et les opérations
se répartissent sur les cœurs. Sans numba, ``solveur.subventions_lot`` prend le chemin numpy.
"""

from __future__ import annotations

import math

import numpy as np

from plai_bilan.conventions import EGALITE_RELATIVE, NUL, TOLERANCE

try:
    import numba
except ImportError:  # pragma: no cover - numba est une dépendance ; une plateforme sans roue garde numpy
    numba = None

DISPONIBLE = numba is not None
ANNUEL, CUMULE, VAN = 0, 1, 2
CODES_CRITERE = {"annuel": ANNUEL, "tresorerie_cumulee": CUMULE, "van": VAN}


def _facteur(r: float, p: float, n: float) -> float:
    """f(r, p, n) de ``prets.facteur_annuite``, pour un prêt et une année."""
    d = p - r
    if d == 0.0:
        return (1.0 + r) / (n if n > 0 else 1.0)
    return d / math.expm1(n * math.log1p(d / (1.0 + r)))


def _operation(o, t, horizon, col, la, debut, fin, prets, principal, indice_solde, critere, ann, u, ratios, sortie):
    """S* d'une opération ; ``ann``, ``u`` et ``ratios`` : tampons (H,) de cette opération."""
    h = t.shape[0]
    (base_loyers, base_rls, vacance, impayes, pct, g_l, g_c, n_log, n_pa, frais, entretien, assurance, autres,
     comprises, gros, gla, gla_d, acc, acc_d, fin_acc, fin_acc_d, n_fin, tfpb, exo, fp, fp_taux, fp_d, t0,
     d_act) = col
    for j in range(h):
        ann[j] = 0.0
        u[j] = 0.0
        ratios[j] = -np.inf
    # Prêts : l'échéancier d'un euro, année par année, ajouté aux annuités à son capital.
    for ligne in range(debut, fin):
        duree, p0, revis, indexe = prets[ligne, 0], prets[ligne, 1], prets[ligne, 2], prets[ligne, 3]
        taux_fixe, marge, pref, differe, profil = (prets[ligne, 4], prets[ligne, 5], prets[ligne, 6], prets[ligne, 7],
                                                   prets[ligne, 8])
        revise = indexe != 0.0 and revis != 0.0
        k = principal[ligne]
        solde = ligne == indice_solde
        r_prec = 0.0
        p = p0
        crd = 1.0
        for j in range(h):
            r = max(la[j] + marge, 0.0) if indexe != 0.0 else taux_fixe
            if j == 0:
                crd = (1.0 + r) ** pref
            elif revise:
                p = (1.0 + p) * (1.0 + r) / (1.0 + r_prec) - 1.0
                if revis == 2.0:
                    p = max(p, 0.0)
            r_prec = r
            n_restant = duree - (j + 1) + 1.0
            if n_restant <= 0.0:
                break
            if j + 1 <= differe:
                coef = r
            elif profil == 1.0:
                coef = 1.0 / n_restant + r
            else:
                coef = _facteur(r, p, n_restant)
            echeance = crd * coef
            crd = crd * (1.0 + r - coef)
            if t[j] <= horizon:
                ann[j] += echeance * k
                if solde:
                    u[j] = echeance
    k_bal = principal[indice_solde] if indice_solde >= 0 else 0.0
    rem_fp = fp * _facteur(fp_taux, 0.0, max(fp_d, 1.0))
    tresorerie = t0
    van = 0.0
    w_van = 0.0
    escompte = 1.0
    cumul_u = 0.0
    maxi = -np.inf
    aucun = True
    sans_levier = False
    # Compte année par année (ordre des lignes de exploitation.LIGNES) et bornes -V / W ; indices de croissance
    # (1 + g) ** (t - 1) par produits successifs.
    il = 1.0
    ic = 1.0
    for j in range(h):
        tj = t[j]
        if tj > horizon:
            break
        if j > 0:
            il *= 1.0 + g_l
            ic *= 1.0 + g_c
        loyers = base_loyers * il * (1.0 - vacance - impayes) - base_rls * il * (1.0 - vacance)
        af = loyers
        af += fin_acc * n_fin * ic * (1.0 if tj <= fin_acc_d else 0.0)
        af -= frais * n_log * ic
        af -= entretien * n_log * ic
        af -= gros * ic
        af -= assurance * n_log * ic
        af -= autres * n_log * ic
        af -= comprises * n_log * ic
        af -= pct * loyers
        af -= gla * n_pa * ic * (1.0 if tj <= gla_d else 0.0)
        af -= acc * n_pa * ic * (1.0 if tj <= acc_d else 0.0)
        af -= tfpb * n_log * ic * (0.0 if tj <= exo else 1.0)
        af -= ann[j]
        af -= rem_fp * (1.0 if tj <= fp_d else 0.0)
        tresorerie += af
        cumul_u += u[j]
        if critere == VAN:
            escompte *= 1.0 + d_act
            van += af / escompte
            w_van += u[j] / escompte
            continue
        v = af if critere == ANNUEL else tresorerie
        w = u[j] if critere == ANNUEL else cumul_u
        if v < -TOLERANCE:
            if w <= NUL:
                sans_levier = True
            else:
                aucun = False
                ratios[j] = -v / w
                maxi = max(maxi, ratios[j])
    if critere == VAN and van < -TOLERANCE:
        if w_van <= NUL:
            sans_levier = True
        else:
            aucun = False
            maxi = -van / w_van
            ratios[0] = maxi
    annee = -1
    if not aucun:
        # La première année qui atteint le maximum à EGALITE_RELATIVE près (solveur.borne_inferieure).
        seuil = maxi - EGALITE_RELATIVE * max(abs(maxi), 1.0)
        for j in range(h):
            if ratios[j] >= seuil:
                annee = j
                break
    valeur = 0.0 if aucun else max(maxi, 0.0)
    besoin = valeur > 0.0 or sans_levier
    faisable = (not besoin) or (indice_solde >= 0 and not sans_levier and valeur <= k_bal + TOLERANCE)
    sortie[o, 0] = valeur
    sortie[o, 1] = annee
    sortie[o, 2] = 1.0 if sans_levier else 0.0
    sortie[o, 3] = 1.0 if faisable else 0.0
    sortie[o, 4] = k_bal


def _lot(t, horizons, colonnes, livret_a, debuts, fins, prets, principal, indices_solde, criteres, sortie):
    n_op = horizons.shape[0]
    h = t.shape[0]
    for o in _intervalle(n_op):
        ann = np.empty(h)
        u = np.empty(h)
        ratios = np.empty(h)
        c = colonnes[o]
        col = (c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13], c[14],
               c[15], c[16], c[17], c[18], c[19], c[20], c[21], c[22], c[23], c[24], c[25], c[26], c[27], c[28])
        _operation(o, t, horizons[o], col, livret_a[o], debuts[o], fins[o], prets, principal, indices_solde[o],
                   criteres[o], ann, u, ratios, sortie)


COLONNES = ("base_loyers", "base_rls", "vacance", "impayes", "charges_pct_loyers", "indexation_loyers",
            "indexation_charges", "n_logements", "n_plai_adapte", "frais_gestion", "entretien_courant", "assurance",
            "autres_charges", "charges_comprises", "gros_entretien_total", "gla", "gla_duree", "accompagnement",
            "accompagnement_duree", "financement_accompagnement", "financement_accompagnement_duree",
            "n_financement_accompagnement", "tfpb", "tfpb_exoneration", "fonds_propres", "fonds_propres_taux",
            "fonds_propres_duree", "tresorerie_initiale", "taux_actualisation")


def _compiler(fonction, **options):
    """numba.njit, compilé une fois et gardé en cache (à côté du module, sinon dans le cache de l'utilisateur) ;
    sans dossier de cache inscriptible, compilé à chaque exécution."""
    try:
        return numba.njit(cache=True, **options)(fonction)
    except RuntimeError:  # « no locator available » : ni le paquet ni le dossier de l'utilisateur n'acceptent
        return numba.njit(**options)(fonction)


if DISPONIBLE:
    _intervalle = numba.prange
    _facteur = _compiler(_facteur, inline="always")
    _operation = _compiler(_operation)
    _lot = _compiler(_lot, parallel=True)
else:  # pragma: no cover
    _intervalle = range


def resoudre(lot, criteres) -> np.ndarray | None:
    """(O, 5) : S* (max(0, max -V/W)), indice de l'année critique (-1 sans), année en échec sans levier,
    faisable, prêt d'équilibre K ; None si numba ne peut pas compiler le noyau ici (il n'est plus essayé)."""
    n_op = lot.n_operations
    colonnes = np.ascontiguousarray(np.column_stack([getattr(lot, nom) for nom in COLONNES]), dtype=float)
    colonnes[:, -1] = np.nan_to_num(colonnes[:, -1])
    pp = lot.parametres_prets
    prets = np.ascontiguousarray(np.column_stack([pp.duree, pp.progressivite, pp.revisabilite, pp.indexe,
                                                  pp.taux_fixe, pp.marge, pp.prefinancement, pp.differe,
                                                  pp.profil]), dtype=float).reshape(len(pp.duree), 9)
    ops = lot.pret_operation
    if len(ops) and np.any(ops[1:] < ops[:-1]):
        raise ValueError("noyau : les prêts du lot doivent être rangés par opération")
    debuts = np.searchsorted(ops, np.arange(n_op), side="left").astype(np.int64)
    fins = np.searchsorted(ops, np.arange(n_op), side="right").astype(np.int64)
    codes = np.array([CODES_CRITERE[c] for c in np.asarray(criteres).tolist()], dtype=np.int64)
    sortie = np.empty((n_op, 5))
    global DISPONIBLE
    try:
        _lot(lot.t.astype(float), lot.horizon.astype(float), colonnes,
             np.ascontiguousarray(lot.livret_a, dtype=float), debuts, fins, prets,
             np.ascontiguousarray(lot.principal, dtype=float), lot.indice_solde.astype(np.int64), codes, sortie)
    except numba.core.errors.NumbaError:  # compilation impossible sur ce poste : le moteur numpy prend le relais
        DISPONIBLE = False
        return None
    return sortie
