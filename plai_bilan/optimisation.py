"""Le montage financier optimisé : dans les règles des prêteurs, le plan qui demande le moins de subvention.

Leviers du maître d'ouvrage, pour chaque prêt CDC indexé sur le livret A (regles_prets.toml, à la date
d'agrément) : sa durée (de la durée de base moins l'ajustement à la durée de base plus l'ajustement, 60 ans pour le
foncier des seuls agréments et zones que la fiche ouvre, jamais au-delà de l'horizon), sa progressivité (au pas de
0,25 point entre les bornes de la fiche ; au moins 0 en double révisabilité limitée), son différé d'amortissement
(0 à 24 mois), sa révisabilité ; la part du prêt foncier à montant fixé (de 0 à la charge foncière, au pas de 5 %,
le prêt d'équilibre recevant le reste) ; les fonds propres jusqu'au plafond que donne l'utilisateur. Le
préfinancement suit la durée du chantier : ce n'est pas un levier. Les prêts à taux fixe restent tels quels.

Cadre de la comparaison : un horizon fixé (celui du fichier, ou --horizon), sur lequel la GLA, la GLS et
l'accompagnement qui couvraient toute l'opération restent engagés ; aucun prêt ne dure au-delà de l'horizon.

Méthode : descente par coordonnées sur ces grilles (chaque levier essayé sur toute sa grille, les autres fixés ; un
changement n'est gardé que s'il fait baisser l'objectif de plus d'un centime), puis recherche conjointe des durées
de tous les prêts CDC (grille produit, au plus 4 000 plans) et une dernière descente. C'est un optimum sur les
grilles, pas une preuve d'optimum global ; entre deux plans d'égal objectif, celui qui change le moins le fichier.
Chaque plan est résolu par le noyau compilé (milliers de plans par seconde) ; le plan retenu est résolu à nouveau
par le calcul complet, dont le S* est celui qu'affiche la commande.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from plai_bilan.bilan import Provenance
from plai_bilan.calcul import besoins, subvention_minimale
from plai_bilan.erreurs import ScenarioInvalide
from plai_bilan.parametres import Parametres, charger_parametres
from plai_bilan.preparation import horizon, preparer, variantes_contreparties
from plai_bilan.scenario import Scenario

OBJECTIFS = ("subvention", "fnap")
PAS_PROGRESSIVITE = 0.25  # points de pour cent
PAS_FONCIER = 0.05  # part de la charge foncière
PASSES = 6
PLANS_CONJOINTS = 4000
CENTIME = 0.005


@dataclass(frozen=True)
class Levier:
    """Un levier du plan : sa clé de scénario, sa grille, et ce qu'il vaut dans le fichier et dans le plan retenu."""

    cle: str
    libelle: str
    grille: tuple
    valeur_fichier: Any
    valeur_optimisee: Any = None
    economie_seule: float | None = None  # baisse de l'objectif par ce seul levier, depuis le plan du fichier


@dataclass(frozen=True)
class Optimisation:
    provenance: Provenance
    nom: str
    objectif: str
    horizon: int
    regles: str
    subvention_fichier: float
    subvention_optimisee: float
    justifiable_fichier: float | None
    justifiable_optimisee: float | None
    leviers: tuple[Levier, ...]
    scenario_optimise: Scenario
    evaluations: int
    hors_regles: tuple[str, ...]  # valeurs du fichier hors des grilles (ramenées dans les règles pour la recherche)
    engagements_prolonges: tuple[str, ...]
    inconnue: str | None = None  # fichier de demande : la subvention demandée devenue l'inconnue
    indice_inconnue: int | None = None

    @property
    def economie(self) -> float:
        """S* du fichier - S* optimisé (inf si le fichier est infaisable et le plan optimisé faisable)."""
        return self.subvention_fichier - self.subvention_optimisee

    @property
    def leviers_changes(self) -> tuple[Levier, ...]:
        return tuple(l for l in self.leviers if l.valeur_optimisee != l.valeur_fichier)


def _grille_pas(a: float, b: float, pas: float) -> tuple[float, ...]:
    n = int(round((b - a) / pas))
    return tuple(round(a + k * pas, 6) for k in range(n + 1))


def _leviers(sc: Scenario, p: Parametres, h: int, fonds_propres_max: float | None) -> list[Levier]:
    op = sc.operation
    leviers: list[Levier] = []
    soldes = [i for i, pr in enumerate(sc.prets) if pr.est_solde]
    for i, pr in enumerate(sc.prets):
        if pr.index != "livret_a":
            continue
        b, _ = p.bornes_pret(pr.objet, op.zone_abc, op.date_agrement)
        nom = f"du prêt « {pr.nom} »"
        durees = tuple(range(max(b.duree_min, pr.differe_amortissement + 1), min(b.duree_max, h) + 1))
        if durees:
            leviers.append(Levier(f"prets[{i}].duree", f"Durée {nom}", durees, pr.duree))
        leviers.append(Levier(f"prets[{i}].progressivite_pct", f"Progressivité {nom}",
                              _grille_pas(b.progressivite_min_pct, b.progressivite_max_pct, PAS_PROGRESSIVITE),
                              pr.progressivite_pct))
        leviers.append(Levier(f"prets[{i}].differe_amortissement", f"Différé d'amortissement {nom}",
                              tuple(range(0, b.differe_max + 1)), pr.differe_amortissement))
        leviers.append(Levier(f"prets[{i}].revisabilite", f"Révisabilité {nom}", b.revisabilites, pr.revisabilite))
        if pr.objet == "foncier" and not pr.est_solde and soldes:
            cf = sc.prix_de_revient.charge_fonciere
            grille = tuple(sorted({round(cf * k * PAS_FONCIER, 2) for k in range(int(round(1 / PAS_FONCIER)) + 1)}
                                  | ({float(pr.montant)} if 0 <= float(pr.montant) <= cf else set())))
            leviers.append(Levier(f"prets[{i}].montant", f"Montant {nom} (le prêt d'équilibre reçoit le reste)",
                                  grille, float(pr.montant)))
    if fonds_propres_max is not None and fonds_propres_max > sc.fonds_propres.montant:
        a = sc.fonds_propres.montant
        leviers.append(Levier("fonds_propres.montant", "Fonds propres",
                              tuple(round(a + (fonds_propres_max - a) * k / 10, 2) for k in range(11)), a))
    return leviers


def _appliquer(sc: Scenario, valeurs: dict[str, Any]) -> Scenario:
    prets = list(sc.prets)
    fonds = sc.fonds_propres
    for cle, v in valeurs.items():
        if cle == "fonds_propres.montant":
            fonds = dataclasses.replace(fonds, montant=float(v))
            continue
        i, champ = int(cle[cle.index("[") + 1:cle.index("]")]), cle.split(".", 1)[1]
        prets[i] = dataclasses.replace(prets[i], **{champ: v})
    return dataclasses.replace(sc, prets=tuple(prets), fonds_propres=fonds)


def _admissible(sc: Scenario) -> bool:
    """Les contraintes croisées d'un plan : différé plus court que la durée, double révisabilité limitée >= 0."""
    return all(pr.differe_amortissement < pr.duree and not (
        pr.index == "livret_a" and pr.revisabilite == "double_limitee" and pr.progressivite_pct < 0)
        for pr in sc.prets)


class _Objectif:
    """L'objectif de plans entiers, résolus en un lot par le noyau : S*, ou J = max(0, min(S*, S* - G))."""

    def __init__(self, objectif: str, p: Parametres) -> None:
        self.objectif, self.p, self.evaluations = objectif, p, 0

    def __call__(self, plans: list[Scenario]) -> np.ndarray:
        self.evaluations += len(plans)
        valeurs = np.full(len(plans), np.inf)
        entrees, rangs = [], []
        for k, sc in enumerate(plans):
            if not _admissible(sc):
                continue
            try:
                e = [preparer(sc, self.p)]
                if self.objectif == "fnap":
                    e.append(preparer(variantes_contreparties(sc)[-1], self.p))
            except ScenarioInvalide:
                continue  # un prêt d'équilibre négatif, par exemple
            entrees += e
            rangs.append(k)
        if not entrees:
            return valeurs
        s = besoins(entrees).subvention_ou_infini
        if self.objectif == "subvention":
            valeurs[rangs] = s
        else:
            s_star, g = s[0::2], s[1::2]
            with np.errstate(invalid="ignore"):
                j = np.where(np.isfinite(s_star), np.maximum(0.0, np.minimum(s_star, s_star - g)), np.inf)
            # À J égal, le plan au plus petit S* : un millionième d'euro par euro de S*.
            valeurs[rangs] = np.where(np.isfinite(j), j + 1e-6 * np.where(np.isfinite(s_star), s_star, 0), np.inf)
        return valeurs


def _plus_proche(levier: Levier, candidats: list, valeurs: np.ndarray) -> int:
    """Le meilleur candidat ; à un centime près, celui de la grille le plus proche de la valeur du fichier."""
    meilleur = float(np.min(valeurs))
    egaux = [k for k, v in enumerate(valeurs) if v <= meilleur + CENTIME]
    grille = list(levier.grille)

    def distance(k: int) -> float:
        v = candidats[k]
        if isinstance(v, str):
            return 0.0 if v == levier.valeur_fichier else 1.0
        return abs(float(v) - float(levier.valeur_fichier)) / (max(map(float, grille)) - min(map(float, grille)) or 1)

    return min(egaux, key=distance)


def _ramener(levier: Levier) -> Any:
    """La valeur du fichier, ou la plus proche de la grille quand elle en sort."""
    if levier.valeur_fichier in levier.grille:
        return levier.valeur_fichier
    if isinstance(levier.valeur_fichier, str):
        return levier.grille[0]
    return min(levier.grille, key=lambda g: abs(float(g) - float(levier.valeur_fichier)))


def _cadre(sc: Scenario, h: int) -> tuple[Scenario, tuple[str, ...]]:
    """Le scénario à horizon fixé ; les engagements qui couvraient toute l'opération du fichier la couvrent encore."""
    h_fichier = horizon(sc)
    ex = sc.exploitation
    prolonges = []
    champs = {}
    for nom in ("gls", "gla", "accompagnement"):
        t = getattr(ex, nom)
        if t is not None and t.duree >= h_fichier and t.duree < h:
            champs[nom] = dataclasses.replace(t, duree=h)
            prolonges.append(f"exploitation.{nom}.duree : {t.duree} -> {h} ans")
    if champs:
        sc = dataclasses.replace(sc, exploitation=dataclasses.replace(ex, **champs))
    return dataclasses.replace(sc, analyse=dataclasses.replace(sc.analyse, duree=h)), tuple(prolonges)


def optimiser(sc: Scenario, parametres: Parametres | None = None, objectif: str = "subvention",
              fonds_propres_max: float | None = None, horizon_fixe: int | None = None,
              progression=None, inconnue: int | None = None) -> Optimisation:
    """Le plan de financement qui minimise l'objectif dans les règles des prêteurs (docstring du module)."""
    if objectif not in OBJECTIFS:
        raise ValueError(objectif)
    p = parametres or charger_parametres()
    h = horizon_fixe or horizon(sc)
    base, prolonges = _cadre(sc, h)
    leviers = _leviers(base, p, h, fonds_propres_max)
    f = _Objectif(objectif, p)
    depart = {l.cle: _ramener(l) for l in leviers}
    hors = tuple(f"{l.cle} = {l.valeur_fichier} (hors des règles ou du cadre ; ramené à {depart[l.cle]})"
                 for l in leviers if depart[l.cle] != l.valeur_fichier)
    cles = {l.cle for l in leviers}
    for i, pr in enumerate(base.prets):
        if pr.index == "livret_a" and f"prets[{i}].duree" not in cles:
            b, _ = p.bornes_pret(pr.objet, base.operation.zone_abc, base.operation.date_agrement)
            hors += (f"prets[{i}].duree = {pr.duree} : les règles demandent de {b.duree_min} à {b.duree_max} ans, "
                     f"hors de l'horizon fixé ({h} ans) ; durée laissée telle quelle (fixez --horizon)",)
    etat = dict(depart)
    meilleur = float(f([_appliquer(base, etat)])[0])
    total = PASSES + 2
    etape = 0

    def avancer() -> None:
        nonlocal etape
        etape += 1
        if progression is not None:
            progression(min(etape, total), total)

    def descente() -> bool:
        nonlocal meilleur
        change = False
        for l in leviers:
            candidats = list(l.grille)
            valeurs = f([_appliquer(base, {**etat, l.cle: c}) for c in candidats])
            k = _plus_proche(l, candidats, valeurs)
            if valeurs[k] < meilleur - CENTIME:
                change = True
                etat[l.cle], meilleur = candidats[k], float(valeurs[k])
        return change

    for _ in range(PASSES):
        avancer()
        if not descente():
            break
    # Les durées de tous les prêts CDC ensemble : leurs interactions (prêt d'équilibre, année critique).
    durees = [l for l in leviers if l.cle.endswith(".duree")]
    taille = int(np.prod([len(l.grille) for l in durees])) if durees else 0
    if 1 < len(durees) and taille <= PLANS_CONJOINTS:
        combos = list(itertools.product(*(l.grille for l in durees)))
        valeurs = f([_appliquer(base, {**etat, **{l.cle: c for l, c in zip(durees, combo)}}) for combo in combos])
        k = int(np.argmin(valeurs))
        if valeurs[k] < meilleur - CENTIME:
            etat.update({l.cle: c for l, c in zip(durees, combos[k])})
            meilleur = float(valeurs[k])
            descente()
    avancer()

    optimise = _appliquer(base, etat)
    r_fichier = subvention_minimale(base, p)
    r_opt = subvention_minimale(optimise, p)
    # Chaque levier seul, depuis le plan du fichier (dans le cadre).
    changes = [l for l in leviers if etat[l.cle] != l.valeur_fichier]
    ref = f([_appliquer(base, {})])[0]
    seuls = f([_appliquer(base, {l.cle: etat[l.cle]}) for l in changes]) if changes else np.array([])
    par_cle = {l.cle: float(ref - v) if np.isfinite(v) and np.isfinite(ref) else None for l, v in zip(changes, seuls)}
    if progression is not None:
        progression(total, total)
    _, source = p.bornes_pret("construction", sc.operation.zone_abc, sc.operation.date_agrement)
    return Optimisation(
        provenance=r_opt.provenance, nom=sc.operation.nom, objectif=objectif, horizon=h,
        regles=f"regles_prets.toml, fiches CDC, valeur du {source.date.strftime('%d/%m/%Y')} (estimation en partie)",
        subvention_fichier=_ou_inf(r_fichier), subvention_optimisee=_ou_inf(r_opt),
        justifiable_fichier=r_fichier.subvention_justifiable, justifiable_optimisee=r_opt.subvention_justifiable,
        leviers=tuple(dataclasses.replace(l, valeur_optimisee=etat[l.cle], economie_seule=par_cle.get(l.cle, 0.0))
                      for l in leviers),
        scenario_optimise=optimise, evaluations=f.evaluations, hors_regles=hors, engagements_prolonges=prolonges,
        inconnue=None if inconnue is None else (f"subventions[{inconnue}] ({sc.subventions[inconnue].financeur}) : la "
                                                 "subvention demandée est l'inconnue, comme dans instruire"),
        indice_inconnue=inconnue)


def _ou_inf(b) -> float:
    return float(b.subvention_minimale) if b.faisable and b.subvention_minimale is not None else float("inf")


def document_optimise(doc: dict, o: Optimisation) -> dict:
    """Le document du scénario (même forme que son fichier) avec le plan optimisé et l'horizon fixé."""
    import copy

    d = copy.deepcopy(doc)
    for l in o.leviers_changes:
        if l.cle == "fonds_propres.montant":
            d.setdefault("fonds_propres", {})["montant"] = l.valeur_optimisee
            continue
        i, champ = int(l.cle[l.cle.index("[") + 1:l.cle.index("]")]), l.cle.split(".", 1)[1]
        d["prets"][i][champ] = l.valeur_optimisee
    d.setdefault("analyse", {})["duree"] = o.horizon
    if o.indice_inconnue is not None:  # fichier de demande : le scénario écrit calcule la subvention demandée
        s = d["subventions"][o.indice_inconnue]
        for cle in ("montant_par_logement", "montant_par_plai_adapte"):
            s.pop(cle, None)
        s["montant"] = "a_calculer"
    ex = o.scenario_optimise.exploitation
    for nom in ("gls", "gla", "accompagnement"):
        t = getattr(ex, nom)
        if t is not None and nom in d.get("exploitation", {}):
            d["exploitation"][nom]["duree"] = t.duree
    return d
