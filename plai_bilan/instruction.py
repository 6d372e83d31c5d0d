"""Instruction d'une demande : le montant demandé de subvention PLAI adapté face à la subvention minimale.

La subvention demandée (un montant, un montant par logement ou « reference ») devient l'inconnue ; la subvention
minimale S* est résolue comme pour ``plai-bilan subvention``. La demande est **justifiée** quand l'opération est
équilibrable, que la demande ne dépasse pas S* de plus de 1 € et que les critères d'éligibilité du FNAP (2.1 ou
2.2, 3 et plafonds de loyer) sont conformes.
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

TOLERANCE_DEMANDE = 1.0  # euros
CRITERES_ELIGIBILITE = ("2.1", "2.2", "3", "plafond")


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
        trouves = [i for i, n in enumerate(noms) if "plai adapte" in _normaliser(n)]
        if len(trouves) != 1:
            quoi = "aucune subvention" if not trouves else "plusieurs subventions"
            raise ScenarioInvalide(sc.fichier, "subventions", f"{quoi} dont le financeur mentionne « PLAI adapté » ; "
                                   "désignez la subvention instruite avec --subvention FINANCEUR")
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
        dataclasses.replace(s, montant="a_calculer", montant_par_logement=None),) + sc.subventions[i + 1:])
    r = subvention_minimale(inconnue, parametres)
    eligibilite = tuple(c for c in r.controles if c.code in CRITERES_ELIGIBILITE)
    return Verdict(r, i, s.financeur, float(demande), eligibilite, tolerance)
