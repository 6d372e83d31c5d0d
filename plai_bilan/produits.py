"""Comptes par produit (individualisation, comme LOLA) : une opération mixte répartie entre PLAI, PLUS et PLS.

Clés de répartition (docs/modele.md, « Opérations mixtes ») :

- loyers, loyers accessoires et RLS : ceux des lignes du produit ;
- une ligne simple du compte (lignes_compte.toml) par son assiette : les logements du produit, ses PLAI adaptés,
  les logements qu'il compte pour le financement de l'accompagnement, ses loyers ; le gros entretien de
  l'opération par la part de surface utile ;
- un prêt ou une subvention qui nomme son produit à ce produit ; les autres, les fonds propres, leur
  rémunération, la trésorerie initiale et le prix de revient par la part de surface utile ; la subvention à
  calculer suit le prêt d'équilibre qu'elle diminue.

La somme des comptes par produit est, ligne à ligne et année par année, le compte de l'opération. Le besoin propre
d'un produit est la plus petite subvention qui équilibre son seul compte en diminuant sa part du prêt d'équilibre
(même critère, mêmes formes fermées que l'opération, model.md 8) : c'est la lecture « chaque produit s'équilibre » ;
la subvention d'équilibre de l'opération est la lecture « équilibre global » du programme FNAP (III).
"""

from __future__ import annotations

import numpy as np

from plai_bilan.bilan import Bilan, CompteProduit
from plai_bilan.catalogue import lignes_simples
from plai_bilan.choix import PRODUITS_LOGEMENT
from plai_bilan.conventions import NUL, TOLERANCE


def _k0(b: Bilan) -> float:
    """K : le prêt d'équilibre sans subvention (0 sans prêt d'équilibre)."""
    return 0.0 if b.indice_solde is None else float(b.principaux[b.indice_solde])


def _part(numerateur: float, denominateur: float) -> float:
    return numerateur / denominateur if denominateur > 0 else 0.0


def produits_presents(lignes) -> list[str]:
    """Les produits (PLAI, PLUS, PLS) qu'ont des lignes de loyers, dans l'ordre de PRODUITS_LOGEMENT ; deux au moins :
    une opération mixte, qui a ses comptes par produit."""
    return [p for p in PRODUITS_LOGEMENT if any(l.produit == p for l in lignes)]


def parts(b: Bilan) -> dict[str, dict[str, float]]:
    """Les clés de répartition de chaque produit présent : surface utile, logements, PLAI adaptés, loyers,
    accessoires, RLS, logements du financement de l'accompagnement."""
    lignes = b.loyers_par_logement
    produits = produits_presents(lignes)
    total = {
        "surface": sum(l.nombre * l.surface_utile for l in lignes),
        "n_logements": sum(l.nombre for l in lignes),
        "n_plai_adapte": sum(l.nombre for l in lignes if l.plai_adapte),
        "loyers": sum(l.nombre * (l.loyer + l.loyer_accessoire) for l in lignes),
        "accessoires": sum(l.nombre * l.loyer_accessoire for l in lignes),
        "rls": sum(l.nombre * l.reduction_loyer_solidarite for l in lignes),
    }
    sortie = {}
    for p in produits:
        g = [l for l in lignes if l.produit == p]
        part = {
            "surface": _part(sum(l.nombre * l.surface_utile for l in g), total["surface"]),
            "n_logements": _part(sum(l.nombre for l in g), total["n_logements"]),
            "n_plai_adapte": _part(sum(l.nombre for l in g if l.plai_adapte), total["n_plai_adapte"]),
            "loyers": _part(sum(l.nombre * (l.loyer + l.loyer_accessoire) for l in g), total["loyers"]),
            "accessoires": _part(sum(l.nombre * l.loyer_accessoire for l in g), total["accessoires"]),
            "rls": _part(sum(l.nombre * l.reduction_loyer_solidarite for l in g), total["rls"]),
        }
        part["n_financement_accompagnement"] = (part["n_plai_adapte"] if b.hypotheses.financement_accompagnement_contrepartie
                                                else part["n_logements"])
        sortie[p] = part
    return sortie


def _lignes_du_produit(b: Bilan, p: str, part: dict[str, float], parts_prets: list[float], subvention: float
                       ) -> dict[str, np.ndarray]:
    """Les lignes du compte de l'opération qui reviennent au produit ``p`` ; ``parts_prets`` : la part de chaque prêt
    qui lui revient ; ``subvention`` : la subvention à calculer qui diminue sa part du prêt d'équilibre (échéances
    linéaires en capital : sa part vaut part x K x u_t - S_p x u_t)."""
    compte = b.compte_zero
    c = compte.lignes
    lignes = {"annee": c["annee"], "annee_civile": c["annee_civile"],
              "revenu_locatif": c["revenu_locatif"] * part["loyers"],
              "loyers_accessoires": c["loyers_accessoires"] * part["accessoires"],
              "reduction_loyer_solidarite": c["reduction_loyer_solidarite"] * part["rls"]}
    lignes["loyers"] = lignes["revenu_locatif"] - lignes["reduction_loyer_solidarite"]
    produits = lignes["loyers"].copy()
    charges = np.zeros_like(produits)
    for cle, d in lignes_simples().items():
        if d.assiette_ligne:  # une part d'une ligne du produit (charges en % des loyers)
            x = c[cle] * np.divide(lignes[d.assiette], c[d.assiette], out=np.zeros_like(produits),
                                   where=c[d.assiette] != 0)
        else:
            x = c[cle] * part["surface" if d.assiette is None else d.assiette]
        lignes[cle] = x
        if d.role == "produit":
            produits = produits + x
        else:
            charges = charges + x
    lignes["charges"] = charges
    annuites = np.zeros_like(produits)
    for ech, k in zip(compte.prets, parts_prets):
        annuites = annuites + ech.echeances * k
    if subvention:
        annuites = annuites - subvention * b.equilibre.u
    lignes["annuites"] = annuites
    lignes["remuneration_fonds_propres"] = c["remuneration_fonds_propres"] * part["surface"]
    lignes["autofinancement"] = produits - charges - annuites - lignes["remuneration_fonds_propres"]
    lignes["tresorerie"] = b.scenario.analyse.tresorerie_initiale * part["surface"] + np.cumsum(lignes["autofinancement"])
    return lignes


def _besoin(b: Bilan, lignes0: dict[str, np.ndarray], part_pret: float, u: np.ndarray | None = None
            ) -> tuple[float | None, bool]:
    """S*_p : la plus petite subvention qui équilibre le compte du produit (avant subvention) en diminuant sa part
    du prêt d'équilibre, et sa faisabilité (S*_p <= sa part K_p, aucune année en échec sans levier). ``u`` :
    l'échéancier d'un euro du prêt d'équilibre (par défaut celui du bilan résolu)."""
    if u is None:
        if b.equilibre is None or b.indice_solde is None:
            return None, False
        u = b.equilibre.u
    af = lignes0["autofinancement"]
    critere = b.critere
    if critere == "annuel":
        v, w = af, u
    elif critere == "tresorerie_cumulee":
        v, w = lignes0["tresorerie"], np.cumsum(u)
    else:
        t = np.arange(1, len(af) + 1)
        d = (1.0 + (b.hypotheses.taux_actualisation or 0.0)) ** -t
        v, w = np.array([float((af * d).sum())]), np.array([float((u * d).sum())])
    echec = v < -TOLERANCE
    sans_levier = bool((echec & (w <= NUL)).any())
    ratios = np.where(echec & (w > NUL), -v / np.where(w > NUL, w, 1.0), -np.inf)
    besoin = max(0.0, float(ratios.max())) if len(ratios) else 0.0
    k = _k0(b) * part_pret
    return besoin, not sans_levier and besoin <= k + TOLERANCE


def produit_subvention(s) -> str | None:
    """Le produit qu'une subvention finance : sa clé ``produit`` ; les subventions PLAI de l'État et celles du PLAI
    adapté (FNAP, référence, montant par PLAI adapté) au PLAI ; None : toute l'opération."""
    if s.produit is not None:
        return s.produit
    return "PLAI" if s.nature in ("etat_plai", "fnap_plai_adapte") or s.propre_au_plai_adapte else None


def comptes_par_produit(b: Bilan, lignes_subventionnees: bool = True,
                        seuls: tuple[str, ...] | None = None) -> tuple[CompteProduit, ...]:
    """Le compte de chaque produit d'une opération mixte (vide si l'opération n'a qu'un produit). Le prêt
    d'équilibre sans produit revient à chaque produit pour ce qui manque à son plan : son prix de revient moins ses
    subventions, ses fonds propres et ses autres prêts ; chaque plan par produit est alors équilibré. Un prêt
    d'équilibre qui nomme son produit lui revient entier. Sans ``lignes_subventionnees``, les lignes de chaque
    produit sont celles d'avant subvention (un tableau de programme ne lit que les besoins propres) ; ``seuls`` :
    les comptes de ces seuls produits."""
    clefs = parts(b)
    if len(clefs) < 2:
        return ()
    subventions = [(f, s) for f, s in zip((f for f in b.financement if f.nature == "subvention"), b.scenario.subventions)]
    solde = b.indice_solde
    k0 = _k0(b)
    autres = {}
    for p, part in clefs.items():
        def affecte(produit: str | None) -> float:
            return 1.0 if produit == p else 0.0 if produit else part["surface"]

        ressources = sum(f.montant * affecte(produit_subvention(s)) for f, s in subventions if not f.inconnue)
        ressources += b.scenario.fonds_propres.montant * part["surface"]
        ressources += sum(k * affecte(pr.produit) for i, (k, pr) in enumerate(zip(b.principaux, b.prets_caracteristiques))
                          if i != solde)
        autres[p] = ressources
    sortie = []
    for p, part in clefs.items():
        if seuls is not None and p not in seuls:
            continue

        def affecte(produit: str | None) -> float:
            return 1.0 if produit == p else 0.0 if produit else part["surface"]

        pr_p = b.scenario.prix_de_revient.total * part["surface"]
        if solde is None:
            part_pret = 0.0
        elif b.prets_caracteristiques[solde].produit is not None:
            part_pret = affecte(b.prets_caracteristiques[solde].produit)
        else:
            part_pret = (pr_p - autres[p]) / k0 if k0 > 0 else part["surface"]
        parts_prets = [part_pret if i == solde else affecte(pr.produit) for i, pr in enumerate(b.prets_caracteristiques)]
        inconnue = next((s for f, s in subventions if f.inconnue), None)
        s_appliquee = 0.0 if inconnue is None else b.compte.subvention * (
            affecte(produit_subvention(inconnue)) if produit_subvention(inconnue) else part_pret)
        lignes0 = _lignes_du_produit(b, p, part, parts_prets, 0.0)
        lignes = (_lignes_du_produit(b, p, part, parts_prets, s_appliquee) if s_appliquee and lignes_subventionnees
                  else lignes0)
        besoin, faisable = _besoin(b, lignes0, part_pret)
        g = [l for l in b.loyers_par_logement if l.produit == p]
        sortie.append(CompteProduit(
            produit=p, n_logements=sum(l.nombre for l in g), n_plai_adapte=sum(l.nombre for l in g if l.plai_adapte),
            part_surface=part["surface"], prix_de_revient=pr_p,
            subventions=sum(f.montant * affecte(produit_subvention(s)) for f, s in subventions if not f.inconnue)
            + s_appliquee,
            fonds_propres=b.scenario.fonds_propres.montant * part["surface"],
            prets=sum(k * parts_prets[i] for i, k in enumerate(b.principaux)) - s_appliquee,
            lignes=lignes, besoin_propre=besoin, besoin_propre_faisable=faisable, part_pret_equilibre=part_pret))
    return tuple(sortie)


def lecture_part_plai(b: Bilan, variante: Bilan) -> dict[str, float | None] | None:
    """La lecture « la part PLAI s'équilibre seule » d'une opération mixte : S* de la part PLAI (son besoin propre),
    G de la même part en PLAI ordinaire (la variante, ses lignes PLUS et PLS inchangées), C = S* - G et
    J = max(0, min(S*, C)) ; None sans part PLAI ou sans opération résolue."""
    plai = next((p for p in b.produits if p.produit == "PLAI"), None)
    vp = next((p for p in variante.produits if p.produit == "PLAI"), None)
    if plai is None or vp is None or b.equilibre is None or plai.besoin_propre is None:
        return None
    g, faisable_g = _besoin(variante, vp.lignes, vp.part_pret_equilibre, b.equilibre.u)
    s = plai.besoin_propre if plai.besoin_propre_faisable else None
    g = g if faisable_g else None
    c = None if s is None or g is None else s - g
    return {"subvention_minimale": s, "subvention_plai_ordinaire": g, "cout_contreparties": c,
            "subvention_justifiable": None if c is None else max(0.0, min(s, c))}
