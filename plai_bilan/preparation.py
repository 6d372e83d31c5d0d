"""Scénario + paramètres -> entrées numériques d'une opération : loyers, plan de financement, trajectoires.

C'est ici que les valeurs réglementaires en vigueur à la date d'agrément sont cherchées ; une date hors des
tables devient une erreur de scénario qui nomme la clé de date. Les taux passent de pour cent à décimal.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, lru_cache
from operator import attrgetter
from pathlib import Path

import numpy as np

from plai_bilan.bilan import (
    CaracteristiquesPret,
    Hypotheses,
    HypothesesSieg,
    LigneFinancement,
    LigneLoyer,
    PosteCout,
    Provenance,
    Revalorisation,
    ValeurPerimee,
    ValeurUtilisee,
)
from plai_bilan.catalogue import montants_par_logement
from plai_bilan.copie import remplacer
from plai_bilan.erreurs import ParametreInvalide, ScenarioInvalide
from plai_bilan.format import euros
from plai_bilan.moteur import loyers as formules
from plai_bilan.moteur.lot import Lot, ParametresPrets
from plai_bilan.moteur.prets import CODES_PROFIL, CODES_REVISABILITE
from plai_bilan.parametres import BAREMES_LOYERS_MAXIMAUX, Parametres, ValeurDatee, charger_parametres  # noqa: F401
from plai_bilan.scenario import PRODUITS_LOGEMENT, Logement, Scenario

TOLERANCE_PLAN = 1.0  # euros : écart admis entre ressources et prix de revient sans prêt « solde »


@dataclass(frozen=True, kw_only=True)
class Entrees:
    """Tout ce que le moteur consomme pour une opération, en nombres (taux décimaux)."""

    scenario: Scenario
    horizon: int
    cs: float | None
    cs_a: float | None
    cs_b: float | None
    regles_loyers: dict[str, float]  # regles_loyers du jeu de paramètres (part des annexes, marges, majorations)
    lmzone: float | None
    plafond_plai_m2: float | None
    plafond_plai_m2_brut: float | None  # LMzone x CS x (1 + marge), avant la règle des annexes importantes
    lmzones: dict[str, float | None]  # LMzone de chaque produit de l'opération (PLAI toujours ; None : valeur saisie)
    plafonds_m2: dict[str, float | None]  # plafond par m2 SU de l'année 1 de chaque produit
    tva_produits: dict[str, dict[str, float]]  # taux de TVA (décimal) de chaque poste pour chaque produit
    revalorisation: Revalorisation  # loyers maximaux, de l'agrément à l'année 1
    revalorisations_apl_supposees: int  # revalorisations des plafonds APL projetées par l'hypothèse
    lignes: tuple[LigneLoyer, ...]
    hypotheses: Hypotheses
    prets: tuple[CaracteristiquesPret, ...]
    livret_a: np.ndarray  # (H,) décimal
    financement: tuple[LigneFinancement, ...]
    principaux: np.ndarray  # (L,) capital de chaque prêt, solde compris
    indice_solde: int | None
    indice_inconnue: int | None
    reference_fnap: float | None  # valeur de référence FNAP totale de l'opération
    reference_fnap_par_logement: float | None
    tranches_fnap: tuple | None  # ((nombre maximal de PLAI adaptés ou None, euros par logement), ...)
    postes_prix_de_revient: tuple[PosteCout, ...]
    hypotheses_sieg: HypothesesSieg
    parametres_utilises: tuple[ValeurUtilisee, ...]
    parametres_date: date
    parametres_origine: str
    parametres_perimes: tuple[ValeurPerimee, ...]
    loyer_accessoire_maximal: float | None  # plafond local du loyer accessoire (barème local), euros par mois
    avertissements: tuple[str, ...]
    parametres: Parametres | None = field(default=None, repr=False, compare=False)  # le jeu qui a servi

    @property
    def prix_de_revient(self) -> float:
        return self.scenario.prix_de_revient.total

    @cached_property
    def baremes_menage(self) -> dict[str, dict[str, float] | None]:
        return baremes_menage(self.scenario, self.parametres)

    @property
    def n_logements(self) -> int:
        return int(_sommes_lignes(self.lignes)[4])

    @property
    def n_plai_adapte(self) -> int:
        return int(_sommes_lignes(self.lignes)[5])

    @cached_property
    def assiettes_lot(self) -> tuple[float, ...]:
        """Les assiettes annuelles que lit le lot, calculées une fois : loyers et accessoires, accessoires, RLS,
        surface utile x 12, logements, PLAI adaptés, logements comptés par le financement de l'accompagnement."""
        sommes = _sommes_lignes(self.lignes)
        n, n_pa = sommes[4], sommes[5]
        return sommes + (float(n_pa if self.hypotheses.financement_accompagnement_contrepartie else n),)

    @cached_property
    def lot(self) -> tuple[np.ndarray, np.ndarray]:
        """Sa ligne de nombres et le tableau de ses prêts, tels que les empile ``construire_lot`` (faits une fois,
        à la préparation)."""
        return ligne_lot(self), prets_lot(self)

    @property
    def provenance(self) -> Provenance:
        from plai_bilan import __version__
        from plai_bilan.catalogue import catalogue

        sc = self.scenario
        return Provenance(version=__version__, version_contrat=catalogue().version_contrat, fichier=sc.fichier,
                          sha256=sc.sha256, nom=sc.operation.nom, parametres_date=self.parametres_date,
                          parametres_origine=self.parametres_origine, parametres_utilises=self.parametres_utilises,
                          parametres_perimes=self.parametres_perimes)

    @property
    def pret_equilibre_initial(self) -> float | None:
        """K : le prêt d'équilibre, subvention à calculer comptée pour 0."""
        return None if self.indice_solde is None else float(self.principaux[self.indice_solde])


class _Retenus:
    """Des résultats gardés pour des objets reconnus à leur identité (les mêmes tuples de logements ou de lignes,
    partagés par les variantes d'une opération) : aucun hachage de milliers de lignes. Les plus anciens partent
    au-delà de ``nombre`` entrées ou de ``lignes`` lignes gardées en tout (la mémoire reste bornée)."""

    def __init__(self, nombre: int = 16, lignes: int = 100_000) -> None:
        self.nombre, self.lignes = nombre, lignes
        self._gardes: OrderedDict = OrderedDict()
        self._total = 0

    def lire(self, objets: tuple, *cle):
        """Le résultat gardé pour ces objets (le même tuple) et cette clé, ou None."""
        trouve = self._gardes.get((id(objets),) + cle)
        if trouve is None or trouve[0] is not objets:
            return None
        self._gardes.move_to_end((id(objets),) + cle)
        return trouve[1]

    def garder(self, objets: tuple, cle: tuple, resultat):
        ancien = self._gardes.pop((id(objets),) + cle, None)
        if ancien is not None:
            self._total -= len(ancien[0])
        self._gardes[(id(objets),) + cle] = (objets, resultat)
        self._total += len(objets)
        while len(self._gardes) > 1 and (len(self._gardes) > self.nombre or self._total > self.lignes):
            vieux, _ = self._gardes.popitem(last=False)[1]
            self._total -= len(vieux)
        return resultat


_SOMMES = _Retenus()


def _sommes_lignes(lignes: tuple[LigneLoyer, ...]) -> tuple[float, ...]:
    """Σ n 12 (loyer + accessoire), Σ n 12 accessoire, Σ n 12 RLS, Σ n 12 SU, logements, PLAI adaptés ; gardées
    pour les préparations qui partagent les mêmes lignes."""
    sommes = _SOMMES.lire(lignes)
    if sommes is None:
        sommes = _SOMMES.garder(lignes, (), (
            sum(lg.nombre * 12.0 * (lg.loyer + lg.loyer_accessoire) for lg in lignes),
            sum(lg.nombre * 12.0 * lg.loyer_accessoire for lg in lignes),
            sum(lg.nombre * 12.0 * lg.reduction_loyer_solidarite for lg in lignes),
            sum(lg.nombre * 12.0 * lg.surface_utile for lg in lignes),
            float(sum(lg.nombre for lg in lignes)), float(sum(lg.nombre for lg in lignes if lg.plai_adapte))))
    return sommes


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
        self.jours: dict[str, date] = {}  # barème -> la plus tardive date à laquelle il a été lu

    def _noter(self, source: ValeurDatee, args) -> None:
        self.utilises[(source.bareme, source.date)] = source
        jour = args[-1]
        self.jours[source.bareme] = max(jour, self.jours.get(source.bareme, jour))

    def __call__(self, cle: str, fonction, *args):
        try:
            valeur, source = fonction(*args)
        except ParametreInvalide as exc:
            raise ScenarioInvalide(self.sc.fichier, cle, str(exc)) from None
        self._noter(source, args)
        return valeur

    def facultatif(self, fonction, *args):
        """Comme l'appel, mais une valeur absente à la date donne None au lieu d'une erreur."""
        try:
            valeur, source = fonction(*args)
        except ParametreInvalide:
            return None
        self._noter(source, args)
        return valeur

    def perimes(self) -> tuple[ValeurPerimee, ...]:
        """Les barèmes lus à une date où leur dernière valeur connue aurait dû être revalorisée."""
        resultat = []
        for nom, jour in sorted(self.jours.items()):
            b = self.p[nom]
            if b.perime(jour):
                resultat.append(ValeurPerimee(nom, b.description, b.valeurs[-1].date, b.revalorisation_attendue(), jour))
        return tuple(resultat)


def revalorisation_loyers(p: Parametres, annee_agrement: int, mise_en_service: int, hypothese: float,
                          utilises: dict) -> Revalorisation:
    """Loyers maximaux des conventions : révisés chaque 1er janvier par la variation de l'IRL du T2 de l'année
    précédente (CCH L.353-9-2), de l'année qui suit l'agrément jusqu'à la mise en service ; un IRL non chargé est
    remplacé par l'hypothèse d'indexation des loyers du scénario."""
    etapes = []
    facteur = 1.0
    for annee in range(annee_agrement + 1, mise_en_service + 1):
        taux, source = taux_revision_loyers(p, annee, hypothese, utilises)
        facteur *= 1.0 + taux
        etapes.append((annee, taux, source))
    return Revalorisation(facteur, tuple(etapes))


def taux_revision_loyers(p: Parametres, annee: int, hypothese: float, utilises: dict) -> tuple[float, str]:
    """Le taux de la révision du 1er janvier de ``annee`` (décimal) et sa source : la loi qui la fixe, sinon l'IRL du
    T2 de l'année précédente (CCH L.353-9-2), sinon l'hypothèse d'indexation des loyers du scénario."""
    fixee = p.revision_loyers_fixee(annee)
    if fixee is not None:
        utilises[(fixee[1].bareme, fixee[1].date)] = fixee[1]
        return fixee[0] / 100.0, f"révision fixée par la loi ({fixee[1].reference.split(' :')[0]})"
    trouve = p.variation_irl_t2(annee - 1)
    if trouve is None:
        return hypothese, "hypothèse d'indexation des loyers du scénario"
    utilises[(trouve[1].bareme, trouve[1].date)] = trouve[1]
    return trouve[0] / 100.0, f"IRL T2 {annee - 1}"


def loyer_maximal_projete(p: Parametres, zone_loyer: str, jour: date, hypothese: float, utilises: dict,
                          produit: str = "PLAI") -> tuple[float, ValeurDatee, tuple[tuple[int, float, str], ...]]:
    """LMzone d'un produit (PLAI par défaut) pour une opération agréée le ``jour`` : la valeur de l'avis de l'année ;
    au-delà du dernier avis chargé, sa valeur revalorisée à chaque 1er janvier manquant comme les loyers maximaux
    des conventions (CCH L.353-9-2 : IRL du T2 de l'année précédente, sinon l'hypothèse du scénario), arrondie au
    centime comme l'avis. Rend (valeur, ligne du barème lue, révisions supposées)."""
    derniere = p[BAREMES_LOYERS_MAXIMAUX[produit]].valeurs[-1]
    if jour.year <= derniere.date.year:
        valeur, source = p.loyer_maximal(produit, zone_loyer, jour)
        return valeur, source, ()
    valeur, source = p.loyer_maximal(produit, zone_loyer, derniere.date)
    etapes = []
    for annee in range(derniere.date.year + 1, jour.year + 1):
        taux, origine = taux_revision_loyers(p, annee, hypothese, utilises)
        valeur = round(valeur * (1.0 + taux) + 1e-9, 2)
        etapes.append((annee, taux, origine))
    return valeur, source, tuple(etapes)


def valeur_annee_1(p: Parametres, bareme: str, fonction, args: tuple, jour_agrement: date, mise_en_service: int,
                   hypothese: float, utilises: dict) -> tuple[float, int]:
    """Une valeur d'un barème d'aide au logement (plafonds L et E, forfait de charges, RLS et son plafond de
    ressources) pour l'année 1, lue au max(1er janvier de l'année de mise en service, date d'agrément) : la valeur
    publiée en vigueur ce jour-là ; au-delà de la dernière valeur connue, elle revalorisée par l'hypothèse à chaque
    revalorisation attendue et manquante (tous les ``periodicite_mois`` du barème). Rend (valeur, nombre de
    revalorisations supposées)."""
    if isinstance(p, _ParametresRetenus):  # les lignes d'une grande opération : chaque combinaison lue une fois
        cle = (bareme, fonction, args, jour_agrement, mise_en_service, hypothese)
        lue = p.annees_1.get(cle)
        if lue is None:
            lue = p.annees_1[cle] = _valeur_annee_1(p, bareme, fonction, args, jour_agrement, mise_en_service,
                                                    hypothese)
    else:
        lue = _valeur_annee_1(p, bareme, fonction, args, jour_agrement, mise_en_service, hypothese)
    valeur, manquants, source = lue
    utilises[(source.bareme, source.date)] = source
    return valeur, manquants


def _valeur_annee_1(p, bareme: str, fonction, args: tuple, jour_agrement: date, mise_en_service: int,
                    hypothese: float) -> tuple[float, int, ValeurDatee]:
    jour = max(date(mise_en_service, 1, 1), jour_agrement)
    b = p[bareme]
    derniere = b.valeurs[-1].date
    if not b.perime(jour):
        valeur, source = fonction(*args, jour)
        return valeur, 0, source
    manquants = b.revalorisations_manquantes(jour)
    valeur, source = fonction(*args, derniere)
    return valeur * (1.0 + hypothese) ** manquants, manquants, source


def baremes_menage(sc: Scenario, p: Parametres | None = None) -> dict[str, dict[str, float] | None]:
    """Les barèmes d'aide au logement de la zone APL à l'année 1, par composition du ménage, pour que le classeur
    calcule en formules le plafond APL (ou l'équivalence foyer E), la RLS et son plafond de ressources de chaque
    ligne : les valeurs que valeur_annee_1 rend au moteur (même date, même revalorisation supposée).

    Clés : « apl » (isole, couple, un_pac, pac_supp ; foyer : isole, couple, pac_1..pac_4, pac_supp), « rls »
    (isole, couple, un_pac, pac_supp), « rls_plafond » (isole, couple, pac_1..pac_6, pac_supp) ; None quand le
    barème ne s'applique pas (foyer pour la RLS, RLS pas encore créée pour son plafond) ou manque."""
    op = sc.operation
    p = p or parametres_du_scenario(sc)
    ind = sc.exploitation.indexation
    g_apl = (ind.loyers_pct if ind.plafonds_apl_pct is None else ind.plafonds_apl_pct) / 100.0
    jour = max(date(op.mise_en_service, 1, 1), op.date_agrement)

    def table(bareme: str) -> dict[str, float] | None:
        """La table de la zone à l'année 1 : la valeur datée et le facteur de revalorisation de valeur_annee_1."""
        try:
            b = p[bareme]
            if jour < b.valeurs[0].date:
                return None
            lues: dict = {}
            facteur, _ = valeur_annee_1(p, bareme, lambda j: (1.0, b.en_vigueur(j)), (), op.date_agrement,
                                        op.mise_en_service, g_apl, lues)
            z = next(iter(lues.values())).donnees[f"zone_{op.zone_apl}"]
        except (ParametreInvalide, KeyError):
            return None
        return {k: float(v) * facteur for k, v in z.items() if isinstance(v, int | float)}

    if op.produit != "ordinaire":
        return {"apl": table("apl_equivalence_foyer"), "rls": None, "rls_plafond": None}
    rls = table("rls")
    if rls is None and "rls" in p.baremes and jour < p["rls"].valeurs[0].date:
        rls = {"isole": 0.0, "couple": 0.0, "un_pac": 0.0, "pac_supp": 0.0}  # avant la RLS (loi 2017-1837)
    return {"apl": table("apl_loyers_plafonds"), "rls": rls, "rls_plafond": table("rls_plafonds_ressources")}


def _avec_date(fonction):
    """Un accesseur de paramètre qui rend (valeur, date d'effet) comme valeur, pour les contrôles."""
    def enveloppe(*args):
        valeur, source = fonction(*args)
        return (valeur, source.date), source
    return enveloppe


def parametres_du_scenario(sc: Scenario) -> Parametres:
    """Les paramètres nationaux, complétés par le dossier de paramètres locaux du scénario s'il en désigne un
    (``operation.parametres_locaux``, relatif au fichier du scénario)."""
    local = sc.operation.parametres_locaux
    if local is None:
        return charger_parametres()
    chemin = Path(local) if Path(local).is_absolute() else Path(sc.fichier).parent / local
    if not chemin.is_dir():
        raise ScenarioInvalide(sc.fichier, "operation.parametres_locaux",
                               f"dossier de paramètres locaux introuvable : {chemin}")
    return charger_parametres(locaux=(str(chemin),))


def _charges_locatives(p: Parametres, lg, op, g_apl: float) -> float | None:
    """Les charges récupérables de la ligne : la saisie, sinon le forfait de charges C des aides au logement du
    ménage (la dépense de charges que la réglementation de l'APL suppose), à l'année 1 comme les plafonds APL ;
    None sans ménage ni saisie."""
    if lg.charges_locatives is not None:
        return lg.charges_locatives
    if lg.menage is None:
        return None
    try:
        return valeur_annee_1(p, "forfait_charges", p.forfait_charges, (lg.menage.personnes_a_charge,),
                              op.date_agrement, op.mise_en_service, g_apl, {})[0]
    except ParametreInvalide:
        return None


def _annee_1_rls(p: Parametres, bareme: str, fonction, menage: tuple, op, g_apl: float, utilises: dict
                 ) -> float | None:
    """Un barème de la RLS à l'année 1 ; 0 (montant) ou None (plafond) avant la création de la RLS au 01/01/2018
    (loi n° 2017-1837, art. 126) ; None si le barème manque."""
    if max(date(op.mise_en_service, 1, 1), op.date_agrement) < p[bareme].valeurs[0].date:
        return 0.0 if bareme == "rls" else None
    try:
        return valeur_annee_1(p, bareme, fonction, menage, op.date_agrement, op.mise_en_service, g_apl, utilises)[0]
    except ParametreInvalide:
        return None


def annees_droit(sc: Scenario) -> int | None:
    """Les années d'exploitation d'un droit temporaire (usufruit, baux) : celles qui finissent au plus tard à sa fin
    (l'année t finit le 31/12 de mise_en_service + t - 1) ; None pour la propriété."""
    fin = sc.operation.fin_droit
    if fin is None:
        return None
    return fin.year - sc.operation.mise_en_service + (1 if (fin.month, fin.day) == (12, 31) else 0)


def nombre_fr(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def horizon(sc: Scenario) -> int:
    """H : analyse.duree, sinon max(40, la plus longue durée de prêt) ; un droit temporaire le borne à ses années."""
    if sc.analyse.duree is not None:
        return sc.analyse.duree
    h = max([40] + [p.duree for p in sc.prets])
    droit = annees_droit(sc)
    return h if droit is None else min(h, droit)


class _ParametresRetenus:
    """Les accesseurs de barèmes d'un jeu de paramètres, chaque combinaison d'arguments lue une fois."""

    def __init__(self, p: Parametres) -> None:
        self._p = p
        self._lus: dict = {}
        self.annees_1: dict = {}  # valeur_annee_1 par combinaison d'arguments

    def __getitem__(self, nom: str):
        return self._p[nom]

    def __getattr__(self, nom: str):
        f = self._lus.get(nom)
        if f is None:
            f = self._lus[nom] = lru_cache(maxsize=None)(getattr(self._p, nom))
        return f


def _lignes_loyers(sc: Scenario, p: Parametres, chercher: _Collecte, cle_date: str, su: list[float],
                   plafonds_m2: dict[str, float | None], reval: Revalorisation, g_apl: float
                   ) -> tuple[tuple[LigneLoyer, ...], int]:
    """Les lignes de loyers de l'opération et le nombre de revalorisations APL supposées. Une ligne répétée à
    l'identique est calculée une fois ; chaque barème est lu une fois par combinaison d'arguments."""
    op = sc.operation
    if len(sc.logements) > 8:
        p = _ParametresRetenus(p)
    lignes = []
    faites: dict[Logement, LigneLoyer] = {}
    revalorisations_apl_supposees = 0
    for i, lg in enumerate(sc.logements):
        if lg in faites:
            lignes.append(faites[lg])
            continue
        su_i = su[i]
        plafond_apl = rls_bareme = None
        if lg.menage is not None:
            fonction = p.plafond_apl if op.produit == "ordinaire" else p.equivalence_foyer
            args = (op.zone_apl, lg.menage.couple, lg.menage.personnes_a_charge)
            chercher(cle_date, fonction, *args, op.date_agrement)  # la date d'agrément doit être couverte
            plafond_apl, apl_supposees = valeur_annee_1(
                p, "apl_loyers_plafonds" if op.produit == "ordinaire" else "apl_equivalence_foyer", fonction, args,
                op.date_agrement, op.mise_en_service, g_apl, chercher.utilises)
            revalorisations_apl_supposees = max(revalorisations_apl_supposees, apl_supposees)
            menage = (op.zone_apl, lg.menage.couple, lg.menage.personnes_a_charge)
            if op.produit == "ordinaire":
                # Année 1, comme les plafonds APL ; 0 avant la création de la RLS (loi 2017-1837, art. 126). Hors
                # RLS, la valeur seule (ni consultée ni vérifiée) : le classeur permet d'y soumettre l'opération.
                rls_bareme = _annee_1_rls(p, "rls", p.reduction_loyer_solidarite, menage, op, g_apl,
                                          chercher.utilises if op.rls else {})
        expose = lg.soumis_rls
        if rls_bareme is not None and expose and lg.menage.ressources is not None:
            # Ressources déclarées : la RLS ne s'applique que sous son plafond de ressources mensuelles (CCH
            # L.442-2-1), même sur une ligne déclarée soumise (rls = true).
            plafond_rls = _annee_1_rls(p, "rls_plafonds_ressources", p.plafond_ressources_rls, menage, op, g_apl,
                                       chercher.utilises)
            if plafond_rls is not None:
                expose = lg.menage.ressources / 12.0 <= plafond_rls
        rls = rls_bareme if (rls_bareme is not None and expose and op.rls) else 0.0
        ressources = plafond_ressources = date_ressources = None
        if lg.menage is not None and lg.menage.ressources is not None:
            ressources = lg.menage.ressources
            valeur_ressources = chercher.facultatif(_avec_date(p.plafond_ressources), lg.produit.lower(), op.zone_loyer,
                                                    lg.menage.couple, lg.menage.personnes_a_charge, op.date_agrement)
            if valeur_ressources is not None:
                plafond_ressources, date_ressources = valeur_ressources
        saisi = math.nan
        origine = ""
        if lg.loyer_au_plafond:
            pass
        elif lg.loyer_mensuel is not None:
            saisi, origine = lg.loyer_mensuel, "saisi (loyer_mensuel)"
        elif lg.loyer_m2 is not None:
            saisi, origine = lg.loyer_m2 * su_i, "saisi (loyer_m2 x SU)"
        apl = np.nan if plafond_apl is None else plafond_apl
        if op.produit == "ordinaire":
            plafond = plafonds_m2[lg.produit] * su_i
            loyer = float(formules.loyer_ordinaire(np.array(saisi), np.array(plafond), np.array(apl),
                                                   np.array(lg.loyer_accessoire),
                                                   np.array(lg.plai_adapte and not lg.loyer_au_plafond)))
            if not origine:
                origine = ("plafond APL - loyer accessoire" if lg.plai_adapte and
                           plafond_apl - lg.loyer_accessoire < plafond else f"plafond {lg.produit}")
            # En PLAI ordinaire (variante G), les lignes PLUS et PLS restent ce qu'elles sont.
            loyer_plai = plafond if lg.produit == "PLAI" else loyer
        else:
            plafond = lg.redevance_max * reval.facteur if lg.redevance_max is not None else math.nan
            if lg.loyer_au_plafond and lg.redevance_max is None:
                saisi = lg.loyer_mensuel
            loyer = float(formules.redevance_foyer(np.array(saisi), np.array(plafond), np.array(apl),
                                                   np.array(lg.plai_adapte and not lg.loyer_au_plafond)))
            if not origine:
                origine = ("équivalence APL foyer" if lg.plai_adapte and plafond_apl < plafond
                           else "redevance maximale")
            loyer_plai = plafond if lg.redevance_max is not None else lg.loyer_mensuel
        if loyer < 0:
            raise ScenarioInvalide(sc.fichier, f"logements[{i}].loyer_accessoire",
                                   f"le loyer accessoire ({euros(lg.loyer_accessoire, 2)}) dépasse le plafond APL du "
                                   f"ménage ({euros(plafond_apl, 2)}) : le loyer principal serait négatif")
        ligne = LigneLoyer(
            typologie=lg.typologie, nombre=lg.nombre, surface_habitable=lg.surface_habitable,
            surface_annexes=lg.surface_annexes, surface_utile=su_i, surface_utile_saisie=lg.surface_utile_saisie,
            plai_adapte=lg.plai_adapte, menage=_menage_texte(lg), plafond_loyer=plafond, plafond_apl=plafond_apl,
            charges_locatives=_charges_locatives(p, lg, op, g_apl),
            couple=None if lg.menage is None else lg.menage.couple,
            personnes_a_charge=None if lg.menage is None else lg.menage.personnes_a_charge,
            loyer=loyer, loyer_accessoire=lg.loyer_accessoire, origine=origine, reduction_loyer_solidarite=rls,
            rls_bareme=rls_bareme, soumis_rls=expose, loyer_plai_ordinaire=float(loyer_plai),
            redevance_max=lg.redevance_max, produit=lg.produit, charges_saisies=lg.charges_locatives is not None,
            revenu_total=None if lg.menage is None else lg.menage.revenu_total,
            prestations=lg.prestations_mensuelles,
            ressources=ressources, plafond_ressources=plafond_ressources, plafond_ressources_date=date_ressources)
        lignes.append(ligne)
        faites[lg] = ligne

    return tuple(lignes), revalorisations_apl_supposees


_SURFACES = _Retenus()
_LIGNES = _Retenus()


def _surfaces(logements: tuple[Logement, ...], part_annexes: float) -> tuple[list[float], int, float, float, int]:
    """Surface utile de chaque ligne, logements, surfaces utile et habitable totales, PLAI adaptés ; gardés pour
    les variantes qui partagent les mêmes logements."""
    resume = _SURFACES.lire(logements, part_annexes)
    if resume is None:
        su = [lg.surface_utile_saisie if lg.surface_utile_saisie is not None else
              float(formules.surface_utile(lg.surface_habitable, lg.surface_annexes, part_annexes))
              for lg in logements]
        resume = _SURFACES.garder(logements, (part_annexes,), (
            su, sum(lg.nombre for lg in logements), sum(lg.nombre * s for lg, s in zip(logements, su)),
            sum(lg.nombre * lg.surface_habitable for lg in logements),
            sum(lg.nombre for lg in logements if lg.plai_adapte)))
    return resume


def _lignes_memorisees(sc: Scenario, p: Parametres, chercher: _Collecte, cle_date: str, su: list[float],
                       plafonds_m2: dict[str, float | None], reval: Revalorisation, g_apl: float
                       ) -> tuple[tuple[LigneLoyer, ...], int]:
    """:func:`_lignes_loyers`, gardées pour les variantes qui partagent les mêmes logements (le même tuple) et ce
    qui fixe leurs loyers (études de sensibilité : des centaines de préparations d'une même opération) ; les
    paramètres lus sont reportés dans ``chercher`` comme à la première préparation."""
    cle = (id(p), sc.fichier, sc.operation, tuple(sorted(plafonds_m2.items())), reval.facteur, g_apl)
    retenu = _LIGNES.lire(sc.logements, *cle)
    if retenu is None or retenu[0] is not p:
        lu = _Collecte(sc, p)
        lignes, supposees = _lignes_loyers(sc, p, lu, cle_date, su, plafonds_m2, reval, g_apl)
        retenu = _LIGNES.garder(sc.logements, cle, (p, lignes, supposees, dict(lu.utilises), dict(lu.jours)))
    _, lignes, supposees, utilises, jours = retenu
    chercher.utilises.update(utilises)
    for nom, jour in jours.items():
        chercher.jours[nom] = max(jour, chercher.jours.get(nom, jour))
    return lignes, supposees


def preparer(sc: Scenario, parametres: Parametres | None = None) -> Entrees:
    """Construit les entrées numériques d'une opération : le seul endroit où les pour cent deviennent décimaux."""
    p = parametres or parametres_du_scenario(sc)
    op = sc.operation
    chercher = _Collecte(sc, p)
    cle_date = "operation.date_agrement"
    avert = list(sc.avertissements)
    regles = chercher(cle_date, p.regles_loyers, op.date_agrement)
    su, n_total, su_totale, sh_totale, n_pa = _surfaces(sc.logements, regles["part_annexes_su"])

    cs = lmzone = plafond_m2 = cs_a = cs_b = plafond_m2_brut = None
    marge_pct = (op.marge_locale_pct if op.marge_locale_pct is not None else
                 chercher(cle_date, p.marge_locale, op.zone_loyer, op.date_agrement) if op.produit == "ordinaire" else 0.0)
    ind = sc.exploitation.indexation
    reval = revalorisation_loyers(p, op.date_agrement.year, op.mise_en_service, ind.loyers_pct / 100.0,
                                  chercher.utilises)
    g_apl = (ind.loyers_pct if ind.plafonds_apl_pct is None else ind.plafonds_apl_pct) / 100.0
    if op.produit == "ordinaire":
        cs_a, cs_b = regles["a"], regles["b"]
        cs = formules.coefficient_structure(n_total, su_totale, cs_a, cs_b)
        try:
            lmzone, source_lm, etapes_lm = loyer_maximal_projete(p, op.zone_loyer, op.date_agrement,
                                                                 ind.loyers_pct / 100.0, chercher.utilises)
            chercher._noter(source_lm, (source_lm.date,))
        except ParametreInvalide as exc:
            if op.loyer_plafond_m2 is None:
                raise ScenarioInvalide(sc.fichier, cle_date, str(exc)) from None
            lmzone, etapes_lm = None, ()
        if etapes_lm and op.loyer_plafond_m2 is None:
            detail = " ; ".join(f"{a} : {f'{t * 100:+.2f}'.replace('.', ',')} % ({o})" for a, t, o in etapes_lm)
            avert.append(f"{sc.fichier} : clé « operation.loyer_plafond_m2 » : LMzone PLAI {op.date_agrement.year} "
                         f"non publié ; estimation : la valeur {source_lm.date.year} revalorisée au 1er janvier "
                         f"(CCH L.353-9-2 ; {detail}) = {f'{lmzone:.2f}'.replace('.', ',')} €/m2 SU ; donnez la "
                         "valeur de l'avis loyers (loyer_plafond_m2) dès sa parution")
        if op.loyer_plafond_m2 is not None:
            plafond_m2 = op.loyer_plafond_m2 * reval.facteur  # la valeur de l'avis à l'agrément, revalorisée
        else:
            plafond_m2_brut = formules.plafond_plai_m2(lmzone, cs, marge_pct / 100.0) * reval.facteur
            majoration = regles["majoration_annexes_max_ascenseur_pct" if op.ascenseur else
                                "majoration_annexes_max_pct"] / 100.0
            plafond_m2 = formules.plafond_annexes_importantes(plafond_m2_brut, lmzone * reval.facteur, cs, sh_totale,
                                                              su_totale, majoration)

    plafonds = {"PLAI": plafond_m2}
    produits_operation = {lg.produit for lg in sc.logements}
    lmzones = {"PLAI": lmzone}
    for produit in ("PLUS", "PLS"):
        if op.produit != "ordinaire":
            continue
        if produit in produits_operation:
            lmzones[produit], plafonds[produit] = _plafond_produit(sc, p, chercher, avert, produit, cs, marge_pct,
                                                                   reval, regles, sh_totale, su_totale)
        else:  # pour le classeur (changer le produit d'une ligne), lu sans entrer dans les barèmes de l'étude
            zone = op.zone_loyer if produit == "PLUS" else op.zone_abc
            try:
                lmzones[produit] = loyer_maximal_projete(p, zone, op.date_agrement, ind.loyers_pct / 100.0, {},
                                                         produit)[0] if zone else None
            except ParametreInvalide:
                lmzones[produit] = None
    lignes, revalorisations_apl_supposees = _lignes_memorisees(sc, p, chercher, cle_date, su, plafonds, reval,
                                                                g_apl)
    for i, (lg, ligne) in enumerate(zip(sc.logements, lignes)):
        if lg.rls is True and op.rls and not ligne.soumis_rls:
            avert.append(f"{sc.fichier} : clé « logements[{i}].rls » : ligne déclarée soumise à la RLS, mais les "
                         f"ressources déclarées du ménage ({euros(lg.menage.ressources)} par an) dépassent le plafond "
                         "de ressources de la RLS (CCH L.442-2-1) : la RLS n'est pas appliquée à cette ligne")
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
    # Tranche FNAP : les PLAI adaptés d'autres opérations à la même adresse comptent (seed 001, III, note 1).
    args_fnap = (p.reference_fnap, op.region, op.produit, n_pa + op.plai_adaptes_meme_adresse, op.date_agrement)
    if any(s.montant == "reference" for s in sc.subventions):
        reference_par_logement = chercher(cle_date, *args_fnap)
    elif n_pa > 0:
        reference_par_logement = chercher.facultatif(*args_fnap)
    tranches_fnap = None
    if reference_par_logement is not None:
        reference = reference_par_logement * n_pa
        tranches_fnap = p.tranches_fnap(op.region, op.produit, op.date_agrement)[0]
    financement = []
    indice_inconnue = None
    n_produit = dict.fromkeys(PRODUITS_LOGEMENT, 0)
    for lg in sc.logements:
        if lg.produit in n_produit:
            n_produit[lg.produit] += lg.nombre
    for i, s in enumerate(sc.subventions):
        cle = f"subventions[{i}].montant"
        if s.montant == "a_calculer":
            montant, indice_inconnue, mode = 0.0, i, "a_calculer"
        elif s.montant == "reference":
            montant, mode = reference, "reference"
        elif s.montant == "bareme":  # la subvention PLAI de droit commun : les logements PLAI
            montant = chercher(cle, p.subvention_plai, op.region, op.nature, op.date_agrement) * n_produit["PLAI"]
            mode = "bareme"
        elif s.montant_par_logement is not None:  # les logements de son produit (PLAI de l'État : PLAI), sinon tous
            produit = s.produit or ("PLAI" if s.nature == "etat_plai" else None)
            montant = s.montant_par_logement * (n_total if produit is None else n_produit[produit])
            cle, mode = f"subventions[{i}].montant_par_logement", "par_logement"
        elif s.montant_par_plai_adapte is not None:
            montant, cle = s.montant_par_plai_adapte * n_pa, f"subventions[{i}].montant_par_plai_adapte"
            mode = "par_plai_adapte"
        else:
            montant, mode = float(s.montant), "montant"
        financement.append(LigneFinancement("subvention", s.financeur, montant, cle, s.montant == "a_calculer", mode,
                                            s.nature, s.propre_au_plai_adapte))
    fp = sc.fonds_propres.montant
    if fp > 0:
        financement.append(LigneFinancement("fonds_propres", "Fonds propres", fp, "fonds_propres.montant"))
    financement, principaux, indice_solde = _plan_prets(sc, financement)

    for i, pr in enumerate(sc.prets):  # bornes des fiches CDC des prêts indexés sur le livret A (regles_prets.toml)
        if pr.index != "livret_a":
            continue
        bornes = chercher.facultatif(p.bornes_pret, pr.objet, op.zone_abc, op.date_agrement)
        if bornes is None:  # règles non chargées avant 2013
            continue
        hors = []
        if not bornes.duree_min <= pr.duree <= bornes.duree_max:
            hors.append(f"durée {pr.duree} ans (de {bornes.duree_min} à {bornes.duree_max} ans : {bornes.regle_duree})")
        if pr.prefinancement > bornes.prefinancement_max_demolition:
            hors.append(f"préfinancement {pr.prefinancement} ans (au plus {12 * bornes.prefinancement_max} mois, "
                        f"{12 * bornes.prefinancement_max_demolition} en démolition-reconstruction)")
        if pr.differe_amortissement > bornes.differe_max:
            hors.append(f"différé d'amortissement {pr.differe_amortissement} ans (au plus {12 * bornes.differe_max} "
                        "mois)")
        if not bornes.progressivite_min_pct <= pr.progressivite_pct <= bornes.progressivite_max_pct:
            hors.append(f"progressivité {nombre_fr(pr.progressivite_pct)} % (de {nombre_fr(bornes.progressivite_min_pct)} "
                        f"% à +{nombre_fr(bornes.progressivite_max_pct)} %)")
        if hors:
            avert.append(f"{sc.fichier} : clé « prets[{i}] » : le prêt « {pr.nom} » sort des règles des fiches CDC "
                         "(regles_prets.toml) : " + " ; ".join(hors) + " ; vérifiez-le avec le prêteur")
    droit = annees_droit(sc)
    if droit is not None:
        for i, pr in enumerate(sc.prets):
            if pr.duree > droit:
                avert.append(f"{sc.fichier} : clé « prets[{i}].duree » : le prêt « {pr.nom} » ({pr.duree} ans) dure plus "
                             f"que le droit temporaire ({op.droit}, {droit} années d'exploitation jusqu'au "
                             f"{op.fin_droit.strftime('%d/%m/%Y')}) : son capital restant dû à la fin du droit est à "
                             "rembourser (il figure au compte)")
    longest = max([pr.duree for pr in sc.prets], default=0)
    if sc.analyse.duree is not None and sc.analyse.duree < longest:
        avert.append(f"{sc.fichier} : clé « analyse.duree » : l'horizon ({h} ans) est plus court que le plus long "
                     f"prêt ({longest} ans) ; le capital restant dû à l'horizon est indiqué")
    ex_ = sc.exploitation
    fin_acc = ex_.financement_accompagnement
    if (fin_acc is not None and fin_acc.montant > 0 and not financement_accompagnement_contrepartie(sc)
            and ex_.gla is not None and ex_.gla.montant > 0 and (ex_.gls is None or ex_.gls.montant == 0)):
        avert.append(f"{sc.fichier} : clé « exploitation.gls » : le financement de l'accompagnement n'est pas une "
                     "contrepartie (il reste dans la variante PLAI ordinaire), mais aucune gestion locative sociale de "
                     "droit commun n'est déclarée : s'il paie la GLA (l'hôte), la variante PLAI ordinaire garde le "
                     "financement sans le coût et G s'effondre ; déclarez la GLS de droit commun (exploitation.gls) "
                     "et ne laissez dans exploitation.gla que son renforcement")
    tfpb = sc.exploitation.tfpb
    exoneration_legale = None
    if tfpb is not None and tfpb.exoneration is None:
        exoneration_legale = chercher(cle_date, p.exoneration_tfpb, op.nature, tfpb.criteres_environnementaux,
                                      op.date_agrement)
    if tfpb is not None:
        avert.extend(_avertissements_tfpb(sc, p, tfpb))
    taux_tva = chercher(cle_date, p.taux_tva, op.nature, op.date_agrement) / 100.0
    parts_su = _parts_su(sc, su, su_totale)
    postes, hyp_sieg, tva_produits = _tva_et_sieg(sc, p, chercher, cle_date, h, parts_su)
    cap = p.loyer_accessoire_maximal(op.date_agrement)
    if cap is not None:
        chercher._noter(cap[1], (op.date_agrement,))
    prets = _prets(sc, p, chercher)
    perimes = chercher.perimes()
    for v in perimes:
        avert.append(f"{sc.fichier} : paramètre « {v.description} » ({v.bareme}) : dernière valeur connue au "
                     f"{v.derniere_valeur.strftime('%d/%m/%Y')}, revalorisation attendue au "
                     f"{v.attendue.strftime('%d/%m/%Y')} ; pour le {v.jour.strftime('%d/%m/%Y')}, la valeur connue est "
                     "prolongée : mettez les paramètres à jour ou vérifiez la valeur en vigueur")
    utilises = tuple(ValeurUtilisee(v.bareme, p[v.bareme].description, v.date, v.statut, v.reference,
                                    p[v.bareme].estimation)
                     for v in sorted(chercher.utilises.values(), key=lambda v: (v.bareme, v.date)))
    e = Entrees(scenario=sc, horizon=h, cs=cs, cs_a=cs_a, cs_b=cs_b, regles_loyers=regles, lmzone=lmzone,
                plafond_plai_m2=plafond_m2, plafond_plai_m2_brut=plafond_m2_brut, lmzones=lmzones,
                plafonds_m2=plafonds, tva_produits=tva_produits, revalorisation=reval,
                revalorisations_apl_supposees=revalorisations_apl_supposees, lignes=tuple(lignes),
                hypotheses=_hypotheses(sc, exoneration_legale, taux_tva, marge_pct), prets=prets, livret_a=livret,
                financement=financement, principaux=principaux, indice_solde=indice_solde,
                indice_inconnue=indice_inconnue, reference_fnap=reference,
                reference_fnap_par_logement=reference_par_logement, tranches_fnap=tranches_fnap,
                postes_prix_de_revient=postes, hypotheses_sieg=hyp_sieg, parametres_utilises=utilises,
                parametres_date=p.date_jeu, parametres_origine=p.origine, parametres_perimes=perimes,
                loyer_accessoire_maximal=None if cap is None else cap[0], avertissements=tuple(avert), parametres=p)
    e.lot  # ligne de nombres du lot, faite ici une fois
    return e


def _plan_prets(sc: Scenario, financement: list[LigneFinancement]
                ) -> tuple[tuple[LigneFinancement, ...], np.ndarray, int | None]:
    """Le capital de chaque prêt (le prêt d'équilibre : le prix de revient moins les autres ressources) et les
    lignes du plan de financement, prêts après subventions et fonds propres (``financement``)."""
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
        financement.append(LigneFinancement("pret", pr.nom, float(principaux[i]), f"prets[{i}].montant",
                                            mode="solde" if pr.est_solde else "montant"))
    return tuple(financement), principaux, indice_solde


def _plafond_produit(sc: Scenario, p: Parametres, chercher, avert: list, produit: str, cs: float, marge_pct: float,
                     reval: Revalorisation, regles: dict, sh_totale: float, su_totale: float
                     ) -> tuple[float | None, float]:
    """(LMzone, plafond par m2 SU de l'année 1) d'un produit autre que le PLAI : la valeur de l'avis saisie, sinon
    LMzone du produit x CS de toute l'opération x (1 + marge locale ; PLS : sans marge), revalorisé jusqu'à l'année
    1, puis pour le PLUS la règle des annexes importantes comme pour le PLAI."""
    op = sc.operation
    saisi = op.loyer_plafond_m2_plus if produit == "PLUS" else op.loyer_plafond_m2_pls
    if saisi is not None:
        return None, saisi * reval.facteur
    zone, cle = (op.zone_loyer, "operation.date_agrement") if produit == "PLUS" else (op.zone_abc, "operation.zone_abc")
    try:
        lmzone, source, etapes = loyer_maximal_projete(p, zone, op.date_agrement, sc.exploitation.indexation.loyers_pct
                                                       / 100.0, chercher.utilises, produit)
    except ParametreInvalide as exc:
        raise ScenarioInvalide(sc.fichier, cle, str(exc)) from None
    chercher._noter(source, (source.date,))
    if etapes:
        avert.append(f"{sc.fichier} : clé « operation.loyer_plafond_m2_{produit.lower()} » : LMzone {produit} "
                     f"{op.date_agrement.year} non publié ; estimation : la valeur {source.date.year} revalorisée au "
                     f"1er janvier (CCH L.353-9-2) = {f'{lmzone:.2f}'.replace('.', ',')} €/m2 SU ; donnez la valeur de "
                     f"l'avis loyers (loyer_plafond_m2_{produit.lower()}) dès sa parution")
    marge = marge_pct / 100.0 if produit == "PLUS" else 0.0
    brut = formules.plafond_plai_m2(lmzone, cs, marge) * reval.facteur
    if produit == "PLS":
        return lmzone, brut
    majoration = regles["majoration_annexes_max_ascenseur_pct" if op.ascenseur else "majoration_annexes_max_pct"] / 100.0
    return lmzone, formules.plafond_annexes_importantes(brut, lmzone * reval.facteur, cs, sh_totale, su_totale,
                                                        majoration)


def _avertissements_tfpb(sc: Scenario, p: Parametres, tfpb) -> list[str]:
    """Une durée d'exonération saisie plus longue que la durée légale à l'agrément ; la fin des durées longues
    (25 / 30 ans) pour une décision de 2027, dite en une phrase avec sa lecture du texte."""
    op = sc.operation
    try:
        legale, source = p.exoneration_tfpb(op.nature, tfpb.criteres_environnementaux, op.date_agrement)
    except ParametreInvalide:
        return []
    article = "CGI art. 1384 C" if op.nature in ("acquisition", "acquisition-amelioration") else "CGI art. 1384 A"
    avert = []
    if tfpb.exoneration is not None and tfpb.exoneration > legale:
        avert.append(f"{sc.fichier} : clé « exploitation.tfpb.exoneration » : {tfpb.exoneration} ans saisis, plus que "
                     f"la durée légale pour une décision du {op.date_agrement.strftime('%d/%m/%Y')} ({legale} ans, "
                     f"{article}) : la durée saisie est retenue ; justifiez-la (prorogation, décision antérieure)")
    precedentes = [v for v in p["tfpb_exoneration"].valeurs if v.date < source.date]
    if precedentes and source.statut == "E":
        avant = p.exoneration_tfpb(op.nature, tfpb.criteres_environnementaux, precedentes[-1].date)[0]
        if avant > legale:
            avert.append(f"Exonération de TFPB : pour une décision à partir du {source.date.strftime('%d/%m/%Y')}, "
                         f"{legale} ans au lieu de {avant} ({article}, lecture du texte en vigueur au 01/01/2026 : "
                         "les durées longues ne visent que les décisions jusqu'au 31/12/2026, prorogation par la loi "
                         "de finances pour 2026 non relue)")
    return avert


def _tva_et_sieg(sc: Scenario, p: Parametres, chercher, cle_date: str, h: int, parts_su: dict[str, float]
                 ) -> tuple[tuple[PosteCout, ...], HypothesesSieg, dict[str, dict[str, float]]]:
    """Les postes du prix de revient HT / TVA / TTC et les hypothèses résolues du contrôle SIEG. Opération mixte :
    chaque poste est lu HT au taux de chaque produit pour sa part de surface utile (un taux saisi est celui des
    logements PLAI) ; le taux du poste est le taux effectif qui en résulte."""
    op, pr = sc.operation, sc.prix_de_revient
    taux = chercher(cle_date, p.taux_tva_postes, op.nature, op.date_agrement)
    taux_produits = _taux_produits(sc, p)
    postes = postes_prix_de_revient(pr, taux, taux_produits, parts_su)
    saisis = dict(pr.taux_tva_pct)
    o = sc.sieg
    # Lus sans être notés parmi les barèmes de l'étude : le contrôle SIEG cite ses propres sources.
    # Avant la décision 2012/21/UE (31/01/2012), ses valeurs à sa date : le contrôle se lit selon elle.
    jour_sieg = max(op.date_agrement, p["sieg"].valeurs[0].date, p["sieg_marche"].valeurs[0].date)
    legal, v_legal = p.sieg(jour_sieg)
    marche, v_marche = p.sieg_marche(jour_sieg)
    droit = annees_droit(sc)
    duree = min(o.duree or h, h, droit or h)
    sources = [v_legal, v_marche]
    if o.taux_swap_pct is not None:
        swap = o.taux_swap_pct / 100.0
    else:  # le swap de la maturité de la période d'analyse, à l'agrément
        swap_pct, v_swap = p.taux_swap(duree, max(op.date_agrement, p["swap_eur"].valeurs[0].date))
        swap = swap_pct / 100.0
        sources.append(v_swap)
    actualisation = swap if o.taux_actualisation_pct is None else o.taux_actualisation_pct / 100.0
    hyp = HypothesesSieg(
        duree=duree,
        taux_actualisation=actualisation,
        taux_swap=swap,
        # Un seul taux pour tous les flux, l'avantage des prêts compris ; un taux de marché saisi est un choix dit.
        taux_marche=actualisation if o.taux_marche_pct is None else o.taux_marche_pct / 100.0,
        taux_unique=o.taux_marche_pct is None,
        taux_benefice=swap + legal["prime_benefice_pb"] / 10000.0,
        duree_amortissement=o.duree_amortissement or marche["duree_amortissement_bati"],
        taux_tva_normal=taux["normal"] / 100.0,
        rabais_foncier=o.rabais_foncier, garanties=o.garanties, individualisation=o.individualisation,
        valeur_residuelle="nulle" if op.droit != "propriete" else o.valeur_residuelle, droit=op.droit,
        sources=tuple(ValeurUtilisee(v.bareme, p[v.bareme].description, v.date, v.statut, v.reference,
                                     p[v.bareme].estimation) for v in sources))
    saisis_plai = {g: saisis.get(g, taux[g]) for g in ("charge_fonciere", "travaux", "honoraires", "autres")}
    tva_produits = {produit: {g: (saisis_plai[g] if produit == "PLAI" else taux_produits[produit][g]) / 100.0
                              for g in saisis_plai} for produit in PRODUITS_LOGEMENT}
    return postes, hyp, tva_produits


def postes_prix_de_revient(pr, taux: dict[str, float], taux_produits: dict[str, dict[str, float]],
                           parts_su: dict[str, float]) -> tuple[PosteCout, ...]:
    """Les postes du prix de revient TTC, HT et leur TVA, au taux de chaque produit pour sa part de surface utile ;
    (taux, taux_produits, parts_su) : le contexte de :func:`contexte_postes` (preparer_depuis, programme en
    colonnes)."""
    saisis = dict(pr.taux_tva_pct)
    lignes = [("prix_de_revient.charge_fonciere", "Charge foncière", "charge_fonciere", pr.charge_fonciere),
              ("prix_de_revient.travaux", "Travaux", "travaux", pr.travaux),
              ("prix_de_revient.honoraires", "Honoraires et frais", "honoraires", pr.honoraires)]
    lignes += [(f"prix_de_revient.autres.{nom}", f"Autre : {nom}", "autres", m) for nom, m in pr.autres]
    postes = []
    for cle, libelle, groupe, ttc in lignes:
        # Un taux saisi est celui des logements PLAI ; les logements PLUS et PLS au taux de leur produit.
        taux_ligne = {produit: (saisis.get(groupe, taux[groupe]) if produit == "PLAI" else
                                taux_produits[produit][groupe]) / 100.0 for produit in parts_su}
        if set(parts_su) == {"PLAI"}:
            t = taux_ligne["PLAI"]
            ht = ttc / (1.0 + t)
        else:  # montants en tableaux : les lignes d'une structure (programme en colonnes)
            ht = sum(part * ttc / (1.0 + taux_ligne[produit]) for produit, part in parts_su.items())
            repli = taux_ligne.get("PLAI", taux[groupe] / 100.0)
            if np.ndim(ht):
                t = np.where(ht > 0, ttc / np.where(ht > 0, ht, 1.0) - 1.0, repli)
            else:
                t = ttc / ht - 1.0 if ht > 0 else repli
        postes.append(PosteCout(cle, libelle, groupe, ttc, t, ht, ttc - ht))
    return tuple(postes)


def _taux_produits(sc: Scenario, p: Parametres) -> dict[str, dict[str, float]]:
    """Les taux de TVA (%) de chaque poste pour chaque produit de logement, à l'agrément."""
    op = sc.operation
    return {produit: p.taux_tva_postes(op.nature, op.date_agrement, produit, op.anru)[0]
            for produit in PRODUITS_LOGEMENT}


def _parts_su(sc: Scenario, su: list[float], su_totale: float) -> dict[str, float]:
    """La part de surface utile de chaque produit de l'opération."""
    sommes: dict[str, float] = {}
    for lg, s in zip(sc.logements, su):
        sommes[lg.produit] = sommes.get(lg.produit, 0) + lg.nombre * s
    return {produit: sommes[produit] / su_totale for produit in PRODUITS_LOGEMENT if produit in sommes}


def _gros_entretien_total(sc: Scenario) -> float:
    """Le gros entretien de l'opération, euros par an : par logement, ou pour cent des travaux."""
    ex = sc.exploitation
    if ex.gros_entretien is not None:
        return ex.gros_entretien * sum(lg.nombre for lg in sc.logements)
    if ex.gros_entretien_pct_travaux is not None:
        return ex.gros_entretien_pct_travaux / 100.0 * sc.prix_de_revient.travaux
    return 0.0


def _pct(x: float | None) -> float | None:
    return None if x is None else x / 100.0


def _hypotheses(sc: Scenario, exoneration_legale: int | None, taux_tva: float, marge_pct: float) -> Hypotheses:
    """Les hypothèses du scénario en décimal (taux) et par logement et par an (montants)."""
    ex, fp = sc.exploitation, sc.fonds_propres

    def md(v):
        return (0.0, 0) if v is None else (v.montant, v.duree)

    ge_total = _gros_entretien_total(sc)
    (gla, gla_d), (acc, acc_d), (fin, fin_d) = md(ex.gla), md(ex.accompagnement), md(ex.financement_accompagnement)
    gls, gls_d = md(ex.gls)
    trajet = sc.livret_a.trajectoire
    return Hypotheses(
        marge_locale=marge_pct / 100.0,
        vacance=ex.vacance_pct / 100.0,
        impayes=ex.impayes_pct / 100.0,
        charges_pct_loyers=ex.charges_pct_loyers / 100.0,
        indexation_loyers=ex.indexation.loyers_pct / 100.0,
        indexation_charges=ex.indexation.charges_pct / 100.0,
        **{nom: getattr(ex, nom) for nom in montants_par_logement()},
        gros_entretien=ex.gros_entretien,
        gros_entretien_pct_travaux=_pct(ex.gros_entretien_pct_travaux),
        gros_entretien_total=ge_total,
        tfpb_montant=ex.tfpb.montant if ex.tfpb else 0.0,
        tfpb_exoneration=(ex.tfpb.exoneration if ex.tfpb.exoneration is not None else exoneration_legale)
        if ex.tfpb else 0,
        tfpb_exoneration_legale=exoneration_legale is not None,
        taux_tva=taux_tva,
        gla_montant=gla, gla_duree=gla_d, gls_montant=gls, gls_duree=gls_d,
        accompagnement_montant=acc, accompagnement_duree=acc_d,
        financement_accompagnement_montant=fin, financement_accompagnement_duree=fin_d,
        financement_accompagnement_contrepartie=financement_accompagnement_contrepartie(sc),
        fonds_propres=fp.montant,
        fonds_propres_taux=fp.remuneration.taux_pct / 100.0 if fp.remuneration else 0.0,
        fonds_propres_duree=fp.remuneration.duree if fp.remuneration else 0,
        critere=sc.analyse.critere,
        taux_actualisation=_pct(sc.analyse.taux_actualisation_pct),
        tresorerie_initiale=sc.analyse.tresorerie_initiale,
        n_livret_a_saisis=1 if trajet == "constante" else len(trajet),
    )


def _prets(sc: Scenario, p: Parametres, chercher) -> tuple[CaracteristiquesPret, ...]:
    """Les prêts en décimal ; un prêt indexé sans marge reçoit la marge CDC de son produit à la date d'agrément."""
    def marge(i: int, pr) -> float:
        if pr.marge_pct is not None:
            return pr.marge_pct / 100.0
        return chercher(f"prets[{i}].produit", p.marge_pret, pr.produit, sc.operation.date_agrement) / 100.0

    return tuple(CaracteristiquesPret(
        nom=pr.nom, montant=None if pr.est_solde else float(pr.montant), duree=pr.duree, index=pr.index,
        taux_fixe=(pr.taux_pct or 0.0) / 100.0, marge=marge(i, pr), progressivite=pr.progressivite_pct / 100.0,
        revisabilite=pr.revisabilite, prefinancement=pr.prefinancement, differe=pr.differe_amortissement,
        profil=pr.profil, produit=pr.produit) for i, pr in enumerate(sc.prets))


_NOMS_HYP = ("vacance", "impayes", "charges_pct_loyers", "indexation_loyers", "indexation_charges",
             *montants_par_logement(), "gros_entretien_total", "gla_montant", "gla_duree", "gls_montant", "gls_duree",
             "accompagnement_montant", "accompagnement_duree",
             "financement_accompagnement_montant", "financement_accompagnement_duree", "tfpb_montant",
             "tfpb_exoneration", "fonds_propres", "fonds_propres_taux", "fonds_propres_duree", "tresorerie_initiale")
_LIRE_HYP = attrgetter(*_NOMS_HYP)
_ASSIETTES = ("base_loyers", "base_accessoires", "base_rls", "base_surface", "n_logements", "n_plai_adapte",
              "n_financement_accompagnement")
# La ligne numérique d'une opération : ses hypothèses, ses assiettes, puis le taux d'actualisation (nan sans).
_COLONNES = _NOMS_HYP + _ASSIETTES + ("taux_actualisation",)
_CHAMPS_PRETS = ("duree", "progressivite", "revisabilite", "indexe", "taux_fixe", "marge", "prefinancement",
                 "differe", "profil")


def ligne_lot(e: Entrees) -> np.ndarray:
    """Les nombres par opération que lit le lot, dans l'ordre de ``_COLONNES``."""
    ta = e.hypotheses.taux_actualisation
    return np.array(_LIRE_HYP(e.hypotheses) + e.assiettes_lot + (np.nan if ta is None else ta,), dtype=float)


def prets_lot(e: Entrees) -> np.ndarray:
    """(L, 10) : les caractéristiques de chaque prêt dans l'ordre de ``_CHAMPS_PRETS``, puis son capital."""
    def nombre(v) -> float:
        return np.nan if v is None else v

    return np.array([(pr.duree, pr.progressivite, CODES_REVISABILITE[pr.revisabilite], pr.index == "livret_a",
                      nombre(pr.taux_fixe), nombre(pr.marge), pr.prefinancement, pr.differe, CODES_PROFIL[pr.profil],
                      k) for pr, k in zip(e.prets, e.principaux)], dtype=float).reshape(len(e.prets), 10)


def construire_lot(entrees: list[Entrees], livret_a: np.ndarray | None = None) -> Lot:
    """Empile les entrées numériques de plusieurs opérations en un lot de tableaux pour le moteur.

    Chaque opération apporte une ligne de nombres et un tableau de ses prêts, faits une fois (``Entrees.lot``) ;
    l'empilement est une concaténation. ``livret_a`` (O, H) remplace les trajectoires des scénarios (tests de
    résistance).
    """
    horizons = np.array([e.horizon for e in entrees], dtype=int)
    h = int(horizons.max())
    if livret_a is None:
        trajectoires = [e.livret_a for e in entrees]
        if all(len(x) == h for x in trajectoires):
            la = np.array(trajectoires, dtype=float).reshape(len(entrees), h)
        else:
            la = np.zeros((len(entrees), h))
            for i, x in enumerate(trajectoires):
                la[i, : len(x)] = x
                la[i, len(x):] = x[-1]
    else:
        la = np.asarray(livret_a, float)
    faits = [e.lot for e in entrees]
    table = np.array([ligne for ligne, _ in faits], dtype=float).reshape(len(entrees), len(_COLONNES))
    nombres = np.array([len(e.prets) for e in entrees], dtype=int)
    table_prets = (np.concatenate([prets for _, prets in faits]) if nombres.sum() else np.zeros((0, 10)))
    solde = np.array([-1 if e.indice_solde is None else e.indice_solde for e in entrees], dtype=int)
    return lot_depuis_tableaux(horizons, la, table, table_prets, nombres, solde,
                               tuple(pr.nom for e in entrees for pr in e.prets))


def lot_depuis_tableaux(horizons: np.ndarray, la: np.ndarray, table: np.ndarray, table_prets: np.ndarray,
                        nombres: np.ndarray, solde: np.ndarray, noms_prets: tuple[str, ...]) -> Lot:
    """Le lot de tableaux déjà empilés : ``table`` (O, colonnes de ``ligne_lot``), ``table_prets`` (L, 10) de
    ``prets_lot``, ``nombres`` (O,) prêts par opération, ``solde`` (O,) rang du prêt d'équilibre dans l'opération
    (-1 sans) ; ``la`` (O, H) livret A (construire_lot, programme.colonnes)."""
    h = la.shape[1]
    col = {nom: table[:, k] for k, nom in enumerate(_COLONNES)}
    pret_operation = np.repeat(np.arange(len(horizons)), nombres)
    indice_solde = np.where(solde >= 0, np.cumsum(nombres) - nombres + solde, -1)
    cp = {nom: table_prets[:, k] for k, nom in enumerate(_CHAMPS_PRETS)}
    entier = {nom: cp[nom].astype(int) for nom in ("duree", "revisabilite", "prefinancement", "differe", "profil")}
    params = ParametresPrets(
        duree=entier["duree"], progressivite=cp["progressivite"], revisabilite=entier["revisabilite"],
        indexe=cp["indexe"] != 0, taux_fixe=cp["taux_fixe"], marge=cp["marge"],
        prefinancement=entier["prefinancement"], differe=entier["differe"], profil=entier["profil"])
    return Lot(
        t=np.arange(1, h + 1),
        horizon=horizons,
        **col,
        livret_a=la,
        pret_operation=pret_operation,
        principal=table_prets[:, 9].copy(),
        indice_solde=indice_solde,
        parametres_prets=params,
        noms_prets=noms_prets,
    )


CAUSES_CONTREPARTIES = ("loyers", "gla", "accompagnement", "subventions_plai_adapte")


def financement_accompagnement_contrepartie(sc: Scenario) -> bool:
    """Le financement de l'accompagnement n'existe-t-il que par les contreparties PLAI adapté ?

    Sa clé ``contrepartie`` ; par défaut oui pour un logement ordinaire (FNAVDL des ménages PLAI adapté), non pour
    un foyer (l'AGLS d'une pension de famille ou d'une résidence sociale existe sans PLAI adapté).
    """
    f = sc.exploitation.financement_accompagnement
    if f is not None and f.contrepartie is not None:
        return f.contrepartie
    return sc.operation.produit == "ordinaire"


def variantes_contreparties(sc: Scenario) -> list[Scenario]:
    """Les variantes qui retirent une à une les contreparties PLAI adapté (model.md 8), dans l'ordre de
    CAUSES_CONTREPARTIES ; la dernière est la même opération en PLAI ordinaire.

    1. loyers : chaque ligne au plafond PLAI (foyer : la redevance maximale), saisies comprises ;
    2. gla : sans gestion locative adaptée (foyer : GLS renforcée) ;
    3. accompagnement : sans accompagnement, ni son financement quand il lui est propre ;
    4. subventions_plai_adapte : sans logement PLAI adapté, donc sans les subventions qui n'existent que par eux
       (valeur de référence FNAP, montant par PLAI adapté, nature fnap_plai_adapte), la subvention à calculer
       exceptée. Les lignes gardent leur exposition à la RLS.
    """
    v1 = remplacer(sc, logements=tuple(remplacer(lg, loyer_au_plafond=True) if lg.produit == "PLAI" else lg
                                     for lg in sc.logements), avertissements=())
    v2 = remplacer(v1, exploitation=remplacer(v1.exploitation, gla=None))
    ex = remplacer(v2.exploitation, accompagnement=None)
    if financement_accompagnement_contrepartie(sc):
        ex = remplacer(ex, financement_accompagnement=None)
    v3 = remplacer(v2, exploitation=ex)
    subventions = tuple(remplacer(s, montant=0.0, montant_par_logement=None, montant_par_plai_adapte=None)
                        if s.propre_au_plai_adapte and s.montant != "a_calculer" else s for s in sc.subventions)
    v4 = remplacer(v3, logements=tuple(remplacer(lg, plai_adapte=False) for lg in v3.logements),
                 subventions=subventions)
    return [v1, v2, v3, v4]


# ------------------------------------------------------------------------------------- préparations partagées
# Les opérations d'un programme ne diffèrent souvent de leur modèle que par des montants : le prix de revient, le
# capital d'un prêt à montant fixe, la vacance et les impayés, le nom. Tout le reste de la préparation (lignes de
# loyers, barèmes, TVA, SIEG) est alors celui d'une opération déjà préparée : seuls le plan de financement, les
# postes du prix de revient et les hypothèses touchées sont recalculés, par les fonctions mêmes de preparer.


def cle_structure(sc: Scenario):
    """Le scénario sans ses montants : deux opérations de même clé ont la même préparation à ces montants près."""
    pr = sc.prix_de_revient
    return (remplacer(sc, fichier="", sha256="", avertissements=(), operation=remplacer(sc.operation, nom=""),
                    prix_de_revient=remplacer(pr, charge_fonciere=0.0, travaux=0.0, honoraires=0.0),
                    prets=tuple(p if p.est_solde else remplacer(p, montant=0.0) for p in sc.prets),
                    exploitation=remplacer(sc.exploitation, vacance_pct=0.0, impayes_pct=0.0)),
            tuple(a.replace(f"{sc.fichier} : ", "") for a in sc.avertissements),
            # des paramètres locaux relatifs au fichier : lus depuis son dossier
            str(Path(sc.fichier).parent) if sc.operation.parametres_locaux else "")


COL_VACANCE, COL_IMPAYES, COL_GE = (_COLONNES.index(c) for c in ("vacance", "impayes", "gros_entretien_total"))


def preparer_depuis(bases: list[Entrees], scenarios: list[Scenario], contexte: tuple) -> list[Entrees]:
    """Les entrées de chaque scénario, de même :func:`cle_structure` que celui de la base de même rang : celles de
    la base, plan de financement, postes du prix de revient, hypothèses, prêts et ligne du lot recalculés.
    ``scenarios`` : une opération et ses variantes (mêmes montants) ; ``contexte`` : (taux de TVA des postes,
    taux par produit, parts de surface utile) de la base."""
    sc = scenarios[0]
    ex = sc.exploitation
    vacance, impayes, ge = ex.vacance_pct / 100.0, ex.impayes_pct / 100.0, _gros_entretien_total(sc)
    postes = postes_prix_de_revient(sc.prix_de_revient, *contexte)
    ancien, nouveau = f"{bases[0].scenario.fichier} : ", f"{sc.fichier} : "
    sortie = []
    # Les variantes aux mêmes subventions ont le même plan (mêmes prêts, même prix de revient), aux mêmes prêts
    # les mêmes caractéristiques : chacun fait une fois.
    plans: dict = {}
    caracteristiques: dict = {}
    for base, x in zip(bases, scenarios):
        n_fixes = len(base.financement) - len(x.prets)
        fixes = base.financement[:n_fixes]
        plan = plans.get(fixes)
        if plan is None:
            plan = plans[fixes] = _plan_prets(x, list(fixes))
        financement, principaux, indice_solde = plan
        hyp = remplacer(base.hypotheses, vacance=vacance, impayes=impayes, gros_entretien_total=ge)
        prets = caracteristiques.get(base.prets)
        if prets is None:
            prets = caracteristiques[base.prets] = tuple(c if p.est_solde else remplacer(c, montant=float(p.montant))
                                                         for c, p in zip(base.prets, x.prets))
        e = remplacer(base, scenario=x, financement=financement, principaux=principaux, indice_solde=indice_solde,
                      hypotheses=hyp, prets=prets, postes_prix_de_revient=postes,
                      avertissements=tuple(a.replace(ancien, nouveau) for a in base.avertissements))
        # La ligne du lot de la base, aux colonnes que ces montants changent (ligne_lot et prets_lot les liraient).
        ligne, table_prets = base.lot
        ligne, table_prets = ligne.copy(), table_prets.copy()
        ligne[COL_VACANCE], ligne[COL_IMPAYES], ligne[COL_GE] = vacance, impayes, ge
        table_prets[:, 9] = principaux
        e.__dict__["lot"] = (ligne, table_prets)
        for garde in ("assiettes_lot", "baremes_menage"):  # ne lisent aucun de ces montants
            if garde in base.__dict__:
                e.__dict__[garde] = base.__dict__[garde]
        e.__dict__["structure"] = base  # ce que l'opération partage avec sa base (calcul.resoudre_leger)
        sortie.append(e)
    return sortie


def contexte_postes(sc: Scenario, e: Entrees) -> tuple:
    """(taux de TVA des postes, taux par produit, parts de surface utile) : ce que :func:`postes_prix_de_revient`
    lit d'une opération préparée ``e`` de ``sc`` ; le même pour toute opération de même :func:`cle_structure`."""
    su, _, su_totale, _, _ = _surfaces(sc.logements, e.regles_loyers["part_annexes_su"])
    op = sc.operation
    return (e.parametres.taux_tva_postes(op.nature, op.date_agrement)[0], _taux_produits(sc, e.parametres),
            _parts_su(sc, su, su_totale))


class _Cle:
    """Une clé de dictionnaire dont l'empreinte (hash d'un scénario entier) est calculée une fois."""

    __slots__ = ("valeur", "empreinte")

    def __init__(self, valeur) -> None:
        self.valeur, self.empreinte = valeur, hash(valeur)

    def __hash__(self) -> int:
        return self.empreinte

    def __eq__(self, autre) -> bool:
        return isinstance(autre, _Cle) and self.empreinte == autre.empreinte and self.valeur == autre.valeur


class Preparations:
    """Les préparations d'un programme, gardées par :func:`cle_structure` (les ``nombre`` plus récentes) : une
    opération et ses variantes de contreparties (calcul.resoudre) sont préparées une fois par structure, puis
    déduites pour chaque jeu de montants."""

    def __init__(self, nombre: int = 256, lignes: int = 100_000) -> None:
        self.nombre, self.lignes = nombre, lignes  # au plus ``lignes`` lignes de logements gardées en tout
        self._gardees: OrderedDict = OrderedDict()
        self._total = 0
        self.preparees = self.deduites = 0

    def avec_variantes(self, sc: Scenario, parametres: Parametres | None = None) -> list[Entrees]:
        """Les entrées de l'opération puis de ses variantes (preparation.variantes_contreparties)."""
        variantes = variantes_contreparties(sc)
        try:
            cle = _Cle((cle_structure(sc), id(parametres)))
            gardee = self._gardees.get(cle)
        except TypeError:  # un champ non hachable : préparée sans partage
            cle, gardee = None, None
        if gardee is None:
            entrees = [preparer(x, parametres) for x in [sc, *variantes]]
            self.preparees += 1
            if cle is not None:
                self._gardees[cle] = (entrees, contexte_postes(sc, entrees[0]), parametres)
                self._total += len(sc.logements)
                while len(self._gardees) > 1 and (len(self._gardees) > self.nombre or self._total > self.lignes):
                    self._total -= len(self._gardees.popitem(last=False)[1][0][0].scenario.logements)
            return entrees
        self._gardees.move_to_end(cle)
        bases, contexte, _ = gardee
        self.deduites += 1
        return preparer_depuis(bases, [sc, *variantes], contexte)
