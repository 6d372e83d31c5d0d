"""Contrôle de l'absence de surcompensation (SIEG) et corridor de la subvention (docs/sieg.md).

Valeurs actuelles à la mise en service (t = 0), flux de fin d'année t = 1..T, facteur v_t = (1 + d) ** -t :

- coût brut CB = investissement au taux normal de TVA + Σ v_t charges_t (TFPB comptée comme sans exonération)
  - v_T valeur résiduelle (foncier entier, bâti amorti linéairement) ;
- recettes RC = Σ v_t loyers_t (nets de vacance, d'impayés et de RLS, accessoires compris) ; coût net CN = CB - RC ;
- compensations CP = subventions + Σ_prêts max(0, K (1 + m) ** p - Σ échéances (1 + m) ** -t) (avantage de taux
  contre le taux de marché m, préfinancement compris) + avantage de TVA + Σ v_t TFPB exonérée
  + Σ v_t financement de l'accompagnement + décote foncière + garanties ;
- bénéfice raisonnable BR = (swap + 100 pb) x fonds propres x Σ v_t ;
- marge M = CN + BR - CP : positive, pas de surcompensation ; négative, la surcompensation -M est reportable
  jusqu'à 10 % de la compensation annuelle moyenne CP / T, à rembourser au-delà.

La subvention à calculer S ne change que les compensations : + S en subvention, - a S d'avantage du prêt
d'équilibre (a : l'avantage d'un euro de ce prêt). M est donc affine en S, M(S) = M(S0) - (1 - a)(S - S0), et la
subvention maximale sans surcompensation est exacte : S0 + M(S0) / (1 - a).
"""

from __future__ import annotations

import numpy as np

from plai_bilan.bilan import Bilan, ControleSieg, Corridor, PosteSieg, ProduitSieg
from plai_bilan.catalogue import lignes_simples
from plai_bilan.moteur.exploitation import ligne_simple


def _actualisation(taux: float, t: np.ndarray) -> np.ndarray:
    return (1.0 + taux) ** -t


def avantage_pret(capital: float, prefinancement: int, echeances: np.ndarray, taux_marche: float) -> float:
    """K (1 + m) ** p - Σ_t échéance_t (1 + m) ** -t : ce que vaut à t = 0 le prêt aidé contre un prêt au marché."""
    t = np.arange(1, len(echeances) + 1)
    return float(capital * (1.0 + taux_marche) ** prefinancement - (echeances * (1.0 + taux_marche) ** -t).sum())


def exonerations(b: Bilan, t: np.ndarray) -> np.ndarray:
    """Les années exonérées des charges qui en ont une (lignes simples « apres » : la TFPB) : ce qu'elles
    coûteraient sans exonération, années t (le contrôle compte les charges sans exonération)."""
    hyp = b.hypotheses

    def valeur(nom: str) -> np.ndarray:
        v = getattr(hyp, nom) if hasattr(hyp, nom) else b.assiettes[nom] if nom in b.assiettes else getattr(b, nom)
        return np.array([v], dtype=float)

    indices = {"charges": (1.0 + hyp.indexation_charges) ** (t[None, :] - 1),
               "loyers": (1.0 + hyp.indexation_loyers) ** (t[None, :] - 1)}
    total = np.zeros(len(t))
    for d in lignes_simples().values():
        if d.apres and d.role == "charge":
            total += ligne_simple(d, valeur, t, indices, {}, annees="autres")[0]
    return total


def _postes(b: Bilan, subvention: float, capital_solde: float | None) -> dict[str, float]:
    """Les postes en valeur actuelle pour la subvention à calculer ``subvention`` (le prêt d'équilibre vaut alors
    ``capital_solde``)."""
    hs, hyp = b.hypotheses_sieg, b.hypotheses
    T = hs.duree
    t = np.arange(1, T + 1)
    v = _actualisation(hs.taux_actualisation, t)
    c = b.compte_zero
    tfpb_exoneree = exonerations(b, np.arange(1, b.horizon + 1))[:T]
    charges = c["charges"][:T] + tfpb_exoneree
    postes = {}
    ht = sum(p.ht for p in b.postes_prix_de_revient)
    ht_foncier = sum(p.ht for p in b.postes_prix_de_revient if p.groupe == "charge_fonciere")
    postes["investissement"] = ht * (1.0 + hs.taux_tva_normal)
    postes["charges"] = float((v * charges).sum())
    bati = (ht - ht_foncier) * (1.0 + hs.taux_tva_normal) * max(0.0, 1.0 - T / hs.duree_amortissement)
    postes["valeur_residuelle"] = (ht_foncier * (1.0 + hs.taux_tva_normal) + bati) * float(v[-1])
    postes["recettes"] = float((v * c["loyers"][:T]).sum())
    postes["subventions"] = sum(f.montant for f in b.financement if f.nature == "subvention" and not f.inconnue) \
        + subvention
    avantages = []
    for i, (pr, ech) in enumerate(zip(b.prets_caracteristiques, b.compte_zero.prets)):
        if b.indice_solde is not None and i == b.indice_solde:
            avantages.append(max(0.0, (capital_solde or 0.0) * unitaire_solde(b)))
        else:
            avantages.append(max(0.0, avantage_pret(ech.capital, pr.prefinancement, ech.echeances, hs.taux_marche)))
    postes["avantage_prets"] = float(sum(avantages))
    postes["avantage_tva"] = sum(p.ht * (hs.taux_tva_normal - p.taux_tva) for p in b.postes_prix_de_revient)
    postes["exoneration_tfpb"] = float((v * tfpb_exoneree).sum())
    postes["financement_accompagnement"] = float((v * c["financement_accompagnement"][:T]).sum())
    postes["rabais_foncier"] = hs.rabais_foncier
    postes["garanties"] = hs.garanties
    postes["benefice_raisonnable"] = hs.taux_benefice * b.scenario.fonds_propres.montant * float(v.sum())
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
    moyenne = compensation / hs.duree
    surcompensation = max(0.0, -marge)
    if surcompensation <= 0.0:
        verdict = "conforme"
    elif surcompensation <= hs.report_max * moyenne:
        verdict = "reportable"
    else:
        verdict = "a_rembourser"
    corridor = None
    if k0 is not None and b.resolu:
        a = unitaire_solde(b)
        pente = 1.0 - a
        maxi_sieg = s + marge / pente if pente > 0 else float("inf")
        if maxi_sieg <= k0:
            maximum, contrainte_max = maxi_sieg, "surcompensation"
        else:
            maximum, contrainte_max = k0, "pret_equilibre"
        minimum = b.subvention_minimale if b.faisable else None
        contrainte_min = None
        if minimum is not None:
            contrainte_min = "equilibre" if b.annee_critique is None else f"equilibre_annee_{b.annee_critique}"
        corridor = Corridor(minimum, contrainte_min, maximum, contrainte_max, a,
                            minimum is not None and minimum <= maximum + 1e-6)
    produits = _par_produit(b, s, p) if hs.individualisation else ()
    postes = tuple(PosteSieg(k, p[k]) for k in COUTS + ("recettes",) + COMPENSATIONS + ("benefice_raisonnable",))
    prets = tuple(zip((pr.nom for pr in b.prets_caracteristiques), avantages))
    return ControleSieg(hypotheses=hs, subvention=s, postes=postes, avantages_prets=prets, cout_brut=cout_brut,
                        cout_net=cout_net, compensation=compensation, benefice_raisonnable=p["benefice_raisonnable"],
                        marge=marge, surcompensation=surcompensation, compensation_annuelle_moyenne=moyenne,
                        seuil_report=hs.report_max * moyenne, verdict=verdict, corridor=corridor, produits=produits,
                        charges_exonerees=exonerations(b, np.arange(1, b.horizon + 1)))


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
