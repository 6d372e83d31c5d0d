"""Implémentation de référence en boucles simples, écrite d'après model.md, indépendante du moteur vectorisé.

Elle sert de vérité indépendante : une année après l'autre, un prêt après l'autre, en flottants Python. Les
lignes simples suivent leur déclaration (lignes_compte.toml) ; leurs valeurs sont relues du scénario ici.
"""

from __future__ import annotations

from plai_bilan.catalogue import lignes_simples


def premiere_echeance(r: float, p: float, n: int) -> float:
    """f(r, p, N) par sa définition : l'inverse de la valeur actuelle de N échéances 1, 1 + p, (1 + p)^2...

    Une somme directe, sans la forme fermée du moteur (ni son cas particulier r = p).
    """
    return 1.0 / sum((1 + p) ** (k - 1) / (1 + r) ** k for k in range(1, n + 1))


def pret(principal, taux, duree, progressivite=0.0, revisabilite="double_limitee", indexe=True,
         prefinancement=0, differe=0, profil="echeance_prioritaire", horizon=None):
    """Échéancier d'un prêt : listes (échéances, intérêts, amortissements, CRD) sur l'horizon."""
    horizon = horizon or len(taux)
    crd = principal * (1 + taux[0]) ** prefinancement
    p = progressivite
    ech, itr, amo, res = [], [], [], []
    for t in range(1, horizon + 1):
        r = taux[t - 1]
        if t > 1 and indexe and revisabilite != "simple":
            p = (1 + p) * (1 + r) / (1 + taux[t - 2]) - 1
            if revisabilite == "double_limitee":
                p = max(p, 0.0)
        if t > duree:
            ech.append(0.0), itr.append(0.0), amo.append(0.0), res.append(crd)
            continue
        interet = crd * r
        n_restant = duree - t + 1
        if t <= differe:
            a = interet
        elif profil == "amortissement_constant":
            a = crd / n_restant + interet
        else:
            a = crd * premiere_echeance(r, p, n_restant)
        crd -= a - interet
        ech.append(a), itr.append(interet), amo.append(a - interet), res.append(crd)
    return ech, itr, amo, res


def _lire(objet, chemin: str) -> float:
    """La valeur d'une clé du scénario (« exploitation.gla.montant »), 0 si une table facultative manque."""
    for partie in chemin.split("."):
        objet = getattr(objet, partie, None)
        if objet is None:
            return 0.0
    return float(objet)


def valeurs(sc, entrees) -> dict[str, float]:
    """Les grandeurs que lisent les lignes simples, relues du scénario d'après le modèle (model.md 5,
    docs/modele.md) : montants par logement, assiettes, durées. La durée légale d'exonération de TFPB vient des
    paramètres (``entrees.hypotheses``), seule valeur non relue ici."""
    ex = sc.exploitation
    n = sum(lg.nombre for lg in sc.logements)
    npa = sum(lg.nombre for lg in sc.logements if lg.plai_adapte)
    fin = ex.financement_accompagnement
    # Le financement de l'accompagnement compte les PLAI adaptés s'il leur est propre (par défaut pour un logement
    # ordinaire), sinon tous les logements (par défaut pour un foyer : l'AGLS d'une pension de famille).
    propre = (fin.contrepartie if fin is not None and fin.contrepartie is not None
              else sc.operation.produit == "ordinaire")
    if ex.gros_entretien is not None:
        gros = ex.gros_entretien * n
    elif ex.gros_entretien_pct_travaux is not None:
        gros = ex.gros_entretien_pct_travaux / 100 * sc.prix_de_revient.travaux
    else:
        gros = 0.0
    exoneration = (ex.tfpb.exoneration if ex.tfpb and ex.tfpb.exoneration is not None
                   else entrees.hypotheses.tfpb_exoneration)
    v = {"n_logements": n, "n_plai_adapte": npa, "n_financement_accompagnement": npa if propre else n,
         "gros_entretien_total": gros, "charges_pct_loyers": ex.charges_pct_loyers / 100,
         "gla_duree": ex.gla.duree if ex.gla else 0, "gls_duree": ex.gls.duree if ex.gls else 0,
         "accompagnement_duree": ex.accompagnement.duree if ex.accompagnement else 0,
         "financement_accompagnement_duree": fin.duree if fin else 0,
         "tfpb_exoneration": exoneration if ex.tfpb else 0}
    for d in lignes_simples().values():
        if d.scenario:
            v[d.montant] = _lire(sc, d.scenario)
    return v


def ligne(d, v: dict[str, float], t: int, il: float, ic: float, lignes: dict[str, float]) -> float:
    """Une ligne simple l'année t, d'après sa déclaration (lignes_compte.toml) et les valeurs relues."""
    x = v[d.montant] * (lignes[d.assiette] if d.assiette_ligne else v[d.assiette] if d.assiette else 1.0)
    x *= {"charges": ic, "loyers": il, None: 1.0}[d.indexation]
    if d.pendant and t > v[d.pendant]:
        return 0.0
    if d.apres and t <= v[d.apres]:
        return 0.0
    return x


def compte(sc, entrees):
    """Compte annuel d'une opération (model.md 4, 5, 7), année par année, ligne par ligne.

    ``entrees`` fournit seulement les loyers par ligne (déjà vérifiés ailleurs), les capitaux des prêts, la
    trajectoire du livret A et la durée légale d'exonération de TFPB : le reste vient du scénario.
    """
    ex = sc.exploitation
    h = entrees.horizon
    gl, gc = ex.indexation.loyers_pct / 100, ex.indexation.charges_pct / 100
    vac, imp = ex.vacance_pct / 100, ex.impayes_pct / 100
    v = valeurs(sc, entrees)
    la = list(entrees.livret_a)
    prets = []
    for i, pr in enumerate(sc.prets):
        if pr.index == "livret_a":
            # Sans marge saisie, la marge CDC de son produit (un paramètre, lu dans ``entrees``).
            marge = pr.marge_pct / 100 if pr.marge_pct is not None else entrees.prets_caracteristiques[i].marge
            taux = [max(x + marge, 0.0) for x in la]
        else:
            taux = [pr.taux_pct / 100] * h
        prets.append(pret(float(entrees.principaux[i]), taux, pr.duree, pr.progressivite_pct / 100, pr.revisabilite,
                          pr.index == "livret_a", pr.prefinancement, pr.differe_amortissement, pr.profil, h)[0])
    fp = sc.fonds_propres
    af, treso = [], []
    cumul = sc.analyse.tresorerie_initiale
    for t in range(1, h + 1):
        il, ic = (1 + gl) ** (t - 1), (1 + gc) ** (t - 1)
        loyers = 0.0
        rls = 0.0
        for lg in entrees.loyers_par_logement:
            loyers += lg.nombre * 12 * (lg.loyer + lg.loyer_accessoire) * il * (1 - vac - imp)
            rls += lg.nombre * 12 * lg.reduction_loyer_solidarite * il * (1 - vac)
        loyers -= rls
        lignes = {"loyers": loyers}
        produits = charges = 0.0
        for d in lignes_simples().values():
            lignes[d.cle] = x = ligne(d, v, t, il, ic, lignes)
            if d.role == "produit":
                produits += x
            else:
                charges += x
        annuites = sum(e[t - 1] for e in prets)
        rem = 0.0
        if fp.remuneration and t <= fp.remuneration.duree:
            rem = fp.montant * premiere_echeance(fp.remuneration.taux_pct / 100, 0.0, fp.remuneration.duree)
        a = loyers + produits - charges - annuites - rem
        cumul += a
        af.append(a)
        treso.append(cumul)
    return af, treso


def comptes_par_produit(sc, b):
    """Le compte de chaque produit d'une opération mixte (docs/modele.md, « Opérations mixtes »), année par année,
    d'après les clés de répartition : {produit: (autofinancement, trésorerie)}, la subvention appliquée comprise.

    ``b`` fournit les loyers par ligne, les capitaux des prêts, les échéanciers de l'opération et la subvention
    appliquée ; le reste (parts, assiettes, plans) est recompté ici depuis le scénario.
    """
    ex = sc.exploitation
    h = b.horizon
    gl, gc = ex.indexation.loyers_pct / 100, ex.indexation.charges_pct / 100
    vac, imp = ex.vacance_pct / 100, ex.impayes_pct / 100
    v = valeurs(sc, b)
    lignes = b.loyers_par_logement
    produits = sorted({lg.produit for lg in lignes}, key=["PLAI", "PLUS", "PLS"].index)
    su = sum(l.nombre * l.surface_utile for l in lignes)
    n = sum(l.nombre for l in lignes)
    npa = sum(l.nombre for l in lignes if l.plai_adapte)
    fin = ex.financement_accompagnement
    propre = (fin.contrepartie if fin is not None and fin.contrepartie is not None
              else sc.operation.produit == "ordinaire")

    def produit_subvention(s):
        if s.produit is not None:
            return s.produit
        return "PLAI" if s.nature in ("etat_plai", "fnap_plai_adapte") or s.propre_au_plai_adapte else None

    solde = next((i for i, p in enumerate(sc.prets) if p.est_solde), None)
    k0 = b.principaux[solde] if solde is not None else 0.0
    montants = [f.montant for f in b.financement if f.nature == "subvention"]
    u = b.equilibre.u if b.equilibre is not None else [0.0] * h
    sortie = {}
    for p in produits:
        g = [l for l in lignes if l.produit == p]
        part_su = sum(l.nombre * l.surface_utile for l in g) / su
        n_p = sum(l.nombre for l in g)
        npa_p = sum(l.nombre for l in g if l.plai_adapte)

        def affecte(produit):
            return 1.0 if produit == p else 0.0 if produit else part_su

        pr_p = sc.prix_de_revient.total * part_su
        autres = sum(m * affecte(produit_subvention(s)) for m, s in zip(montants, sc.subventions)
                     if s.montant != "a_calculer")
        autres += sc.fonds_propres.montant * part_su
        autres += sum(b.principaux[i] * affecte(pr.produit) for i, pr in enumerate(sc.prets) if i != solde)
        if solde is None:
            part_k = 0.0
        elif sc.prets[solde].produit is not None:
            part_k = affecte(sc.prets[solde].produit)
        else:
            part_k = (pr_p - autres) / k0 if k0 > 0 else part_su
        inconnue = next((s for s in sc.subventions if s.montant == "a_calculer"), None)
        s_p = 0.0
        if inconnue is not None:
            s_p = b.compte.subvention * (affecte(produit_subvention(inconnue)) if produit_subvention(inconnue)
                                         else part_k)
        nombres = {"n_logements": n_p / n if n else 0.0, "n_plai_adapte": npa_p / npa if npa else 0.0}
        nombres["n_financement_accompagnement"] = nombres["n_plai_adapte"] if propre else nombres["n_logements"]
        af, treso = [], []
        cumul = sc.analyse.tresorerie_initiale * part_su
        for t in range(1, h + 1):
            il, ic = (1 + gl) ** (t - 1), (1 + gc) ** (t - 1)
            loyers = sum(l.nombre * 12 * (l.loyer + l.loyer_accessoire) * il * (1 - vac - imp) for l in g)
            loyers -= sum(l.nombre * 12 * l.reduction_loyer_solidarite * il * (1 - vac) for l in g)
            valeurs_ligne = {"loyers": loyers}
            produits_t = charges = 0.0
            for d in lignes_simples().values():
                x = ligne(d, v, t, il, ic, valeurs_ligne) if d.assiette_ligne else ligne(d, v, t, il, ic, {}) * (
                    part_su if d.assiette is None else nombres[d.assiette])
                if d.role == "produit":
                    produits_t += x
                else:
                    charges += x
            annuites = sum(b.compte_zero.prets[i].echeances[t - 1] * (part_k if i == solde else affecte(pr.produit))
                           for i, pr in enumerate(sc.prets)) - s_p * u[t - 1]
            rem = 0.0
            fp = sc.fonds_propres
            if fp.remuneration and t <= fp.remuneration.duree:
                rem = fp.montant * premiere_echeance(fp.remuneration.taux_pct / 100, 0.0, fp.remuneration.duree) * part_su
            a = loyers + produits_t - charges - annuites - rem
            cumul += a
            af.append(a)
            treso.append(cumul)
        sortie[p] = (af, treso)
    return sortie
