"""Les contrôles d'un instructeur (model.md 9) : des constats, jamais des exceptions.

Ils lisent le bilan de l'opération (sans ses contrôles) et renvoient des :class:`~plai_bilan.bilan.Constat`.
Les seuils réglementaires (marge locale maximale, majorations des annexes importantes) viennent des paramètres
en vigueur à la date d'agrément (``Bilan.regles_loyers``).
"""

from __future__ import annotations

import re

from plai_bilan.bilan import Bilan, Constat, LigneLoyer
from plai_bilan.format import euros

CONFORME, NON_CONFORME, INFORMATION, NON_VERIFIABLE = "conforme", "non conforme", "information", "non vérifiable"
TOLERANCE_LOYER = 0.005  # euros par mois


def _designation(ligne: LigneLoyer) -> str:
    nom = ligne.typologie or "logement"
    return f"{nom} ({ligne.nombre} logement{'s' if ligne.nombre > 1 else ''}, {ligne.menage or 'ménage non précisé'})"


def _annexes(b: Bilan) -> Constat:
    """Annexes importantes (avis loyers, annexe 8), sur les loyers maximaux de la convention : plafond x SU."""
    op = b.scenario.operation
    cs, regles = b.coefficient_structure, b.regles_loyers
    limite_pct = regles["majoration_annexes_max_ascenseur_pct" if op.ascenseur else "majoration_annexes_max_pct"]
    sh = sum(lg.nombre * lg.surface_habitable for lg in b.loyers_par_logement)
    lmzone = b.lmzone * b.revalorisation.facteur  # le loyer de base de l'année 1
    limite = sh * cs * lmzone * (1 + limite_pct / 100.0)
    libelle = f"Annexes importantes : loyers maximaux au plus {limite_pct:g} % au-dessus de SH x CS x LMzone"
    base = f"(SH {sh:.2f} m2 x CS {cs:.4f} x LMzone revalorisé {lmzone:.4f} €/m2 x {1 + limite_pct / 100:.2f})"
    if b.plafond_plai_m2_brut is not None and b.plafond_plai_m2 < b.plafond_plai_m2_brut - 1e-9:
        return Constat("annexes", libelle, INFORMATION, (
            f"produit des loyers maximaux {euros(b.plafond_plai_m2_brut * b.su_totale, 2)} par mois > limite "
            f"{euros(limite, 2)} {base} : le plafond de l'opération est abaissé de {b.plafond_plai_m2_brut:.4f} à "
            f"{b.plafond_plai_m2:.4f} €/m2 SU").replace(".", ","))
    produit = b.plafond_plai_m2 * b.su_totale
    ok = produit <= limite + TOLERANCE_LOYER
    return Constat("annexes", libelle, CONFORME if ok else NON_CONFORME,
                   f"produit des loyers maximaux {euros(produit, 2)} par mois {'<=' if ok else '>'} {euros(limite, 2)} "
                   f"{base}".replace(".", ","))


def surface_minimale(personnes: int) -> float:
    """La norme de peuplement des aides au logement : 9 m2 pour une personne, 16 m2 pour deux, 9 m2 par personne en
    plus, 70 m2 à partir de huit personnes (surface habitable)."""
    if personnes <= 1:
        return 9.0
    return min(16.0 + 9.0 * (personnes - 2), 70.0)


def _occupation(b: Bilan, constats: list[Constat]) -> None:
    """L'occupation de chaque ligne qui déclare un ménage : sa surface habitable contre la norme de peuplement
    (bloquante : le ménage n'aurait pas l'aide au logement sur laquelle le loyer est calé), et sa typologie contre
    la taille du ménage (information)."""
    for ligne in b.loyers_par_logement:
        if ligne.couple is None:
            continue
        personnes = 1 + (1 if ligne.couple else 0) + (ligne.personnes_a_charge or 0)
        mini = surface_minimale(personnes)
        ok = ligne.surface_habitable >= mini - 1e-9
        constats.append(Constat(
            "occupation", f"Surface adaptée au ménage : {_designation(ligne)}", CONFORME if ok else NON_CONFORME,
            f"{personnes} personne(s) : surface habitable {nombre_m2(ligne.surface_habitable)} "
            f"{'>=' if ok else '<'} {nombre_m2(mini)} (norme de peuplement des aides au logement : 9 m2 pour une "
            "personne, 16 m2 pour deux, 9 m2 par personne en plus, 70 m2 à partir de huit)"))
        m = re.match(r"\s*T(\d+)", ligne.typologie or "")
        if m and personnes > 2 * int(m.group(1)):
            constats.append(Constat(
                "occupation", f"Typologie adaptée au ménage : {_designation(ligne)}", INFORMATION,
                f"{personnes} personnes dans un {ligne.typologie} ({m.group(1)} pièce(s)) : sur-occupation probable"))


def _foyer(b: Bilan, constats: list[Constat]) -> None:
    """Le type de foyer et les prestations quittancées avec la redevance (programme FNAP, II et critère 2.2)."""
    op = b.scenario.operation
    n = sum(l.nombre for l in b.loyers_par_logement)
    if op.type_foyer == "residence-sociale":
        constats.append(Constat(
            "taille", "« Petite » résidence sociale", INFORMATION,
            f"résidence sociale de {n} logements : le programme n'ouvre le PLAI adapté qu'aux « petites » résidences "
            "sociales, le service instructeur jugeant au cas par cas si la taille permet l'accompagnement et le suivi "
            "rapproché des ménages (programme FNAP, II)"))
    elif op.type_foyer is None:
        constats.append(Constat(
            "taille", "Type de foyer", INFORMATION,
            "operation.type_foyer non déclaré (pension-de-famille ou residence-sociale) : pour une résidence "
            "sociale, le programme demande une « petite » résidence, jugée au cas par cas par le service instructeur"))
    avec = [l for l in b.loyers_par_logement if l.prestations > 0]
    if avec:
        constats.append(Constat(
            "prestations", "Prestations quittancées avec la redevance", INFORMATION,
            " ; ".join(f"{_designation(l)} : {euros(l.prestations, 2)} par mois" for l in avec)
            + " : hors assiette de l'APL et hors équilibre (facturées à leur coût) ; le programme demande qu'elles "
            "soient en adéquation avec les possibilités financières des ménages (quittance et reste à charge : "
            "--menages)"))


def nombre_m2(x: float) -> str:
    return f"{x:.2f}".replace(".", ",") + " m2"


def _ressources(b: Bilan, constats: list[Constat]) -> None:
    """Critère 1 du FNAP (public du II de L.301-1 : ménages sous plafond de ressources PLAI en difficulté), sur les
    ressources déclarées des ménages envisagés. Au-delà de la dernière année de plafonds chargée, un ménage sous le
    dernier plafond connu est conforme (les plafonds sont revalorisés à la hausse) ; au-dessus, non vérifiable."""
    agrement = b.scenario.operation.date_agrement
    for ligne in b.loyers_par_logement:
        if ligne.plai_adapte and ligne.ressources is None:
            constats.append(Constat("1", f"Ressources sous le plafond PLAI : {_designation(ligne)}", NON_VERIFIABLE,
                                    "ressources du ménage envisagé non déclarées (logements[].menage.ressources) : "
                                    "critère 1 non démontré"))
            continue
        if not ligne.plai_adapte:
            continue
        if ligne.plafond_ressources is None:
            constats.append(Constat("1", f"Ressources sous le plafond PLAI : {_designation(ligne)}", NON_VERIFIABLE,
                                    "aucun plafond de ressources PLAI à la date d'agrément"))
            continue
        perime = agrement.year > ligne.plafond_ressources_date.year
        date_plafond = ligne.plafond_ressources_date.strftime("%d/%m/%Y")
        ok = ligne.ressources <= ligne.plafond_ressources
        detail = (f"ressources {euros(ligne.ressources)} {'<=' if ok else '>'} plafond PLAI "
                  f"{euros(ligne.plafond_ressources)} (en vigueur au {date_plafond})")
        if ok:
            statut = CONFORME
        elif perime:
            statut = NON_VERIFIABLE
            detail += " : ce plafond est le dernier chargé, celui de la date d'agrément est plus haut"
        else:
            statut = NON_CONFORME
        constats.append(Constat("1", f"Ressources sous le plafond PLAI : {_designation(ligne)}", statut, detail))


def _apl_sur_la_projection(b: Bilan, constats: list[Constat]) -> None:
    """Critères 2.1 / 2.2 sur toute la projection : loyers indexés (indexation_loyers) contre plafonds APL revalorisés
    (indexation.plafonds_apl_pct, par défaut comme les loyers)."""
    ind = b.scenario.exploitation.indexation
    g_loyer = ind.loyers_pct / 100.0
    g_apl = g_loyer if ind.plafonds_apl_pct is None else ind.plafonds_apl_pct / 100.0
    foyer = b.scenario.operation.produit == "foyer"
    premiers = []
    for ligne in b.loyers_par_logement:
        if not ligne.plai_adapte or ligne.plafond_apl is None:
            continue
        quittance = ligne.loyer + (0.0 if foyer else ligne.loyer_accessoire)
        for t in range(2, b.horizon + 1):
            if quittance * (1 + g_loyer) ** (t - 1) > ligne.plafond_apl * (1 + g_apl) ** (t - 1) + TOLERANCE_LOYER:
                premiers.append(f"{_designation(ligne)} dès l'année {t}")
                break
    code = "2.2" if foyer else "2.1"
    if premiers:
        constats.append(Constat(code, "Loyers sous le plafond APL sur toute la projection", NON_CONFORME,
                                f"loyers indexés de {g_loyer:.2%}/an, plafonds APL de {g_apl:.2%}/an : dépassement "
                                f"pour {' ; '.join(premiers)}".replace(".", ",").replace("%", " %")))
    else:
        constats.append(Constat(code, "Loyers sous le plafond APL sur toute la projection", CONFORME,
                                f"loyers indexés de {g_loyer:.2%}/an, plafonds APL de {g_apl:.2%}/an, sur "
                                f"{b.horizon} ans".replace(".", ",").replace("%", " %")))


def plan_equilibre(b: Bilan) -> bool:
    """Les ressources du plan (la subvention à calculer comptée pour 0) couvrent le prix de revient, à 1 € près."""
    return abs(sum(f.montant for f in b.financement) - b.prix_de_revient) <= 1


# Les seuls constats d'un statut qui lit un montant (prix de revient, capital d'un prêt fixe, vacance, impayés) :
# deux opérations de même structure (preparation.cle_structure) ont les mêmes statuts pour tous les autres
# (programme : calcul.resoudre_leger ne refait que ceux-ci ; tests/test_programme_partage.py le vérifie).
STATUTS_DES_MONTANTS = {"plan": plan_equilibre}


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
            hors = (f" (prestations de {euros(ligne.prestations, 2)} quittancées en plus, hors assiette APL)"
                    if ligne.prestations else "")
            constats.append(Constat(
                "2.2", f"Redevance sous l'équivalence APL foyer : {_designation(ligne)}",
                CONFORME if ok else NON_CONFORME,
                f"redevance hors prestations {euros(ligne.loyer, 2)} {'<=' if ok else '>'} équivalence E "
                f"{euros(ligne.plafond_apl, 2)}{hors}"))
        else:
            total = ligne.loyer + ligne.loyer_accessoire
            ok = total <= ligne.plafond_apl + TOLERANCE_LOYER
            constats.append(Constat(
                "2.1", f"Loyer sous le plafond APL du ménage : {_designation(ligne)}",
                CONFORME if ok else NON_CONFORME,
                f"loyer {euros(ligne.loyer, 2)} + accessoire {euros(ligne.loyer_accessoire, 2)} = "
                f"{euros(total, 2)} {'<=' if ok else '>'} plafond APL {euros(ligne.plafond_apl, 2)}"))

    _ressources(b, constats)
    _occupation(b, constats)
    if foyer:
        _foyer(b, constats)
    if b.loyer_accessoire_maximal is not None:
        for ligne in b.loyers_par_logement:
            if ligne.loyer_accessoire > 0:
                ok = ligne.loyer_accessoire <= b.loyer_accessoire_maximal + TOLERANCE_LOYER
                constats.append(Constat(
                    "accessoire", f"Loyer accessoire dans le plafond local : {_designation(ligne)}",
                    CONFORME if ok else NON_CONFORME,
                    f"{euros(ligne.loyer_accessoire, 2)} {'<=' if ok else '>'} {euros(b.loyer_accessoire_maximal, 2)} "
                    "par mois (barème local)"))

    if b.n_plai_adapte > 0:
        nom = "GLS renforcée" if foyer else "gestion locative adaptée (GLA)"
        if hyp.gla_montant <= 0 or hyp.gla_duree <= 0:
            constats.append(Constat("3", f"Présence d'une {nom}", NON_CONFORME,
                                    "aucun coût dans exploitation.gla : le critère 3 du FNAP n'est pas démontré"))
        elif hyp.gla_duree < b.horizon:
            constats.append(Constat(
                "3", f"{nom[0].upper() + nom[1:]} sur toute la durée de l'opération", NON_CONFORME,
                f"{euros(hyp.gla_montant)} par logement PLAI adapté et par an pendant {hyp.gla_duree} ans seulement, "
                f"pour une opération analysée sur {b.horizon} ans : le programme demande la GLA « sur toute la durée "
                "de l'opération »"))
        else:
            constats.append(Constat(
                "3", f"{nom[0].upper() + nom[1:]} sur toute la durée de l'opération", CONFORME,
                f"{euros(hyp.gla_montant)} par logement PLAI adapté et par an pendant {hyp.gla_duree} ans "
                f"(horizon {b.horizon} ans)"))
        if (hyp.accompagnement_montant > 0 and hyp.financement_accompagnement_montant > 0
                and hyp.financement_accompagnement_duree < hyp.accompagnement_duree):
            constats.append(Constat(
                "accompagnement", "Financement de l'accompagnement sur toute sa durée", INFORMATION,
                f"l'accompagnement dure {hyp.accompagnement_duree} ans, son financement "
                f"{hyp.financement_accompagnement_duree} ans : les années {hyp.financement_accompagnement_duree + 1} à "
                f"{hyp.accompagnement_duree} sont à la charge de l'opération (déjà comptées dans le compte)"))
        constats.append(Constat(
            "anru", "Hors quartier support d'une intervention de l'ANRU", NON_CONFORME if op.anru else CONFORME,
            "déclaré dans un quartier ANRU (operation.anru) : exclu du financement PLAI adapté" if op.anru else
            "déclaré hors quartier ANRU (operation.anru = false)"))
        constats.append(Constat(
            "refinancement", "Pas de refinancement de logements déjà aidés par l'État",
            NON_CONFORME if op.refinancement else CONFORME,
            "déclaré déjà aidé par l'État ou l'Anah, convention APL non résiliée depuis plus de dix ans "
            "(operation.refinancement) : exclu" if op.refinancement else
            "déclaré sans aide antérieure de l'État (operation.refinancement = false)"))
        if op.qpv:
            constats.append(Constat("qpv", "Quartier prioritaire de la politique de la ville", INFORMATION,
                                    "l'agrément suit la procédure dérogatoire prévue pour les QPV"))
        if op.plai_adaptes_meme_adresse:
            constats.append(Constat(
                "adresse", "Opérations regroupées à la même adresse", INFORMATION,
                f"{op.plai_adaptes_meme_adresse} PLAI adaptés d'autres opérations à la même adresse : tranche de la "
                f"référence FNAP pour {b.n_plai_adapte + op.plai_adaptes_meme_adresse} PLAI adaptés"))
        _apl_sur_la_projection(b, constats)

    for ligne in b.loyers_par_logement:
        if ligne.plafond_loyer != ligne.plafond_loyer:  # nan : foyer sans redevance maximale
            constats.append(Constat("plafond", f"Loyer dans le plafond PLAI : {_designation(ligne)}", NON_VERIFIABLE,
                                    "pas de redevance_max pour cette ligne"))
            continue
        ok = ligne.loyer <= ligne.plafond_loyer + TOLERANCE_LOYER
        quoi = "redevance maximale" if foyer else f"plafond {ligne.produit}"  # le plafond du produit de la ligne
        constats.append(Constat("plafond", f"Loyer dans le {quoi} : {_designation(ligne)}",
                                CONFORME if ok else NON_CONFORME,
                                f"{euros(ligne.loyer, 2)} {'<=' if ok else '>'} {quoi} {euros(ligne.plafond_loyer, 2)}"))

    if not foyer:
        regles = b.regles_loyers
        marge_max = regles["marge_locale_max_pct"]
        marge = hyp.marge_locale * 100
        if marge > marge_max + 1e-9:
            constats.append(Constat("marge", f"Marge locale au plus {marge_max:g} %", NON_CONFORME,
                                    f"marge locale {marge:g} % > {marge_max:g} %"))
        if b.lmzone is None or b.coefficient_structure is None:
            constats.append(Constat("annexes", "Règle des annexes importantes", NON_VERIFIABLE,
                                    "loyer maximal de zone (LMzone) inconnu à la date d'agrément"))
        else:
            constats.append(_annexes(b))

    ressources = sum(f.montant for f in b.financement)
    constats.append(Constat("plan", "Plan de financement équilibré", CONFORME if plan_equilibre(b) else NON_CONFORME,
                            f"ressources {euros(ressources)} pour un prix de revient de {euros(b.prix_de_revient)}"
                            " (subvention à calculer comptée pour 0)"))
    cofin = [f for f in b.financement if f.nature == "subvention" and not f.inconnue
             and f.nature_subvention not in ("etat_plai", "fnap_plai_adapte")]
    # Les cofinancements en nature (garanties d'emprunt gratuites, décote foncière) : déclarés au contrôle SIEG.
    nature = [(quoi, v) for quoi, v in (("garanties d'emprunt gratuites", b.hypotheses_sieg.garanties),
                                         ("décote foncière", b.hypotheses_sieg.rabais_foncier)) if v > 0]
    en_nature = " ; en nature : " + " ; ".join(f"{q} {euros(v)}" for q, v in nature) if nature else ""
    if cofin:
        constats.append(Constat("cofinancements", "Cofinancements comptés dans le plan", INFORMATION,
                                " ; ".join(f"{f.libelle} {euros(f.montant)}" for f in cofin) + en_nature))
    else:
        constats.append(Constat("cofinancements", "Cofinancements comptés dans le plan", INFORMATION,
                                "aucun cofinancement hors État : le FNAP demande qu'ils soient recherchés"
                                + en_nature))
    if b.n_plai_adapte and b.scenario.operation.produit == "ordinaire" and not any(
            f.nature_subvention == "etat_plai" for f in b.financement if f.nature == "subvention"):
        constats.append(Constat(
            "etat_plai", "Subvention PLAI de l'État au plan", NON_VERIFIABLE,
            "aucune subvention de nature etat_plai : la subvention PLAI adapté s'ajoute à l'aide octroyée pour un PLAI "
            "classique (CCH R.331-25-1) ; déclarez-la (montant_par_logement, nature = \"etat_plai\")"))

    if b.resolu and b.cout_contreparties is not None:
        from plai_bilan.catalogue import catalogue

        causes = catalogue().valeurs["cause"]
        parts = " ; ".join(f"{causes.get(k, k)} {'non chiffrable (variante infaisable)' if v is None else euros(v)}"
                           for k, v in (b.contreparties or {}).items())
        constats.append(Constat(
            "contreparties", "Coût des contreparties sociales et montant justifiable", INFORMATION,
            f"C = S* {euros(b.subvention_minimale)} - G {euros(b.subvention_plai_ordinaire)} (même opération en PLAI "
            f"ordinaire) = {euros(b.cout_contreparties)} ({parts}) ; justifiable min(S*, C) = "
            f"{euros(b.subvention_justifiable)} ; hors contreparties {euros(b.besoin_hors_contreparties)}"))
    if b.resolu and b.subvention_justifiable is not None and b.reference_fnap:
        constats.append(Constat(
            "reference", "Montant justifiable et valeur de référence FNAP", INFORMATION,
            f"justifiable {euros(b.subvention_justifiable)} ; référence FNAP {euros(b.reference_fnap)} "
            f"({euros(b.reference_fnap_par_logement)} x {b.n_plai_adapte} PLAI adaptés) ; rapport "
            f"{b.subvention_justifiable / b.reference_fnap:.0%}".replace("%", " %")))
    return constats
