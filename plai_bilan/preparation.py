"""Scénario + paramètres -> entrées numériques d'une opération : loyers, plan de financement, trajectoires.

C'est ici que les valeurs réglementaires en vigueur à la date d'agrément sont cherchées ; une date hors des
tables devient une erreur de scénario qui nomme la clé de date. Les taux passent de pour cent à décimal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from plai_bilan.erreurs import ParametreInvalide, ScenarioInvalide
from plai_bilan.format import euros
from plai_bilan.moteur import loyers as formules
from plai_bilan.parametres import Parametres, ValeurDatee, charger_parametres
from plai_bilan.scenario import Logement, Scenario

TOLERANCE_PLAN = 1.0  # euros : écart admis entre ressources et prix de revient sans prêt « solde »


@dataclass(frozen=True)
class LigneLoyer:
    """Le loyer d'une ligne de logements et les plafonds qui l'encadrent (euros par mois et par logement)."""

    typologie: str
    nombre: int
    surface_habitable: float
    surface_annexes: float
    surface_utile: float
    plai_adapte: bool
    menage: str
    plafond_plai: float  # plafond PLAI du logement (ordinaire : plafond m2 * SU ; foyer : redevance maximale)
    plafond_apl: float | None  # L (ordinaire) ou E (foyer) du ménage ; None si pas de ménage
    loyer: float  # loyer ou redevance appliqué
    loyer_accessoire: float
    origine: str  # d'où vient le loyer appliqué
    rls: float  # RLS mensuelle si la ligne y est soumise, sinon 0


@dataclass(frozen=True)
class LigneFinancement:
    nature: str  # "subvention", "fonds_propres", "pret"
    libelle: str
    montant: float
    cle: str  # clé du scénario
    inconnue: bool = False  # la subvention à calculer


@dataclass(frozen=True)
class Entrees:
    """Tout ce que le moteur consomme pour une opération, en nombres (taux décimaux)."""

    scenario: Scenario
    horizon: int
    cs: float | None
    lmzone: float | None
    plafond_plai_m2: float | None
    lignes: tuple[LigneLoyer, ...]
    livret_a: np.ndarray  # (H,) décimal
    financement: tuple[LigneFinancement, ...]
    principaux: np.ndarray  # (L,) capital de chaque prêt, solde compris
    indice_solde: int | None
    indice_inconnue: int | None
    reference_fnap: float | None  # valeur de référence FNAP totale de l'opération
    reference_fnap_par_logement: float | None
    parametres_utilises: tuple[ValeurDatee, ...]
    avertissements: tuple[str, ...]

    @property
    def prix_de_revient(self) -> float:
        return self.scenario.prix_de_revient.total

    @property
    def pret_equilibre(self) -> float | None:
        return None if self.indice_solde is None else float(self.principaux[self.indice_solde])


def _menage_texte(lg: Logement) -> str:
    if lg.menage is None:
        return ""
    base = "couple" if lg.menage.couple else "personne seule"
    pac = lg.menage.personnes_a_charge
    return base if pac == 0 else f"{base}, {pac} pers. à charge"


class _Collecte:
    """Recherche des paramètres en vigueur ; toute absence devient une erreur de scénario sur la clé de date."""

    def __init__(self, sc: Scenario, p: Parametres) -> None:
        self.sc, self.p = sc, p
        self.utilises: dict[tuple[str, date], ValeurDatee] = {}

    def __call__(self, cle: str, fonction, *args):
        try:
            valeur, source = fonction(*args)
        except ParametreInvalide as exc:
            raise ScenarioInvalide(self.sc.fichier, cle, str(exc)) from None
        self.utilises[(source.bareme, source.date)] = source
        return valeur

    def facultatif(self, fonction, *args):
        """Comme l'appel, mais une valeur absente à la date donne None au lieu d'une erreur."""
        try:
            valeur, source = fonction(*args)
        except ParametreInvalide:
            return None
        self.utilises[(source.bareme, source.date)] = source
        return valeur


def horizon(sc: Scenario) -> int:
    """H : analyse.duree, sinon max(40, la plus longue durée de prêt)."""
    if sc.analyse.duree is not None:
        return sc.analyse.duree
    return max([40] + [p.duree for p in sc.prets])


def preparer(sc: Scenario, parametres: Parametres | None = None) -> Entrees:
    """Construit les entrées numériques d'une opération."""
    p = parametres or charger_parametres()
    op = sc.operation
    chercher = _Collecte(sc, p)
    cle_date = "operation.date_agrement"
    avert = list(sc.avertissements)
    n_total = sc.n_logements
    su_totale = sc.su_totale

    cs = lmzone = plafond_m2 = None
    if op.produit == "ordinaire":
        cs = chercher(cle_date, p.coefficient_structure, n_total, su_totale, op.date_agrement)
        if op.loyer_plafond_m2 is not None:
            plafond_m2 = op.loyer_plafond_m2
            lmzone = chercher.facultatif(p.loyer_maximal_plai, op.zone_loyer, op.date_agrement)
        else:
            lmzone = chercher(cle_date, p.loyer_maximal_plai, op.zone_loyer, op.date_agrement)
            plafond_m2 = formules.plafond_plai_m2(lmzone, cs, op.marge_locale_pct / 100.0)

    lignes = []
    for i, lg in enumerate(sc.logements):
        su = lg.surface_utile
        plafond_apl = None
        if lg.menage is not None:
            fonction = p.plafond_apl if op.produit == "ordinaire" else p.equivalence_foyer
            plafond_apl = chercher(cle_date, fonction, op.zone_apl, lg.menage.couple,
                                   lg.menage.personnes_a_charge, op.date_agrement)
        rls = 0.0
        if op.rls and op.produit == "ordinaire" and lg.soumis_rls:
            rls = chercher(cle_date, p.reduction_loyer_solidarite, op.zone_apl, lg.menage.couple,
                           lg.menage.personnes_a_charge, op.date_agrement)
        saisi = math.nan
        origine = ""
        if lg.loyer_mensuel is not None:
            saisi, origine = lg.loyer_mensuel, "saisi (loyer_mensuel)"
        elif lg.loyer_m2 is not None:
            saisi, origine = lg.loyer_m2 * su, "saisi (loyer_m2 x SU)"
        apl = np.nan if plafond_apl is None else plafond_apl
        if op.produit == "ordinaire":
            plafond = plafond_m2 * su
            loyer = float(formules.loyer_ordinaire(np.array(saisi), np.array(plafond), np.array(apl),
                                                   np.array(lg.loyer_accessoire), np.array(lg.plai_adapte)))
            if not origine:
                origine = ("plafond APL - loyer accessoire" if lg.plai_adapte and
                           plafond_apl - lg.loyer_accessoire < plafond else "plafond PLAI")
        else:
            plafond = lg.redevance_max if lg.redevance_max is not None else math.nan
            loyer = float(formules.redevance_foyer(np.array(saisi), np.array(plafond), np.array(apl),
                                                   np.array(lg.plai_adapte)))
            if not origine:
                origine = ("équivalence APL foyer" if lg.plai_adapte and plafond_apl < plafond
                           else "redevance maximale")
        if loyer < 0:
            raise ScenarioInvalide(sc.fichier, f"logements[{i}].loyer_accessoire",
                                   f"le loyer accessoire ({euros(lg.loyer_accessoire, 2)}) dépasse le plafond APL du "
                                   f"ménage ({euros(plafond_apl, 2)}) : le loyer principal serait négatif")
        lignes.append(LigneLoyer(lg.typologie, lg.nombre, lg.surface_habitable, lg.surface_annexes, su,
                                 lg.plai_adapte, _menage_texte(lg), plafond, plafond_apl, loyer,
                                 lg.loyer_accessoire, origine, rls))

    h = horizon(sc)
    # Trajectoire du livret A.
    la = sc.livret_a
    if la.trajectoire == "constante":
        jour = la.date_valeur or op.date_agrement
        cle = "livret_a.date_valeur" if la.date_valeur else cle_date
        taux = chercher(cle, p.taux_livret_a, jour)
        livret = np.full(h, taux / 100.0)
    else:
        trajet = np.asarray(la.trajectoire, float) / 100.0
        livret = np.concatenate([trajet, np.full(max(h - len(trajet), 0), trajet[-1])])[:h]
        if any(pr.index == "livret_a" for pr in sc.prets):
            chercher.facultatif(p.taux_livret_a, op.date_agrement)

    # Plan de financement.
    reference_par_logement = reference = None
    n_pa = sc.n_plai_adapte
    args_fnap = (p.reference_fnap, op.region, op.produit, n_pa, op.date_agrement)
    if any(s.montant == "reference" for s in sc.subventions):
        reference_par_logement = chercher(cle_date, *args_fnap)
    elif n_pa > 0:
        reference_par_logement = chercher.facultatif(*args_fnap)
    if reference_par_logement is not None:
        reference = reference_par_logement * n_pa
    financement = []
    indice_inconnue = None
    for i, s in enumerate(sc.subventions):
        cle = f"subventions[{i}].montant"
        if s.montant == "a_calculer":
            montant, indice_inconnue = 0.0, i
        elif s.montant == "reference":
            montant = reference
        elif s.montant_par_logement is not None:
            montant, cle = s.montant_par_logement * n_total, f"subventions[{i}].montant_par_logement"
        else:
            montant = float(s.montant)
        financement.append(LigneFinancement("subvention", s.financeur, montant, cle, s.montant == "a_calculer"))
    fp = sc.fonds_propres.montant
    if fp > 0:
        financement.append(LigneFinancement("fonds_propres", "Fonds propres", fp, "fonds_propres.montant"))
    principaux = np.zeros(len(sc.prets))
    indice_solde = None
    for i, pr in enumerate(sc.prets):
        if pr.est_solde:
            indice_solde = i
        else:
            principaux[i] = float(pr.montant)
    pr_total = sc.prix_de_revient.total
    autres = sum(f.montant for f in financement) + principaux.sum()
    if indice_solde is not None:
        solde = pr_total - autres
        if solde < -0.005:
            raise ScenarioInvalide(sc.fichier, f"prets[{indice_solde}].montant",
                                   f"plan de financement sur-financé : les autres ressources ({euros(autres, 2)}) "
                                   f"dépassent le prix de revient ({euros(pr_total, 2)}) de {euros(-solde, 2)} ; "
                                   "le prêt d'équilibre serait négatif")
        principaux[indice_solde] = max(solde, 0.0)
    elif abs(autres - pr_total) > TOLERANCE_PLAN:
        raise ScenarioInvalide(sc.fichier, "prets",
                               f"le plan de financement ne s'équilibre pas : ressources {euros(autres, 2)}, prix de "
                               f"revient {euros(pr_total, 2)}, écart {euros(autres - pr_total, 2)} ; ajustez un "
                               "montant ou déclarez un prêt montant = \"solde\"")
    for i, pr in enumerate(sc.prets):
        financement.append(LigneFinancement("pret", pr.nom, float(principaux[i]), f"prets[{i}].montant"))

    longest = max([pr.duree for pr in sc.prets], default=0)
    if sc.analyse.duree is not None and sc.analyse.duree < longest:
        avert.append(f"{sc.fichier} : clé « analyse.duree » : l'horizon ({h} ans) est plus court que le plus long "
                     f"prêt ({longest} ans) ; le capital restant dû à l'horizon est indiqué")
    return Entrees(sc, h, cs, lmzone, plafond_m2, tuple(lignes), livret, tuple(financement), principaux,
                   indice_solde, indice_inconnue, reference, reference_par_logement,
                   tuple(sorted(chercher.utilises.values(), key=lambda v: (v.bareme, v.date))), tuple(avert))


def variante_plai_ordinaire(sc: Scenario) -> Scenario:
    """La même opération en PLAI « classique » : loyers au plafond PLAI, sans GLA, accompagnement ni son financement.

    Les lignes gardent leur assujettissement à la RLS. Sert au coût des contreparties sociales (model.md 8).
    """
    logements = tuple(
        replace(lg, plai_adapte=False, rls=lg.soumis_rls,
                loyer_m2=None, loyer_mensuel=lg.loyer_mensuel if (sc.operation.produit == "foyer" and
                                                                  lg.redevance_max is None) else None)
        for lg in sc.logements
    )
    ex = replace(sc.exploitation, gla=None, accompagnement=None, financement_accompagnement=None)
    return replace(sc, logements=logements, exploitation=ex, avertissements=())
