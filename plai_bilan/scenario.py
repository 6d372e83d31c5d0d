"""Scénario (format TOML v1) -> objets figés et typés, validés à la frontière ; aucun calcul ici.

Les clés et les unités sont celles du fichier : taux en pour cent (clés ``*_pct``), montants en euros TTC,
montants d'exploitation par logement et par an aux prix de l'année 1. Toute erreur lève
:class:`~plai_bilan.erreurs.ScenarioInvalide` en nommant le fichier, la clé et l'attendu.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import tomllib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from plai_bilan.catalogue import montants_par_logement
from plai_bilan.erreurs import ScenarioInvalide
from plai_bilan.fichiers import TAILLE_MAX, lire_fichier_borne  # noqa: F401  (réexportés)

from plai_bilan.choix import (  # noqa: F401  (réexportés)
    CRITERES,
    NATURES,
    NATURES_SUBVENTION,
    OBJETS_PRET,
    PRODUITS,
    DROITS,
    PRODUITS_LOGEMENT,
    PROFILS,
    REGIONS,
    REVISABILITES,
    TYPES_FOYER,
    ZONES_ABC,
    ZONES_APL,
    ZONES_LOYER,
)

DUREE_MAX = 100
MONTANT_MAX = 1e12  # euros : au-delà, une faute de frappe (et un risque de dépassement de capacité)

# Un taux en pour cent non nul plus petit que ceci ressemble à une fraction décimale (0,002 pour 0,2 %).
SEUIL_DECIMAL_PCT = 0.05
_MANQUE = object()


# ---------------------------------------------------------------------------------------------- objets


@dataclass(frozen=True)
class Menage:
    """Composition du ménage envisagé (critère 2 du FNAP) et, facultatives, ses ressources (critère 1)."""

    couple: bool
    personnes_a_charge: int
    ressources: float | None = None  # revenu fiscal de référence annuel (N-2), euros
    revenu_total: float | None = None  # revenu annuel du ménage, prestations comprises (taux d'effort, reste pour vivre)


@dataclass(frozen=True, kw_only=True)
class Logement:
    """Une ligne de logements identiques."""

    typologie: str
    nombre: int
    surface_habitable: float
    surface_annexes: float
    surface_utile_saisie: float | None
    plai_adapte: bool
    menage: Menage | None
    loyer_m2: float | None
    loyer_mensuel: float | None
    redevance_max: float | None
    rls: bool | None
    loyer_accessoire: float
    charges_locatives: float | None = None  # charges récupérables (euros par mois) ; None : forfait de charges APL
    produit: str = "PLAI"  # PRODUITS_LOGEMENT : le prêt qui finance la ligne (ses plafonds de loyer et de ressources)
    prestations_mensuelles: float = 0.0  # foyer : part de la redevance pour les prestations (hors assiette APL)
    loyer_au_plafond: bool = False  # variantes de calcul : loyer au plafond PLAI, saisies ignorées (pas une clé)

    @property
    def soumis_rls(self) -> bool:
        """La ligne est exposée à la RLS (quand l'opération y est soumise) : sa clé ``rls``, par défaut oui.

        La RLS suit les locataires, pas le produit : elle s'applique aux ménages dont les ressources sont sous son
        plafond (CCH L.442-2-1), ce que sont en pratique les ménages de tout logement PLAI.
        """
        return True if self.rls is None else self.rls


@dataclass(frozen=True, kw_only=True)
class Operation:
    nom: str
    nature: str
    produit: str
    region: str
    zone_loyer: str
    zone_apl: str
    date_agrement: date
    mise_en_service: int
    marge_locale_pct: float | None  # None : le barème des marges locales (national : aucune)
    rls: bool
    ascenseur: bool
    loyer_plafond_m2: float | None
    qpv: bool = False  # en quartier prioritaire de la politique de la ville (agrément par procédure dérogatoire)
    anru: bool = False  # dans un quartier support d'une intervention de l'ANRU (exclu du PLAI adapté)
    refinancement: bool = False  # logements déjà aidés par l'État (Anah compris), convention APL non résiliée depuis 10 ans
    plai_adaptes_meme_adresse: int = 0  # PLAI adaptés d'autres opérations à la même adresse (tranche FNAP)
    parametres_locaux: str | None = None  # dossier de paramètres locaux, relatif au fichier du scénario
    zone_abc: str | None = None  # zonage A/B/C : obligatoire avec des logements PLS (leurs loyers maximaux)
    loyer_plafond_m2_plus: float | None = None  # loyer plafond PLUS de l'avis retenu (remplace LMzone PLUS x CS x marge)
    loyer_plafond_m2_pls: float | None = None  # loyer plafond PLS de l'avis retenu (remplace LMzone PLS x CS)
    droit: str = "propriete"  # DROITS : un droit temporaire (usufruit, baux) finit le fin_droit
    fin_droit: date | None = None  # fin d'un droit temporaire : borne l'analyse, aucune valeur résiduelle
    type_foyer: str | None = None  # TYPES_FOYER (foyer seulement) : pension de famille ou résidence sociale


@dataclass(frozen=True)
class PrixDeRevient:
    charge_fonciere: float
    travaux: float
    honoraires: float
    autres: tuple[tuple[str, float], ...]
    taux_tva_pct: tuple[tuple[str, float], ...] = ()  # (poste, taux) saisis ; les autres : barème selon la nature

    @property
    def total(self) -> float:
        return self.charge_fonciere + self.travaux + self.honoraires + sum(m for _, m in self.autres)


@dataclass(frozen=True)
class Subvention:
    """``montant`` : un nombre, ``"a_calculer"`` ou ``"reference"`` ; ou ``montant_par_logement`` ; ou
    ``montant_par_plai_adapte``. ``nature`` : qui finance (NATURES_SUBVENTION)."""

    financeur: str
    montant: float | str | None
    montant_par_logement: float | None
    montant_par_plai_adapte: float | None = None
    nature: str = "autre"
    produit: str | None = None  # le produit de logement qu'elle finance (PRODUITS_LOGEMENT) ; None : l'opération

    @property
    def propre_au_plai_adapte(self) -> bool:
        """Une subvention qui n'existe que parce que l'opération a des PLAI adaptés : la subvention FNAP, une
        valeur de référence FNAP, un montant par PLAI adapté."""
        return (self.nature == "fnap_plai_adapte" or self.montant == "reference"
                or self.montant_par_plai_adapte is not None)


@dataclass(frozen=True)
class Remuneration:
    taux_pct: float
    duree: int


@dataclass(frozen=True)
class FondsPropres:
    montant: float
    remuneration: Remuneration | None


@dataclass(frozen=True, kw_only=True)
class Pret:
    """Un prêt ; ``montant`` vaut un nombre ou ``"solde"`` (prêt d'équilibre)."""

    nom: str
    montant: float | str
    duree: int
    index: str  # "livret_a" ou "fixe"
    taux_pct: float | None
    marge_pct: float | None  # None : la marge CDC du produit du prêt (prets_cdc.toml)
    progressivite_pct: float
    revisabilite: str
    prefinancement: int
    differe_amortissement: int
    profil: str
    produit: str | None = None  # le produit de logement qu'il finance (PRODUITS_LOGEMENT) ; None : l'opération
    objet: str = "construction"  # OBJETS_PRET : ce qu'il finance (ses durées CDC : bâti ou foncier)

    @property
    def est_solde(self) -> bool:
        return self.montant == "solde"


@dataclass(frozen=True)
class MontantDuree:
    montant: float
    duree: int
    contrepartie: bool | None = None  # financement : n'existe que par les contreparties PLAI adapté (défaut selon le produit)


@dataclass(frozen=True)
class Tfpb:
    montant: float
    exoneration: int | None  # années d'exploitation sans TFPB ; None : la durée légale (CGI 1384 A, 1384 C)
    criteres_environnementaux: bool = False  # au moins 4 des 5 critères de qualité environnementale (30 ans)


@dataclass(frozen=True)
class Indexation:
    loyers_pct: float
    charges_pct: float
    plafonds_apl_pct: float | None = None  # revalorisation annuelle supposée des plafonds APL (défaut : loyers_pct)


@dataclass(frozen=True, kw_only=True)
class Exploitation:
    vacance_pct: float
    impayes_pct: float
    frais_gestion: float
    entretien_courant: float
    gros_entretien: float | None
    gros_entretien_pct_travaux: float | None
    assurance: float
    autres_charges: float
    charges_comprises: float
    provision_gros_travaux: float
    charges_pct_loyers: float
    tfpb: Tfpb | None
    gla: MontantDuree | None  # la gestion locative adaptée (foyer : la GLS renforcée), une contrepartie
    accompagnement: MontantDuree | None
    financement_accompagnement: MontantDuree | None
    indexation: Indexation
    gls: MontantDuree | None = None  # la gestion locative sociale de droit commun (hors PLAI adapté)


@dataclass(frozen=True)
class LivretA:
    """``trajectoire`` : ``"constante"`` ou un tuple de taux en pour cent pour les années 1, 2, ..."""

    trajectoire: str | tuple[float, ...]
    date_valeur: date | None


@dataclass(frozen=True)
class Analyse:
    critere: str
    taux_actualisation_pct: float | None
    tresorerie_initiale: float
    duree: int | None


@dataclass(frozen=True)
class OptionsSieg:
    """Options du contrôle de surcompensation (table [sieg]) ; None : la valeur par défaut documentée."""

    duree: int | None = None  # période d'analyse (années), par défaut l'horizon
    taux_swap_pct: float | None = None  # taux de swap de la durée du mandat (sieg_marche.toml)
    taux_marche_pct: float | None = None  # taux d'un prêt long non réglementé (swap + marge)
    taux_actualisation_pct: float | None = None  # par défaut le taux de swap
    duree_amortissement: int | None = None  # du bâti, pour la valeur résiduelle
    rabais_foncier: float = 0.0  # décote foncière consentie (euros), une compensation
    garanties: float = 0.0  # valeur des garanties d'emprunt gratuites (euros), une compensation
    individualisation: bool = True  # analyse par produit quand l'opération mêle plusieurs produits
    # « nulle » (défaut : les logements restent affectés au service au-delà de la période), « comptable » ou un
    # montant en fin de période (euros)
    valeur_residuelle: str | float = "nulle"


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """Une opération, telle que décrite par son fichier."""

    fichier: str
    sha256: str
    operation: Operation
    logements: tuple[Logement, ...]
    prix_de_revient: PrixDeRevient
    subventions: tuple[Subvention, ...]
    fonds_propres: FondsPropres
    prets: tuple[Pret, ...]
    exploitation: Exploitation
    livret_a: LivretA
    analyse: Analyse
    avertissements: tuple[str, ...] = ()
    sieg: OptionsSieg = None  # type: ignore[assignment]  (remplacé par défaut dans __post_init__)

    def __post_init__(self) -> None:
        if self.sieg is None:
            object.__setattr__(self, "sieg", OptionsSieg())

    @property
    def n_logements(self) -> int:
        return sum(lg.nombre for lg in self.logements)

    @property
    def n_plai_adapte(self) -> int:
        return sum(lg.nombre for lg in self.logements if lg.plai_adapte)


# ---------------------------------------------------------------------------------------------- lecture


def _nom_type(valeur: Any) -> str:
    if isinstance(valeur, bool):
        return "un booléen"
    if isinstance(valeur, int | float):
        return "un nombre"
    if isinstance(valeur, str):
        return "un texte"
    if isinstance(valeur, date):
        return "une date"
    if isinstance(valeur, list):
        return "une liste"
    if isinstance(valeur, dict):
        return "une table"
    return type(valeur).__name__


class _Table:
    """Lit une table TOML en suivant le chemin des clés, et refuse les clés inconnues."""

    def __init__(self, fichier: str, chemin: str, donnees: Any, avertissements: list[str]) -> None:
        self.fichier = fichier
        self.chemin = chemin
        self.avertissements = avertissements
        if not isinstance(donnees, dict):
            raise ScenarioInvalide(fichier, chemin, f"une table est attendue, pas {_nom_type(donnees)}")
        self.donnees = donnees
        self.lues: set[str] = set()

    def cle(self, nom: str) -> str:
        return f"{self.chemin}.{nom}" if self.chemin else nom

    def erreur(self, nom: str, message: str) -> ScenarioInvalide:
        return ScenarioInvalide(self.fichier, self.cle(nom), message)

    def present(self, nom: str) -> bool:
        return nom in self.donnees

    def brute(self, nom: str, defaut: Any = _MANQUE) -> Any:
        self.lues.add(nom)
        if nom in self.donnees:
            return self.donnees[nom]
        if defaut is _MANQUE:
            proche = difflib.get_close_matches(nom, [k for k in self.donnees if isinstance(k, str)], n=1, cutoff=0.75)
            if proche:
                raise self.erreur(proche[0], f"clé inconnue ; vouliez-vous dire « {nom} » ?")
            raise self.erreur(nom, "clé obligatoire manquante")
        return defaut

    def texte(self, nom: str, defaut: Any = _MANQUE, choix: tuple[str, ...] | None = None) -> Any:
        v = self.brute(nom, defaut)
        if v is defaut and defaut is not _MANQUE:
            return v
        if isinstance(v, int | float) and not isinstance(v, bool) and choix:
            v = str(v)  # zone_loyer = 2 écrit sans guillemets
        if not isinstance(v, str):
            raise self.erreur(nom, f"un texte est attendu, pas {_nom_type(v)}")
        if choix is not None and v not in choix:
            comprise = {_sans_accents(c): c for c in choix}.get(_sans_accents(v))
            if comprise is not None:  # « acquisition-amélioration », « à calculer », « Double limitée »...
                return comprise
            if v.strip().upper() in ZONAGE_ABC and set(choix) & {"1bis", "1"}:
                raise self.erreur(nom, f"« {v} » est une zone du zonage A/B/C (PLS, investissement locatif) ; les "
                                  f"loyers PLAI et les APL ont leurs propres zones : {', '.join(choix)}")
            proche = difflib.get_close_matches(v, choix, n=1)
            suggestion = f" (vouliez-vous dire « {proche[0]} » ?)" if proche else ""
            raise self.erreur(nom, f"« {v} » n'est pas une valeur permise ; valeurs permises : "
                              f"{', '.join(choix)}{suggestion}")
        if choix is None and not v.strip():
            raise self.erreur(nom, "un texte non vide est attendu")
        return v

    def booleen(self, nom: str, defaut: Any = _MANQUE) -> Any:
        v = self.brute(nom, defaut)
        if v is defaut and defaut is not _MANQUE:
            return v
        if not isinstance(v, bool):
            raise self.erreur(nom, f"true ou false est attendu, pas {_nom_type(v)}")
        return v

    def nombre(self, nom: str, defaut: Any = _MANQUE, *, mini: float | None = None, maxi: float | None = None,
               strict: bool = False, pct: bool = False) -> Any:
        v = self.brute(nom, defaut)
        if v is defaut and defaut is not _MANQUE:
            return v
        return self.verifier_nombre(nom, v, mini=mini, maxi=maxi, strict=strict, pct=pct)

    def verifier_nombre(self, nom: str, v: Any, *, mini: float | None = None, maxi: float | None = None,
                        strict: bool = False, pct: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.erreur(nom, f"un nombre est attendu, pas {_nom_type(v)}")
        try:
            v = float(v)
        except OverflowError:
            raise self.erreur(nom, f"un nombre <= {_fmt(MONTANT_MAX)} est attendu, pas un nombre de {len(str(v))} "
                              "chiffres") from None
        if not math.isfinite(v):
            raise self.erreur(nom, "un nombre fini est attendu (nan et inf sont refusés)")
        maxi = MONTANT_MAX if maxi is None else maxi
        if mini is None and v < -MONTANT_MAX:
            raise self.erreur(nom, f"un nombre >= {_fmt(-MONTANT_MAX)} est attendu, pas {_fmt(v)}")
        if mini is not None and (v <= mini if strict else v < mini):
            signe = ">" if strict else ">="
            raise self.erreur(nom, f"un nombre {signe} {_fmt(mini)} est attendu, pas {_fmt(v)}")
        if maxi is not None and v > maxi:
            raise self.erreur(nom, f"un nombre <= {_fmt(maxi)} est attendu, pas {_fmt(v)}")
        if pct and v != 0 and abs(v) < SEUIL_DECIMAL_PCT:
            self.avertissements.append(
                f"{self.fichier} : clé « {self.cle(nom)} » : {_fmt(v)} ressemble à une fraction décimale ; "
                f"les taux s'écrivent en pour cent (écrivez {_fmt(v * 100)} pour {_fmt(v * 100).replace('.', ',')} %)"
            )
        return v

    def entier(self, nom: str, defaut: Any = _MANQUE, *, mini: int | None = None, maxi: int | None = None) -> Any:
        v = self.brute(nom, defaut)
        if v is defaut and defaut is not _MANQUE:
            return v
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.erreur(nom, f"un nombre entier est attendu, pas {_nom_type(v)} ({v!r})")
        if mini is not None and v < mini:
            raise self.erreur(nom, f"un entier >= {mini} est attendu, pas {v}")
        if maxi is not None and v > maxi:
            raise self.erreur(nom, f"un entier <= {maxi} est attendu, pas {v}")
        return v

    def jour(self, nom: str, defaut: Any = _MANQUE) -> Any:
        v = self.brute(nom, defaut)
        if v is defaut and defaut is not _MANQUE:
            return v
        if isinstance(v, str):
            try:
                v = date.fromisoformat(v)
            except ValueError:
                raise self.erreur(nom, f"une date AAAA-MM-JJ est attendue, pas « {v} »") from None
        if isinstance(v, date) and not hasattr(v, "hour"):
            return v
        raise self.erreur(nom, f"une date AAAA-MM-JJ est attendue, pas {_nom_type(v)}")

    def table(self, nom: str, defaut: Any = _MANQUE) -> Any:
        v = self.brute(nom, defaut)
        if v is defaut and defaut is not _MANQUE:
            return v
        return _Table(self.fichier, self.cle(nom), v, self.avertissements)

    def liste_de_tables(self, nom: str, *, mini: int = 0) -> list[_Table]:
        v = self.brute(nom, [] if mini == 0 else _MANQUE)
        if not isinstance(v, list):
            raise self.erreur(nom, f"une liste de tables [[{self.cle(nom)}]] est attendue, pas {_nom_type(v)}")
        if len(v) < mini:
            raise self.erreur(nom, f"au moins {mini} élément(s) attendu(s)")
        return [_Table(self.fichier, f"{self.cle(nom)}[{i}]", e, self.avertissements) for i, e in enumerate(v)]

    def fin(self, cles_permises: tuple[str, ...] = ()) -> None:
        """Refuse toute clé non lue, en proposant la clé valide la plus proche."""
        permises = set(self.lues) | set(cles_permises)
        for nom in self.donnees:
            if nom not in permises:
                proche = difflib.get_close_matches(nom, sorted(permises), n=1, cutoff=0.6)
                suggestion = f" ; vouliez-vous dire « {proche[0]} » ?" if proche else ""
                raise ScenarioInvalide(self.fichier, self.cle(nom), f"clé inconnue{suggestion}")


ZONAGE_ABC = ("ABIS", "A BIS", "A", "B1", "B2", "C")


def _sans_accents(texte: str) -> str:
    """Forme de comparaison : sans accents ni casse, espaces, tirets et soulignés confondus."""
    import unicodedata

    sans = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode()
    return "".join(c for c in sans.lower() if c.isalnum())


def _fmt(v: float) -> str:
    return f"{v:g}"



def _operation(t: _Table) -> Operation:
    op = Operation(
        nom=t.texte("nom"),
        nature=t.texte("nature", choix=NATURES),
        produit=t.texte("produit", choix=PRODUITS),
        region=t.texte("region", choix=REGIONS),
        zone_loyer=t.texte("zone_loyer", choix=ZONES_LOYER),
        zone_apl=t.texte("zone_apl", choix=ZONES_APL),
        date_agrement=t.jour("date_agrement"),
        mise_en_service=t.entier("mise_en_service", mini=1990, maxi=2100),
        marge_locale_pct=t.nombre("marge_locale_pct", None, mini=0.0, maxi=100.0, pct=True),
        rls=t.booleen("rls", False),
        ascenseur=t.booleen("ascenseur", False),
        loyer_plafond_m2=t.nombre("loyer_plafond_m2", None, mini=0.0, maxi=100.0, strict=True),
        qpv=t.booleen("qpv", False),
        anru=t.booleen("anru", False),
        refinancement=t.booleen("refinancement", False),
        plai_adaptes_meme_adresse=t.entier("plai_adaptes_meme_adresse", 0, mini=0, maxi=10000),
        parametres_locaux=t.texte("parametres_locaux", None),
        zone_abc=t.texte("zone_abc", None, choix=ZONES_ABC),
        loyer_plafond_m2_plus=t.nombre("loyer_plafond_m2_plus", None, mini=0.0, maxi=100.0, strict=True),
        loyer_plafond_m2_pls=t.nombre("loyer_plafond_m2_pls", None, mini=0.0, maxi=100.0, strict=True),
        droit=t.texte("droit", "propriete", choix=DROITS),
        fin_droit=t.jour("fin_droit", None),
        type_foyer=t.texte("type_foyer", None, choix=TYPES_FOYER),
    )
    t.fin()
    if op.type_foyer is not None and op.produit != "foyer":
        raise t.erreur("type_foyer", "réservée aux foyers (operation.produit = \"foyer\")")
    if op.droit != "propriete" and op.fin_droit is None:
        raise t.erreur("fin_droit", f"clé obligatoire pour un droit temporaire ({op.droit}) : la date de fin du droit "
                       "(AAAA-MM-JJ)")
    if op.droit == "propriete" and op.fin_droit is not None:
        raise t.erreur("fin_droit", "réservée à un droit temporaire : déclarez operation.droit (usufruit, "
                       "bail_emphyteotique, bail_rehabilitation)")
    if op.fin_droit is not None and op.fin_droit.year <= op.mise_en_service:
        raise t.erreur("fin_droit", f"le droit finit ({op.fin_droit.isoformat()}) avant la fin de la première année "
                       f"d'exploitation ({op.mise_en_service})")
    if op.mise_en_service < op.date_agrement.year:
        raise t.erreur("mise_en_service", f"l'année de mise en service ({op.mise_en_service}) précède l'année "
                       f"de l'agrément ({op.date_agrement.year})")
    return op


def _menage(t: _Table) -> Menage:
    m = Menage(couple=t.booleen("couple"), personnes_a_charge=t.entier("personnes_a_charge", mini=0, maxi=20),
               ressources=t.nombre("ressources", None, mini=0.0, maxi=10_000_000.0),
               revenu_total=t.nombre("revenu_total", None, mini=0.0, maxi=10_000_000.0))
    t.fin()
    return m


def _logement(t: _Table, produit: str, rls_operation: bool) -> Logement:
    nombre = t.entier("nombre", mini=1, maxi=10000)
    if t.present("surface_utile"):
        su = t.nombre("surface_utile", mini=0.0, maxi=10000.0, strict=True)
        sh = t.nombre("surface_habitable", su, mini=0.0, maxi=10000.0, strict=True)
        annexes = t.nombre("surface_annexes", 0.0, mini=0.0, maxi=10000.0)
    else:
        su = None
        sh = t.nombre("surface_habitable", mini=0.0, maxi=10000.0, strict=True)
        annexes = t.nombre("surface_annexes", 0.0, mini=0.0, maxi=10000.0)
    plai_adapte = t.booleen("plai_adapte")
    menage = _menage(t.table("menage")) if t.present("menage") else t.brute("menage", None)
    loyer_m2 = t.nombre("loyer_m2", None, mini=0.0, maxi=100.0)
    loyer_mensuel = t.nombre("loyer_mensuel", None, mini=0.0, maxi=100000.0)
    redevance_max = t.nombre("redevance_max", None, mini=0.0, maxi=100000.0)
    rls = t.booleen("rls", None)
    produit_ligne = t.texte("produit", "PLAI", choix=PRODUITS_LOGEMENT)
    lg = Logement(
        typologie=t.texte("typologie", ""),
        nombre=nombre,
        surface_habitable=sh,
        surface_annexes=annexes,
        surface_utile_saisie=su,
        plai_adapte=plai_adapte,
        menage=menage,
        loyer_m2=loyer_m2,
        loyer_mensuel=loyer_mensuel,
        redevance_max=redevance_max,
        rls=rls,
        loyer_accessoire=t.nombre("loyer_accessoire", 0.0, mini=0.0, maxi=100000.0),
        charges_locatives=t.nombre("charges_locatives", None, mini=0.0, maxi=100000.0),
        produit=produit_ligne,
        prestations_mensuelles=t.nombre("prestations_mensuelles", 0.0, mini=0.0, maxi=10000.0),
    )
    t.fin()
    if plai_adapte and produit_ligne != "PLAI":
        raise t.erreur("plai_adapte", f"un logement PLAI adapté est financé en PLAI, pas en {produit_ligne} : "
                       "retirez plai_adapte ou mettez produit = \"PLAI\"")
    if produit == "foyer" and produit_ligne != "PLAI":
        raise t.erreur("produit", "les logements-foyers sont modélisés en PLAI (pension de famille, résidence "
                       "sociale) : retirez produit ou mettez produit = \"PLAI\"")
    if loyer_m2 is not None and loyer_mensuel is not None:
        raise t.erreur("loyer_m2", "donnez loyer_m2 ou loyer_mensuel, pas les deux")
    if produit == "foyer":
        if loyer_m2 is not None:
            raise t.erreur("loyer_m2", "un foyer paie une redevance mensuelle : utilisez loyer_mensuel ou "
                           "redevance_max")
        if redevance_max is None and loyer_mensuel is None:
            raise t.erreur("redevance_max", "clé obligatoire pour un foyer sans loyer_mensuel (redevance "
                           "maximale de l'avis loyers pour ce type de logement, en euros par mois)")
    elif redevance_max is not None:
        raise t.erreur("redevance_max", "réservée aux foyers (operation.produit = \"foyer\")")
    elif lg.prestations_mensuelles:
        raise t.erreur("prestations_mensuelles", "réservée aux foyers (operation.produit = \"foyer\") : les "
                       "prestations quittancées avec la redevance")
    besoin_menage = plai_adapte or (rls_operation and produit == "ordinaire" and lg.soumis_rls)
    if menage is None and besoin_menage:
        raise t.erreur("menage", "clé obligatoire pour un logement PLAI adapté ou soumis à la RLS : "
                       "menage = { couple = false, personnes_a_charge = 0 }")
    return lg


def _prix_de_revient(t: _Table) -> PrixDeRevient:
    autres_brut = t.table("autres", None)
    autres: list[tuple[str, float]] = []
    if autres_brut is not None:
        for nom in autres_brut.donnees:
            autres.append((nom, autres_brut.nombre(nom, mini=0.0)))
    tva_brut = t.table("taux_tva_pct", None)
    tva: list[tuple[str, float]] = []
    if tva_brut is not None:
        for poste in ("charge_fonciere", "travaux", "honoraires", "autres"):
            if tva_brut.present(poste):
                tva.append((poste, tva_brut.nombre(poste, mini=0.0, maxi=30.0, pct=True)))
        tva_brut.fin()
    pr = PrixDeRevient(
        charge_fonciere=t.nombre("charge_fonciere", 0.0, mini=0.0),
        travaux=t.nombre("travaux", 0.0, mini=0.0),
        honoraires=t.nombre("honoraires", 0.0, mini=0.0),
        autres=tuple(autres),
        taux_tva_pct=tuple(tva),
    )
    t.fin()
    if pr.total <= 0:
        raise ScenarioInvalide(t.fichier, t.chemin, "le prix de revient doit être positif : donnez au moins "
                               "charge_fonciere, travaux ou honoraires")
    return pr


def _subvention(t: _Table) -> Subvention:
    financeur = t.texte("financeur")
    formes = [c for c in ("montant", "montant_par_logement", "montant_par_plai_adapte") if t.present(c)]
    if len(formes) != 1:
        raise t.erreur("montant", "donnez un seul de montant, montant_par_logement et montant_par_plai_adapte")
    montant: float | str | None = None
    par_logement = par_plai_adapte = None
    if formes[0] == "montant":
        brut = t.brute("montant")
        if isinstance(brut, str):
            montant = t.texte("montant", choix=("a_calculer", "reference", "bareme"))
        else:
            montant = t.nombre("montant", mini=0.0)
    elif formes[0] == "montant_par_logement":
        par_logement = t.nombre("montant_par_logement", mini=0.0)
    else:
        par_plai_adapte = t.nombre("montant_par_plai_adapte", mini=0.0)
    nature = t.texte("nature", "autre", choix=NATURES_SUBVENTION)
    produit = t.texte("produit", None, choix=PRODUITS_LOGEMENT)
    t.fin(("montant", "montant_par_logement", "montant_par_plai_adapte"))
    if produit not in (None, "PLAI") and (nature in ("fnap_plai_adapte", "etat_plai") or montant == "reference"
                                          or par_plai_adapte is not None):
        raise t.erreur("produit", f"une subvention PLAI (nature {nature}) finance les logements PLAI, pas {produit}")
    if nature == "fnap_plai_adapte" and par_logement is not None:
        raise t.erreur("montant_par_logement", "la subvention PLAI adapté du FNAP se compte par logement PLAI adapté : "
                       "utilisez montant_par_plai_adapte (montant_par_logement la multiplierait par tous les logements)")
    if montant == "bareme" and nature != "etat_plai":
        raise t.erreur("montant", "\"bareme\" désigne le barème de la subvention PLAI de droit commun : déclarez "
                       "nature = \"etat_plai\"")
    return Subvention(financeur, montant, par_logement, par_plai_adapte, nature, produit)


def _fonds_propres(t: _Table | None) -> FondsPropres:
    if t is None:
        return FondsPropres(0.0, None)
    montant = t.nombre("montant", 0.0, mini=0.0)
    rem = None
    r = t.table("remuneration", None)
    if r is not None:
        rem = Remuneration(r.nombre("taux_pct", mini=0.0, maxi=20.0, pct=True), r.entier("duree", mini=1, maxi=DUREE_MAX))
        r.fin()
    t.fin()
    return FondsPropres(montant, rem)


def _pret(t: _Table) -> Pret:
    nom = t.texte("nom")
    brut = t.brute("montant")
    montant: float | str
    if isinstance(brut, str):
        montant = t.texte("montant", choix=("solde",))
    else:
        montant = t.nombre("montant", mini=0.0)
    duree = t.entier("duree", mini=1, maxi=DUREE_MAX)
    if t.present("taux_pct"):
        if t.present("index") and t.donnees["index"] != "fixe":
            raise t.erreur("taux_pct", "un prêt à taux fixe n'a pas d'index : retirez index ou taux_pct")
        t.texte("index", "fixe", choix=("fixe",))
        if t.present("marge_pct"):
            raise t.erreur("marge_pct", "un prêt à taux fixe (taux_pct) n'a pas de marge")
        index, taux, marge = "fixe", t.nombre("taux_pct", mini=-5.0, maxi=30.0, pct=True), 0.0
    else:
        index = t.texte("index", choix=("livret_a", "fixe"))
        if index == "fixe":
            raise t.erreur("taux_pct", "clé obligatoire pour un prêt à taux fixe")
        taux = None
        marge = t.nombre("marge_pct", None, mini=-5.0, maxi=10.0, pct=True)  # None : la marge CDC de son produit
        if marge is None and not t.present("produit"):
            raise t.erreur("marge_pct", "clé obligatoire pour un prêt indexé sur le livret A (ou donnez son produit, "
                           "PLAI, PLUS ou PLS : la marge de la fiche CDC est alors retenue)")
    progressivite = t.nombre("progressivite_pct", 0.0, mini=-10.0, maxi=10.0, pct=True)
    revisabilite = t.texte("revisabilite", "double_limitee", choix=REVISABILITES)
    prefinancement = t.entier("prefinancement", 0, mini=0, maxi=10)
    differe = t.entier("differe_amortissement", 0, mini=0, maxi=DUREE_MAX)
    profil = t.texte("profil", "echeance_prioritaire", choix=PROFILS)
    produit = t.texte("produit", None, choix=PRODUITS_LOGEMENT)
    objet = t.texte("objet", "foncier" if "foncier" in nom.lower() else "construction", choix=OBJETS_PRET)
    t.fin()
    if differe >= duree:
        raise t.erreur("differe_amortissement", f"le différé ({differe} ans) doit être plus court que la durée "
                       f"du prêt ({duree} ans)")
    if index == "livret_a" and revisabilite == "double_limitee" and progressivite < 0:
        raise t.erreur("progressivite_pct", "la double révisabilité limitée exige une progressivité >= 0 ; "
                       "choisissez revisabilite = \"double\" ou \"simple\" pour une progressivité négative")
    return Pret(nom=nom, montant=montant, duree=duree, index=index, taux_pct=taux, marge_pct=marge,
                progressivite_pct=progressivite, revisabilite=revisabilite, prefinancement=prefinancement,
                differe_amortissement=differe, profil=profil, produit=produit, objet=objet)


def _montant_duree(t: _Table | None, contrepartie: bool = False) -> MontantDuree | None:
    if t is None:
        return None
    m = MontantDuree(t.nombre("montant", mini=0.0), t.entier("duree", mini=0, maxi=DUREE_MAX),
                     t.booleen("contrepartie", None) if contrepartie else None)
    t.fin()
    return m


def _exploitation(t: _Table) -> Exploitation:
    tf = t.table("tfpb", None)
    tfpb = None
    if tf is not None:
        tfpb = Tfpb(tf.nombre("montant", mini=0.0), tf.entier("exoneration", None, mini=0, maxi=DUREE_MAX),
                    tf.booleen("criteres_environnementaux", False))
        tf.fin()
    idx = t.table("indexation")
    indexation = Indexation(idx.nombre("loyers_pct", mini=-10.0, maxi=20.0, pct=True),
                            idx.nombre("charges_pct", mini=-10.0, maxi=20.0, pct=True),
                            idx.nombre("plafonds_apl_pct", None, mini=-10.0, maxi=20.0, pct=True))
    idx.fin()
    if t.present("gros_entretien") and t.present("gros_entretien_pct_travaux"):
        raise t.erreur("gros_entretien_pct_travaux", "donnez gros_entretien (par logement) ou "
                       "gros_entretien_pct_travaux, pas les deux")
    ex = Exploitation(
        vacance_pct=t.nombre("vacance_pct", 0.0, mini=0.0, maxi=100.0, pct=True),
        impayes_pct=t.nombre("impayes_pct", 0.0, mini=0.0, maxi=100.0, pct=True),
        **{nom: t.nombre(nom, 0.0, mini=0.0) for nom in montants_par_logement()},
        gros_entretien=t.nombre("gros_entretien", None, mini=0.0),
        gros_entretien_pct_travaux=t.nombre("gros_entretien_pct_travaux", None, mini=0.0, maxi=100.0, pct=True),
        charges_pct_loyers=t.nombre("charges_pct_loyers", 0.0, mini=0.0, maxi=100.0, pct=True),
        tfpb=tfpb,
        gla=_montant_duree(t.table("gla", None)),
        gls=_montant_duree(t.table("gls", None)),
        accompagnement=_montant_duree(t.table("accompagnement", None)),
        financement_accompagnement=_montant_duree(t.table("financement_accompagnement", None), contrepartie=True),
        indexation=indexation,
    )
    t.fin()
    if ex.vacance_pct + ex.impayes_pct >= 100.0:
        raise t.erreur("impayes_pct", "vacance_pct + impayes_pct doit rester sous 100 %")
    return ex


def _livret_a(t: _Table | None) -> LivretA:
    if t is None:
        return LivretA("constante", None)
    brut = t.brute("trajectoire", "constante")
    if isinstance(brut, str):
        trajectoire: str | tuple[float, ...] = t.texte("trajectoire", choix=("constante",))
    elif isinstance(brut, list):
        if not brut:
            raise t.erreur("trajectoire", "la liste des taux ne peut être vide")
        trajectoire = tuple(t.verifier_nombre(f"trajectoire[{i}]", v, mini=-5.0, maxi=30.0, pct=True)
                            for i, v in enumerate(brut))
    else:
        raise t.erreur("trajectoire", f"\"constante\" ou une liste de taux en pour cent est attendue, pas "
                       f"{_nom_type(brut)}")
    date_valeur = t.jour("date_valeur", None)
    t.fin()
    if date_valeur is not None and trajectoire != "constante":
        raise t.erreur("date_valeur", "date_valeur ne sert qu'avec trajectoire = \"constante\"")
    return LivretA(trajectoire, date_valeur)


def _analyse(t: _Table | None) -> Analyse:
    if t is None:
        return Analyse("tresorerie_cumulee", None, 0.0, None)
    critere = t.texte("critere", "tresorerie_cumulee", choix=CRITERES)
    taux = t.nombre("taux_actualisation_pct", None, mini=-5.0, maxi=30.0, pct=True)
    a = Analyse(critere, taux, t.nombre("tresorerie_initiale", 0.0), t.entier("duree", None, mini=1, maxi=DUREE_MAX))
    t.fin()
    if critere == "van" and taux is None:
        raise t.erreur("taux_actualisation_pct", "clé obligatoire quand critere = \"van\"")
    return a



def _sieg(t: _Table | None) -> OptionsSieg:
    if t is None:
        return OptionsSieg()
    o = OptionsSieg(
        duree=t.entier("duree", None, mini=1, maxi=DUREE_MAX),
        taux_swap_pct=t.nombre("taux_swap_pct", None, mini=-5.0, maxi=30.0, pct=True),
        taux_marche_pct=t.nombre("taux_marche_pct", None, mini=-5.0, maxi=30.0, pct=True),
        taux_actualisation_pct=t.nombre("taux_actualisation_pct", None, mini=-5.0, maxi=30.0, pct=True),
        duree_amortissement=t.entier("duree_amortissement", None, mini=1, maxi=DUREE_MAX),
        rabais_foncier=t.nombre("rabais_foncier", 0.0, mini=0.0),
        garanties=t.nombre("garanties", 0.0, mini=0.0),
        individualisation=t.booleen("individualisation", True),
        valeur_residuelle=_valeur_residuelle(t),
    )
    t.fin()
    return o


def _valeur_residuelle(t: _Table) -> str | float:
    brut = t.brute("valeur_residuelle", "nulle")
    if isinstance(brut, str):
        return t.texte("valeur_residuelle", "nulle", choix=("nulle", "comptable"))
    return t.nombre("valeur_residuelle", mini=0.0)


def lire_document(doc: dict[str, Any], fichier: str = "<scénario>", sha256: str = "") -> Scenario:
    """Valide un document TOML déjà lu et construit le :class:`Scenario`."""
    avertissements: list[str] = []
    racine = _Table(fichier, "", doc, avertissements)
    operation = _operation(racine.table("operation"))
    logements = tuple(_logement(t, operation.produit, operation.rls) for t in racine.liste_de_tables("logements", mini=1))
    prix = _prix_de_revient(racine.table("prix_de_revient"))
    subventions = tuple(_subvention(t) for t in racine.liste_de_tables("subventions"))
    fonds_propres = _fonds_propres(racine.table("fonds_propres", None))
    prets = tuple(_pret(t) for t in racine.liste_de_tables("prets"))
    exploitation = _exploitation(racine.table("exploitation"))
    livret_a = _livret_a(racine.table("livret_a", None))
    analyse = _analyse(racine.table("analyse", None))
    sieg = _sieg(racine.table("sieg", None))
    racine.fin()

    inconnues = [i for i, s in enumerate(subventions) if s.montant == "a_calculer"]
    if len(inconnues) > 1:
        raise ScenarioInvalide(fichier, f"subventions[{inconnues[1]}].montant",
                               "une seule subvention peut valoir \"a_calculer\"")
    soldes = [i for i, p in enumerate(prets) if p.est_solde]
    if len(soldes) > 1:
        raise ScenarioInvalide(fichier, f"prets[{soldes[1]}].montant", "un seul prêt peut valoir \"solde\"")
    noms = [p.nom for p in prets]
    for i, nom in enumerate(noms):
        if nom in noms[:i]:
            raise ScenarioInvalide(fichier, f"prets[{i}].nom", f"le nom « {nom} » est déjà pris par un autre prêt")
    pls = [i for i, lg in enumerate(logements) if lg.produit == "PLS"]
    if pls and operation.zone_abc is None:
        raise ScenarioInvalide(fichier, "operation.zone_abc", f"clé obligatoire avec des logements PLS "
                               f"(logements[{pls[0]}]) : le zonage A/B/C de la commune, "
                               + ", ".join(f"\"{z}\"" for z in ZONES_ABC))
    produits = {lg.produit for lg in logements}
    for cle, elements in (("subventions", subventions), ("prets", prets)):
        for i, e in enumerate(elements):
            if e.produit is not None and e.produit not in produits:
                raise ScenarioInvalide(fichier, f"{cle}[{i}].produit", f"aucun logement {e.produit} dans l'opération "
                                       f"(produits : {', '.join(sorted(produits))})")
    ex = exploitation
    if ex.gla is not None and ex.gla.duree > 0 and operation.produit == "ordinaire" and not any(
            lg.plai_adapte for lg in logements):
        avertissements.append(f"{fichier} : clé « exploitation.gla » : aucun logement PLAI adapté ; la GLA ne "
                              "compte que les logements PLAI adaptés et vaut donc 0")
    return Scenario(fichier=fichier, sha256=sha256, operation=operation, logements=logements, prix_de_revient=prix,
                    subventions=subventions, fonds_propres=fonds_propres, prets=prets, exploitation=exploitation,
                    livret_a=livret_a, analyse=analyse, avertissements=tuple(avertissements), sieg=sieg)


def relire_sections(sc: Scenario, lu_sous: str, doc: dict[str, Any], sections: list[str], fichier: str,
                    sha256: str) -> Scenario | None:
    """Le scénario ``sc`` (lu sous le nom ``lu_sous``) dont seules les sections nommées (« operation »,
    « prix_de_revient », « exploitation », « prets[k] ») sont relues dans ``doc`` par leurs lecteurs : ``doc`` ne
    diffère du document de ``sc`` que dans ces sections, et aucun contrôle croisé de :func:`lire_document` ne lit
    ce qui y change (montants, taux, nom). None si une relecture échoue ou avertit : la lecture entière du
    document dit alors pourquoi, dans son ordre."""
    avert: list[str] = []
    champs: dict[str, Any] = {}
    try:
        for section in dict.fromkeys(sections):
            t = _Table(fichier, section, doc[section] if not section.startswith("prets[") else
                       doc["prets"][int(section[6:-1])], avert)
            if section == "operation":
                champs["operation"] = _operation(t)
            elif section == "prix_de_revient":
                champs["prix_de_revient"] = _prix_de_revient(t)
            elif section == "exploitation":
                champs["exploitation"] = _exploitation(t)
            elif section.startswith("prets["):
                prets = list(champs.get("prets", sc.prets))
                prets[int(section[6:-1])] = _pret(t)
                champs["prets"] = tuple(prets)
            else:
                return None
    except (ScenarioInvalide, KeyError, IndexError, TypeError):
        return None
    if avert:
        return None
    ancien, nouveau = f"{lu_sous} : ", f"{fichier} : "
    return replace(sc, fichier=fichier, sha256=sha256,
                   avertissements=tuple(a.replace(ancien, nouveau) for a in sc.avertissements), **champs)


def scenario_depuis_dict(doc: dict[str, Any], nom: str = "<dictionnaire>") -> Scenario:
    """Un scénario construit depuis un dictionnaire de même forme que le fichier TOML, validé de la même façon.

    Son empreinte SHA-256 est celle du dictionnaire écrit en JSON canonique (clés triées).
    """
    import json

    if not isinstance(doc, dict):
        raise ScenarioInvalide(nom, "", f"un dictionnaire est attendu, pas {_nom_type(doc)}")
    try:
        canon = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ScenarioInvalide(nom, "", f"dictionnaire non sérialisable ({exc})") from None
    return lire_document(doc, nom, hashlib.sha256(canon).hexdigest())


def charger_scenario(chemin: str | Path) -> Scenario:
    """Lit et valide un scénario : un fichier TOML, ou un classeur .xlsx (sa feuille Hypothèses)."""
    chemin = Path(chemin)
    nom = str(chemin)
    if chemin.suffix.lower() == ".xlsx":
        return _charger_classeur(chemin)
    doc, octets = lire_toml(chemin, nom)
    return lire_document(doc, nom, hashlib.sha256(octets).hexdigest())


def lire_toml(chemin: Path, nom: str, quoi: str = "fichier de scénario .toml",
              taille_max: int = TAILLE_MAX) -> tuple[dict, bytes]:
    """Le document d'un fichier TOML et ses octets, par le lecteur borné (ni tube, ni périphérique, ni fichier
    géant), chaque erreur en une phrase française qui nomme le fichier : le scénario, le modèle d'une table, un
    fichier de paramètres."""
    octets = lire_fichier_borne(chemin, nom, quoi, taille_max)
    if octets.startswith(b"PK\x03\x04"):
        raise ScenarioInvalide(nom, "", "c'est un classeur (archive zip), pas un scénario TOML : un classeur de "
                               "plai-bilan se lit sous son extension .xlsx ; sinon décrivez l'opération dans un "
                               "fichier .toml (voir docs/format-scenario.md)")
    if not octets.strip():
        raise ScenarioInvalide(nom, "", "le fichier est vide")
    if octets.startswith(b"\xef\xbb\xbf"):
        octets_texte = octets[3:]  # marque d'ordre UTF-8 (BOM) d'un éditeur Windows : ignorée
    else:
        octets_texte = octets
    try:
        texte = octets_texte.decode("utf-8")
    except UnicodeDecodeError as exc:
        ligne = octets_texte[: exc.start].count(b"\n") + 1
        raise ScenarioInvalide(nom, "", f"le fichier n'est pas encodé en UTF-8 (octet invalide ligne {ligne}) ; "
                               "enregistrez-le en UTF-8") from None
    try:
        doc = tomllib.loads(texte)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioInvalide(nom, "", f"syntaxe TOML invalide : {_traduire_toml(str(exc))}"
                               f"{_indice_toml(texte, str(exc))}") from None
    except ValueError as exc:  # un entier de plus de 4 300 chiffres
        raise ScenarioInvalide(nom, "", f"nombre illisible ({'trop de chiffres' if 'digits' in str(exc) else exc})"
                               ) from None
    return doc, octets


def _charger_classeur(chemin: Path) -> Scenario:
    """Le scénario de la feuille Hypothèses ; une erreur de validation nomme la feuille, la cellule et la clé."""
    import hashlib as h
    import re

    from plai_bilan.classeur_scenario import document_du_classeur

    doc, lecteur = document_du_classeur(chemin)
    try:
        return lire_document(doc, lecteur.nom, h.sha256(lecteur.octets).hexdigest())
    except ScenarioInvalide as exc:
        cle = exc.cle
        cellule = lecteur.cellules.get(cle)
        if cellule is None:  # une table entière manque (ses cellules vides) : sa première cellule et sa clé
            cle, cellule = next(((k, c) for k, c in lecteur.cellules.items()
                                 if k.startswith(exc.cle + ".") or k.startswith(exc.cle + "[")), (cle, None))
        if cellule is None:
            m = re.match(r"(logements|prets|subventions)\[(\d+)\]", exc.cle)
            cellule = lecteur.ligne_element.get(m.group(0)) if m else None
        if cellule is None or not exc.cle:
            raise
        raise lecteur.erreur(cellule, cle, exc.message) from None


_INDICES = (
    (r"=\s*-?\d+,\d", "virgule décimale : écrivez les décimales avec un point (5.5, pas 5,5)"),
    (r"=\s*\d{1,3}(?:[ \u00a0\u202f]\d{3})+", "espace dans un nombre : écrivez 180000 ou 180_000, sans espace"),
    (r"=\s*\d{1,2}/\d{1,2}/\d{2,4}", "date JJ/MM/AAAA : écrivez les dates AAAA-MM-JJ, sans guillemets "
                                  "(2026-03-01)"),
)


def _indice_toml(texte: str, message: str) -> str:
    """Ce qu'un utilisateur français a voulu écrire, d'après la ligne de l'erreur."""
    import re

    m = re.search(r"line (\d+)", message)
    if not m:
        return ""
    lignes = texte.splitlines()
    numero = int(m.group(1))
    ligne = lignes[numero - 1] if 0 < numero <= len(lignes) else ""
    for motif, indice in _INDICES:
        if re.search(motif, ligne):
            return f" ; {indice}"
    return ""


_TRADUCTIONS = (
    ("Invalid value", "valeur invalide"),
    ("Invalid statement", "instruction invalide"),
    ("Cannot overwrite a value", "valeur définie deux fois"),
    ("Cannot declare", "déclaration impossible de"),
    ("twice", "deux fois"),
    ("Expected '=' after a key in a key/value pair", "« = » attendu après une clé"),
    ("Unclosed array", "liste non fermée"),
    ("Unterminated string", "texte non terminé"),
    ("Illegal character '\\n'", "fin de ligne dans un texte (guillemet fermant manquant ?)"),
    ("Illegal character", "caractère interdit"),
    ("Invalid initial character for a key part", "caractère initial invalide pour une clé"),
    ("Expected newline or end of document after a statement", "fin de ligne attendue après une instruction"),
    ("at end of document", "en fin de document"),
    ("Invalid date or datetime", "date invalide (un jour qui n'existe pas ? écrivez AAAA-MM-JJ)"),
    ("Invalid number", "nombre invalide"),
    ("Expected ']' at the end of a table declaration", "« ] » attendu à la fin d'une déclaration de table"),
    ("(at line ", "(ligne "),
    (", column ", ", colonne "),
)


def _traduire_toml(message: str) -> str:
    import re

    # « Cannot declare ('a', 'b') twice » : la table [a.b] déclarée deux fois.
    message = re.sub(r"Cannot declare \(([^)]*)\) twice",
                     lambda m: "table [" + ".".join(x.strip().strip("'\"") for x in m.group(1).split(",") if x.strip())
                               + "] déclarée deux fois", message)
    for en, fr in _TRADUCTIONS:
        message = message.replace(en, fr)
    return message
