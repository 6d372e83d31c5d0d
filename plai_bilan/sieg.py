"""Contrôle de l'absence de surcompensation (SIEG) et corridor de la subvention (docs/sieg.md).

Valeurs actuelles à la mise en service (t = 0), flux de fin d'année t = 1..T, un seul facteur v_t = (1 + d) ** -t
pour tous les flux (d : le swap de la maturité de la période, ou le taux saisi), l'avantage des prêts compris :

- coût brut CB = investissement au taux normal de TVA + Σ v_t charges_t (TFPB comptée comme sans exonération)
  - v_T valeur résiduelle (hors taxes : foncier entier, bâti amorti linéairement ; « nulle » ou un montant au
  choix ; nulle pour un droit temporaire) ;
- recettes RC = Σ v_t loyers_t (nets de vacance, d'impayés et de RLS, accessoires compris) ; coût net CN = CB - RC ;
- compensations CP = subventions + Σ_prêts max(0, K (1 + d) ** p - Σ échéances (1 + d) ** -t) (l'avantage d'un
  prêt aidé contre un prêt au même taux d ; un taux de marché saisi le remplace, choix dit) + avantage de TVA
  + Σ v_t TFPB exonérée + Σ v_t financement de l'accompagnement + décote foncière + garanties ;
- bénéfice raisonnable BR = (swap + 100 pb) x fonds propres x Σ v_t ;
- marge M = CN + BR - CP : positive ou nulle, pas de surcompensation ; négative, surcompensation de -M. Le report de
  l'art. 6, 2 (contrôles périodiques) n'est pas appliqué à ce contrôle prospectif.

La subvention à calculer S ne change que les compensations : + S en subvention, - a S d'avantage du prêt
d'équilibre (a : l'avantage d'un euro de ce prêt). M est donc affine en S, M(S) = M(S0) - (1 - a)(S - S0), et la
subvention maximale sans surcompensation est exacte : S0 + M(S0) / (1 - a).

Identité à l'équilibre en valeur actuelle (un seul taux, période couvrant les prêts) : au S qui annule Σ v_t AF_t,
M = fonds propres + BR - valeur résiduelle - décote - garanties - Σ v_t rémunération des fonds propres
- Σ K ((1 + d) ** p - 1) ; elle dit pourquoi la marge est ce qu'elle est.
"""

from __future__ import annotations

import numpy as np

from plai_bilan.bilan import Bilan, ControleSieg, Corridor, PosteSieg, ProduitSieg
from plai_bilan.catalogue import lignes_simples
from plai_bilan.moteur.exploitation import ligne_simple


def _actualisation(taux: float, t: np.ndarray) -> np.ndarray:
    return (1.0 + taux) ** -t


def avantage_pret(capital, prefinancement: int, echeances: np.ndarray, taux_marche: float):
    """K (1 + m) ** p - Σ_t échéance_t (1 + m) ** -t : ce que vaut à t = 0 le prêt aidé contre un prêt au marché
    (années sur le dernier axe : un prêt, ou un par ligne, ``capital`` alors un tableau)."""
    t = np.arange(1, echeances.shape[-1] + 1)
    return _reel(capital * (1.0 + taux_marche) ** prefinancement - (echeances * (1.0 + taux_marche) ** -t).sum(axis=-1))


def _reel(x):
    """Un nombre pour une opération, le tableau tel quel pour des lignes."""
    return float(x) if np.ndim(x) == 0 else x


def _positif(x):
    return max(0.0, x) if np.ndim(x) == 0 else np.maximum(0.0, x)


def exonerations(b: Bilan, t: np.ndarray) -> np.ndarray:
    """Les années exonérées des charges qui en ont une (lignes simples « apres » : la TFPB) : ce qu'elles
    coûteraient sans exonération, années t (le contrôle compte les charges sans exonération)."""
    hyp = b.hypotheses

    def valeur(nom: str) -> np.ndarray:
        v = getattr(hyp, nom) if hasattr(hyp, nom) else b.assiettes[nom] if nom in b.assiettes else getattr(b, nom)
        return np.array([v], dtype=float)

    indices = {"charges": (1.0 + hyp.indexation_charges) ** (t[None, :] - 1),
               "loyers": (1.0 + hyp.indexation_loyers) ** (t[None, :] - 1)}
    return _exonerees(valeur, t, indices, 1)[0]


def _exonerees(valeur, t: np.ndarray, indices: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Σ des lignes simples « apres » de rôle charge sur leurs années exonérées, (n, len(t)) ; ``valeur(nom)`` :
    la grandeur (n,) de chaque opération (moteur.exploitation.ligne_simple)."""
    total = np.zeros((n, len(t)))
    for d in lignes_simples().values():
        if d.apres and d.role == "charge":
            total += ligne_simple(d, valeur, t, indices, {}, annees="autres")
    return total


def valeur_residuelle(b: Bilan) -> float:
    """La valeur résiduelle en fin de période, avant actualisation : « comptable » = foncier HT entier + bâti HT
    amorti linéairement sur sa durée (hors taxes : le foncier d'un ancien n'a jamais porté de TVA) ; « nulle » ; un
    montant saisi ; nulle pour un droit temporaire (HypothesesSieg.valeur_residuelle)."""
    return _residuelle(b.hypotheses_sieg, b.postes_prix_de_revient)


def _residuelle(hs, postes_pr) -> float:
    choix = hs.valeur_residuelle
    if choix == "nulle":
        return 0.0
    if not isinstance(choix, str):
        return float(choix)
    ht = sum(p.ht for p in postes_pr)
    ht_foncier = sum(p.ht for p in postes_pr if p.groupe == "charge_fonciere")
    return ht_foncier + (ht - ht_foncier) * max(0.0, 1.0 - hs.duree / hs.duree_amortissement)


def _postes(b: Bilan, subvention: float, capital_solde: float | None) -> dict[str, float]:
    """Les postes en valeur actuelle pour la subvention à calculer ``subvention`` (le prêt d'équilibre vaut alors
    ``capital_solde``)."""
    c = b.compte_zero
    prets = [None if b.indice_solde is not None and i == b.indice_solde else
             (ech.capital, pr.prefinancement, ech.echeances)
             for i, (pr, ech) in enumerate(zip(b.prets_caracteristiques, c.prets))]
    return postes_actualises(b.hypotheses_sieg, b.postes_prix_de_revient, b.financement,
                             b.scenario.fonds_propres.montant, valeur_residuelle(b), c["charges"], c["loyers"],
                             c["financement_accompagnement"], exonerations(b, np.arange(1, b.horizon + 1)), prets,
                             subvention, capital_solde, unitaire_solde(b) if b.indice_solde is not None else 0.0)


def postes_actualises(hs, postes_pr, financement, fonds_propres: float, residuelle, charges: np.ndarray,
                      loyers: np.ndarray, accompagnement: np.ndarray, exonerees: np.ndarray, prets: list,
                      subvention, capital_solde, a: float) -> dict:
    """Les postes en valeur actuelle d'une opération : ``charges``, ``loyers``, ``accompagnement`` (son
    financement), ``exonerees`` (la TFPB des années exonérées), par année de l'horizon ; ``prets`` : (capital,
    préfinancement, échéances) de chaque prêt, None pour le prêt d'équilibre (``capital_solde`` x ``a``). Années
    sur le dernier axe : une opération, ou les lignes d'une structure (montants, postes, capitaux en tableaux)."""
    T = hs.duree
    t = np.arange(1, T + 1)
    v = _actualisation(hs.taux_actualisation, t)
    tfpb_exoneree = exonerees[..., :T]
    postes = {}
    ht = sum(p.ht for p in postes_pr)
    postes["investissement"] = ht * (1.0 + hs.taux_tva_normal)
    postes["charges"] = _reel((v * (charges[..., :T] + tfpb_exoneree)).sum(axis=-1))
    postes["valeur_residuelle"] = residuelle * float(v[-1])
    postes["recettes"] = _reel((v * loyers[..., :T]).sum(axis=-1))
    postes["subventions"] = sum(f.montant for f in financement if f.nature == "subvention" and not f.inconnue) \
        + subvention
    avantages = [_positif((0.0 if capital_solde is None else capital_solde) * a) if pret is None
                 else _positif(avantage_pret(pret[0], pret[1], pret[2], hs.taux_marche)) for pret in prets]
    postes["avantage_prets"] = _reel(sum(avantages))
    postes["avantage_tva"] = sum(p.ht * (hs.taux_tva_normal - p.taux_tva) for p in postes_pr)
    postes["exoneration_tfpb"] = _reel((v * tfpb_exoneree).sum(axis=-1))
    postes["financement_accompagnement"] = _reel((v * accompagnement[..., :T]).sum(axis=-1))
    postes["rabais_foncier"] = hs.rabais_foncier
    postes["garanties"] = hs.garanties
    postes["benefice_raisonnable"] = hs.taux_benefice * fonds_propres * float(v.sum())
    postes["_avantages"] = avantages  # type: ignore[assignment]
    return postes


COUTS = ("investissement", "charges", "valeur_residuelle")
COMPENSATIONS = ("subventions", "avantage_prets", "avantage_tva", "exoneration_tfpb", "financement_accompagnement",
                 "rabais_foncier", "garanties")


def _marge(p: dict) -> tuple[float, float, float, float]:
    cout_brut = p["investissement"] + p["charges"] - p["valeur_residuelle"]
    cout_net = cout_brut - p["recettes"]
    compensation = sum(p[k] for k in COMPENSATIONS)
    return cout_brut, cout_net, compensation, cout_net + p["benefice_raisonnable"] - compensation


def unitaire_solde(b: Bilan) -> float:
    """a : l'avantage de taux d'un euro du prêt d'équilibre (0 sans prêt d'équilibre ou s'il n'est pas aidé)."""
    if b.indice_solde is None:
        return 0.0
    pr = b.prets_caracteristiques[b.indice_solde]
    ech = b.compte_zero.prets[b.indice_solde]
    if b.equilibre is not None:
        unitaire = b.equilibre.unitaire.echeances
    elif ech.capital > 0:
        unitaire = ech.echeances / ech.capital  # l'échéancier est linéaire en capital
    else:
        return 0.0
    return max(0.0, avantage_pret(1.0, pr.prefinancement, unitaire, b.hypotheses_sieg.taux_marche))


def controler_sieg(b: Bilan, subvention: float | None = None) -> ControleSieg:
    """Le contrôle de surcompensation du plan, la subvention à calculer valant ``subvention`` (par défaut celle
    appliquée : la subvention d'équilibre d'un bilan résolu), et le corridor de cette subvention."""
    hs = b.hypotheses_sieg
    s = b.compte.subvention if subvention is None else subvention
    k0 = b.pret_equilibre_initial if b.indice_solde is not None else None
    capital_solde = None if k0 is None else k0 - s
    p = _postes(b, s, capital_solde)
    cout_brut, cout_net, compensation, marge = _marge(p)
    avantages = p.pop("_avantages")
    surcompensation = max(0.0, -marge)
    verdict = "conforme" if surcompensation <= 0.0 else "surcompensation"
    corridor = None
    if k0 is not None and b.resolu:
        a = unitaire_solde(b)
        pente = 1.0 - a
        maximum, contrainte_max = _maximum(s, marge, a, k0)
        minimum = b.subvention_minimale if b.faisable else None
        contrainte_min = None
        if minimum is not None:
            contrainte_min = "equilibre" if b.annee_critique is None else f"equilibre_annee_{b.annee_critique}"
        minimum_van = _minimum_van(b)
        identite = None
        if minimum_van is not None and pente > 0:
            identite = _identite(b, p, marge - pente * (minimum_van - s))
        ouvert = minimum is not None and minimum <= maximum + 1e-6
        corridor = Corridor(minimum=minimum, contrainte_minimum=contrainte_min, maximum=maximum,
                            contrainte_maximum=contrainte_max, avantage_unitaire=a, ouvert=ouvert,
                            minimum_van=minimum_van, identite=identite,
                            cause=None if ouvert or minimum is None else _cause_corridor_vide(b, minimum, maximum,
                                                                                            identite))
    produits = _par_produit(b, s, p) if hs.individualisation else ()
    postes = tuple(PosteSieg(k, p[k]) for k in COUTS + ("recettes",) + COMPENSATIONS + ("benefice_raisonnable",))
    prets = tuple(zip((pr.nom for pr in b.prets_caracteristiques), avantages))
    return ControleSieg(hypotheses=hs, subvention=s, postes=postes, avantages_prets=prets, cout_brut=cout_brut,
                        cout_net=cout_net, compensation=compensation, benefice_raisonnable=p["benefice_raisonnable"],
                        marge=marge, surcompensation=surcompensation, verdict=verdict, corridor=corridor,
                        produits=produits,
                        charges_exonerees=exonerations(b, np.arange(1, b.horizon + 1)))


def _maximum(s: float, marge: float, a: float, k0: float) -> tuple[float, str]:
    """La subvention maximale du corridor et ce qui la fixe : S0 + M(S0) / (1 - a), au plus le prêt d'équilibre."""
    maxi_sieg = _sans_surcompensation(s, marge, a)
    return (maxi_sieg, "surcompensation") if maxi_sieg <= k0 else (k0, "pret_equilibre")


def _sans_surcompensation(s, marge, a: float):
    """S0 + M(S0) / (1 - a) : la subvention au-delà de laquelle le plan surcompense (infinie quand un euro de
    subvention retire au moins un euro d'avantage de taux au prêt d'équilibre qu'il remplace : la compensation ne
    croît plus) ; ``s``, ``marge`` : nombres ou tableaux."""
    pente = 1.0 - a
    return s + marge / pente if pente > 0 else s * 0.0 + float("inf")


def maxima_lot(lot, compte, echeances: np.ndarray, entrees: list, subventions: np.ndarray) -> list[float | None]:
    """Le maximum du corridor de chaque opération résolue d'un lot (``controler_sieg(b).corridor.maximum``), des
    tableaux du lot, de son compte sans subvention et des échéances de ses prêts : les mêmes postes par les mêmes
    opérations, sans bilan ; ``subventions`` : celle appliquée à chaque opération (0 si infaisable). None sans prêt
    d'équilibre."""
    indices = {"charges": lot.indice_charges, "loyers": lot.indice_loyers}
    exonerees = _exonerees(lambda nom: getattr(lot, nom), lot.t, indices, lot.n_operations) * lot.actif
    premiers = np.searchsorted(lot.pret_operation, np.arange(len(entrees)))
    sortie: list[float | None] = []
    for i, e in enumerate(entrees):
        if e.indice_solde is None:
            sortie.append(None)
            continue
        hs, h = e.hypotheses_sieg, e.horizon
        s, k0 = float(subventions[i]), e.pret_equilibre_initial
        prets, a = _prets_du_lot(lot, echeances, e, int(premiers[i]))
        p = postes_actualises(hs, e.postes_prix_de_revient, e.financement, e.scenario.fonds_propres.montant,
                              _residuelle(hs, e.postes_prix_de_revient), compte["charges"][i, :h],
                              compte["loyers"][i, :h], compte["financement_accompagnement"][i, :h],
                              exonerees[i, :h], prets, s, k0 - s, a)
        sortie.append(_maximum(s, _marge(p)[3], a, k0)[0])
    return sortie


def _prets_du_lot(lot, echeances: np.ndarray, e, premiers) -> tuple[list, float]:
    """(capital, préfinancement, échéances) de chaque prêt de l'opération ``e`` (None pour le prêt d'équilibre),
    dont les prêts sont au rang ``premiers`` du lot et aux suivants (un rang, ou un par ligne d'une structure :
    capitaux et échéances en tableaux) ; et a, l'avantage de taux d'un euro de son prêt d'équilibre (le même pour
    toutes les lignes d'une structure : mêmes prêts, même livret A)."""
    h = e.horizon
    prets = [None if k == e.indice_solde else (lot.principal[premiers + k], pr.prefinancement,
                                                echeances[premiers + k, :h]) for k, pr in enumerate(e.prets)]
    premier = int(np.min(premiers))
    a = max(0.0, avantage_pret(1.0, e.prets[e.indice_solde].prefinancement,
                               lot.unitaire.echeances[premier + e.indice_solde, :h], e.hypotheses_sieg.taux_marche))
    return prets, a


def maxima_structure(lot, compte, echeances: np.ndarray, rangs: slice, e, postes_pr, pret_equilibre: np.ndarray,
                     subventions: np.ndarray) -> np.ndarray:
    """:func:`maxima_lot` des lignes ``rangs`` d'un lot qui sont toutes l'opération ``e`` (même structure : mêmes
    prêts, mêmes hypothèses) à d'autres montants : ``postes_pr`` (postes du prix de revient, montants en tableaux),
    ``pret_equilibre`` (K de chaque ligne), ``subventions`` (celle appliquée). Les mêmes postes par les mêmes
    opérations, en tableaux."""
    indices = {"charges": lot.indice_charges[rangs], "loyers": lot.indice_loyers[rangs]}
    m = rangs.stop - rangs.start

    def grandeur(nom: str) -> np.ndarray:
        return getattr(lot, nom)[rangs]

    exonerees = _exonerees(grandeur, lot.t, indices, m) * lot.actif[rangs]
    hs, h = e.hypotheses_sieg, e.horizon
    j0 = int(np.searchsorted(lot.pret_operation, rangs.start))
    prets, a = _prets_du_lot(lot, echeances, e, j0 + len(e.prets) * np.arange(m))
    p = postes_actualises(hs, postes_pr, e.financement, e.scenario.fonds_propres.montant, _residuelle(hs, postes_pr),
                          compte["charges"][rangs, :h], compte["loyers"][rangs, :h],
                          compte["financement_accompagnement"][rangs, :h], exonerees[:, :h], prets, subventions,
                          pret_equilibre - subventions, a)
    maxi = _sans_surcompensation(subventions, _marge(p)[3], a)
    return np.where(maxi <= pret_equilibre, maxi, pret_equilibre)  # au plus le prêt d'équilibre (_maximum)


def _minimum_van(b: Bilan) -> float | None:
    """S*_VA : la subvention qui annule la valeur actuelle au taux du contrôle de l'autofinancement sur la période,
    Σ v_t (AF_t(0) + S u_t) = 0 (même métrique que le maximum) ; None sans prêt d'équilibre résolu."""
    if b.equilibre is None:
        return None
    hs = b.hypotheses_sieg
    t = np.arange(1, hs.duree + 1)
    v = _actualisation(hs.taux_actualisation, t)
    va_af = float((v * b.compte_zero.autofinancement[:hs.duree]).sum())
    va_u = float((v * b.equilibre.u[:hs.duree]).sum())
    if va_u <= 0:
        return None
    return max(0.0, -va_af / va_u)


def _identite(b: Bilan, p: dict, marge_va: float) -> dict[str, float]:
    """Les termes de l'identité à l'équilibre en valeur actuelle (docstring du module) et la marge à S*_VA. Les
    termes somment à la marge quand un seul taux actualise tout et que la période couvre chaque prêt."""
    hs = b.hypotheses_sieg
    t = np.arange(1, hs.duree + 1)
    v = _actualisation(hs.taux_actualisation, t)
    rem = float((v * b.compte_zero["remuneration_fonds_propres"][:hs.duree]).sum())
    prefinancement = sum(k * ((1.0 + hs.taux_marche) ** pr.prefinancement - 1.0)
                         for k, pr in zip(b.principaux, b.prets_caracteristiques))
    termes = {"fonds_propres": b.scenario.fonds_propres.montant, "benefice_raisonnable": p["benefice_raisonnable"],
              "valeur_residuelle": -p["valeur_residuelle"], "rabais_foncier": -p["rabais_foncier"],
              "garanties": -p["garanties"], "remuneration_fonds_propres": -rem, "prefinancement": -prefinancement}
    termes["marge_equilibre_va"] = marge_va
    termes["applicable"] = float(hs.taux_unique and all(pr.duree <= hs.duree for pr in b.prets_caracteristiques))
    return termes


def _cause_corridor_vide(b: Bilan, minimum: float, maximum: float, identite: dict | None) -> str:
    """Ce qui vide le corridor, en une phrase."""
    from plai_bilan.format import euros

    texte = (f"l'équilibre ({euros(minimum)}) dépasse la subvention maximale sans surcompensation ({euros(maximum)})")
    if identite is None:
        return texte
    fp, br, vr = identite["fonds_propres"], identite["benefice_raisonnable"], -identite["valeur_residuelle"]
    if fp + br < vr:
        return (texte + f" : la valeur résiduelle conservée ({euros(vr)} actualisés) dépasse les fonds propres et leur "
                f"bénéfice raisonnable ({euros(fp + br)}) ; sieg.valeur_residuelle = \"nulle\" si les biens restent "
                "affectés au service (convention APL, CCH L.411-2)")
    return texte + (" : l'équilibre en trésorerie cumulée exige plus que l'équilibre en valeur actuelle "
                    f"({euros(identite['marge_equilibre_va'])} de marge à ce dernier)")


def _par_produit(b: Bilan, s: float, p: dict) -> tuple[ProduitSieg, ...]:
    """Individualisation : PLAI adapté, PLAI ordinaire, PLUS et PLS, quand l'opération (produit ordinaire) en mêle
    au moins deux.

    Clé de répartition : la part de surface utile, sauf les loyers (part de l'assiette des loyers et accessoires ;
    la RLS, part de son assiette), la GLA et l'accompagnement (PLAI adapté), le financement de l'accompagnement
    (PLAI adapté s'il en est la contrepartie) et les subventions propres au PLAI adapté ou de nature FNAP PLAI
    adapté, la subvention à calculer comprise (PLAI adapté)."""
    lignes = b.loyers_par_logement
    groupes = [(nom, adapte, g) for nom, adapte, g in (
        ("plai_adapte", True, [l for l in lignes if l.plai_adapte]),
        ("plai", False, [l for l in lignes if l.produit == "PLAI" and not l.plai_adapte]),
        ("plus", False, [l for l in lignes if l.produit == "PLUS"]),
        ("pls", False, [l for l in lignes if l.produit == "PLS"])) if g]
    if b.scenario.operation.produit != "ordinaire" or len(groupes) < 2:
        return ()
    hs = b.hypotheses_sieg
    T = hs.duree
    t = np.arange(1, T + 1)
    v = _actualisation(hs.taux_actualisation, t)
    c = b.compte_zero
    su = sum(l.nombre * l.surface_utile for l in lignes)
    loyers = sum(l.nombre * (l.loyer + l.loyer_accessoire) for l in lignes)
    rls = sum(l.nombre * l.reduction_loyer_solidarite for l in lignes)
    propres = sum(f.montant for f in b.financement if f.nature == "subvention" and not f.inconnue
                  and (f.propre_au_plai_adapte or f.nature_subvention == "fnap_plai_adapte"))
    inconnue = next((f for f in b.financement if f.inconnue), None)
    s_adapte = s if inconnue is None or inconnue.nature_subvention == "fnap_plai_adapte" else 0.0
    specifiques = float((v * (c["gla"][:T] + c["accompagnement"][:T])).sum())
    contrepartie = b.hypotheses.financement_accompagnement_contrepartie
    sortie = []
    for nom, adapte, g in groupes:
        part = sum(l.nombre * l.surface_utile for l in g) / su
        part_loyers = sum(l.nombre * (l.loyer + l.loyer_accessoire) for l in g) / loyers if loyers else part
        part_rls = sum(l.nombre * l.reduction_loyer_solidarite for l in g) / rls if rls else part
        q = {k: p[k] * part for k in p}
        q["charges"] = (p["charges"] - specifiques) * part + (specifiques if adapte else 0.0)
        revenu = float((v * c["revenu_locatif"][:T]).sum())
        reduction = float((v * c["reduction_loyer_solidarite"][:T]).sum())
        q["recettes"] = revenu * part_loyers - reduction * part_rls
        autres = p["subventions"] - propres - s
        q["subventions"] = autres * part + (propres + s_adapte if adapte else 0.0) + (s - s_adapte) * part
        if contrepartie:
            q["financement_accompagnement"] = p["financement_accompagnement"] if adapte else 0.0
        cout_brut, cout_net, compensation, marge = _marge(q)
        sortie.append(ProduitSieg(nom, part, cout_net, compensation, q["benefice_raisonnable"], marge))
    return tuple(sortie)
