"""S* compilé : récurrence des prêts, compte et solveur en une passe par opération (numba).

Le même calcul que ``moteur.prets``, ``moteur.exploitation`` et ``solveur.besoin_subvention``, qui restent la
référence lisible : ce noyau est testé contre eux (tests/test_noyau.py). Il sert les lots dont on ne veut que S*
(sensibilité, résistance au livret A, mesures) : aucun tableau (opérations x années) n'est créé, et les opérations
se répartissent sur les cœurs. Sans numba, ``solveur.subventions_lot`` prend le chemin numpy.
"""

from __future__ import annotations

import math

import numpy as np

from plai_bilan.catalogue import lignes_simples
from plai_bilan.conventions import EGALITE_RELATIVE, NUL, TOLERANCE

try:
    import numba
except ImportError:  # pragma: no cover - numba est une dépendance ; une plateforme sans roue garde numpy
    numba = None

DISPONIBLE = numba is not None
ANNUEL, CUMULE, VAN = 0, 1, 2
CODES_CRITERE = {"annuel": ANNUEL, "tresorerie_cumulee": CUMULE, "van": VAN}


# Les colonnes que lit la partie écrite à la main (loyers, fonds propres, trésorerie, actualisation), dans l'ordre
# où ``_operation`` les lit ; les lignes simples apportent les leurs (``COLONNES_SIMPLES``).
COLONNES_ECRITES = ("base_loyers", "base_rls", "vacance", "impayes", "indexation_loyers", "indexation_charges",
                    "fonds_propres", "fonds_propres_taux", "fonds_propres_duree", "tresorerie_initiale",
                    "taux_actualisation")
SIMPLES = tuple(lignes_simples().values())
COLONNES_SIMPLES = tuple(dict.fromkeys(n for d in SIMPLES for n in d.colonnes))
COLONNES = COLONNES_ECRITES + tuple(n for n in COLONNES_SIMPLES if n not in COLONNES_ECRITES)
INDEX_CHARGES, INDEX_LOYERS = 1, 2
TOUTES, PENDANT, APRES = 0, 1, 2
# L'indice de chaque colonne écrite, cherché par son nom (aucun ordre à tenir).
_i = COLONNES_ECRITES.index
BASE_LOYERS = _i("base_loyers")
BASE_RLS = _i("base_rls")
VACANCE = _i("vacance")
IMPAYES = _i("impayes")
INDEXATION_LOYERS = _i("indexation_loyers")
INDEXATION_CHARGES = _i("indexation_charges")
FONDS_PROPRES = _i("fonds_propres")
FONDS_PROPRES_TAUX = _i("fonds_propres_taux")
FONDS_PROPRES_DUREE = _i("fonds_propres_duree")
TRESORERIE_INITIALE = _i("tresorerie_initiale")
TAUX_ACTUALISATION = _i("taux_actualisation")


def _facteur(r: float, p: float, n: float) -> float:
    """f(r, p, n) de ``prets.facteur_annuite``, pour un prêt et une année."""
    d = p - r
    if d == 0.0:
        return (1.0 + r) / (n if n > 0 else 1.0)
    return d / math.expm1(n * math.log1p(d / (1.0 + r)))


def _operation(o, t, horizon, col, simples, codes, la, debut, fin, prets, principal, indice_solde, critere, ann, u,
               ratios, sortie):
    """S* d'une opération. ``col`` : ses colonnes écrites (COLONNES_ECRITES, lues par leur indice nommé) ;
    ``simples`` (K, 2) et ``codes`` (K, 4) : les lignes simples (``_simples``, ``_codes_simples``) ; ``ann``, ``u``
    et ``ratios`` : tampons (H,) de cette opération."""
    h = t.shape[0]
    base_loyers, base_rls, vacance, impayes = col[BASE_LOYERS], col[BASE_RLS], col[VACANCE], col[IMPAYES]
    g_l, g_c = col[INDEXATION_LOYERS], col[INDEXATION_CHARGES]
    fp, fp_taux, fp_d = col[FONDS_PROPRES], col[FONDS_PROPRES_TAUX], col[FONDS_PROPRES_DUREE]
    t0, d_act = col[TRESORERIE_INITIALE], col[TAUX_ACTUALISATION]
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
    # Compte année par année et bornes -V / W ; indices de croissance
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
        for k in range(codes.shape[0]):  # les lignes simples (lignes_compte.toml)
            v = simples[k, 0] * (loyers if codes[k, 3] == 1 else 1.0)
            if codes[k, 1] == INDEX_CHARGES:
                v *= ic
            elif codes[k, 1] == INDEX_LOYERS:
                v *= il
            if codes[k, 2] == PENDANT and tj > simples[k, 1]:
                v = 0.0
            elif codes[k, 2] == APRES and tj <= simples[k, 1]:
                v = 0.0
            af += v * codes[k, 0]
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


def _lot(t, horizons, colonnes, simples, codes, livret_a, debuts, fins, prets, principal, indices_solde, criteres,
         sortie):
    n_op = horizons.shape[0]
    h = t.shape[0]
    for o in _intervalle(n_op):
        ann = np.empty(h)
        u = np.empty(h)
        ratios = np.empty(h)
        _operation(o, t, horizons[o], colonnes[o], simples[o], codes, livret_a[o], debuts[o], fins[o], prets,
                   principal, indices_solde[o], criteres[o], ann, u, ratios, sortie)


def _codes_simples() -> np.ndarray:
    """(K, 4) : signe (+1 produit, -1 charge), indexation, années, assiette « loyers » de chaque ligne simple."""
    return np.array([(1 if d.role == "produit" else -1,
                      {None: 0, "charges": INDEX_CHARGES, "loyers": INDEX_LOYERS}[d.indexation],
                      PENDANT if d.pendant else APRES if d.apres else TOUTES,
                      1 if d.assiette_ligne else 0) for d in SIMPLES], dtype=np.int64).reshape(len(SIMPLES), 4)


def _simples(lot) -> np.ndarray:
    """(O, K, 2) : montant x assiette (le montant seul si l'assiette est une ligne) et borne des années."""
    n_op = lot.n_operations
    sortie = np.zeros((n_op, len(SIMPLES), 2))
    for k, d in enumerate(SIMPLES):
        montant = np.asarray(getattr(lot, d.montant), dtype=float)
        sortie[:, k, 0] = montant if d.assiette is None or d.assiette_ligne else montant * getattr(lot, d.assiette)
        if d.bornes:
            sortie[:, k, 1] = getattr(lot, d.bornes)
    return sortie


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
    colonnes = np.ascontiguousarray(np.column_stack([getattr(lot, nom) for nom in COLONNES_ECRITES]), dtype=float)
    colonnes[:, COLONNES_ECRITES.index("taux_actualisation")] = np.nan_to_num(lot.taux_actualisation)
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
        _lot(lot.t.astype(float), lot.horizon.astype(float), colonnes, _simples(lot), _codes_simples(),
             np.ascontiguousarray(lot.livret_a, dtype=float), debuts, fins, prets,
             np.ascontiguousarray(lot.principal, dtype=float), lot.indice_solde.astype(np.int64), codes, sortie)
    except numba.core.errors.NumbaError:  # compilation impossible sur ce poste : le moteur numpy prend le relais
        DISPONIBLE = False
        return None
    return sortie
