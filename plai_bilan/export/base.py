"""Socle du classeur : noms des feuilles, positions partagées entre feuilles, aides d'écriture et de mise en page."""

from __future__ import annotations

from dataclasses import dataclass, field

from plai_bilan.bilan import Bilan
from plai_bilan.conventions import TOLERANCE
from plai_bilan.export.classeur import Classeur, ecrire, formule

SYNTHESE, HYP, LOYERS, FIN, EMPRUNTS, EXPL, EQUI, SIEG, PARAM = (
    "Synthèse", "Hypothèses", "Loyers", "Prix de revient et financement", "Emprunts", "Exploitation", "Équilibre",
    "SIEG", "Paramètres")
FEUILLES = (SYNTHESE, HYP, LOYERS, FIN, EMPRUNTS, EXPL, EQUI, SIEG, PARAM)
NUL = "1E-12"
SEUIL_ECHEC = f"{-TOLERANCE}"
STATUTS = {"V": "vérifié", "V2": "source secondaire", "D": "dérivé", "E": "ESTIMATION"}
CRITERES = ("annuel", "tresorerie_cumulee", "van")
# Première année du tableau de la feuille Équilibre, sous ses 24 lignes de résultats : l'exploitation y lit u_t
# avant que la feuille soit écrite.
PREMIERE_ANNEE_EQUILIBRE = 30
PREMIERE_LIGNE_LOYERS = 24  # premier logement du tableau de la feuille Loyers, sous ses agrégats


SANS_TAUX = "non calculée : pas de taux d'actualisation (Hypothèses, analyse.taux_actualisation_pct)"


def van_ou_motif(nom: str) -> str:
    """Une VAN affichée, ou le mot qui dit pourquoi elle manque (aucun taux d'actualisation saisi)."""
    return f'IF(ISNUMBER(taux_actualisation),{nom},"{SANS_TAUX}")'


def van_cache(valeur):
    return SANS_TAUX if valeur is None or valeur != valeur else valeur


class Rangees:
    """Des rangées « libellé | valeur | aide » écrites l'une sous l'autre à partir de ``ligne`` : la valeur en
    formule (avec sa valeur en cache) ou saisie, nommée au besoin (feuilles Synthèse, Équilibre, SIEG,
    Instruction)."""

    def __init__(self, x: ExportBase, ws, feuille: str, ligne: int) -> None:
        self.x, self.ws, self.feuille, self.ligne = x, ws, feuille, ligne

    def _fin(self, aide: str | None, nom: str | None) -> None:
        if aide is not None:
            self.ws.write_string(self.ligne, 2, aide, self.x.f(italique=True))
        if nom:
            self.x.cl.nommer(nom, self.feuille, self.ligne, 1)
        self.ligne += 1

    def formule(self, libelle: str, texte: str, valeur, fmt: str = "euros", aide: str | None = None,
                nom: str | None = None, gras: bool = False) -> None:
        """Une valeur calculée par ``texte`` (formule sans « = »), ``valeur`` en cache."""
        self.ws.write_string(self.ligne, 0, libelle, self.x.f(gras=gras))
        formule(self.ws, self.ligne, 1, texte, valeur, self.x.f(fmt, gras=gras))
        self._fin(aide, nom)

    def saisie(self, libelle: str, valeur, fmt: str, nom: str, aide: str | None = None) -> None:
        """Une valeur modifiable (cellule jaune), nommée."""
        self.ws.write_string(self.ligne, 0, libelle, self.x.f())
        ecrire(self.ws, self.ligne, 1, valeur, self.x.f(fmt, saisie=True))
        self._fin(aide, nom)


@dataclass
class Positions:
    """Où sont les cellules que d'autres feuilles lisent (lignes et colonnes comptées à partir de 0)."""

    livret_a: list[str] = field(default_factory=list)  # référence du taux de l'année t
    logements: list[int] = field(default_factory=list)  # ligne de chaque logement dans Hypothèses
    prets: list[int] = field(default_factory=list)  # ligne de chaque prêt dans Hypothèses
    subventions: list[tuple[int, str]] = field(default_factory=list)  # (ligne, mode)
    autres_couts: list[int] = field(default_factory=list)
    relues_verrouillees: list[tuple[int, int]] = field(default_factory=list)  # Hypothèses : (ligne, colonne)
    param_apl: dict[int, int] = field(default_factory=dict)  # ligne de logement -> ligne dans Paramètres
    param_rls: dict[int, int] = field(default_factory=dict)
    principal_pret: list[str] = field(default_factory=list)  # référence du capital (plan sans subvention)
    echeance_pret: list[int] = field(default_factory=list)  # première ligne du tableau de chaque prêt
    expl_premiere: int = 0
    plan_lignes: list[tuple[str, int, float]] = field(default_factory=list)  # (libellé, ligne, montant avec S*)
    postes_tva: tuple[int, int] = (0, 0)
    plan: tuple[int, int] = (0, 0)  # première et dernière lignes des ressources du plan de financement  # premières et dernière lignes des postes du prix de revient


class ExportBase:
    """L'état partagé par les feuilles (entrées, résultats, positions) et les aides d'écriture."""

    def __init__(self, cl: Classeur, b: Bilan, supplements: tuple = (), feuilles: tuple[str, ...] | None = None
                 ) -> None:
        self.cl, self.b = cl, b
        self.e = b  # les entrées résolues (loyers, plan de financement, trajectoire) sont portées par le bilan
        self.sim0 = b.compte_zero
        self.r = b if b.resolu else None
        self.sc = b.scenario
        self.h = b.horizon
        self.foyer = self.sc.operation.produit == "foyer"
        self.pos = Positions()
        self.avec_solveur = b.resolu and b.equilibre is not None
        self._mots_entete: dict[str, dict[int, int]] = {}
        self.modele = False  # classeur de saisie : Hypothèses seule, tout modifiable, aides et place libre
        self.vide = False  # classeur de saisie sans opération : l'exemple dans les commentaires seulement
        self.progression = None  # progression(fait, total) : une étape par feuille et par prêt
        self._faites, self._etapes = 0, len(self.sc.prets) + 10 + len(supplements)  # + 9 feuilles et l'assemblage
        self.supplements = supplements
        noms = feuilles or (SYNTHESE,) + tuple(x.nom for x in supplements) + FEUILLES[1:]
        self.ws = {nom: cl.wb.add_worksheet(nom) for nom in noms}
        self.valeurs_utilisees = {v.bareme: v for v in b.provenance.parametres_utilises}

    def avancer(self) -> None:
        """Une étape de l'écriture de faite (barre de progression des classeurs longs)."""
        self._faites += 1
        if self.progression is not None:
            self.progression(min(self._faites, self._etapes), self._etapes)

    # ------------------------------------------------------------------ aides
    def f(self, *args, **kwargs):
        return self.cl.format(*args, **kwargs)

    def titre(self, ws, texte: str, note: str | None = None) -> None:
        ws.write_string(0, 0, texte, self.f(titre=True))
        if note:
            ws.write_string(1, 0, note, self.f(italique=True))

    @staticmethod
    def largeurs(ws, *plages: tuple[int, int, float]) -> None:
        """Largeurs de colonnes : (première, dernière, largeur) par plage."""
        for premiere, derniere, largeur in plages:
            ws.set_column(premiere, derniere, largeur)

    def entete(self, ws, ligne: int, colonne: int, libelles: list[str]) -> None:
        mots = self._mots_entete.setdefault(ws.name, {})
        for j, lib in enumerate(libelles):
            ws.write_string(ligne, colonne + j, lib, self.f(entete=True))
            # Le plus long mot de l'en-tête doit tenir sur une ligne (« Accompagnement », pas « Accompagneme nt »).
            mots[colonne + j] = max(mots.get(colonne + j, 0), max((len(m) for m in lib.split()), default=0))

    def elargir_pour_les_entetes(self, ws) -> None:
        """Élargit les colonnes trop étroites pour le plus long mot de leur en-tête (gras 10 pt : 8 px par caractère
        et une marge), en gardant le format de la colonne."""
        for c, n in self._mots_entete.get(ws.name, {}).items():
            besoin = n * 8 + 14
            info = ws.col_info.get(c)
            actuelle = info.width if info is not None else 64
            if besoin > actuelle:
                ws.set_column_pixels(c, c, besoin, info.column_format if info is not None else None)

    def mise_en_page(self, ws, repeter: tuple[int, int] | None = None, paysage: bool = True,
                     a3: bool = False, derniere_ligne: int = 0, une_page: bool = False,
                     echelle: int | None = None) -> None:
        """Mise en page : une page de large (ou ``echelle`` en pour cent, pour que des sauts de page manuels
        tombent juste : l'ajustement à la page les ferait ignorer par Excel)."""
        self.elargir_pour_les_entetes(ws)
        if paysage:
            ws.set_landscape()
        ws.set_paper(8 if a3 else 9)  # A3 pour les tableaux larges, sinon A4
        if echelle:
            ws.set_print_scale(echelle)
        else:
            ws.fit_to_pages(1, 1 if une_page else 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&L&8plai-bilan " + self.b.provenance.version + "&C&8&A&R&8page &P / &N")
        # Zone d'impression : ce qui est écrit (le graphique de la Synthèse déborde jusqu'à la colonne G).
        derniere_colonne = max(ws.dim_colmax or 0, 6 if ws.name == SYNTHESE else 0)
        ws.print_area(0, 0, max(ws.dim_rowmax or 0, derniere_ligne), derniere_colonne)
        if repeter:
            ws.repeat_rows(*repeter)

