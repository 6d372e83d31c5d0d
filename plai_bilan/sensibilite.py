"""Sensibilité de la subvention d'équilibre aux hypothèses clés, valeurs de bascule et de rupture de chacune.

Chaque hypothèse est déplacée vers le bas et vers le haut (écarts de ``HYPOTHESES``) ; toutes les variantes sont
résolues en un seul lot. Les autres hypothèses restant inchangées, la valeur de **bascule** est celle à laquelle
la subvention d'équilibre devient nulle (l'opération s'équilibre sans elle) ; la valeur de **rupture** est la
dernière à laquelle une subvention suffit encore (au-delà, le besoin dépasse le prêt d'équilibre). Elles sont
cherchées par dichotomie dans une plage documentée (40 pas : 1e-12 de la plage), en un lot à chaque pas.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from plai_bilan.calcul import besoins
from plai_bilan.etudes import LigneSensibilite, Sensibilite
from plai_bilan.erreurs import ScenarioInvalide
from plai_bilan.parametres import Parametres
from plai_bilan.preparation import Entrees, preparer
from plai_bilan.scenario import LivretA, Scenario

ITERATIONS = 40


def _pr(sc: Scenario, facteur: float) -> Scenario:
    pr = sc.prix_de_revient
    return dataclasses.replace(sc, prix_de_revient=dataclasses.replace(
        pr, charge_fonciere=pr.charge_fonciere * facteur, travaux=pr.travaux * facteur,
        honoraires=pr.honoraires * facteur, autres=tuple((n, m * facteur) for n, m in pr.autres)))


def _ex(sc: Scenario, **champs) -> Scenario:
    return dataclasses.replace(sc, exploitation=dataclasses.replace(sc.exploitation, **champs))


def _indexation(sc: Scenario, **champs) -> Scenario:
    return _ex(sc, indexation=dataclasses.replace(sc.exploitation.indexation, **champs))


@dataclass(frozen=True)
class Hypothese:
    """Une hypothèse : sa valeur dans le scénario, comment la changer, ses écarts et sa plage de recherche."""

    cle: str
    libelle: str
    unite: str
    valeur: Callable[[Entrees], float]
    appliquer: Callable[[Entrees, float], Scenario]
    ecart: Callable[[float], tuple[float, float]]  # (basse, haute)
    plage: Callable[[float, Entrees], tuple[float, float]]
    entier: bool = False


def _livret_a(e: Entrees, v: float) -> Scenario:
    """Trajectoire du scénario décalée pour que l'année 1 vaille v (pour cent)."""
    decalage = v - e.livret_a[0] * 100
    return dataclasses.replace(e.scenario, livret_a=LivretA(tuple(float(x) * 100 + decalage for x in e.livret_a),
                                                            None))


def _tfpb(e: Entrees, v: float) -> Scenario:
    tf = e.scenario.exploitation.tfpb
    if tf is None:
        return e.scenario
    return _ex(e.scenario, tfpb=dataclasses.replace(tf, exoneration=int(round(v))))


def _gla(e: Entrees, v: float) -> Scenario:
    g = e.scenario.exploitation.gla
    return e.scenario if g is None else _ex(e.scenario, gla=dataclasses.replace(g, montant=v))


def _reste_sous_100(autre: str) -> Callable[[float, Entrees], tuple[float, float]]:
    def plage(v: float, e: Entrees) -> tuple[float, float]:
        return 0.0, 99.9 - getattr(e.scenario.exploitation, autre)
    return plage


HYPOTHESES = (
    Hypothese("livret_a", "Livret A (année 1, trajectoire décalée d'autant)", "%",
              lambda e: float(e.livret_a[0] * 100), _livret_a, lambda v: (v - 1.0, v + 1.0),
              lambda v, e: (v - 5.0, v + 10.0)),
    Hypothese("prix_de_revient", "Prix de revient (tous postes)", "€",
              lambda e: e.prix_de_revient, lambda e, v: _pr(e.scenario, v / e.prix_de_revient),
              lambda v: (0.9 * v, 1.1 * v), lambda v, e: (v - (e.pret_equilibre_initial or 0.0), 3.0 * v)),
    Hypothese("travaux", "Travaux", "€",
              lambda e: e.scenario.prix_de_revient.travaux,
              lambda e, v: dataclasses.replace(e.scenario, prix_de_revient=dataclasses.replace(
                  e.scenario.prix_de_revient, travaux=v)),
              lambda v: (0.9 * v, 1.1 * v),
              lambda v, e: (max(v - (e.pret_equilibre_initial or 0.0), 0.0), 3.0 * v + e.prix_de_revient)),
    Hypothese("vacance_pct", "Vacance", "%",
              lambda e: e.scenario.exploitation.vacance_pct, lambda e, v: _ex(e.scenario, vacance_pct=v),
              lambda v: (max(v - 2.0, 0.0), v + 2.0), _reste_sous_100("impayes_pct")),
    Hypothese("impayes_pct", "Impayés", "%",
              lambda e: e.scenario.exploitation.impayes_pct, lambda e, v: _ex(e.scenario, impayes_pct=v),
              lambda v: (max(v - 2.0, 0.0), v + 2.0), _reste_sous_100("vacance_pct")),
    Hypothese("indexation_loyers", "Indexation des loyers", "%/an",
              lambda e: e.scenario.exploitation.indexation.loyers_pct,
              lambda e, v: _indexation(e.scenario, loyers_pct=v), lambda v: (v - 0.5, v + 0.5),
              lambda v, e: (-5.0, 10.0)),
    Hypothese("indexation_charges", "Indexation des charges", "%/an",
              lambda e: e.scenario.exploitation.indexation.charges_pct,
              lambda e, v: _indexation(e.scenario, charges_pct=v), lambda v: (v - 0.5, v + 0.5),
              lambda v, e: (-5.0, 10.0)),
    Hypothese("gla", "Coût de la gestion locative adaptée", "€/logement/an",
              lambda e: e.scenario.exploitation.gla.montant if e.scenario.exploitation.gla else 0.0, _gla,
              lambda v: (0.8 * v, 1.2 * v), lambda v, e: (0.0, 5.0 * v + 5000.0)),
    Hypothese("tfpb_exoneration", "Durée d'exonération de TFPB", "années",
              lambda e: float(e.hypotheses.tfpb_exoneration),
              _tfpb, lambda v: (max(v - 5.0, 0.0), v + 5.0), lambda v, e: (0.0, float(e.horizon)), entier=True),
)


def _subventions(variantes: list[Scenario], p: Parametres | None) -> np.ndarray:
    """S* de chaque variante (inf si infaisable, nan si la variante n'a pas de plan de financement valide)."""
    entrees, valides = [], []
    for i, v in enumerate(variantes):
        try:
            entrees.append(preparer(v, p))
            valides.append(i)
        except ScenarioInvalide:
            pass
    resultat = np.full(len(variantes), np.nan)
    if entrees:
        resultat[valides] = besoins(entrees).subvention_ou_infini
    return resultat


def sensibilite(sc: Scenario, parametres: Parametres | None = None,
                hypotheses: tuple[Hypothese, ...] = HYPOTHESES, progression=None) -> Sensibilite:
    """S* pour chaque hypothèse basse et haute, et la valeur de bascule de chacune ; ``progression(fait, total)``
    après chaque étape (variantes, puis chaque pas des deux dichotomies)."""
    total = 1 + 2 * (ITERATIONS + 1)
    etapes = [0]

    def avancer() -> None:
        etapes[0] += 1
        if progression is not None:
            progression(min(etapes[0], total), total)

    e = preparer(sc, parametres)
    bases = [h.valeur(e) for h in hypotheses]
    ecarts = [h.ecart(v) for h, v in zip(hypotheses, bases)]
    variantes = [sc]
    for h, (bas, haut) in zip(hypotheses, ecarts):
        variantes += [h.appliquer(e, bas), h.appliquer(e, haut)]
    s = _subventions(variantes, parametres)
    avancer()
    plages = [h.plage(v, e) for h, v in zip(hypotheses, bases)]
    bascules = _frontiere(e, hypotheses, plages, parametres, lambda x: x > 0, avancer)
    ruptures = _frontiere(e, hypotheses, plages, parametres, np.isinf, avancer)
    if progression is not None:
        progression(total, total)
    lignes = tuple(LigneSensibilite(cle=h.cle, libelle=h.libelle, unite=h.unite, base=v, basse=bas, haute=haut,
                                    subvention_basse=float(s[1 + 2 * i]), subvention_haute=float(s[2 + 2 * i]),
                                    bascule=bascules[i], rupture=ruptures[i], plage=plages[i])
                   for i, (h, v, (bas, haut)) in enumerate(zip(hypotheses, bases, ecarts)))
    return Sensibilite(e.provenance, sc.operation.nom, sc.analyse.critere, float(s[0]), lignes)


def _frontiere(e: Entrees, hypotheses, plages, p, predicat, avancer=lambda: None) -> list[float | None]:
    """Dichotomie simultanée sur toutes les hypothèses : la frontière où ``predicat(S*)`` change de valeur dans la
    plage, donnée du côté où il est faux (arrondie à l'entier de ce côté pour une durée) ; None sans changement."""
    lo = np.array([a for a, _ in plages], float)
    hi = np.array([b for _, b in plages], float)

    def evaluer(x: np.ndarray) -> np.ndarray:
        return predicat(_subventions([h.appliquer(e, v) for h, v in zip(hypotheses, x)], p))

    vrai_lo, vrai_hi = evaluer(lo), evaluer(hi)
    avancer()
    actif = vrai_lo != vrai_hi
    for _ in range(ITERATIONS):
        avancer()
        if not actif.any():
            continue
        mi = (lo + hi) / 2
        meme_que_lo = evaluer(mi) == vrai_lo
        lo = np.where(actif & meme_que_lo, mi, lo)
        hi = np.where(actif & ~meme_que_lo, mi, hi)
    resultat: list[float | None] = []
    for i, h in enumerate(hypotheses):
        if not actif[i]:
            resultat.append(None)
        elif not vrai_hi[i]:  # le prédicat est faux du côté haut
            resultat.append(float(np.ceil(hi[i] - 1e-9)) if h.entier else float(hi[i]))
        else:
            resultat.append(float(np.floor(lo[i] + 1e-9)) if h.entier else float(lo[i]))
    return resultat
