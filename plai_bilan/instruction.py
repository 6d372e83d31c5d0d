"""Instruction d'une demande de subvention PLAI adapté (FNAP, seed 001 III).

La subvention instruite (celle de nature ``fnap_plai_adapte``, ou désignée par son financeur) devient l'inconnue :
S* est le besoin de financement de l'opération avec les autres ressources déclarées, G celui de la même
opération en PLAI ordinaire, C = S* - G le coût des contreparties sociales et J = max(0, min(S*, C)) le montant
que la subvention PLAI adapté peut justifier. Verdicts (montants comparés au centime, à la tolérance près) :

- non éligible (statut 4) : un critère bloquant n'est pas conforme ;
- plan non équilibré (statut 3) : aucune subvention n'équilibre l'opération, ou la demande laisse un déficit
  (S* - demande), dont la part au plus J relève des contreparties et le reste d'autres financeurs ;
- surcompensation (statut 5) : la demande dépasse la subvention maximale sans surcompensation (contrôle SIEG,
  décision 2012/21/UE) quand ce maximum est sous J ; la raison dit si l'équilibre lui-même le dépasse et
  pourquoi ;
- excessive (statut 1) : la demande dépasse J quand J est la borne la plus basse (l'équilibre, S* <= C, ou les
  contreparties, C < S*), ou elle sur-finance l'opération (les ressources dépasseraient le prix de revient) ;
- justifiée (statut 0) : la demande couvre S* sans dépasser J ni la subvention maximale sans surcompensation.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata

from plai_bilan.calcul import subvention_minimale
from plai_bilan.bilan import Constat
from plai_bilan.erreurs import ParametreInvalide, ScenarioInvalide
from plai_bilan.etudes import NON_CONFORME, Verdict
from plai_bilan.controles import INFORMATION
from plai_bilan.parametres import Parametres
from plai_bilan.preparation import preparer
from plai_bilan.scenario import Scenario

TOLERANCE_DEMANDE = 1.0  # euros : écart admis entre la demande et les bornes (option --tolerance)
AUTRES_FINANCEURS = "du PLAI de droit commun, des collectivités, d'Action Logement ou des fonds propres"
CRITERES_ELIGIBILITE = ("1", "2.1", "2.2", "3", "plafond", "anru", "refinancement", "occupation")


def _normaliser(texte: str) -> str:
    sans_accents = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode()
    return " ".join(sans_accents.lower().replace("-", " ").split())


def indice_subvention_demandee(sc: Scenario, financeur: str | None = None) -> int:
    """L'indice de la subvention instruite : celle du financeur donné, sinon l'unique « PLAI adapté »."""
    noms = [s.financeur for s in sc.subventions]
    if financeur is not None:
        trouves = [i for i, n in enumerate(noms) if _normaliser(n) == _normaliser(financeur)]
        if not trouves:
            raise ScenarioInvalide(sc.fichier, "subventions", f"aucune subvention du financeur « {financeur} » ; "
                                   f"financeurs du plan : {', '.join(noms) or 'aucun'}")
    else:
        trouves = [i for i, s in enumerate(sc.subventions) if s.nature == "fnap_plai_adapte"]
        if len(trouves) != 1:
            quoi = "aucune subvention" if not trouves else "plusieurs subventions"
            raise ScenarioInvalide(sc.fichier, "subventions", f"{quoi} de nature \"fnap_plai_adapte\" ; déclarez "
                                   "nature = \"fnap_plai_adapte\" sur la subvention PLAI adapté demandée, ou désignez-la "
                                   "avec --subvention FINANCEUR")
    i = trouves[0]
    if sc.subventions[i].montant == "a_calculer":
        raise ScenarioInvalide(sc.fichier, f"subventions[{i}].montant", "l'instruction juge un montant demandé : "
                               "remplacez \"a_calculer\" par le montant de la demande")
    autre = [j for j, s in enumerate(sc.subventions) if s.montant == "a_calculer"]
    if autre:
        raise ScenarioInvalide(sc.fichier, f"subventions[{autre[0]}].montant", "une autre subvention est à "
                               "calculer : l'instruction n'admet qu'une inconnue, la subvention instruite")
    return i


def instruire(sc: Scenario, financeur: str | None = None, parametres: Parametres | None = None,
              tolerance: float = TOLERANCE_DEMANDE) -> Verdict:
    """Juge la subvention demandée d'une opération."""
    i = indice_subvention_demandee(sc, financeur)
    s = sc.subventions[i]
    inconnue = dataclasses.replace(sc, subventions=sc.subventions[:i] + (
        dataclasses.replace(s, montant="a_calculer", montant_par_logement=None, montant_par_plai_adapte=None),)
        + sc.subventions[i + 1:])
    surfinance = None
    try:
        demande = preparer(sc, parametres).financement[i].montant  # vérifie aussi le plan tel que demandé
    except ScenarioInvalide as exc:
        if "sur-financé" not in str(exc):
            raise
        # La demande sur-finance l'opération : un verdict (excessive), pas une erreur de saisie.
        e = preparer(inconnue, parametres)
        demande = _montant_demande(s, e)
        surfinance = demande - (e.pret_equilibre_initial or 0.0)
    r = subvention_minimale(inconnue, parametres)
    montage = constat_montage(inconnue, parametres)
    if montage is not None:
        r = dataclasses.replace(r, controles=r.controles + (montage,))
    eligibilite = tuple(c for c in r.controles if c.code in CRITERES_ELIGIBILITE)
    return juger(r, i, s.financeur, round(float(demande), 2), eligibilite, tolerance, surfinance)


def avec_inconnue(sc: Scenario) -> tuple[Scenario, int | None]:
    """Un fichier de demande (la subvention PLAI adapté chiffrée, aucune à calculer) : la demande devient l'inconnue,
    comme dans ``instruire`` ; le second terme est son indice (None : le fichier a déjà son inconnue)."""
    if any(s.montant == "a_calculer" for s in sc.subventions):
        return sc, None
    i = indice_subvention_demandee(sc)
    s = sc.subventions[i]
    sc = dataclasses.replace(sc, subventions=sc.subventions[:i] + (dataclasses.replace(
        s, montant="a_calculer", montant_par_logement=None, montant_par_plai_adapte=None),) + sc.subventions[i + 1:])
    return sc, i


def constat_montage(inconnue: Scenario, parametres: Parametres | None = None) -> Constat | None:
    """Information de l'instructeur : le montage est-il optimisé ? La subvention évitable dans les règles des
    prêteurs et ses leviers (plai-bilan optimiser), ou None si l'optimisation ne s'applique pas."""
    from plai_bilan.format import euros
    from plai_bilan.optimisation import optimiser
    from plai_bilan.sorties.texte import valeur_levier

    try:
        o = optimiser(inconnue, parametres)
    except (ScenarioInvalide, ParametreInvalide):
        return None
    if not math.isfinite(o.subvention_fichier) or not math.isfinite(o.subvention_optimisee):
        return None
    if o.economie <= 0.005:
        detail = (f"aucune subvention évitable dans les règles des prêteurs (regles_prets.toml, horizon {o.horizon} "
                  "ans) : le montage est optimisé sur les leviers des prêts et des fonds propres")
    else:
        leviers = " ; ".join(f"{l.libelle[0].lower() + l.libelle[1:]} : {valeur_levier(l.cle, l.valeur_fichier)} -> "
                             f"{valeur_levier(l.cle, l.valeur_optimisee)}" for l in o.leviers_changes)
        detail = (f"{euros(o.economie)} de subvention évitable dans les règles des prêteurs (S* {euros(o.subvention_fichier)}"
                  f" -> {euros(o.subvention_optimisee)}, horizon {o.horizon} ans) : {leviers} ; détail : plai-bilan "
                  "optimiser")
    return Constat("montage", "Montage financier optimisé", INFORMATION, detail)


def _montant_demande(s, e) -> float:
    """Le montant d'une subvention demandée, lu comme le plan le lirait (montant, par logement, par PLAI adapté)."""
    if s.montant_par_logement is not None:
        return s.montant_par_logement * e.n_logements
    if s.montant_par_plai_adapte is not None:
        return s.montant_par_plai_adapte * e.n_plai_adapte
    if s.montant == "reference":
        return e.reference_fnap or 0.0
    return float(s.montant)


def _centimes(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def juger(b, indice: int, financeur: str, demande: float, constats: tuple, tolerance: float,
          surfinance: float | None = None) -> Verdict:
    """Les règles du verdict (docstring du module) appliquées au bilan de l'opération dont la subvention instruite
    est l'inconnue, pour la demande ``demande`` (au centime) ; ``surfinance`` : de combien la demande dépasse le
    prêt d'équilibre (les ressources le prix de revient), ou None."""
    from plai_bilan.format import euros

    s, j, c = _centimes(b.subvention_minimale), _centimes(b.subvention_justifiable), b.cout_contreparties
    corridor = b.sieg.corridor if b.sieg is not None else None
    maximum = None if corridor is None else corridor.maximum
    non_conformes = tuple(k for k in constats if k.statut == NON_CONFORME)
    if non_conformes:
        verdict = "non_eligible"
    elif surfinance is not None:
        verdict = "excessive"
    elif not b.faisable or j is None:
        verdict = "plan_non_equilibre"
    elif demande > j + tolerance or (maximum is not None and demande > maximum + tolerance):
        # La borne la plus basse dépassée fixe le verdict : la surcompensation si le maximum SIEG est sous J.
        verdict = "surcompensation" if maximum is not None and maximum < j else "excessive"
    elif demande < s - tolerance:
        verdict = "plan_non_equilibre"
    else:
        verdict = "justifiee"
    ecart = None if s is None else round(demande - s, 2)
    borne = None if s is None or c is None else "equilibre" if s <= c else "contreparties"
    if verdict == "surcompensation":
        borne = "surcompensation"
    excedent = (round(surfinance, 2) if surfinance is not None else round(demande - j, 2)) if verdict == "excessive" \
        else round(demande - maximum, 2) if verdict == "surcompensation" else None
    manque = None if s is None or demande >= s - tolerance else round(s - demande, 2)
    dans = None if manque is None or j is None else round(max(0.0, j - demande), 2)
    hors = None if manque is None or j is None else round(s - max(j, demande), 2)
    if verdict == "non_eligible":
        raison = "critère non conforme : " + " ; ".join(f"{k.code} ({k.libelle})" for k in non_conformes)
    elif not b.faisable:
        raison = (f"aucune subvention n'équilibre l'opération ({b.motif}) : le déficit dépasse les contreparties "
                  "et doit être résorbé par d'autres ressources ou d'autres choix (voir le diagnostic)")
    elif verdict == "excessive" and surfinance is not None:
        raison = (f"la demande ({euros(demande, 2)}) sur-finance l'opération : avec elle, les ressources dépasseraient "
                  f"le prix de revient de {euros(surfinance, 2)} (le prêt d'équilibre serait négatif) ; le besoin de "
                  f"l'opération est de {euros(s, 2) if s is not None else 'aucune subvention'}")
    elif verdict == "surcompensation":
        raison = (f"la demande ({euros(demande, 2)}) dépasse de {euros(excedent, 2)} la subvention maximale sans "
                  f"surcompensation ({euros(maximum, 2)}, contrôle SIEG, décision 2012/21/UE)")
        if s is not None and s > maximum + tolerance:
            raison += (f" ; l'équilibre lui-même ({euros(s, 2)}) la dépasse"
                       + (f" : {corridor.cause}" if corridor.cause else "")
                       + " (plai-bilan sieg : hypothèses et identité de la marge)")
        else:
            raison += f" ; le montant justifiable est {euros(min(j, maximum), 2)}"
    elif verdict == "excessive" and borne == "equilibre":
        raison = (f"la demande ({euros(demande, 2)}) dépasse de {euros(excedent, 2)} la subvention d'équilibre "
                  f"({euros(s, 2)}) : l'opération s'équilibre avec moins")
    elif verdict == "excessive":
        raison = (f"la demande ({euros(demande, 2)}) dépasse de {euros(excedent, 2)} le coût des contreparties "
                  f"sociales ({euros(c, 2)})" + (f" ; le reste du besoin de l'opération ({euros(s - j, 2)}) doit venir "
                                                 f"{AUTRES_FINANCEURS}, pas de la subvention PLAI adapté"
                                                 if s - j > 0.005 else ""))
    elif verdict == "plan_non_equilibre":
        morceaux = []
        if dans:
            morceaux.append(f"{euros(dans, 2)} relèvent des contreparties sociales (la subvention PLAI adapté "
                            f"peut aller jusqu'à {euros(j, 2)})")
        if hors:
            morceaux.append(f"{euros(hors, 2)} doivent venir {AUTRES_FINANCEURS}")
        raison = (f"la demande ({euros(demande, 2)}) et le plan déclaré laissent un déficit de {euros(manque, 2)} : "
                  + " ; ".join(morceaux))
    else:
        raison = (f"la demande ({euros(demande, 2)}) couvre le besoin d'équilibre ({euros(s, 2)}) sans dépasser le "
                  f"coût des contreparties sociales ({euros(c, 2)})")
    motifs: tuple[str, ...] = ()
    if verdict != "justifiee":
        motifs = ((raison,) if verdict != "non_eligible" else ()) + tuple(
            f"critère {k.code} non conforme ({k.libelle}) : {k.detail}" for k in non_conformes)
    return Verdict(bilan=b, indice=indice, financeur=financeur, demande=demande, constats_eligibilite=constats,
                   tolerance=tolerance, verdict=verdict, subvention_minimale=s, justifiable=j, ecart=ecart,
                   ecart_pct=None if s is None or s == 0 else ecart / s * 100, borne=borne,
                   subvention_maximale=maximum,
                   au_dessus_du_maximum=None if maximum is None else demande > maximum + tolerance,
                   excedent=excedent, manque=manque, manque_dans_contreparties=dans, manque_hors_contreparties=hors,
                   raison=raison, motifs=motifs)
