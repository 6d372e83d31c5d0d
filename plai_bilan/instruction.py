"""Instruction d'une demande de subvention PLAI adapté (FNAP, seed 001 III).

La subvention instruite (celle de nature ``fnap_plai_adapte``, ou désignée par son financeur) devient l'inconnue :
S* est le besoin de financement de l'opération avec les autres ressources déclarées, G celui de la même
opération en PLAI ordinaire, C = S* - G le coût des contreparties sociales et J = max(0, min(S*, C)) le montant
que la subvention PLAI adapté peut justifier. Verdicts (montants comparés au centime, à la tolérance près) :

- non éligible (statut 4) : un critère bloquant n'est pas conforme ;
- plan non équilibré (statut 3) : aucune subvention n'équilibre l'opération, ou la demande laisse un déficit
  (S* - demande), dont la part au plus J relève des contreparties et le reste d'autres financeurs ;
- excessive (statut 1) : la demande dépasse J ; la borne est l'équilibre (S* <= C) ou les contreparties (C < S*) ;
- justifiée (statut 0) : la demande couvre S* sans dépasser J.
"""

from __future__ import annotations

import dataclasses
import unicodedata

from plai_bilan.calcul import subvention_minimale
from plai_bilan.erreurs import ScenarioInvalide
from plai_bilan.etudes import Verdict
from plai_bilan.parametres import Parametres
from plai_bilan.preparation import preparer
from plai_bilan.scenario import Scenario

TOLERANCE_DEMANDE = 1.0  # euros : écart admis entre la demande et les bornes (option --tolerance)
CRITERES_ELIGIBILITE = ("1", "2.1", "2.2", "3", "plafond", "anru", "refinancement")


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
    demande = preparer(sc, parametres).financement[i].montant  # vérifie aussi le plan tel que demandé
    s = sc.subventions[i]
    inconnue = dataclasses.replace(sc, subventions=sc.subventions[:i] + (
        dataclasses.replace(s, montant="a_calculer", montant_par_logement=None, montant_par_plai_adapte=None),)
        + sc.subventions[i + 1:])
    r = subvention_minimale(inconnue, parametres)
    eligibilite = tuple(c for c in r.controles if c.code in CRITERES_ELIGIBILITE)
    return Verdict(r, i, s.financeur, round(float(demande), 2), eligibilite, tolerance)
