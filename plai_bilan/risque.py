"""Risque de taux : la subvention d'équilibre sous d'autres trajectoires du livret A, vectorisée sur les trajectoires.

Trajectoires nommées (rejeu historique, décalages, hausse lente) et modèle aléatoire à retour vers la moyenne,
décrits dans ``hypotheses/livret_a_risque.toml``. Une trajectoire est un tableau (H,) de taux décimaux ; N
trajectoires forment un tableau (N, H) ; l'opération est répétée N fois dans un seul lot
(:meth:`Lot.sous_trajectoires`) et S* est résolue en une passe (:func:`solveur.subventions_lot`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from plai_bilan.etudes import Distribution, Risque, Trajectoire
from plai_bilan.hypotheses import hypotheses_livret_a
from plai_bilan.parametres import Parametres, charger_parametres
from plai_bilan.preparation import Entrees, construire_lot
from plai_bilan.solveur import SEUIL_NOYAU, Subventions, subventions_lot


def moyennes_annuelles(parametres: Parametres, debut: int, fin: int) -> np.ndarray:
    """Moyenne, jour par jour, du taux du livret A en vigueur pendant chaque année civile debut..fin (pour cent)."""
    bareme = parametres["livret_a"]
    resultat = []
    for annee in range(debut, fin + 1):
        jours = (date(annee + 1, 1, 1) - date(annee, 1, 1)).days
        taux = [bareme.en_vigueur(date(annee, 1, 1) + timedelta(days=d)).donnees["taux_pct"] for d in range(jours)]
        resultat.append(float(np.mean(taux)))
    return np.array(resultat)


def trajectoires_nommees(e: Entrees, parametres: Parametres | None = None) -> list[Trajectoire]:
    """Les trajectoires de résistance du fichier d'hypothèses, sur l'horizon de l'opération."""
    p = parametres or charger_parametres()
    h = e.horizon
    base = np.asarray(e.livret_a[:h], float)
    t = np.arange(1, h + 1)
    resultat = [Trajectoire("scenario", "Trajectoire du scénario", base)]
    for d in hypotheses_livret_a()["trajectoires"]:
        if d["type"] == "rejeu":
            debut, fin = d["debut"], d["fin"]
            moyennes = moyennes_annuelles(p, debut.year, fin.year - 1) / 100
            dernier = p["livret_a"].en_vigueur(fin).donnees["taux_pct"] / 100
            taux = np.concatenate([moyennes, np.full(max(h - len(moyennes), 0), dernier)])[:h]
        elif d["type"] == "decalage":
            taux = base + d["points"] / 100
        elif d["type"] == "rampe":
            taux = base + np.minimum(d["pas_points"] * (t - 1), d["plafond_points"]) / 100
        else:
            raise ValueError(f"type de trajectoire inconnu : {d['type']}")
        resultat.append(Trajectoire(d["nom"], d["libelle"], taux))
    return resultat


def trajectoires_aleatoires(depart: float, horizon: int, n: int, graine: int | None = None,
                            modele: dict | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
    """N trajectoires (N, H) du modèle à retour vers la moyenne, en décimal, partant de ``depart`` (décimal).

    x_1 = depart ; x_t = x_{t-1} + vitesse (moyenne - x_{t-1}) + volatilite e_t, borné à [plancher, plafond].
    """
    m = modele or hypotheses_livret_a()["modele_aleatoire"]
    if rng is None:
        rng = np.random.default_rng(m["graine"] if graine is None else graine)
    # Un générateur partagé tire les chocs ligne après ligne : des paquets successifs donnent les mêmes
    # trajectoires qu'un tirage d'un bloc.
    chocs = rng.standard_normal((n, max(horizon - 1, 0)))
    x = np.empty((n, horizon))
    x[:, 0] = depart * 100
    for j in range(1, horizon):
        x[:, j] = np.clip(x[:, j - 1] + m["vitesse"] * (m["moyenne_pct"] - x[:, j - 1])
                          + m["volatilite_points"] * chocs[:, j - 1], m["plancher_pct"], m["plafond_pct"])
    return x / 100


def besoins_sous_trajectoires(e: Entrees, livret_a: np.ndarray, noyau_compile: bool | None = None) -> Subventions:
    """S* et sa faisabilité sous chaque trajectoire (N, H), en un lot (noyau compilé quand il vaut son chargement :
    solveur.subventions_lot)."""
    lot = construire_lot([e]).sous_trajectoires(np.atleast_2d(livret_a))
    return subventions_lot(lot, np.full(lot.n_operations, e.hypotheses.critere), noyau_compile)


def subventions_sous_trajectoires(e: Entrees, livret_a: np.ndarray, noyau_compile: bool | None = None) -> np.ndarray:
    """S* de l'opération sous chaque trajectoire (N, H) ; +inf quand aucune subvention ne l'équilibre."""
    return besoins_sous_trajectoires(e, livret_a, noyau_compile).subvention_ou_infini


PAQUET = 10_000  # trajectoires résolues ensemble : la mémoire reste bornée (quelques centaines de Mo)
ELEMENTS_MAX = 2_000_000  # trajectoires x prêts x années d'un paquet (un échéancier en compte quelques-uns)


def distribution(e: Entrees, n: int = 10_000, graine: int | None = None, progression=None) -> Distribution:
    """S* sur N trajectoires aléatoires du livret A (graine du fichier d'hypothèses par défaut), par paquets de
    :data:`PAQUET` trajectoires tirées du même générateur (mêmes résultats qu'un seul bloc, mémoire bornée)."""
    m = hypotheses_livret_a()["modele_aleatoire"]
    g = m["graine"] if graine is None else graine
    rng = np.random.default_rng(g)
    resultats = np.empty(n)
    # Un paquet plus petit quand l'opération a beaucoup de prêts : trajectoires x prêts x années bornés.
    paquet = max(50, min(PAQUET, ELEMENTS_MAX // (e.horizon * max(1, len(e.prets)))))
    for debut in range(0, n, paquet):
        k = min(paquet, n - debut)
        chemins = trajectoires_aleatoires(float(e.livret_a[0]), e.horizon, k, g, m, rng)
        # Le noyau pour tout le tirage dès que le total le vaut (les paquets, eux, restent de PAQUET trajectoires).
        resultats[debut:debut + k] = subventions_sous_trajectoires(e, chemins, True if n >= SEUIL_NOYAU else None)
        if progression is not None:
            progression(debut + k, n)
    return Distribution(resultats, g)


def risque(e: Entrees, n: int = 10_000, graine: int | None = None, parametres: Parametres | None = None,
           progression=None) -> Risque:
    """Les trajectoires de résistance et la distribution aléatoire, résolues."""
    nommees = trajectoires_nommees(e, parametres)
    b = besoins_sous_trajectoires(e, np.array([t.taux for t in nommees]))
    trajectoires = tuple(
        replace(t, faisable=bool(b.faisable[i]),
                subvention_minimale=float(b.valeur[i]) if b.faisable[i] else None,
                besoin_brut=float(b.brut[i]) if np.isfinite(b.brut[i]) else None)
        for i, t in enumerate(nommees))
    sc = e.scenario
    return Risque(e.provenance, sc.operation.nom, e.hypotheses.critere, e.horizon, e.pret_equilibre_initial,
                  trajectoires, distribution(e, n, graine, progression))
