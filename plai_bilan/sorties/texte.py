"""Sorties texte des commandes, à la largeur du terminal (100 colonnes hors terminal, 72 au moins).

Un tableau trop large replie ses colonnes de texte (jamais un nombre) ; s'il ne tient toujours pas, chaque ligne
devient une fiche « en-tête : valeur ». Un tableau de deux colonnes trop large devient « libellé : valeur ». Un
texte trop long revient à la ligne. Les en-têtes sont les libellés courts du catalogue.
"""

from __future__ import annotations

import math
import textwrap

from plai_bilan.bilan import LECTURE_MIXTE, NOMS_GROUPES_SIEG, Bilan, Constat
from plai_bilan.catalogue import catalogue
from plai_bilan.etudes import QUANTILES, Risque, Sensibilite, Verdict
from plai_bilan.format import compte, euros

LARGEUR = 100
LARGEUR_MIN = 72
ECART = 2  # espaces entre deux colonnes
MIN_TEXTE = 14  # une colonne de texte repliée garde au moins cette largeur


def regler_largeur(largeur: int) -> None:
    """La largeur des sorties texte (colonnes) ; jamais moins de 72."""
    global LARGEUR
    LARGEUR = max(LARGEUR_MIN, int(largeur))


def nombre(x: float, decimales: int = 0) -> str:
    return euros(x, decimales)[:-2]


def montant(x: float | None, infini: str = "infaisable") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return infini
    return euros(x)


def pct(x: float | None, decimales: int = 1) -> str:
    return "-" if x is None else f"{x:.{decimales}f} %".replace(".", ",")


def critere(code: str) -> str:
    """Le critère d'équilibre en français (catalogue), pas son identifiant."""
    return catalogue().valeurs["critere"].get(code, code)


def titre(texte: str) -> str:
    return f"\n{texte}\n{'=' * min(len(texte), LARGEUR)}"


def paragraphe(texte: str, retrait: str = "") -> str:
    """Un texte replié à la largeur du terminal, les lignes suivantes en retrait."""
    return textwrap.fill(texte, LARGEUR, subsequent_indent=retrait, break_on_hyphens=False) or texte


def _fiches(entetes: list[str], lignes: list[list[str]]) -> str:
    """Un tableau trop large pour le terminal : une fiche par ligne, la première cellule en tête, puis
    « en-tête : valeur » (deux colonnes : « libellé : valeur » sur une ligne)."""
    if len(entetes) == 2:
        return "\n".join(paragraphe(f"{l[0]} : {l[1]}" if str(l[1]).strip() else str(l[0]), "    ") for l in lignes)
    morceaux = []
    for l in lignes:
        bloc = [paragraphe(str(l[0]), "  ")]
        for h, v in zip(entetes[1:], l[1:]):
            if str(v).strip():
                bloc.append(paragraphe(f"  {h} : {v}", "      "))
        morceaux.append("\n".join(bloc))
    return "\n".join(morceaux)


def tableau(entetes: list[str], lignes: list[list[str]], alignements: str | None = None) -> str:
    """Un tableau en texte : colonnes alignées, la première à gauche, les autres à droite par défaut.

    Plus large que le terminal, il replie ses colonnes de texte (alignées à gauche), jamais un nombre ; s'il ne tient
    toujours pas, il devient une suite de fiches (_fiches).
    """
    alignements = alignements or "<" + ">" * (len(entetes) - 1)
    largeurs = [max(len(str(x)) for x in [h] + [l[i] for l in lignes]) for i, h in enumerate(entetes)]
    # Les en-têtes se replient aussi : un mot au moins par ligne.
    mots = [max([len(m) for m in str(h).split()] or [1]) for h in entetes]
    contenu = [max([len(str(l[i])) for l in lignes] or [0]) for i in range(len(entetes))]
    w = [max(c, m) for c, m in zip(contenu, mots)]
    w = [min(x, y) for x, y in zip(w, largeurs)]
    total = sum(w) + ECART * (len(w) - 1)
    if len(entetes) == 2 and total > LARGEUR and LARGEUR < 100:
        return _fiches(entetes, lignes)  # « libellé : valeur », plus lisible qu'un libellé replié
    texte = [i for i, a in enumerate(alignements) if a == "<"]
    while total > LARGEUR and texte:
        j = max(texte, key=lambda k: w[k])
        if w[j] <= MIN_TEXTE:
            break
        retrait = min(total - LARGEUR, w[j] - MIN_TEXTE)
        w[j] -= retrait
        total -= retrait
    if total > LARGEUR:
        return _fiches(entetes, lignes)

    def rendre(cellules: list[str]) -> list[str]:
        colonnes = [textwrap.wrap(str(cellules[j]), w[j], break_on_hyphens=False, break_long_words=True) or [""]
                    for j in range(len(entetes))]
        n = max(len(c) for c in colonnes)
        return [(" " * ECART).join(f"{(c[k] if k < len(c) else ''):{alignements[j]}{w[j]}}"
                                   for j, c in enumerate(colonnes)).rstrip() for k in range(n)]

    sep = (" " * ECART).join("-" * x for x in w)
    corps = rendre(entetes) + [sep]
    for l in lignes:
        corps += rendre(l)
    return "\n".join(corps)


def controles(constats: tuple[Constat, ...] | list[Constat]) -> str:
    symboles = catalogue().valeurs["statut"]
    lignes = []
    for c in constats:
        lignes.append(paragraphe(f"{symboles.get(c.statut, '')} {c.libelle}", "     "))
        lignes.append(paragraphe(f"      {c.detail}", "      "))
    return "\n".join(lignes)


def _loyers(b: Bilan) -> str:
    foyer = b.scenario.operation.produit == "foyer"
    c = catalogue()
    mixte = len({lg.produit for lg in b.loyers_par_logement}) > 1
    lignes = [[lg.typologie or "-", *([lg.produit] if mixte else []), str(lg.nombre), nombre(lg.surface_utile, 2),
               "oui" if lg.plai_adapte else "non",
               lg.menage or "-", nombre(lg.plafond_loyer, 2), "-" if lg.plafond_apl is None else nombre(lg.plafond_apl, 2),
               nombre(lg.loyer, 2), nombre(lg.loyer_accessoire, 2), lg.origine] for lg in b.loyers_par_logement]
    entetes = [c.court(k) for k in ("typologie", *(("produit",) if mixte else ()), "nombre", "surface_utile",
                                    "plai_adapte", "menage")]
    entetes += ["Redev. max" if foyer else c.court("plafond_loyer"), "Équiv. APL" if foyer else c.court("plafond_apl"),
                "Redevance" if foyer else c.court("loyer"), c.court("loyer_accessoire"), c.court("origine")]
    entete_op = ""
    etapes = b.revalorisation.etapes
    if etapes:
        chaine = " ; ".join(f"{a} {x:+.2%} ({s})" for a, x, s in etapes).replace(".", ",").replace("%", " %")
        entete_op += paragraphe(f"Plafonds de l'année 1 ({b.scenario.operation.mise_en_service}) : loyers maximaux "
                                f"revalorisés depuis l'agrément, x {b.revalorisation.facteur:.4f} ({chaine})"
                                .replace(".", ",", 1) + (f" ; plafonds APL : {b.revalorisations_apl_supposees} "
                                "revalorisation(s) projetée(s) par l'hypothèse" if b.revalorisations_apl_supposees
                                else " ; plafonds APL en vigueur au 1er janvier de l'année 1"), "  ") + "\n"
    if b.coefficient_structure is not None:
        lm = f"LMzone à l'agrément {nombre(b.lmzone, 2)} €/m2, " if b.lmzone is not None else ""
        entete_op += paragraphe(f"{lm}CS {b.coefficient_structure:.4f}, plafond PLAI de l'opération "
                                f"{nombre(b.plafond_plai_m2, 4)} €/m2 SU/mois".replace(".", ","), "  ") + "\n"
        autres = [f"{p} {nombre(v, 4)}" for p, v in b.plafonds_m2.items() if p != "PLAI"]
        if autres:
            entete_op += paragraphe("Plafonds des autres produits (€/m2 SU/mois, même CS) : " + ", ".join(autres),
                                    "  ") + "\n"
    return entete_op + tableau(entetes, lignes, "<" + ("<" if mixte else "") + ">>><>>>><")


def _produits(b: Bilan) -> list[str]:
    """Opération mixte : le plan et le compte de chaque produit (somme : l'opération)."""
    if not b.produits:
        return []
    lignes = [[p.produit, str(p.n_logements), pct(p.part_surface * 100), montant(p.prix_de_revient),
               montant(p.subventions), montant(p.prets), montant(p.lignes["loyers"][0]),
               montant(p.autofinancement[0]), montant(float(p.tresorerie.min())),
               "-" if p.besoin_propre is None else montant(p.besoin_propre) if p.besoin_propre_faisable
               else "infaisable"] for p in b.produits]
    sortie = [titre("Comptes par produit (opération mixte)"),
            tableau(["Produit", "Logts", "Part SU", "Prix de revient", "Subventions", "Prêts", "Loyers an 1",
                     "Autofin. an 1", "Trés. min", "Besoin propre"], lignes, "<>>>>>>>>>"),
            paragraphe("Clés : loyers, accessoires et RLS de ses lignes ; charges par logement, par PLAI adapté ou en "
                       "% des loyers selon leur assiette ; prêts et subventions qui nomment leur produit (PLAI de "
                       "l'État et PLAI adapté : le PLAI) ; le reste par la part de surface utile ; le prêt d'équilibre "
                       "pour ce qui manque au plan de chaque produit. Besoin propre : la subvention qui équilibre le "
                       "seul compte du produit. La somme des produits est l'opération.")]
    for p in b.produits:
        if p.prets < -0.005:
            sortie.append(paragraphe(f"{p.produit} : la subvention appliquée dépasse sa part du prêt d'équilibre de "
                                     f"{montant(-p.prets)} (prêts négatifs) : à l'équilibre global, elle finance aussi "
                                     "le déficit des autres produits."))
    return sortie + [""]


def _lecture_mixte(b: Bilan) -> list[str]:
    """Opération mixte : S*, G, C et J sur l'équilibre global et sur la part PLAI seule, et la lecture retenue."""
    lp = b.lecture_part_plai
    if lp is None:
        return []
    lignes = [[quoi, montant(g, "infaisable"), montant(lp[cle], "infaisable")] for quoi, cle, g in (
        ("Besoin S*", "subvention_minimale", b.subvention_minimale),
        ("En PLAI ordinaire G", "subvention_plai_ordinaire", b.subvention_plai_ordinaire),
        ("Contreparties C = S* - G", "cout_contreparties", b.cout_contreparties),
        ("Justifiable min(S*, C)", "subvention_justifiable", b.subvention_justifiable))]
    return [titre("Opération mixte : deux lectures de l'équilibre"),
            tableau(["", "Équilibre global", "Part PLAI seule"], lignes, "<>>"),
            paragraphe("Lecture retenue : " + LECTURE_MIXTE + "."), ""]


def _financement(b: Bilan, inconnue: float | None = None) -> str:
    pr = b.prix_de_revient
    lignes = []
    for f in b.financement:
        m, libelle = f.montant, f.libelle
        if f.inconnue:
            libelle += " (à calculer)"
            if inconnue is not None:
                m = inconnue
        if f.nature == "pret" and f.mode == "solde":
            libelle += " (prêt d'équilibre)"
            if inconnue is not None:
                m = f.montant - inconnue
        lignes.append([libelle, nombre(m), f"{m / pr:.1%}".replace(".", ",").replace("%", " %")])
    lignes.append(["Prix de revient", nombre(pr), "100,0 %"])
    return tableau(["Ressource", "Montant €", "Part"], lignes)


def _compte(b: Bilan) -> str:
    c = catalogue()
    cles = ("annee", "annee_civile", "loyers", "financement_accompagnement", "charges", "annuites",
            "remuneration_fonds_propres", "autofinancement", "tresorerie")
    cols = b.compte_zero.colonnes()
    lignes = [[str(int(cols[k][j])) if k in ("annee", "annee_civile") else nombre(cols[k][j]) for k in cles]
              for j in range(b.horizon)]
    return tableau([c.court(k) for k in cles], lignes)


def _prets(b: Bilan) -> str:
    lignes = []
    for pr, p in zip(b.prets_caracteristiques, b.compte_zero.prets):
        taux = ("fixe " + nombre(pr.taux_fixe * 100, 2) + " %") if pr.index == "fixe" else (
            f"LA {'+' if pr.marge >= 0 else '-'} {nombre(abs(pr.marge) * 100, 2)} pt")
        lignes.append([pr.nom, nombre(p.capital_initial), str(pr.duree), taux, nombre(p.taux[0] * 100, 2) + " %",
                       nombre(p.echeances[0]), nombre(p.interets.sum()), nombre(p.capital_restant_du[-1])])
    return tableau(["Prêt", "Capital €", "Durée", "Taux", "Taux an 1", "Échéance an 1", "Intérêts totaux",
                    "CRD horizon"], lignes)


def _entete_operation(b: Bilan, suite: str) -> list[str]:
    sc = b.scenario
    return [paragraphe(sc.operation.nom),
            paragraphe(f"{compte(b.n_logements, 'logement')}{b.repartition_produits} dont "
                       f"{compte(b.n_plai_adapte, 'PLAI adapté', 'PLAI adaptés')} ; {suite}"),
            paragraphe(f"Agrément du {sc.operation.date_agrement.strftime('%d/%m/%Y')} ; "
                       f"{b.provenance.baremes_connus()}")]


def simulation(b: Bilan) -> str:
    sc = b.scenario
    morceaux = _entete_operation(b, f"mise en service {sc.operation.mise_en_service} ; horizon {b.horizon} ans ; "
                                    "subvention à calculer comptée pour 0")
    morceaux.append(f"Prix de revient : {euros(b.prix_de_revient)} TTC, {euros(b.prix_de_revient_ht)} HT, TVA "
                    f"{euros(b.tva_prix_de_revient)}")
    morceaux += [titre("Loyers (euros par mois et par logement)"), _loyers(b),
                 titre("Plan de financement"), _financement(b),
                 titre("Emprunts"), _prets(b),
                 titre("Compte d'exploitation (euros)"), _compte(b), *_produits(b)]
    if b.compte_zero.van is not None:
        morceaux.append(f"\nVAN de l'autofinancement : {euros(b.compte_zero.van)}")
    morceaux += [titre("Contrôles"), controles(b.controles)]
    return "\n".join(morceaux) + "\n"


def subvention(b: Bilan) -> str:
    sc = b.scenario
    t_min, annee_min = b.tresorerie_minimale
    m = _entete_operation(b, f"prix de revient {euros(b.prix_de_revient)} TTC ({euros(b.prix_de_revient_ht)} HT, "
                             f"TVA {euros(b.tva_prix_de_revient)}) ; horizon {b.horizon} ans")
    m += [paragraphe(f"Critère : {critere(b.critere)}"), ""]
    if b.faisable:
        s = b.subvention_minimale
        m.append(f"Subvention d'équilibre (tout l'écart de financement) : {euros(s)}")
        m.append(f"  par logement : {euros(b.subvention_minimale_par_logement)}")
        m.append("  année critique : " + (f"{b.annee_critique} ({sc.operation.mise_en_service + b.annee_critique - 1})"
                                          if b.annee_critique else "aucune (l'opération s'équilibre sans subvention)"
                                          if s == 0 else "sans objet (critère VAN)"))
        m.append(f"Prêt d'équilibre : {euros(b.pret_equilibre_initial)} sans subvention, {euros(b.pret_equilibre)} avec")
        r = b.sieg.corridor if b.sieg is not None else None
        if r is not None:
            m.append(paragraphe(f"Corridor de la subvention : de {euros(r.minimum)} (équilibre) à {euros(r.maximum)} ("
                                + ("sans surcompensation, SIEG" if r.contrainte_maximum == "surcompensation" else
                                   "le prêt d'équilibre entièrement remplacé") + ")"
                                + ("" if r.ouvert else " : corridor vide, l'équilibre surcompense l'opération")
                                + " ; détail : plai-bilan sieg"))
    else:
        m.append("Aucune subvention n'équilibre l'opération.")
        m.append(paragraphe(f"Motif : {b.motif}", "  "))
        if b.annees_deficit:
            m.append("Déficit structurel (années et montants au critère) :")
            for a, v in b.annees_deficit[:10]:
                m.append(f"  année {a} : {euros(v)}")
            if len(b.annees_deficit) > 10:
                m.append(f"  ... et {len(b.annees_deficit) - 10} autres années")
        if b.diagnostic is not None:
            m += [titre("Diagnostic et leviers"), *diagnostic(b)]
    if b.loyer_equilibre_m2 is not None:
        m.append(paragraphe(f"Loyer d'équilibre sans la subvention : {nombre(b.loyer_equilibre_m2, 2)} €/m2 SU/mois"
                            + (f" (plafond PLAI de l'opération : {nombre(b.plafond_plai_m2, 2)} €/m2)"
                               if b.plafond_plai_m2 is not None else ""), "  "))
    if b.n_plai_adapte and b.faisable:
        m += [titre("Ce que paie la subvention PLAI adapté"),
              tableau(["Élément", "Montant"], lignes_besoin(b), "<>"),
              paragraphe("La subvention d'équilibre finance tout l'écart de financement de l'opération ; la subvention "
                         "PLAI adapté n'en paie que le coût des contreparties sociales (loyers plus bas, GLA, "
                         "accompagnement). Le reste doit venir du PLAI de droit commun, des collectivités, d'Action "
                         "Logement ou des fonds propres (programme FNAP, III)."), ""]
    m += _lecture_mixte(b) + _produits(b)
    m.append(f"Trésorerie cumulée la plus basse : {euros(t_min)} en année {annee_min}")
    m += [titre("Plan de financement avec la subvention d'équilibre"),
          _financement(b, b.subvention_minimale if b.faisable else None),
          titre("Contrôles"), controles(b.controles)]
    return "\n".join(m) + "\n"


def lignes_besoin(b: Bilan, decimales: int = 0) -> list[list[str]]:
    """S*, G, C et sa décomposition, montant justifiable et besoin hors contreparties, en lignes de tableau."""
    c = catalogue()

    def montant(x: float | None) -> str:
        return "-" if x is None else euros(x, decimales)

    lignes = [["Besoin de financement de l'opération (S*)", montant(b.subvention_minimale)],
              ["Même opération en PLAI ordinaire (G)", montant(b.subvention_plai_ordinaire)],
              ["Coût des contreparties sociales (C = S* - G)", montant(b.cout_contreparties)]]
    noms = c.valeurs["cause"]
    for cause, valeur in (b.contreparties or {}).items():
        lignes.append([f"  dont {noms.get(cause, c.libelle(cause))}", montant(valeur)])
    lignes += [["Subvention PLAI adapté justifiable (min(S*, C))", montant(b.subvention_justifiable)],
               ["Besoin hors contreparties (autres financeurs)", montant(b.besoin_hors_contreparties)]]
    if b.reference_fnap:
        lignes.append(["Valeur de référence FNAP", f"{euros(b.reference_fnap)} ({euros(b.reference_fnap_par_logement)}"
                       f" x {b.n_plai_adapte})"])
    return lignes


def diagnostic(b: Bilan) -> list[str]:
    """Les leviers d'une opération infaisable, en phrases."""
    d = b.diagnostic
    m = []
    if d.capacite_emprunt is None:
        m.append(paragraphe("- Des années en déficit tombent hors des échéances du prêt d'équilibre : aucune "
                            "subvention qui le remplace ne peut les combler.", "  "))
    else:
        m.append(paragraphe(f"- Capacité d'emprunt : le compte ne porte pas de prêt d'équilibre ; même sans lui, il "
                            f"manque {euros(d.manque)} au critère (le prêt d'équilibre sans subvention vaut "
                            f"{euros(b.pret_equilibre_initial)}).", "  ") if d.capacite_emprunt < 0 else
                 paragraphe(f"- Capacité d'emprunt : {euros(d.capacite_emprunt)} de prêt d'équilibre au plus.", "  "))
    for nom, capital, besoin, suffit in d.prets:
        if besoin is None:
            m.append(paragraphe(f"- Remplacer aussi le prêt « {nom} » ({euros(capital)}) ne suffirait pas : ses "
                                "échéances ne tombent pas sur les années en déficit.", "  "))
        else:
            m.append(paragraphe(
                f"- Avec le prêt « {nom} » ({euros(capital)}) : une subvention ou des fonds propres de {euros(besoin)} "
                f"remplaçant le prêt d'équilibre entier et {euros(besoin - b.pret_equilibre_initial)} de ce prêt "
                + ("équilibreraient l'opération." if suffit else "n'y suffiraient pas (au-delà de son capital)."),
                "  "))
    if d.charges_plus_rapides:
        m.append(paragraphe("- Les charges sont indexées plus vite que les loyers : le déficit grandit avec le temps ; "
                            "revoir les charges de fin de période ou l'horizon (analyse.duree).", "  "))
    if d.annees_sans_pret:
        m.append(paragraphe("- Des déficits tombent après la dernière échéance de tous les prêts : seuls les loyers, "
                            "les charges ou la trésorerie initiale peuvent les combler.", "  "))
    return m


def verdict(v: Verdict) -> str:
    b = v.bilan
    lignes = [["Subvention instruite", v.financeur],
              ["Montant demandé", euros(v.demande, 2)]] + lignes_besoin(b, 2)
    if b.reference_fnap:
        lignes.append(["Demande / référence FNAP", pct(v.demande / b.reference_fnap * 100, 0)])
    if v.subvention_maximale is not None:
        lignes.append(["Subvention maximale sans surcompensation (SIEG)", euros(v.subvention_maximale, 2)
                       + (" : DEMANDE AU-DESSUS" if v.au_dessus_du_maximum else "")])
    m = [paragraphe(b.scenario.operation.nom), paragraphe(f"Critère : {critere(b.critere)} ; horizon {b.horizon} ans ; "
                                                          f"tolérance {euros(v.tolerance, 2)}"), "", tableau(["Élément", "Valeur"], lignes, "<>"), "",
         f"VERDICT : {v.libelle}", paragraphe(f"  {v.raison[0].upper() + v.raison[1:]}.", "  ")]
    m += _lecture_mixte(b)
    m.append(titre("Critères d'éligibilité du FNAP et contrôles"))
    m.append(tableau(["Statut", "Critère", "Contrôle"], [[c.statut, c.code, c.libelle] for c in b.controles], "<<<"))
    cofin = [c for c in b.controles if c.code == "cofinancements"]
    if cofin:
        m.append(titre("Cofinancements comptés par le plan"))
        m.append(paragraphe(cofin[0].detail))
    montage = [c for c in b.controles if c.code == "montage"]
    if montage:
        m.append(titre("Montage financier"))
        m.append(paragraphe(montage[0].detail[0].upper() + montage[0].detail[1:] + "."))
    return "\n".join(m) + "\n"


def menages(vue) -> str:
    """La section « Ménages » ajoutée au texte d'une commande (vide sans --menages)."""
    if vue is None:
        return ""
    m = [titre("Ménages : quittance, aide au logement et reste à charge (euros par mois, année 1)")]
    if not vue.disponible:
        return "\n".join(m + [paragraphe(vue.message[0].upper() + vue.message[1:] + ".")]) + "\n"
    prestations = any(l.prestations for l in vue.lignes)
    m.append(tableau(["Logement", "Ménage", "Ressources/an", "Loyer", "RLS", "Charges"]
                     + (["Prestations"] if prestations else []) + ["Quittance", "APL",
                      "Reste à charge", "Effort", "Reste pour vivre"],
                     [[l.typologie + (f" ({l.produit})" if len({x.produit for x in vue.lignes}) > 1 else ""),
                       l.menage, euros(l.ressources), euros(l.loyer, 2), euros(l.reduction_loyer_solidarite, 2),
                       euros(l.charges, 2) + ("*" if l.charges_origine.startswith("forfait") else "")]
                      + ([euros(l.prestations, 2)] if prestations else []) + [
                       euros(l.quittance, 2), euros(l.apl), euros(l.reste_a_charge, 2),
                       "-" if l.taux_effort is None else pct(l.taux_effort * 100, 1),
                       "-" if l.reste_pour_vivre is None else euros(l.reste_pour_vivre)] for l in vue.lignes],
                     "<<>>>>" + (">" if prestations else "") + ">>>>>"))
    m.append(paragraphe(f"Calculé par openfisca-france {vue.openfisca_version} pour {vue.periode}, ménage "
                        f"{vue.statut_locataire} ; ressources prises en compte pour l'aide : {vue.ressources_origine}"
                        ". Taux d'effort et reste pour vivre sur le revenu "
                        "total du ménage (menage.revenu_total, prestations comprises) quand il est déclaré."
                        + (" * Charges : le forfait de charges APL, pas une estimation des charges du logement "
                           "(charges_locatives)." if any(l.charges_origine.startswith("forfait") for l in vue.lignes)
                           else "")))
    if vue.constats:
        m += ["", controles(vue.constats)]
    return "\n".join(m) + "\n"


def sieg(b: Bilan) -> str:
    """Le contrôle de surcompensation (plai-bilan sieg)."""
    c = b.sieg
    h = c.hypotheses
    m = _entete_operation(b, f"période d'analyse {h.duree} ans ; valeurs actuelles à la mise en service au taux "
                             f"de {pct(h.taux_actualisation * 100, 2)}")
    taux = ("un seul taux pour tous les flux, l'avantage des prêts compris" if h.taux_unique else
            f"CHOIX DÉCLARÉ : l'avantage des prêts au taux de marché saisi {pct(h.taux_marche * 100, 2)}, les autres "
            f"flux à {pct(h.taux_actualisation * 100, 2)}")
    vr = {"comptable": "comptable hors taxes (foncier, bâti non amorti)", "nulle": "nulle"}.get(
        h.valeur_residuelle, f"saisie {euros(h.valeur_residuelle) if not isinstance(h.valeur_residuelle, str) else ''}")
    if h.droit != "propriete":
        vr = f"nulle (droit temporaire : {h.droit})"
    m.append(paragraphe(f"Taux de swap {pct(h.taux_swap * 100, 2)} (maturité {h.duree} ans), bénéfice raisonnable "
                        f"{pct(h.taux_benefice * 100, 2)} (swap + 100 points de base) ; {taux} ; valeur résiduelle "
                        f"{vr} ; subvention à calculer retenue : {euros(c.subvention)}"))
    m += [titre("Prix de revient"), tableau(["Poste", "HT", "TVA", "Taux", "TTC"], [
        [p.libelle, euros(p.ht), euros(p.tva), pct(p.taux_tva * 100, 1), euros(p.ttc)]
        for p in b.postes_prix_de_revient] + [["Total", euros(b.prix_de_revient_ht), euros(b.tva_prix_de_revient), "",
                                               euros(b.prix_de_revient)]], "<>>>>")]
    lignes = [[p.libelle, euros(p.valeur)] for p in c.postes]
    lignes[3:3] = [["Coût brut", euros(c.cout_brut)]]
    lignes[5:5] = [["Coût net", euros(c.cout_net)]]
    lignes.insert(-1, ["Compensation totale", euros(c.compensation)])
    lignes += [["Marge : coût net + bénéfice - compensation", euros(c.marge)]]
    m += [titre("Coût net, compensations et bénéfice raisonnable (valeurs actuelles)"),
          tableau(["Élément", "Montant"], lignes, "<>")]
    if c.avantages_prets:
        m += ["", tableau(["Prêt", "Avantage de taux"], [[n, euros(a)] for n, a in c.avantages_prets], "<>")]
    m += ["", f"VERDICT SIEG : {c.libelle_verdict}"]
    m.append(paragraphe("  " + (f"Marge {euros(c.marge)} : la compensation ne dépasse pas le coût net et le bénéfice "
                                "raisonnable." if c.marge >= 0 else
                                f"Marge {euros(c.marge)} : la compensation dépasse de {euros(c.surcompensation)} le coût "
                                "net et le bénéfice raisonnable (contrôle prospectif à l'agrément : aucun report de "
                                "l'art. 6, 2, qui vise les contrôles périodiques)."), "  "))
    r = c.corridor
    if r is not None:
        m += [titre("Corridor de la subvention à calculer"),
              tableau(["Borne", "Montant", "Ce qui la fixe"], [
                  ["Minimum (équilibre)", montant(r.minimum), "aucune subvention n'équilibre" if r.minimum is None
                   else r.contrainte_minimum.replace("equilibre_annee_", "critère d'équilibre, année ")],
                  ["Équilibre en valeur actuelle", montant(r.minimum_van),
                   f"VAN nulle au taux du contrôle ({pct(h.taux_actualisation * 100, 2)}), métrique du maximum"],
                  ["Maximum", euros(r.maximum), "marge de surcompensation nulle"
                   if r.contrainte_maximum == "surcompensation" else "prêt d'équilibre entièrement remplacé"]], "<><"),
              paragraphe(f"La marge est affine en la subvention : chaque euro de plus la réduit de "
                         f"{nombre(1 - r.avantage_unitaire, 4)} € (1 € de subvention moins {nombre(r.avantage_unitaire, 4)} "
                         "€ d'avantage de taux du prêt d'équilibre qu'il remplace)."
                         + ("" if r.ouvert or r.cause is None else f" Corridor vide : {r.cause}."))]
        if r.identite is not None:
            i = r.identite
            termes = [("fonds propres", i["fonds_propres"]), ("bénéfice raisonnable", i["benefice_raisonnable"]),
                      ("valeur résiduelle", i["valeur_residuelle"]), ("décote foncière", i["rabais_foncier"]),
                      ("garanties", i["garanties"]), ("rémunération des fonds propres", i["remuneration_fonds_propres"]),
                      ("préfinancement", i["prefinancement"])]
            texte = " ".join(f"{'+' if x >= 0 else '-'} {euros(abs(x))} ({nom})" for nom, x in termes if abs(x) >= 0.5)
            m.append(paragraphe(f"À l'équilibre en valeur actuelle, la marge vaut {euros(i['marge_equilibre_va'])}"
                                + (f" = {texte.lstrip('+ ')}" if i["applicable"] else
                                   " (l'identité terme à terme suppose un seul taux et une période couvrant chaque "
                                   "prêt)") + " : elle ne dépend pas de la subvention."))
    if c.produits:
        m += [titre("Par produit (individualisation)"), tableau(
            ["Produit", "Part de SU", "Coût net", "Compensation", "Bénéfice", "Marge"],
            [[NOMS_GROUPES_SIEG[p.produit], pct(p.part_surface * 100, 1), euros(p.cout_net),
              euros(p.compensation), euros(p.benefice_raisonnable), euros(p.marge)] for p in c.produits], "<>>>>>"),
              paragraphe("Clé : la part de surface utile, sauf les loyers (leur assiette), la GLA, l'accompagnement et "
                         "les subventions propres au PLAI adapté ou de nature fnap_plai_adapte (la subvention à "
                         "calculer comprise), imputés au PLAI adapté (docs/sieg.md).")]
    estimations = [v for v in h.sources if v.statut == "E"]
    if estimations:
        m.append(paragraphe("\nAttention : le taux de swap par défaut est une ESTIMATION (swap_eur.toml) : donnez la "
                            "cotation du jour dans [sieg] (taux_swap_pct)."))
    return "\n".join(m) + "\n"


def _valeur(x, unite: str) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "oui" if x else "non"
    if unite == "€":
        return euros(x)
    if unite in ("€/m²/mois", "€/mois"):
        return nombre(x, 2)
    if unite in ("nombre", "m²"):
        return nombre(x, 0 if float(x).is_integer() else 2)
    return str(x)


def comparaison(bilans: list[Bilan]) -> str:
    c = catalogue()
    cols = [b.indicateurs() for b in bilans]
    entetes = ["Indicateur"] + [f"({i + 1})" for i in range(len(cols))]
    lignes = [[c.libelle(k)] + [c.valeurs["nature"].get(col[k], col[k]) if k == "nature" else _valeur(col[k], c[k].unite)
                                for col in cols] for k in c.document("indicateurs")]
    legende = "\n".join(paragraphe(f"({i + 1}) {b.scenario.operation.nom} - {b.scenario.fichier}", "    ")
                        for i, b in enumerate(bilans))
    return legende + "\n\n" + tableau(entetes, lignes) + "\n"


def _valeur_hyp(x: float | None, unite: str) -> str:
    if x is None:
        return "-"
    if unite == "€":
        return euros(x)
    if unite == "années":
        return f"{x:.0f} ans"
    return f"{nombre(x, 2)} {unite}"


def sensibilite(s: Sensibilite) -> str:
    lignes = []
    for l in s.triees():
        def seuil(x):
            return _valeur_hyp(x, l.unite) if x is not None else "hors plage"

        lignes.append([l.libelle, _valeur_hyp(l.base, l.unite), _valeur_hyp(l.basse, l.unite),
                       montant(l.subvention_basse), _valeur_hyp(l.haute, l.unite), montant(l.subvention_haute),
                       seuil(l.bascule), seuil(l.rupture),
                       f"[{_valeur_hyp(l.plage[0], l.unite)} ; {_valeur_hyp(l.plage[1], l.unite)}]"])
    tete = ("\n" + paragraphe(f"Subvention d'équilibre de référence : {montant(s.subvention_base)} (critère : "
                              f"{critere(s.critere)})") + "\n\n"
            if s.faisable else "\n" + paragraphe(
                "Aucune subvention n'équilibre l'opération telle qu'elle est décrite : la sensibilité de la subvention "
                "n'a de sens qu'à partir des valeurs de rupture ci-dessous (voir le diagnostic de plai-bilan "
                "subvention).") + "\n\n")
    return (paragraphe(s.nom) + tete
            + tableau(["Hypothèse", "Base", "Basse", "S* basse", "Haute", "S* haute", "Bascule (S* = 0)",
                       "Rupture", "Plage explorée"], lignes, "<>>>>>>><") + "\n\n" +
            paragraphe("Les autres hypothèses restant inchangées : bascule, valeur à laquelle l'opération s'équilibre "
                       "sans subvention ; rupture, dernière valeur à laquelle une subvention suffit encore ; « hors "
                       "plage » : pas de tel seuil dans la plage explorée.") + "\n")


def risque(r: Risque) -> str:
    def besoin(t) -> str:
        if t.faisable:
            return euros(t.subvention_minimale)
        return "infaisable" + ("" if t.besoin_brut is None else f" (besoin {euros(t.besoin_brut)})")

    d = r.distribution
    lignes = [[t.nom, t.libelle, " ".join(nombre(x * 100, 2) for x in t.taux[:5]) + " ...", besoin(t),
               pct(d.plus_severe_que(t.subvention_minimale if t.faisable else None) * 100, 1)]
              for t in r.trajectoires]
    m = [paragraphe(r.nom), paragraphe(f"Critère : {critere(r.critere)} ; horizon {r.horizon} ans ; prêt d'équilibre sans "
                                      f"subvention {euros(r.pret_equilibre_initial)} (au-delà, aucune subvention ne "
                                      "suffit : « infaisable »)"), "",
         "Trajectoires de résistance", tableau(["Trajectoire", "Description", "Livret A années 1-5 (%)",
                                                "Subvention d'équilibre", "Plus sévère que"], lignes, "<<<>>"),
         paragraphe("« Plus sévère que » : la part des trajectoires aléatoires qui demandent moins (une trajectoire "
                    "infaisable dépasse toutes les trajectoires aléatoires faisables). Le modèle aléatoire revient "
                    "vers sa moyenne de long terme : une hausse durable de plusieurs points y est rare, ce que les "
                    "trajectoires de résistance mesurent à part."), "",
         f"Modèle aléatoire : {d.n} trajectoires, graine {d.graine}"]
    q = [[f"P{round(p * 100)}", montant(d.quantile(p))] for p in QUANTILES]
    q.append(["Subvention qui équilibre 90 % des trajectoires", montant(d.quantile(0.9))])
    q.append(["Trajectoires sans subvention suffisante", pct(d.part_infaisable * 100)])
    m.append(tableau(["Statistique", "Valeur"], q, "<>"))
    return "\n".join(m) + "\n"


REVISABILITES_FR = {"simple": "simple", "double": "double", "double_limitee": "double limitée"}


def valeur_levier(cle: str, v) -> str:
    """La valeur d'un levier du plan, lisible : durée en ans, progressivité en %, montant en euros."""
    if v is None:
        return "-"
    if cle.endswith(".duree") or cle.endswith(".differe_amortissement"):
        return f"{v} ans" if v != 1 else "1 an"
    if cle.endswith(".progressivite_pct"):
        return ("+" if v > 0 else "") + nombre(v, 2) + " %"
    if cle.endswith(".revisabilite"):
        return REVISABILITES_FR.get(v, v)
    return euros(v)


def optimisation(o) -> str:
    """``plai-bilan optimiser`` : le plan du fichier et le plan optimisé, l'économie et l'effet de chaque levier."""
    objectif = ("la subvention d'équilibre (S*) la plus basse" if o.objectif == "subvention" else
                "la subvention PLAI adapté justifiable (J = min(S*, C)) la plus basse, puis S*")
    m = [paragraphe(f"Optimisation du montage : {o.nom}"),
         paragraphe(f"Objectif : {objectif}. Cadre : horizon fixé à {o.horizon} ans ; chaque prêt CDC dans les règles "
                    f"des fiches à la date d'agrément ({o.regles}) ; aucun prêt au-delà de l'horizon."
                    + (f" {o.inconnue[0].upper() + o.inconnue[1:]}." if o.inconnue else "")
                    + (" Engagements tenus sur l'horizon : " + " ; ".join(o.engagements_prolonges) + "."
                       if o.engagements_prolonges else "")), ""]
    lignes = [["Subvention d'équilibre (S*), plan du fichier", montant(o.subvention_fichier)],
              ["Subvention d'équilibre (S*), plan optimisé", montant(o.subvention_optimisee)],
              ["Subvention évitable", montant(o.economie) if math.isfinite(o.subvention_optimisee) else "-"]]
    if o.justifiable_fichier is not None and o.justifiable_optimisee is not None:
        lignes += [["Subvention PLAI adapté justifiable (J), plan du fichier", euros(o.justifiable_fichier)],
                   ["Subvention PLAI adapté justifiable (J), plan optimisé", euros(o.justifiable_optimisee)]]
    m.append(tableau(["Élément", "Montant"], lignes, "<>"))
    changes = o.leviers_changes
    if changes:
        m += ["", titre("Leviers du plan optimisé"),
              tableau(["Levier", "Fichier", "Optimisé", "Effet seul"],
                      [[l.libelle, valeur_levier(l.cle, l.valeur_fichier), valeur_levier(l.cle, l.valeur_optimisee),
                        "-" if l.economie_seule is None else ("-" if l.economie_seule >= 0 else "+")
                        + euros(abs(l.economie_seule))] for l in changes], "<>>>"),
              paragraphe("Effet seul : la variation de l'objectif quand ce levier seul prend sa valeur optimisée, "
                         "depuis le plan du fichier (- : une baisse). Les effets seuls ne s'additionnent pas : les "
                         "leviers agissent ensemble (prêt d'équilibre, année critique).")]
    else:
        m += ["", paragraphe("Le plan du fichier est déjà optimal sur les grilles explorées : aucun levier ne fait "
                             "baisser l'objectif de plus d'un centime.")]
    if o.hors_regles:
        m += ["", paragraphe("Valeurs du fichier hors des règles ou du cadre (ramenées dans les règles pour la "
                             "recherche) : " + " ; ".join(o.hors_regles) + ".")]
    prets = [[pr.nom, "solde" if pr.est_solde else euros(pr.montant), valeur_levier(".duree", pr.duree),
              valeur_levier(".progressivite_pct", pr.progressivite_pct),
              valeur_levier(".differe_amortissement", pr.differe_amortissement),
              valeur_levier(".revisabilite", pr.revisabilite)] for pr in o.scenario_optimise.prets]
    m += ["", titre("Prêts du plan optimisé"),
          tableau(["Prêt", "Montant", "Durée", "Progressivité", "Différé", "Révisabilité"], prets, "<>>>><"),
          paragraphe(f"Fonds propres : {euros(o.scenario_optimise.fonds_propres.montant)}. Méthode : descente par "
                     f"coordonnées sur les grilles des règles puis recherche conjointe des durées ; {o.evaluations} "
                     "plans évalués (docs/guide.md, « Optimiser le montage »). --ecrire-scenario écrit ce plan en "
                     "scénario : plai-bilan subvention le redonne au centime.")]
    return "\n".join(m) + "\n"
