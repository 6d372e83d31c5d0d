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
    annuites = np.zeros_like(compte.lignes["revenu_locatif"])
    for ech, k in zip(compte.prets, parts_prets):
        annuites = annuites + ech.echeances * k
    if subvention:
        annuites = annuites - subvention * b.equilibre.u
    return lignes_produit(compte.lignes, part, annuites, b.scenario.analyse.tresorerie_initiale)


def lignes_produit(c: dict[str, np.ndarray], part: dict[str, float], annuites: np.ndarray,
                   tresorerie_initiale: float) -> dict[str, np.ndarray]:
    """Les lignes d'un produit tirées des lignes ``c`` du compte de l'opération (années sur le dernier axe : une
    opération, ou les lignes d'un lot de la même structure), ses clés ``part`` et ses ``annuites``."""
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
    lignes["annuites"] = annuites
    lignes["remuneration_fonds_propres"] = c["remuneration_fonds_propres"] * part["surface"]
    lignes["autofinancement"] = produits - charges - annuites - lignes["remuneration_fonds_propres"]
    lignes["tresorerie"] = tresorerie_initiale * part["surface"] + np.cumsum(lignes["autofinancement"], axis=-1)
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
    besoin, faisable = besoins_propres(lignes0["autofinancement"], lignes0["tresorerie"], u, b.critere,
                                       b.hypotheses.taux_actualisation, _k0(b) * part_pret)
    return float(besoin), bool(faisable)


def besoins_propres(af: np.ndarray, tresorerie: np.ndarray, u: np.ndarray, critere: str, taux: float | None,
                    k: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(S*_p, faisable) de comptes de produit (années sur le dernier axe : un compte, ou un par ligne) : la forme
    fermée de model.md 8 sur leur autofinancement ou leur trésorerie ; ``k`` : leur part du prêt d'équilibre."""
    if critere == "annuel":
        v, w = af, u
    elif critere == "tresorerie_cumulee":
        v, w = tresorerie, np.cumsum(u)
    else:
        t = np.arange(1, af.shape[-1] + 1)
        d = (1.0 + (taux or 0.0)) ** -t
        v, w = (af * d).sum(axis=-1, keepdims=True), np.array([float((u * d).sum())])
    echec = v < -TOLERANCE
    sans_levier = (echec & (w <= NUL)).any(axis=-1)
    ratios = np.where(echec & (w > NUL), -v / np.where(w > NUL, w, 1.0), -np.inf)
    besoin = np.maximum(0.0, ratios.max(axis=-1)) if ratios.shape[-1] else np.zeros(ratios.shape[:-1])
    return besoin, ~sans_levier & (besoin <= k + TOLERANCE)


def produit_subvention(s) -> str | None:
    """Le produit qu'une subvention finance : sa clé ``produit`` ; les subventions PLAI de l'État et celles du PLAI
    adapté (FNAP, référence, montant par PLAI adapté) au PLAI ; None : toute l'opération."""
    if s.produit is not None:
        return s.produit
    return "PLAI" if s.nature in ("etat_plai", "fnap_plai_adapte") or s.propre_au_plai_adapte else None


def _affecte(produit: str | None, p: str, part: dict[str, float]) -> float:
    """La part d'une ressource qui revient au produit ``p`` : entière si elle le nomme, nulle si elle en nomme un
    autre, sa part de surface utile si elle n'en nomme aucun."""
    return 1.0 if produit == p else 0.0 if produit else part["surface"]


def repartition(e, principaux: np.ndarray, prix_de_revient: np.ndarray
                ) -> dict[str, tuple[dict[str, float], np.ndarray]]:
    """Les clés de chaque produit d'une opération mixte et la part de chacun de ses prêts qui lui revient, pour
    les capitaux ``principaux`` (une ligne par jeu de montants, une colonne par prêt) et les prix de revient
    totaux ``prix_de_revient`` (un par ligne) : {produit: (clés, parts des prêts)}. ``e`` : l'opération
    (lignes de loyers, hypothèses, financement, scénario, prêts, indice du prêt d'équilibre)."""
    from types import SimpleNamespace

    clefs = parts(SimpleNamespace(loyers_par_logement=e.lignes, hypotheses=e.hypotheses))
    subventions = [(f, s) for f, s in zip((f for f in e.financement if f.nature == "subvention"), e.scenario.subventions)]
    solde = e.indice_solde
    m = principaux.shape[0]
    k0 = principaux[:, solde] if solde is not None else np.zeros(m)
    sortie = {}
    for p, part in clefs.items():
        ressources = sum(f.montant * _affecte(produit_subvention(s), p, part) for f, s in subventions if not f.inconnue)
        ressources += e.scenario.fonds_propres.montant * part["surface"]
        autres_prets = np.zeros(m)
        for i, pr in enumerate(e.prets):
            if i != solde:
                autres_prets = autres_prets + principaux[:, i] * _affecte(pr.produit, p, part)
        autres = ressources + autres_prets
        pr_p = prix_de_revient * part["surface"]
        if solde is None:
            part_pret = np.zeros(m)
        elif e.prets[solde].produit is not None:
            part_pret = np.full(m, _affecte(e.prets[solde].produit, p, part))
        else:
            part_pret = np.where(k0 > 0, (pr_p - autres) / np.where(k0 > 0, k0, 1.0), part["surface"])
        parts_prets = np.empty_like(principaux)
        for i, pr in enumerate(e.prets):
            parts_prets[:, i] = part_pret if i == solde else _affecte(pr.produit, p, part)
        sortie[p] = (part, parts_prets)
    return sortie


def comptes_par_produit(b: Bilan, lignes_subventionnees: bool = True,
                        seuls: tuple[str, ...] | None = None) -> tuple[CompteProduit, ...]:
    """Le compte de chaque produit d'une opération mixte (vide si l'opération n'a qu'un produit). Le prêt
    d'équilibre sans produit revient à chaque produit pour ce qui manque à son plan : son prix de revient moins ses
    subventions, ses fonds propres et ses autres prêts ; chaque plan par produit est alors équilibré. Un prêt
    d'équilibre qui nomme son produit lui revient entier. Sans ``lignes_subventionnees``, les lignes de chaque
    produit sont celles d'avant subvention (un tableau de programme ne lit que les besoins propres) ; ``seuls`` :
    les comptes de ces seuls produits."""
    from types import SimpleNamespace

    if len(produits_presents(b.loyers_par_logement)) < 2:
        return ()
    e = SimpleNamespace(lignes=b.loyers_par_logement, hypotheses=b.hypotheses, financement=b.financement,
                        scenario=b.scenario, prets=b.prets_caracteristiques, indice_solde=b.indice_solde)
    pr_total = b.scenario.prix_de_revient.total
    reparti = repartition(e, np.array([b.principaux], dtype=float), np.array([pr_total]))
    subventions = [(f, s) for f, s in zip((f for f in b.financement if f.nature == "subvention"), b.scenario.subventions)]
    solde = b.indice_solde
    sortie = []
    for p, (part, parts_2d) in reparti.items():
        if seuls is not None and p not in seuls:
            continue
        parts_prets = [float(x) for x in parts_2d[0]]
        part_pret = 0.0 if solde is None else parts_prets[solde]
        pr_p = pr_total * part["surface"]
        inconnue = next((s for f, s in subventions if f.inconnue), None)
        s_appliquee = 0.0 if inconnue is None else b.compte.subvention * (
            _affecte(produit_subvention(inconnue), p, part) if produit_subvention(inconnue) else part_pret)
        lignes0 = _lignes_du_produit(b, p, part, parts_prets, 0.0)
        lignes = (_lignes_du_produit(b, p, part, parts_prets, s_appliquee) if s_appliquee and lignes_subventionnees
                  else lignes0)
        besoin, faisable = _besoin(b, lignes0, part_pret)
        g = [l for l in b.loyers_par_logement if l.produit == p]
        sortie.append(CompteProduit(
            produit=p, n_logements=sum(l.nombre for l in g), n_plai_adapte=sum(l.nombre for l in g if l.plai_adapte),
            part_surface=part["surface"], prix_de_revient=pr_p,
            subventions=sum(f.montant * _affecte(produit_subvention(s), p, part) for f, s in subventions
                            if not f.inconnue) + s_appliquee,
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
