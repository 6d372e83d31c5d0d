"""Les contrôles d'un instructeur (model.md 9) : des constats, jamais des exceptions.

Ils lisent le bilan de l'opération (sans ses contrôles) et renvoient des :class:`~plai_bilan.bilan.Constat`.
Les seuils réglementaires (marge locale maximale, majorations des annexes importantes) viennent des paramètres
en vigueur à la date d'agrément (``Bilan.regles_loyers``).
"""

from __future__ import annotations

from plai_bilan.bilan import Bilan, Constat, LigneLoyer
from plai_bilan.format import euros

CONFORME, NON_CONFORME, INFORMATION, NON_VERIFIABLE = "conforme", "non conforme", "information", "non vérifiable"
TOLERANCE_LOYER = 0.005  # euros par mois


def _designation(ligne: LigneLoyer) -> str:
    nom = ligne.typologie or "logement"
    return f"{nom} ({ligne.nombre} logement{'s' if ligne.nombre > 1 else ''}, {ligne.menage or 'ménage non précisé'})"


def controler(b: Bilan) -> list[Constat]:
    """Critères d'éligibilité du FNAP (seed 001) et contrôles de cohérence de l'opération."""
    sc = b.scenario
    op = sc.operation
    hyp = b.hypotheses
    constats: list[Constat] = []
    foyer = op.produit == "foyer"

    for ligne in b.loyers_par_logement:
        if not ligne.plai_adapte:
            continue
        if foyer:
            ok = ligne.loyer <= ligne.plafond_apl + TOLERANCE_LOYER
            constats.append(Constat(
                "2.2", f"Redevance sous l'équivalence APL foyer : {_designation(ligne)}",
                CONFORME if ok else NON_CONFORME,
                f"redevance {euros(ligne.loyer, 2)} {'<=' if ok else '>'} équivalence E {euros(ligne.plafond_apl, 2)}"))
        else:
            total = ligne.loyer + ligne.loyer_accessoire
            ok = total <= ligne.plafond_apl + TOLERANCE_LOYER
            constats.append(Constat(
                "2.1", f"Loyer sous le plafond APL du ménage : {_designation(ligne)}",
                CONFORME if ok else NON_CONFORME,
                f"loyer {euros(ligne.loyer, 2)} + accessoire {euros(ligne.loyer_accessoire, 2)} = "
                f"{euros(total, 2)} {'<=' if ok else '>'} plafond APL {euros(ligne.plafond_apl, 2)}"))

    if b.n_plai_adapte > 0:
        nom = "GLS renforcée" if foyer else "gestion locative adaptée (GLA)"
        ok = hyp.gla_montant > 0 and hyp.gla_duree > 0
        detail = (f"{euros(hyp.gla_montant)} par logement PLAI adapté et par an pendant {hyp.gla_duree} ans" if ok
                  else "aucun coût de GLA dans exploitation.gla : le critère 3 du FNAP n'est pas démontré")
        constats.append(Constat("3", f"Présence d'une {nom}", CONFORME if ok else NON_CONFORME, detail))

    for ligne in b.loyers_par_logement:
        if ligne.plafond_plai != ligne.plafond_plai:  # nan : foyer sans redevance maximale
            constats.append(Constat("plafond", f"Loyer dans le plafond PLAI : {_designation(ligne)}", NON_VERIFIABLE,
                                    "pas de redevance_max pour cette ligne"))
            continue
        ok = ligne.loyer <= ligne.plafond_plai + TOLERANCE_LOYER
        quoi = "redevance maximale" if foyer else "plafond PLAI"
        constats.append(Constat("plafond", f"Loyer dans le {quoi} : {_designation(ligne)}",
                                CONFORME if ok else NON_CONFORME,
                                f"{euros(ligne.loyer, 2)} {'<=' if ok else '>'} {quoi} {euros(ligne.plafond_plai, 2)}"))

    if not foyer:
        regles = b.regles_loyers
        marge_max = regles["marge_locale_max_pct"]
        if op.marge_locale_pct > marge_max:
            constats.append(Constat("marge", f"Marge locale au plus {marge_max:g} %", NON_CONFORME,
                                    f"marge locale {op.marge_locale_pct:g} % > {marge_max:g} %"))
        if b.lmzone is None or b.coefficient_structure is None:
            constats.append(Constat("annexes", "Règle des annexes importantes", NON_VERIFIABLE,
                                    "loyer maximal de zone (LMzone) inconnu à la date d'agrément"))
        else:
            cs = b.coefficient_structure
            limite_pct = regles["majoration_annexes_max_ascenseur_pct" if op.ascenseur else "majoration_annexes_max_pct"]
            produit = sum(lg.nombre * lg.loyer for lg in b.loyers_par_logement)
            base = sum(lg.nombre * lg.surface_habitable for lg in b.loyers_par_logement) * cs * b.lmzone
            limite = base * (1 + limite_pct / 100.0)
            ok = produit <= limite + TOLERANCE_LOYER
            constats.append(Constat(
                "annexes", f"Annexes importantes : loyers au plus {limite_pct:g} % au-dessus de SH x CS x LMzone",
                CONFORME if ok else NON_CONFORME,
                f"produit des loyers {euros(produit, 2)} par mois {'<=' if ok else '>'} {euros(limite, 2)} "
                f"(SH x CS {cs:.4f} x LMzone {b.lmzone:.2f} €/m2 x {1 + limite_pct / 100:.2f})".replace(".", ",")))

    ressources = sum(f.montant for f in b.financement)
    constats.append(Constat("plan", "Plan de financement équilibré", CONFORME if abs(ressources - b.prix_de_revient) <= 1
                            else NON_CONFORME,
                            f"ressources {euros(ressources)} pour un prix de revient de {euros(b.prix_de_revient)}"
                            " (subvention à calculer comptée pour 0)"))
    cofin = [f for f in b.financement if f.nature == "subvention" and not f.inconnue
             and not f.libelle.lower().replace("é", "e").startswith("etat")]
    if cofin:
        constats.append(Constat("cofinancements", "Cofinancements comptés dans le plan", INFORMATION,
                                " ; ".join(f"{f.libelle} {euros(f.montant)}" for f in cofin)))
    else:
        constats.append(Constat("cofinancements", "Cofinancements comptés dans le plan", INFORMATION,
                                "aucun cofinancement hors État : le FNAP demande qu'ils soient recherchés"))

    if b.resolu and b.faisable and b.reference_fnap:
        s = b.subvention_minimale
        constats.append(Constat(
            "reference", "Subvention minimale et valeur de référence FNAP", INFORMATION,
            f"subvention minimale {euros(s)} ; référence FNAP {euros(b.reference_fnap)} "
            f"({euros(b.reference_fnap_par_logement)} x {b.n_plai_adapte} PLAI adaptés) ; "
            f"rapport {s / b.reference_fnap:.0%}".replace("%", " %")))
    if b.resolu and b.cout_contreparties is not None:
        constats.append(Constat(
            "contreparties", "Coût des contreparties sociales", INFORMATION,
            f"{euros(b.cout_contreparties)} = subvention minimale {euros(b.subvention_minimale)} "
            f"- subvention minimale de la même opération en PLAI ordinaire {euros(b.subvention_plai_ordinaire)}"))
    return constats
