"""Le bilan d'une opération : l'objet résultat fermé que lisent toutes les sorties.

Un :class:`Bilan` contient tout ce qu'une sortie (JSON, texte, CSV, classeur, graphiques) affiche : les entrées
résolues (loyers, plan de financement, hypothèses en décimal), le compte annuel sans et avec la subvention
d'équilibre sous les clés du catalogue, les échéanciers des prêts, les résultats du solveur et ses grandeurs
intermédiaires, les contrôles de l'instructeur et la provenance (version, empreinte du scénario, date et origine
du jeu de paramètres réellement utilisé). Ce module ne calcule pas : il ne dépend ni du moteur, ni du solveur,
ni des paramètres. Conventions : taux décimaux, montants en euros, années t = 1..H (indice t - 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from plai_bilan.catalogue import LIGNES_COMPTE, catalogue

if TYPE_CHECKING:
    from plai_bilan.scenario import Scenario


@dataclass(frozen=True)
class ValeurUtilisee:
    """Une valeur réglementaire utilisée par le calcul, avec sa source."""

    bareme: str
    description: str
    date: date
    statut: str  # V, V2, D ou E
    reference: str
    estimation: bool


@dataclass(frozen=True)
class ValeurPerimee:
    """Un barème lu à une date où sa dernière valeur connue aurait dû être revalorisée."""

    bareme: str
    description: str
    derniere_valeur: date
    attendue: date
    jour: date


@dataclass(frozen=True)
class PosteCout:
    """Un poste du prix de revient : le montant du scénario est TTC, lu HT à son taux de TVA (décimal)."""

    cle: str  # clé du scénario (prix_de_revient.travaux, prix_de_revient.autres.NOM)
    libelle: str
    groupe: str  # charge_fonciere, travaux, honoraires, autres
    ttc: float
    taux_tva: float
    ht: float
    tva: float


@dataclass(frozen=True, kw_only=True)
class HypothesesSieg:
    """Les hypothèses résolues du contrôle de surcompensation, taux en décimal (docs/sieg.md)."""

    duree: int  # période d'analyse (années), au plus l'horizon et la fin d'un droit temporaire
    taux_actualisation: float  # le taux de tous les flux (par défaut le swap de la maturité de la période)
    taux_swap: float
    taux_marche: float  # le taux de l'avantage des prêts : celui d'actualisation, sauf taux de marché saisi
    taux_unique: bool  # un seul taux pour tous les flux, l'avantage des prêts compris
    taux_benefice: float  # swap + prime (100 points de base)
    duree_amortissement: int
    taux_tva_normal: float
    rabais_foncier: float
    garanties: float
    individualisation: bool
    valeur_residuelle: str | float = "nulle"  # « nulle », « comptable » ou un montant (euros, fin de période)
    droit: str = "propriete"  # propriété ou droit temporaire (aucune valeur résiduelle)
    sources: tuple[ValeurUtilisee, ...] = ()  # sieg.toml, sieg_marche.toml, swap_eur.toml


# ------------------------------------------------------------------ contrôle de surcompensation (SIEG)
LIBELLES_SIEG = {
    "investissement": "Investissement au taux normal de TVA",
    "charges": "Charges d'exploitation (TFPB comptée sans exonération)",
    "valeur_residuelle": "Valeur résiduelle en fin de période (déduite)",
    "recettes": "Recettes : loyers et accessoires nets",
    "subventions": "Subventions",
    "avantage_prets": "Avantage de taux des prêts (au taux du contrôle)",
    "avantage_tva": "Avantage de TVA (taux normal - taux réduit)",
    "exoneration_tfpb": "Exonération de TFPB",
    "financement_accompagnement": "Financement de l'accompagnement",
    "rabais_foncier": "Décote foncière",
    "garanties": "Garanties d'emprunt gratuites",
    "benefice_raisonnable": "Bénéfice raisonnable sur les fonds propres",
}
LECTURE_MIXTE = ("le verdict suit l'équilibre global de l'opération : la subvention PLAI adapté est fixée « en tenant "
                 "compte des contraintes d'équilibre global de l'opération » (programme FNAP, III) ; la part "
                 "PLAI lue seule (son propre compte, sa part du prêt d'équilibre) est donnée pour l'instruction")
NOMS_GROUPES_SIEG = {"plai_adapte": "PLAI adapté", "plai": "PLAI", "plus": "PLUS", "pls": "PLS"}
VERDICTS_SIEG = {"conforme": "pas de surcompensation",
                 "surcompensation": "surcompensation (la compensation dépasse le coût net et le bénéfice raisonnable)"}


@dataclass(frozen=True)
class PosteSieg:
    cle: str  # investissement, charges, ... (LIBELLES_SIEG)
    valeur: float  # euros, valeur actuelle à la mise en service

    @property
    def libelle(self) -> str:
        return LIBELLES_SIEG[self.cle]


@dataclass(frozen=True, kw_only=True)
class Corridor:
    """Les deux bornes de la subvention à calculer : l'équilibre (minimum) et l'absence de surcompensation."""

    minimum: float | None  # S* ; None : aucune subvention n'équilibre
    contrainte_minimum: str | None  # equilibre_annee_N
    maximum: float  # la marge SIEG nulle, ou le prêt d'équilibre entièrement remplacé
    contrainte_maximum: str  # surcompensation | pret_equilibre
    avantage_unitaire: float  # a : avantage de taux d'un euro du prêt d'équilibre
    ouvert: bool  # minimum <= maximum
    minimum_van: float | None = None  # S*_VA : l'équilibre en valeur actuelle au taux du contrôle (même métrique)
    identite: dict[str, float] | None = None  # les termes de la marge à S*_VA (sieg._identite)
    cause: str | None = None  # ce qui vide le corridor, en une phrase


@dataclass(frozen=True)
class ProduitSieg:
    produit: str  # plai_adapte | plai
    part_surface: float
    cout_net: float
    compensation: float
    benefice_raisonnable: float
    marge: float


@dataclass(frozen=True, kw_only=True)
class ControleSieg:
    hypotheses: HypothesesSieg
    subvention: float  # la subvention à calculer retenue (celle d'équilibre)
    postes: tuple[PosteSieg, ...]
    avantages_prets: tuple[tuple[str, float], ...]
    cout_brut: float
    cout_net: float
    compensation: float
    benefice_raisonnable: float
    marge: float  # CN + BR - CP ; négative : surcompensation
    surcompensation: float
    verdict: str  # conforme | surcompensation
    corridor: Corridor | None
    produits: tuple[ProduitSieg, ...]
    charges_exonerees: np.ndarray  # (H,) ce que coûteraient les années exonérées (TFPB), comptées dans les charges

    @property
    def libelle_verdict(self) -> str:
        return VERDICTS_SIEG[self.verdict]

    def poste(self, cle: str) -> float:
        return next(p.valeur for p in self.postes if p.cle == cle)


@dataclass(frozen=True, kw_only=True)
class LigneMenage:
    """Ce que paie le ménage d'une ligne de logements, à un niveau de ressources (euros par mois, année 1)."""

    typologie: str
    nombre: int
    menage: str
    ressources: float  # ressources annuelles prises en compte pour l'aide au logement
    loyer: float  # loyer (ou redevance) et loyer accessoire
    reduction_loyer_solidarite: float
    charges: float  # charges récupérables (comprises dans la redevance d'un foyer)
    quittance: float  # loyer - RLS + charges
    apl: float
    reste_a_charge: float  # quittance - APL
    taux_effort: float | None  # reste à charge / ressources mensuelles ; None sans ressources
    produit: str = "PLAI"  # le produit de la ligne (PLAI, PLUS, PLS)
    charges_origine: str = ""  # saisies, forfait APL (pas une estimation), comprises dans la redevance
    revenu_total: float | None = None  # annuel, prestations comprises (taux d'effort, reste pour vivre)
    reste_pour_vivre: float | None = None  # revenu total mensuel - reste à charge
    prestations: float = 0.0  # foyer : prestations quittancées en plus de la redevance (hors assiette APL)


@dataclass(frozen=True, kw_only=True)
class VueMenages:
    """La vue des ménages (openfisca-france) ; ``disponible`` faux : le message dit pourquoi et comment l'avoir."""

    disponible: bool
    message: str = ""
    statut_locataire: str = ""  # locataire HLM (RLS), d'un bailleur hors RLS, ou résident de foyer
    lignes: tuple[LigneMenage, ...] = ()
    periode: str = ""  # le mois calculé (AAAA-MM)
    openfisca_version: str = ""
    seuil_reste_a_charge: float | None = None
    constats: tuple[Constat, ...] = ()
    ressources_origine: str = ""  # déclarées par ligne, saisies (--ressources) ou 0 (RSA)


@dataclass(frozen=True, kw_only=True)
class Provenance:
    version: str
    version_contrat: int
    fichier: str
    sha256: str
    nom: str
    parametres_date: date
    parametres_origine: str
    parametres_utilises: tuple[ValeurUtilisee, ...]
    parametres_perimes: tuple[ValeurPerimee, ...] = ()

    def baremes_connus(self) -> str:
        """« barèmes connus jusqu'au ... », et les barèmes lus au-delà de leur revalorisation attendue."""
        texte = f"barèmes connus jusqu'au {self.parametres_date.strftime('%d/%m/%Y')}"
        if self.parametres_perimes:
            texte += " ; prolongés au-delà de leur dernière valeur : " + ", ".join(
                f"{v.description} (au {v.derniere_valeur.strftime('%d/%m/%Y')})" for v in self.parametres_perimes)
        return texte


@dataclass(frozen=True)
class Revalorisation:
    """Des valeurs de l'agrément à l'année 1 : les coefficients de chaque 1er janvier (loyers maximaux)."""

    facteur: float
    etapes: tuple[tuple[int, float, str], ...]  # (année, taux décimal, source)


@dataclass(frozen=True, kw_only=True)
class LigneLoyer:
    """Le loyer d'une ligne de logements et les plafonds qui l'encadrent (euros par mois et par logement)."""

    typologie: str
    nombre: int
    surface_habitable: float
    surface_annexes: float
    surface_utile: float
    surface_utile_saisie: float | None
    plai_adapte: bool
    menage: str
    plafond_loyer: float  # ordinaire : plafond m2 du produit x SU ; foyer : redevance maximale (nan si absente)
    plafond_apl: float | None  # L (ordinaire) ou E (foyer) du ménage ; None sans ménage
    loyer: float  # loyer ou redevance appliqué
    loyer_accessoire: float
    origine: str
    reduction_loyer_solidarite: float  # RLS mensuelle si la ligne y est soumise, sinon 0
    rls_bareme: float | None  # RLS du ménage au barème, que l'opération ou la ligne y soit soumise ou non
    soumis_rls: bool
    loyer_plai_ordinaire: float  # loyer de la ligne dans la variante PLAI ordinaire
    redevance_max: float | None
    produit: str = "PLAI"  # PLAI, PLUS ou PLS
    charges_saisies: bool = False  # charges_locatives saisie (sinon le forfait de charges APL)
    revenu_total: float | None = None  # menage.revenu_total
    ressources: float | None = None  # ressources annuelles déclarées du ménage (critère 1)
    plafond_ressources: float | None = None  # plafond de ressources PLAI du ménage à la date d'agrément
    plafond_ressources_date: date | None = None  # date d'effet de ce plafond
    charges_locatives: float | None = None  # charges récupérables du locataire (euros par mois) : saisie ou forfait C
    couple: bool | None = None  # le ménage de la ligne (vue des ménages)
    personnes_a_charge: int | None = None
    prestations: float = 0.0  # foyer : prestations quittancées avec la redevance, hors assiette APL (€/mois)


@dataclass(frozen=True)
class LigneFinancement:
    nature: str  # "subvention", "fonds_propres", "pret"
    libelle: str
    montant: float
    cle: str  # clé du scénario
    inconnue: bool = False  # la subvention à calculer
    mode: str = ""  # subvention : montant, par_logement, par_plai_adapte, reference, a_calculer ; prêt : montant, solde
    nature_subvention: str = ""  # fnap_plai_adapte, etat_plai, collectivite, action_logement, autre
    propre_au_plai_adapte: bool = False  # n'existe que par les logements PLAI adaptés


@dataclass(frozen=True, kw_only=True)
class CaracteristiquesPret:
    """Un prêt du scénario, taux en décimal."""

    nom: str
    montant: float | None  # None : prêt d'équilibre (« solde »)
    duree: int
    index: str  # "livret_a" ou "fixe"
    taux_fixe: float
    marge: float
    progressivite: float
    revisabilite: str
    prefinancement: int
    differe: int
    profil: str
    produit: str | None = None  # le produit de logement qu'il finance ; None : l'opération

    @property
    def est_solde(self) -> bool:
        return self.montant is None


@dataclass(frozen=True, kw_only=True)
class Hypotheses:
    """Les hypothèses d'exploitation et d'analyse, en décimal ; montants par logement et par an, année 1.

    Les noms sont ceux des cellules nommées du classeur.
    """

    marge_locale: float
    vacance: float
    impayes: float
    charges_pct_loyers: float
    indexation_loyers: float
    indexation_charges: float
    frais_gestion: float
    entretien_courant: float
    gros_entretien: float | None
    gros_entretien_pct_travaux: float | None
    gros_entretien_total: float  # euros par an pour l'opération, année 1
    assurance: float
    autres_charges: float
    charges_comprises: float
    provision_gros_travaux: float
    tfpb_montant: float
    tfpb_exoneration: int
    tfpb_exoneration_legale: bool  # la durée vient de la loi (CGI 1384 A, 1384 C), pas du scénario
    taux_tva: float  # taux de TVA des logements PLAI de l'opération (information : les montants sont TTC)
    gla_montant: float
    gla_duree: int
    gls_montant: float
    gls_duree: int
    accompagnement_montant: float
    accompagnement_duree: int
    financement_accompagnement_montant: float
    financement_accompagnement_duree: int
    financement_accompagnement_contrepartie: bool  # propre au PLAI adapté (compte les PLAI adaptés), sinon tous
    fonds_propres: float
    fonds_propres_taux: float
    fonds_propres_duree: int
    critere: str
    taux_actualisation: float | None
    tresorerie_initiale: float
    n_livret_a_saisis: int  # nombre d'années de la trajectoire saisie (1 pour « constante »)


@dataclass(frozen=True)
class Constat:
    """Un contrôle de l'instructeur : un constat, jamais une exception."""

    code: str
    libelle: str
    statut: str
    detail: str

    def vers_json(self) -> dict:
        return {"code": self.code, "libelle": self.libelle, "statut": self.statut, "detail": self.detail}


@dataclass(frozen=True, kw_only=True)
class EcheancierPret:
    """L'échéancier d'un prêt, années 1..H."""

    nom: str
    capital: float  # capital emprunté (avant préfinancement)
    capital_initial: float  # au début de l'année 1, préfinancement compris
    taux: np.ndarray
    progressivite: np.ndarray
    echeances: np.ndarray
    interets: np.ndarray
    amortissements: np.ndarray
    capital_restant_du: np.ndarray


@dataclass(frozen=True)
class Compte:
    """Le compte annuel d'une opération : une ligne par clé de la famille « compte » du catalogue, (H,)."""

    lignes: dict[str, np.ndarray]  # annee, annee_civile ... autofinancement, tresorerie
    van: float | None
    prets: tuple[EcheancierPret, ...]
    subvention: float = 0.0  # subvention à calculer appliquée (0 sans subvention)

    def __getitem__(self, cle: str) -> np.ndarray:
        return self.lignes[cle]

    @property
    def annees(self) -> np.ndarray:
        return self.lignes["annee"]

    @property
    def autofinancement(self) -> np.ndarray:
        return self.lignes["autofinancement"]

    @property
    def tresorerie(self) -> np.ndarray:
        return self.lignes["tresorerie"]

    def colonnes(self) -> dict[str, np.ndarray]:
        """Les lignes dans l'ordre du catalogue."""
        return {cle: self.lignes[cle] for cle in LIGNES_COMPTE}

    def tableau(self):
        """Le compte en DataFrame pandas : une ligne par année, colonnes aux libellés français du catalogue."""
        import pandas as pd

        c = catalogue()
        return pd.DataFrame({c.libelle(k): v for k, v in self.colonnes().items()}).set_index(c.libelle("annee"))


@dataclass(frozen=True, kw_only=True)
class Equilibre:
    """Les grandeurs intermédiaires des formes fermées (model.md 8), années 1..H, sous les clés du catalogue.

    ``v``, ``w`` : valeur du critère à S = 0 et son coefficient en S ; ``ratio`` : -V / W sur les années en
    échec (nan ailleurs) ; ``v_loyer``, ``w_loyer``, ``ratio_loyer`` : les mêmes pour le loyer d'équilibre ;
    ``v_plai``, ``ratio_plai`` : la variante PLAI ordinaire. Pour la VAN, seule l'année 1 compte (nan ailleurs).
    """

    unitaire: EcheancierPret  # le prêt d'équilibre pour 1 € de capital
    u: np.ndarray
    cumul_u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    ratio: np.ndarray
    sans_levier: np.ndarray
    loyers_principaux: np.ndarray
    v_loyer: np.ndarray
    a: np.ndarray
    w_loyer: np.ndarray
    ratio_loyer: np.ndarray
    ecart_plai: np.ndarray
    v_plai: np.ndarray
    ratio_plai: np.ndarray
    sans_levier_plai: np.ndarray
    besoin_brut: float  # max(0, max -V / W) même au-delà du prêt d'équilibre
    pret_equilibre_plai: float | None


@dataclass(frozen=True)
class Diagnostic:
    """Pourquoi une opération est infaisable, et ce qui la rendrait faisable."""

    capacite_emprunt: float | None  # le plus grand prêt d'équilibre que le compte peut porter (None : aucun levier)
    manque: float | None  # ce qui manque même sans prêt d'équilibre : besoin brut - K (None : aucun levier)
    prets: tuple[tuple[str, float, float | None, bool], ...]  # (prêt fixe, capital, besoin s'il est aussi remplacé, suffit)
    charges_plus_rapides: bool  # les charges sont indexées plus vite que les loyers (déficit croissant)
    annees_sans_pret: bool  # des années en déficit après la dernière échéance de tous les prêts


@dataclass(frozen=True, kw_only=True)
class CompteProduit:
    """Le compte d'un produit d'une opération mixte (plai_bilan.produits) : son plan et ses lignes du compte avec la
    subvention appliquée, (H,) ; la somme des produits est l'opération."""

    produit: str  # PLAI, PLUS, PLS
    n_logements: int
    n_plai_adapte: int
    part_surface: float  # part de la surface utile de l'opération
    prix_de_revient: float
    subventions: float  # ses subventions, la subvention appliquée comprise pour sa part du prêt d'équilibre
    fonds_propres: float
    prets: float  # ses prêts, sa part du prêt d'équilibre diminuée de la subvention appliquée
    lignes: dict[str, np.ndarray]  # les clés de la famille « compte » du catalogue
    besoin_propre: float | None  # S*_p : la subvention qui équilibre son seul compte (None sans prêt d'équilibre)
    besoin_propre_faisable: bool
    part_pret_equilibre: float  # la part du prêt d'équilibre qui lui revient

    @property
    def autofinancement(self) -> np.ndarray:
        return self.lignes["autofinancement"]

    @property
    def tresorerie(self) -> np.ndarray:
        return self.lignes["tresorerie"]


@dataclass(frozen=True, kw_only=True)
class Bilan:
    """Tout le résultat d'une opération : ce que lisent les sorties."""

    scenario: Scenario
    provenance: Provenance
    horizon: int
    # Loyers.
    coefficient_structure: float | None
    cs_a: float | None
    cs_b: float | None
    regles_loyers: dict[str, float]  # part_annexes_su, marge_locale_max_pct, majorations des annexes (pour cent)
    lmzone: float | None
    plafond_plai_m2: float | None  # le plafond appliqué, après la règle des annexes importantes
    plafond_plai_m2_brut: float | None  # LMzone x CS x (1 + marge) revalorisé ; None si le plafond est saisi
    lmzones: dict[str, float | None] = field(default_factory=dict)  # LMzone de chaque produit (None : saisi)
    plafonds_m2: dict[str, float | None] = field(default_factory=dict)  # plafond par m2 SU, année 1, par produit
    tva_produits: dict[str, dict[str, float]] = field(default_factory=dict)  # TVA (décimal) par produit et poste
    revalorisation: Revalorisation  # loyers maximaux (LMzone, redevances maximales), de l'agrément à l'année 1
    revalorisations_apl_supposees: int  # revalorisations des plafonds APL projetées par l'hypothèse jusqu'à l'année 1
    loyers_par_logement: tuple[LigneLoyer, ...]
    assiettes: dict[str, float]  # base_loyers, base_accessoires, base_rls, base_surface, n_financement_accompagnement,
    # base_loyers_plai_ordinaire
    # Hypothèses et plan de financement.
    hypotheses: Hypotheses
    livret_a: np.ndarray  # (H,) décimal
    prets_caracteristiques: tuple[CaracteristiquesPret, ...]
    financement: tuple[LigneFinancement, ...]
    principaux: tuple[float, ...]  # capital de chaque prêt, prêt d'équilibre à S = 0 compris
    indice_solde: int | None
    indice_inconnue: int | None
    reference_fnap: float | None
    reference_fnap_par_logement: float | None
    tranches_fnap: tuple | None  # ((nombre maximal de PLAI adaptés ou None, euros par logement), ...)
    postes_prix_de_revient: tuple[PosteCout, ...]
    hypotheses_sieg: HypothesesSieg
    loyer_accessoire_maximal: float | None  # plafond local du loyer accessoire, euros par mois (barème local)
    # Comptes : sans subvention à calculer, et avec la subvention d'équilibre appliquée (le même sans solveur).
    compte_zero: Compte
    compte: Compte
    # Solveur (resolu = False : simulation seule).
    resolu: bool = False
    critere: str = "tresorerie_cumulee"
    faisable: bool = True
    subvention_minimale: float | None = None
    annee_critique: int | None = None
    annee_critique_apres_pret: bool = False
    motif: str | None = None
    annees_deficit: tuple[tuple[int, float], ...] = ()
    pret_equilibre_initial: float | None = None
    loyer_equilibre_m2: float | None = None
    subvention_plai_ordinaire: float | None = None  # G : la subvention d'équilibre de la même opération en PLAI
    cout_contreparties: float | None = None  # C = S* - G
    contreparties: dict[str, float] | None = None  # C décomposé par cause (CAUSES_CONTREPARTIES), somme = C
    subvention_justifiable: float | None = None  # max(0, min(S*, C)) : ce que la subvention PLAI adapté peut payer
    equilibre: Equilibre | None = None
    diagnostic: Diagnostic | None = None  # opération infaisable : capacité d'emprunt et leviers
    controles: tuple[Constat, ...] = ()
    sieg: ControleSieg | None = None  # contrôle de surcompensation à la subvention appliquée, et corridor
    produits: tuple[CompteProduit, ...] = ()  # opération mixte : le compte de chaque produit (PLAI, PLUS, PLS)
    # Opération mixte : S*, G, C et J de la seule part PLAI (lecture « chaque produit s'équilibre ») ; le verdict
    # suit la lecture globale (LECTURE_MIXTE).
    lecture_part_plai: dict[str, float | None] | None = None
    avertissements: tuple[str, ...] = field(default=())
    # Barèmes du ménage de la zone APL à l'année 1, par composition (plafond APL ou E, RLS, plafond de ressources
    # de la RLS) : le classeur en tire en formules le plafond et la RLS de chaque ligne.
    baremes_menage: dict[str, dict[str, float] | None] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ grandeurs dérivées
    @property
    def prix_de_revient(self) -> float:
        return self.scenario.prix_de_revient.total

    @property
    def n_logements(self) -> int:
        return sum(lg.nombre for lg in self.loyers_par_logement)

    @property
    def n_plai_adapte(self) -> int:
        return sum(lg.nombre for lg in self.loyers_par_logement if lg.plai_adapte)

    @property
    def su_totale(self) -> float:
        return sum(lg.nombre * lg.surface_utile for lg in self.loyers_par_logement)

    @property
    def pret_equilibre(self) -> float | None:
        """Le prêt d'équilibre une fois la subvention d'équilibre appliquée : K - S*."""
        k = self.pret_equilibre_initial
        return None if k is None else k - self.compte.subvention

    @property
    def subvention_minimale_par_logement(self) -> float | None:
        s = self.subvention_minimale
        return None if s is None else s / self.n_logements

    @property
    def subvention_minimale_par_logement_plai_adapte(self) -> float | None:
        s, n = self.subvention_minimale, self.n_plai_adapte
        return None if s is None or n == 0 else s / n

    @property
    def besoin_hors_contreparties(self) -> float | None:
        """S* - min(S*, C) : la part du besoin qui ne vient pas des contreparties sociales et doit venir d'ailleurs
        (PLAI de droit commun, collectivités, Action Logement, fonds propres)."""
        s, j = self.subvention_minimale, self.subvention_justifiable
        return None if s is None or j is None else s - j

    @property
    def subventions_propres_au_plai_adapte(self) -> float:
        """Les subventions déclarées (hors inconnue) qui n'existent que par les PLAI adaptés."""
        return sum(f.montant for f in self.financement if f.propre_au_plai_adapte and not f.inconnue)

    @property
    def tresorerie_minimale(self) -> tuple[float, int]:
        """La trésorerie cumulée la plus basse (subvention appliquée) et son année."""
        t = self.compte.tresorerie
        j = int(np.argmin(t))
        return float(t[j]), j + 1

    @property
    def annees_civiles(self) -> np.ndarray:
        return self.compte.lignes["annee_civile"]

    @property
    def prix_de_revient_ht(self) -> float:
        return sum(p.ht for p in self.postes_prix_de_revient)

    @property
    def tva_prix_de_revient(self) -> float:
        return sum(p.tva for p in self.postes_prix_de_revient)

    @property
    def repartition_produits(self) -> str:
        """« (12 PLAI, 18 PLUS) » pour une opération mixte, vide sinon."""
        if not self.produits:
            return ""
        return " (" + ", ".join(f"{p.n_logements} {p.produit}" for p in self.produits) + ")"

    def indicateurs(self) -> dict[str, Any]:
        """Les indicateurs de comparaison (vue ``indicateurs`` du catalogue) ; None quand ils n'existent pas."""
        su, n = self.su_totale, self.n_logements
        s = self.subvention_minimale
        loyers = sum(lg.nombre * lg.loyer for lg in self.loyers_par_logement)
        t_min, a_min = self.tresorerie_minimale
        return {
            "nature": self.scenario.operation.nature,
            "n_logements": n,
            "n_plai_adapte": self.n_plai_adapte,
            **{f"n_logements_{p.lower()}": sum(lg.nombre for lg in self.loyers_par_logement if lg.produit == p)
               for p in ("PLAI", "PLUS", "PLS")},
            "su_totale": su,
            "prix_de_revient": self.prix_de_revient,
            "prix_de_revient_ht": self.prix_de_revient_ht,
            "prix_de_revient_par_logement": self.prix_de_revient / n,
            "prix_de_revient_par_m2": self.prix_de_revient / su,
            "faisable": self.faisable,
            "subvention_minimale": s,
            "subvention_minimale_par_logement": None if s is None else s / n,
            "subvention_minimale_par_m2": None if s is None else s / su,
            "loyer_moyen_m2": loyers / su,
            "loyer_moyen_logement": loyers / n,
            "loyer_equilibre_m2": self.loyer_equilibre_m2,
            "autofinancement_annee_1": float(self.compte.autofinancement[0]),
            "tresorerie_minimale_avec_subvention": t_min,
            "annee_tresorerie_minimale": a_min,
            "van_avec_subvention": self.compte.van,
            "annee_critique": self.annee_critique,
            "subvention_plai_ordinaire": self.subvention_plai_ordinaire,
            "cout_contreparties": self.cout_contreparties,
            "subvention_justifiable": self.subvention_justifiable,
            "besoin_hors_contreparties": self.besoin_hors_contreparties,
            "reference_fnap": self.reference_fnap,
            "subvention_maximale": None if self.sieg is None or self.sieg.corridor is None
            else self.sieg.corridor.maximum,
            "marge_surcompensation": None if self.sieg is None else self.sieg.marge,
        }
