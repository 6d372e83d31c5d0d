"""Un programme d'opérations : un dossier de scénarios, ou une table (CSV, Parquet) dont chaque ligne modifie un
scénario modèle ; chaque opération résolue par le moteur vectorisé, par paquets (mémoire bornée) ; une ligne
fautive est signalée avec son numéro et sa clé, les autres sont résolues (docs/programme.md)."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Iterator

from plai_bilan.catalogue import catalogue
from plai_bilan.erreurs import ErreurPlaiBilan, ScenarioInvalide
from plai_bilan.releve import Releve, Vues

PAQUET = 200  # opérations préparées puis résolues ensemble
EXTENSIONS_SCENARIO = (".toml", ".xlsx")


class Ligne:
    """Une opération du programme : sa source (fichier, ou table et ligne) et son résultat (clé -> valeur, vide si
    elle n'est pas résolue), ou son erreur ; une vue de la ligne d'un :class:`Programme`."""

    __slots__ = ("programme", "i")

    def __init__(self, programme: Programme, i: int) -> None:
        self.programme, self.i = programme, i

    @property
    def source(self) -> str:
        return self.programme.sources[self.i]

    @property
    def resultats(self) -> Mapping[str, Any]:
        return self.programme.resultats[self.i]

    @resultats.setter
    def resultats(self, valeurs: Mapping[str, Any]) -> None:
        r = self.programme.resultats
        r.vider(self.i)
        if valeurs:
            r.poser(self.i, valeurs)

    @property
    def erreur(self) -> str | None:
        return self.programme.erreurs.get(self.i)

    @erreur.setter
    def erreur(self, message: str | None) -> None:
        if message is None:
            self.programme.erreurs.pop(self.i, None)
        else:
            self.programme.erreurs[self.i] = message

    def __repr__(self) -> str:
        return f"Ligne({self.source!r}, {dict(self.resultats)!r}, {self.erreur!r})"


class Programme(Vues):
    """Les opérations d'un programme, dans l'ordre de la lecture : sources, résultats en colonnes
    (:class:`plai_bilan.releve.Releve` : un million de lignes tiennent en quelques centaines de Mo) et erreurs ;
    ``programme[i]`` : la :class:`Ligne` ``i``."""

    def __init__(self, capacite: int = 1024) -> None:
        self.sources: list[str] = []
        self.erreurs: dict[int, str] = {}
        self.resultats = Releve(capacite=capacite)

    def ajouter(self, source: str) -> int:
        self.sources.append(source)
        return self.resultats.ajouter()

    def __len__(self) -> int:
        return len(self.sources)

    def _vue(self, i: int) -> Ligne:
        return Ligne(self, i)


_ENTIER, _DECIMAL, _DATE = re.compile(r"-?\d+"), re.compile(r"-?\d+[.,]\d*"), re.compile(r"\d{4}-\d{2}-\d{2}")


@functools.lru_cache(maxsize=4096)
def _sorte(cle: str) -> str | None:
    """Le type au catalogue d'une clé de colonne (ses indices ôtés) ; None : clé inconnue."""
    info = catalogue().scenario.get(re.sub(r"\[\d+\]", "", cle))
    return info["type"] if info else None


def _valeur_cellule(brute: str, cle: str = "") -> Any:
    """Le texte d'une cellule de table, typé selon sa clé au catalogue (texte, nombre ou entier, booléen, date) ;
    une clé inconnue du catalogue (le lecteur la refusera en la nommant) est devinée. Vide : None. Un texte qui
    ne se lit pas dans le type de sa clé reste texte : le lecteur du scénario dit ce qu'il attendait."""
    t = brute.strip()
    if t == "":
        return None
    sorte = _sorte(cle)
    if sorte == "texte":
        return t
    if sorte in ("booléen", None):
        bas = t.lower()
        if bas in ("vrai", "true", "oui"):
            return True
        if bas in ("faux", "false", "non"):
            return False
    if sorte in ("nombre", "entier", None):
        nombre = t.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
        if _ENTIER.fullmatch(nombre):
            return int(nombre)
        if _DECIMAL.fullmatch(nombre):
            return float(nombre.replace(",", "."))
    if sorte in ("date", None) and _DATE.fullmatch(t):
        from datetime import date

        return date.fromisoformat(t)
    return t


def _placer(doc: dict, cle: str, valeur: Any, ou: str) -> None:
    """doc[...] = valeur pour une clé « logements[0].nombre » ou « prix_de_revient.travaux ». Les tables et listes
    traversées sont remplacées dans ``doc`` par des copies : le document d'où ``doc`` est copié (un modèle partagé
    par les lignes d'une table) reste intact."""
    cible: Any = doc
    parties = cle.split(".")
    for i, p in enumerate(parties):
        m = re.fullmatch(r"([a-z_]+)\[(\d+)\]", p)
        dernier = i == len(parties) - 1
        if m:
            liste = cible.get(m.group(1), [])
            k = int(m.group(2))
            if not isinstance(liste, list) or k > len(liste):
                raise ScenarioInvalide(ou, cle, f"l'élément {k} n'existe pas (le modèle en a {len(liste)}) ; "
                                       "ajoutez-les dans l'ordre")
            liste = cible[m.group(1)] = list(liste)
            if k == len(liste):
                liste.append({})
            if dernier:
                liste[k] = valeur
            else:
                if isinstance(liste[k], dict):
                    liste[k] = dict(liste[k])
                cible = liste[k]
        elif dernier:
            cible[p] = valeur
        else:
            table = cible.get(p, {})
            if not isinstance(table, dict):
                raise ScenarioInvalide(ou, cle, f"« {p} » n'est pas une table du scénario")
            cible[p] = dict(table)
            cible = cible[p]


LIGNES_MAX_TABLE = 5_000_000  # opérations d'une table de programme
OCTETS_MAX_TABLE = 2_000_000_000  # octets d'une table Parquet une fois décompressée


def _lire_table(chemin: Path) -> tuple[int, Iterator[dict[str, str]]]:
    """Le nombre de lignes de la table et ses lignes, lues au fur et à mesure (CSV « ; » ou « , », UTF-8 avec ou
    sans BOM ; Parquet)."""
    if chemin.suffix.lower() == ".parquet":
        from plai_bilan.fichiers import lire_fichier_borne

        lire_fichier_borne(chemin, str(chemin), "table .parquet", 2_000_000_000)  # ni tube, ni périphérique
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ScenarioInvalide(str(chemin), "", "lire un fichier Parquet demande pyarrow : pip install -e "
                                   "\".[programme]\"") from None
        try:
            fichier = pq.ParquetFile(chemin)
            meta = fichier.metadata
            lignes_decl = meta.num_rows
            taille = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        except Exception as exc:  # fichier abîmé
            raise ScenarioInvalide(str(chemin), "", f"fichier Parquet illisible ({type(exc).__name__})") from None
        if lignes_decl > LIGNES_MAX_TABLE or taille > OCTETS_MAX_TABLE:
            raise ScenarioInvalide(str(chemin), "", f"table de {lignes_decl:,} lignes et {taille:,} octets une fois "
                                   f"décompressée : au plus {LIGNES_MAX_TABLE:,} lignes et {OCTETS_MAX_TABLE:,} octets"
                                   .replace(",", "\u202f").replace("\u202f ", ", "))
        colonnes = [str(c) for c in fichier.schema_arrow.names]

        def texte(v) -> str:
            return "" if v is None or (isinstance(v, float) and v != v) else str(v)

        def rangs():  # par paquets : la table n'est jamais chargée entière
            for paquet in fichier.iter_batches(batch_size=10_000):
                for r in zip(*(c.to_pylist() for c in paquet.columns)):
                    yield dict(zip(colonnes, map(texte, r)))

        return lignes_decl, rangs()
    import csv
    import io

    from plai_bilan.fichiers import lire_fichier_borne, verifier_fichier_borne

    nom = str(chemin)
    verifier_fichier_borne(chemin, nom, "table CSV", OCTETS_MAX_CSV)
    en_flux = _csv_en_flux(chemin, nom)
    if en_flux is not None:
        return en_flux
    # Le cas rare (autre encodage, fins de ligne d'un ancien Mac, table illisible) : le texte entier, et ce qu'il dit.
    octets = lire_fichier_borne(chemin, nom, "table CSV", OCTETS_MAX_CSV)
    try:
        texte = octets.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        # Une table enregistrée par Excel en français sous Windows (Windows-1252) : lue, et dit.
        try:
            texte = octets.decode("cp1252", errors="strict")
        except UnicodeDecodeError as exc:
            ligne = octets[: exc.start].count(b"\n") + 1
            raise ScenarioInvalide(nom, "", f"table ni en UTF-8 ni en Windows-1252 (octet invalide ligne {ligne}) : "
                                   "enregistrez-la en CSV UTF-8") from None
        AVERTISSEMENTS_TABLE.append(f"{nom} : table lue en Windows-1252 (enregistrement d'Excel) ; enregistrez-la en "
                                    "« CSV UTF-8 » pour éviter toute ambiguïté sur les accents")
    del octets
    if "\r" in texte and "\n" not in texte:
        texte = texte.replace("\r", "\n")  # fins de ligne d'un ancien Mac (CR seul)
    separateur = _separateur(texte.split("\n", 1)[0])

    def lecteur():
        return csv.reader(io.StringIO(texte, newline=""), delimiter=separateur, strict=True)

    try:
        nombre, entetes = _compter(lecteur(), nom, separateur)
    except csv.Error as exc:
        raise ScenarioInvalide(nom, "", f"table CSV illisible, ligne {_ligne_csv(texte, exc)} : "
                               f"{_erreur_csv(str(exc))}") from None
    return nombre, _rangs_csv(lecteur(), entetes)


OCTETS_MAX_CSV = 200_000_000  # octets d'une table CSV


def _separateur(premiere: str) -> str:
    return ";" if premiere.count(";") >= premiere.count(",") else ","


def _compter(lignes, nom: str, separateur: str) -> tuple[int, list[str]]:
    """Une première lecture compte et vérifie tout (sans rien garder) : une table fautive est refusée avant le
    calcul ; (nombre de lignes non vides, en-têtes)."""
    entetes: list[str] | None = None
    nombre = 0
    for k, r in enumerate(lignes, start=1):
        if entetes is None:
            entetes = [c.strip() for c in r]
            doubles = sorted({c for c in entetes if c and entetes.count(c) > 1})
            if doubles:
                raise ScenarioInvalide(nom, "", f"colonne en double : {', '.join(doubles)} ; chaque clé une seule "
                                       "fois")
            continue
        if len(r) > len(entetes) and any(x.strip() for x in r[len(entetes):]):
            raise ScenarioInvalide(nom, "", f"ligne {k} : {len(r)} cellules pour {len(entetes)} colonnes (un "
                                   f"« {separateur} » ou un guillemet de trop ?)")
        nombre += bool("".join(r).strip())
    if entetes is None:
        raise ScenarioInvalide(nom, "", "table vide : une ligne d'en-tête (modele et les clés du scénario) est "
                               "attendue")
    return nombre, entetes


def _rangs_csv(lignes, entetes: list[str]) -> Iterator[dict[str, str]]:
    next(lignes)
    n = len(entetes)
    for r in lignes:
        if "".join(r).strip():  # une ligne dont une cellule n'est pas blanche
            yield dict(zip(entetes, r if len(r) >= n else r + [""] * (n - len(r))))


def _csv_en_flux(chemin: Path, nom: str) -> tuple[int, Iterator[dict[str, str]]] | None:
    """Une table CSV en UTF-8 lue au fil du fichier, deux fois (compte et vérification, puis lignes) : jamais
    entière en mémoire ; None si elle demande le texte entier (autre encodage, sans fin de ligne « \\n » dans son
    premier Mo, illisible : le message dit la ligne)."""
    import csv

    def ouvrir():
        return open(chemin, encoding="utf-8-sig", errors="strict", newline="")

    try:
        with ouvrir() as f:
            debut = f.read(1 << 20)
            if "\n" not in debut:
                return None
            separateur = _separateur(debut.split("\n", 1)[0])
            f.seek(0)
            nombre, entetes = _compter(csv.reader(f, delimiter=separateur, strict=True), nom, separateur)
    except (UnicodeDecodeError, csv.Error):
        return None
    except OSError as exc:
        from plai_bilan.erreurs import message_systeme

        raise ScenarioInvalide(nom, "", f"lecture impossible ({message_systeme(exc)})") from None

    def rangs():
        with ouvrir() as f:
            yield from _rangs_csv(csv.reader(f, delimiter=separateur, strict=True), entetes)

    return nombre, rangs()


AVERTISSEMENTS_TABLE: list[str] = []  # lus par la commande lot (une table en Windows-1252)


def _ligne_csv(texte: str, exc: Exception) -> str:
    import re

    m = re.search(r"line (\d+)", str(exc))
    return m.group(1) if m else "?"


def _erreur_csv(message: str) -> str:
    """Le message du module csv, en français."""
    if "field larger than field limit" in message:
        return "cellule de plus de 131 072 caractères"
    if "unexpected end of data" in message or "EOF" in message:
        return "guillemet ouvert jamais fermé"
    if "expected" in message and "after" in message:
        return "guillemet mal placé (un « \" » dans une cellule s'écrit « \"\" »)"
    if "new-line character seen in unquoted field" in message:
        return "fin de ligne inattendue dans une cellule"
    return "format CSV invalide"


def operations(entree: str | Path) -> list[tuple[str, Any]]:
    """(source, scénario ou erreur) pour chaque opération de l'entrée, dans l'ordre."""
    return list(flux_operations(entree)[1])


def flux_operations(entree: str | Path) -> tuple[int, Iterator[tuple[str, Any]]]:
    """Le nombre d'opérations de l'entrée et (source, scénario ou erreur) de chacune, lues une à une : un
    programme de centaines de milliers de lignes ne tient jamais tout entier en mémoire."""
    chemin = Path(entree)
    if chemin.is_dir():
        fichiers = sorted(f for f in chemin.iterdir() if f.suffix.lower() in EXTENSIONS_SCENARIO
                          and not f.name.startswith((".", "~$")))
        if not fichiers:
            raise ScenarioInvalide(str(chemin), "", "aucun scénario (.toml, .xlsx) dans ce dossier")
        return len(fichiers), _scenarios_du_dossier(fichiers)
    if chemin.suffix.lower() not in (".csv", ".parquet"):
        raise ScenarioInvalide(str(chemin), "", "un dossier de scénarios, ou une table .csv ou .parquet est attendu")
    nombre, lignes = _lire_table(chemin)
    if nombre == 0:
        raise ScenarioInvalide(str(chemin), "", "la table n'a aucune ligne d'opération")
    return nombre, _FluxTable(chemin, lignes)


def _scenarios_du_dossier(fichiers: list[Path]) -> Iterator[tuple[str, Any]]:
    from plai_bilan.scenario import charger_scenario

    for f in fichiers:
        try:
            yield f.name, charger_scenario(f)
        except ErreurPlaiBilan as exc:
            yield f.name, exc


# Les clés qu'une ligne peut changer sans relire tout le scénario : leur section seule est relue (mêmes
# contrôles, mêmes messages), le reste est la lecture gardée du modèle et des autres colonnes de la ligne.
SECTIONS_RELUES = {"operation.nom": "operation", "prix_de_revient.charge_fonciere": "prix_de_revient",
                   "prix_de_revient.travaux": "prix_de_revient", "prix_de_revient.honoraires": "prix_de_revient",
                   "exploitation.vacance_pct": "exploitation", "exploitation.impayes_pct": "exploitation"}
LECTURES_GARDEES = 256  # lectures (modèle, colonnes de structure) gardées
LIGNES_GARDEES = 100_000  # lignes de logements de ces lectures, en tout


def partage() -> bool:
    """Lectures et préparations partagées entre les lignes (par défaut) ; PLAI_BILAN_LOT_PAR_OPERATION=1 lit et
    prépare chaque ligne en entier, comme une opération seule (mêmes résultats, plus lent : la mesure de
    benchmarks/programme.py et un recours)."""
    import os

    return os.environ.get("PLAI_BILAN_LOT_PAR_OPERATION", "") in ("", "0")


def en_colonnes() -> bool:
    """Le chemin en colonnes d'une table (plai_bilan.colonnes), par défaut ; PLAI_BILAN_LOT_COLONNES=0 le retire
    (chemin partagé seul : la mesure de benchmarks/programme.py)."""
    import os

    from plai_bilan.colonnes import ACTIF

    return ACTIF and partage() and os.environ.get("PLAI_BILAN_LOT_COLONNES", "") in ("", "1")


def _section_relue(cle: str, valeur: Any, modele: dict) -> str | None:
    """La section à relire pour cette clé, ou None si la valeur change la structure du scénario (un prêt
    « solde » rendu fixe ou l'inverse, une liste allongée...)."""
    if cle in SECTIONS_RELUES:
        return SECTIONS_RELUES[cle]
    m = re.fullmatch(r"prets\[(\d+)\]\.montant", cle)
    if m:
        prets = modele.get("prets")
        k = int(m.group(1))
        nombre = isinstance(valeur, (int, float)) and not isinstance(valeur, bool)
        if nombre and isinstance(prets, list) and k < len(prets) and isinstance(prets[k], dict) \
                and isinstance(prets[k].get("montant"), (int, float)) and not isinstance(prets[k]["montant"], bool):
            return f"prets[{k}]"
    return None


class LecteurTable:
    """Lit les lignes d'une table de programme en scénarios. La lecture du modèle modifié par les colonnes de
    structure est gardée ; les montants (SECTIONS_RELUES, le capital d'un prêt fixe) relisent leur seule section.
    Toute erreur, tout avertissement de lecture reprend la lecture entière de la ligne : même message. Un
    travailleur Dask reçoit les modèles avec ses lignes (aucun fichier à lire chez lui)."""

    def __init__(self, chemin: Path) -> None:
        self.chemin = chemin
        self.modeles: dict[str, dict] = {}  # documents des modèles, par nom dans la colonne « modele »
        from collections import OrderedDict

        self.gardees: OrderedDict = OrderedDict()
        self.lignes_gardees = 0
        self.partager = partage()

    def ou(self, n: int) -> str:
        return f"{self.chemin.name}, ligne {n}"

    def modele(self, n: int, ligne: dict[str, str]) -> str:
        """Le nom du modèle de la ligne, son document lu (gardé) ; une erreur qui nomme la ligne."""
        from plai_bilan import scenario as lecteur

        ou = self.ou(n)
        modele = (ligne.get("modele") or "").strip()
        if not modele:
            raise ScenarioInvalide(ou, "modele", "colonne obligatoire : le scénario modèle (.toml) que la ligne "
                                   "modifie, relatif à la table")
        if modele not in self.modeles:
            chemin = self.chemin.parent / modele
            try:
                self.modeles[modele] = lecteur.lire_toml(chemin, str(chemin))[0]
            except ScenarioInvalide as exc:
                raise ScenarioInvalide(ou, "modele", f"scénario modèle {modele} illisible : {exc}") from None
        return modele

    def lire(self, n: int, ligne: dict[str, str]):
        """Le scénario de la ligne ``n`` de la table, ou son erreur."""
        import hashlib
        import json

        from plai_bilan import scenario as lecteur

        ou = self.ou(n)
        try:
            modele = self.modele(n, ligne)
            base = self.modeles[modele]
            valeurs = []
            for cle, brute in ligne.items():
                if cle is None or cle.strip() in ("", "modele"):
                    continue
                valeur = _valeur_cellule(brute or "", cle.strip())
                if valeur is not None:
                    valeurs.append((cle.strip(), valeur))
            relues = [(c, v, _section_relue(c, v, base)) for c, v in valeurs]
            structure = tuple((c, v) for c, v, sct in relues if sct is None)
            sections = [sct for _, _, sct in relues if sct is not None]
            doc = dict(base)
            for c, v in valeurs:
                _placer(doc, c, v, ou)
            empreinte = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()
            sc = None
            if self.partager:
                gardee = self._lecture_gardee(modele, base, structure, ou)
                if gardee is not None:
                    sc = lecteur.relire_sections(gardee[0], gardee[1], doc, sections, ou, empreinte)
            return sc if sc is not None else lecteur.lire_document(doc, ou, empreinte)
        except ErreurPlaiBilan as exc:
            return exc

    def _lecture_gardee(self, modele: str, base: dict, structure: tuple, ou: str):
        """(scénario du modèle modifié par les seules colonnes de structure, nom sous lequel il a été lu), gardé ;
        None s'il ne se lit pas (la lecture entière de la ligne dit pourquoi)."""
        from plai_bilan import scenario as lecteur

        cle = (modele, repr(structure))
        gardee = self.gardees.get(cle)
        if gardee is not None:
            self.gardees.move_to_end(cle)
            return gardee
        doc = dict(base)
        for c, v in structure:
            _placer(doc, c, v, ou)
        try:
            gardee = self.gardees[cle] = (lecteur.lire_document(doc, ou, ""), ou)
        except ErreurPlaiBilan:
            return None
        self.lignes_gardees += len(gardee[0].logements)
        while len(self.gardees) > 1 and (len(self.gardees) > LECTURES_GARDEES
                                         or self.lignes_gardees > LIGNES_GARDEES):
            self.lignes_gardees -= len(self.gardees.popitem(last=False)[1][0].logements)
        return gardee


class _FluxTable:
    """Les (source, scénario ou erreur) d'une table, lus au fil de l'itération ; ``lignes`` : les lignes brutes
    numérotées, pour qui les lit ailleurs (travailleurs Dask)."""

    def __init__(self, chemin: Path, lignes: Iterator[dict[str, str]]) -> None:
        self.lecteur = LecteurTable(chemin)
        self.lignes = enumerate(lignes, start=2)  # la ligne 1 est l'en-tête

    def __iter__(self):
        return self

    def __next__(self) -> tuple[str, Any]:
        n, ligne = next(self.lignes)
        return self.lecteur.ou(n), self.lecteur.lire(n, ligne)


_LECTEURS: dict[str, LecteurTable] = {}  # ceux d'un travailleur Dask, par table


def _resoudre_lignes(table: str, paquet: list[tuple[int, int, dict[str, str]]], modeles: dict[str, dict],
                     parametres=None, optimiser: bool = False, lignes_table: int = 0) -> list:
    """Un paquet de lignes brutes (indice, numéro de ligne, cellules) lu puis résolu, chez un travailleur Dask :
    ses lectures, ses préparations et ses structures du chemin en colonnes gardées d'un paquet à l'autre ;
    (indice, résultats, erreur) de chaque ligne, et les blocs du chemin en colonnes (colonnes.Bloc)."""
    lecteur = _LECTEURS.get(table)
    if lecteur is None or lecteur.partager != partage() or any(
            lecteur.modeles.get(nom, doc) != doc for nom, doc in modeles.items()):
        _LECTEURS.pop(table, None)
        _COLONNES.pop(table, None)
        while len(_LECTEURS) >= 4:  # les tables les plus anciennes d'un travailleur qui dure
            ancienne = next(iter(_LECTEURS))
            _LECTEURS.pop(ancienne)
            _COLONNES.pop(ancienne, None)
        lecteur = _LECTEURS[table] = LecteurTable(Path(table))  # un modèle modifié depuis : rien de gardé
    lecteur.modeles.update(modeles)
    colonnes = None
    # Des paramètres locaux arrivent copiés à chaque paquet : leurs structures ne seraient jamais reprises.
    if not optimiser and parametres is None and en_colonnes():
        colonnes = _COLONNES.get(table)
        if colonnes is None or colonnes.lecteur is not lecteur:
            colonnes = _COLONNES[table] = _chemin_colonnes(lecteur, None, lignes_table)
    sortie, a_resoudre = [], []

    def lire(i: int, n: int, ligne: dict) -> None:
        sc = lecteur.lire(n, ligne)
        erreur = _erreur_avant_calcul(lecteur.ou(n), sc)
        if erreur is not None:
            sortie.append((i, None, erreur))
        else:
            a_resoudre.append((i, sc))

    for i, n, ligne in paquet:
        if colonnes is None or not colonnes.ajouter(i, n, ligne):
            lire(i, n, ligne)
    if colonnes is not None:
        sortie += colonnes.resoudre()
        rendues, colonnes.rendues = colonnes.rendues, []
        for i, n, ligne in rendues:  # la lecture entière dit pourquoi
            lire(i, n, ligne)
    return sortie + (_resoudre_paquet(a_resoudre, parametres, optimiser) if a_resoudre else [])


_COLONNES: dict[str, Any] = {}  # les chemins en colonnes d'un travailleur Dask, par table


def _chemin_colonnes(lecteur: LecteurTable, parametres, lignes_table: int):
    from types import SimpleNamespace

    from plai_bilan.colonnes import CheminColonnes

    outils = SimpleNamespace(valeur_cellule=_valeur_cellule, section_relue=_section_relue,
                             resoudre_seule=_resoudre_seule)
    return CheminColonnes(lecteur, outils, parametres, lignes_table)


def _erreur_avant_calcul(source: str, sc) -> str | None:
    """L'erreur d'une opération qui ne se résout pas : illisible, ou sans prêt d'équilibre."""
    if isinstance(sc, ErreurPlaiBilan):
        return str(sc)
    if not any(p.est_solde for p in sc.prets):
        return f"{source} : aucun prêt d'équilibre (montant = \"solde\") : rien à résoudre"
    return None


def _resoudre_seule(lecteur: LecteurTable, i: int, n: int, cellules: dict, parametres=None):
    """La ligne ``n`` lue et résolue seule par le chemin partagé : (résultat rangé, entrées de l'opération et de ses
    variantes, résultats) ; entrées None si l'opération est en erreur ou un fichier de demande (colonnes)."""
    sc = lecteur.lire(n, cellules)
    erreur = _erreur_avant_calcul(lecteur.ou(n), sc)
    if erreur is not None:
        return [(i, None, erreur)], None, None
    fait = _resoudre_paquet([(i, sc)], parametres)
    if fait[0][2] is not None or est_demande(sc):
        return fait, None, None
    try:
        return fait, preparations().avec_variantes(sc, parametres), fait[0][1]
    except ErreurPlaiBilan:
        return fait, None, None


def est_demande(sc) -> bool:
    """Un fichier de demande : aucune subvention à calculer, une subvention PLAI adapté (FNAP) chiffrée."""
    return (not any(s.montant == "a_calculer" for s in sc.subventions)
            and sum(s.nature == "fnap_plai_adapte" for s in sc.subventions) == 1)


def _demande(sc, parametres, optimiser: bool) -> dict[str, Any]:
    """La ligne d'un fichier de demande : le verdict d'instruire, sa demande, et l'opération dont la demande est
    l'inconnue (S*, G, C, J comme instruire les calcule)."""
    from plai_bilan.instruction import instruire

    v = instruire(sc, parametres=parametres)
    return (resultats(v.bilan) | {"montant_demande": v.demande, "verdict": v.verdict}
            | (_optimise(sc, parametres) if optimiser else {}))


def _optimise(sc, parametres) -> dict[str, Any]:
    """Les colonnes de --optimiser : le S* du plan optimisé dans les règles des prêteurs et la subvention évitable."""
    from plai_bilan.instruction import avec_inconnue
    from plai_bilan.optimisation import optimiser

    try:
        sc, i = avec_inconnue(sc)
        o = optimiser(sc, parametres, inconnue=i)
    except ErreurPlaiBilan:
        return {"subvention_optimisee": None, "subvention_evitable": None}
    fini = math.isfinite(o.subvention_optimisee)
    return {"subvention_optimisee": o.subvention_optimisee if fini else None,
            "subvention_evitable": o.economie if fini and math.isfinite(o.subvention_fichier) else None}


def _resoudre_paquet(paquet: list[tuple[int, Any]], parametres=None,
                     optimiser: bool = False) -> list[tuple[int, dict | None, str | None]]:
    """Un paquet : (indice, scénario) -> (indice, résultats ou None, erreur ou None). Exécuté sur place ou par
    un travailleur Dask (fonction de module, arguments sérialisables)."""
    from plai_bilan.calcul import resoudre, resoudre_leger
    from plai_bilan.memoire import regler_allocateur
    from plai_bilan.preparation import preparer

    regler_allocateur()  # chez un travailleur Dask aussi
    partager = partage()
    sortie, entrees, variantes, indices = [], [], [], []
    for i, sc in paquet:
        try:
            if est_demande(sc):  # la subvention PLAI adapté chiffrée : instruite, pas résolue
                sortie.append((i, _demande(sc, parametres, optimiser), None))
                continue
            if partager:
                e, *v = preparations().avec_variantes(sc, parametres)
                variantes.append(v)
            else:  # calcul.resoudre prépare les variantes
                e = preparer(sc, parametres)
            entrees.append(e)
            indices.append(i)
        except ErreurPlaiBilan as exc:
            sortie.append((i, None, str(exc)))
    scenarios = dict(paquet)
    if not entrees:
        lignes = []
    elif partager:  # les seules colonnes du tableau, sans bilan entier
        lignes = [resultats(b, maximum, codes) for b, maximum, codes in resoudre_leger(entrees, parametres, variantes)]
    else:  # la référence : le bilan entier de chaque opération
        lignes = [resultats(b) for b in resoudre(entrees, parametres=parametres)]
    for i, ligne in zip(indices, lignes):
        sortie.append((i, ligne | (_optimise(scenarios[i], parametres) if optimiser else {}), None))
    return sortie


_PREPARATIONS: list = []  # celles de ce processus (un travailleur Dask a les siennes)


def preparations(neuves: bool = False):
    """Les préparations partagées de ce processus (preparation.Preparations), créées au premier usage ; ``neuves`` :
    oubliées et recommencées."""
    if neuves or not _PREPARATIONS:
        from plai_bilan.preparation import Preparations

        _PREPARATIONS[:] = [Preparations()]
    return _PREPARATIONS[0]


def client_dask(adresse: str):
    """Un client dask.distributed : « local » démarre un LocalCluster sur ce poste, sinon l'adresse du
    planificateur (tcp://hote:8786). Extra facultatif [dask]."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ErreurPlaiBilan("--dask demande dask.distributed : pip install -e \".[dask]\"") from None
    if adresse == "local":
        return Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
    if not re.fullmatch(r"(tcp|tls)://[A-Za-z0-9.\-]+(:\d{1,5})?|(tcp|tls)://\[[0-9A-Fa-f:]+\](:\d{1,5})?", adresse):
        raise ErreurPlaiBilan(f"--dask « {adresse} » : « local » (ce poste) ou l'adresse d'un planificateur "
                              "dask.distributed, tcp://hote:8786, est attendu")
    import threading

    # La connexion dans un fil à part, bornée en temps : un serveur qui n'est pas un planificateur (un serveur web
    # sur le port) ne répond jamais à la poignée de main de dask.
    resultat: dict[str, Any] = {}

    def connecter() -> None:
        try:
            resultat["client"] = Client(adresse, timeout=10)
        except BaseException as exc:  # noqa: BLE001 (rapportée ci-dessous en une phrase)
            resultat["erreur"] = exc

    fil = threading.Thread(target=connecter, daemon=True)
    fil.start()
    fil.join(DELAI_DASK)
    if fil.is_alive():
        raise ErreurPlaiBilan(f"--dask {adresse} : pas de réponse de planificateur dask.distributed en {DELAI_DASK} s "
                              "(le port est-il celui du planificateur ?)")
    exc = resultat.get("erreur")
    if isinstance(exc, (OSError, TimeoutError)):
        raise ErreurPlaiBilan(f"--dask {adresse} : planificateur injoignable en 10 s (connexion refusée ou sans "
                              "réponse)")
    if exc is not None:  # un pair qui n'est pas un planificateur dask (octets inattendus, protocole)
        raise ErreurPlaiBilan(f"--dask {adresse} : ce n'est pas un planificateur dask.distributed (sa réponse ne "
                              "suit pas le protocole de dask)")
    return resultat["client"]


DELAI_DASK = 20  # secondes pour joindre un planificateur
LIGNES_PAR_PAQUET_DASK = 10  # une table sur un cluster : PAQUET x 10 lignes par tâche
EN_COURS_PAR_TRAVAILLEUR = 4  # paquets confiés à la fois à chaque travailleur Dask (mémoire du poste bornée)


def resoudre_programme(entree: str | Path, parametres=None, progression=None, client=None,
                       flux: tuple[int, Iterator[tuple[str, Any]]] | None = None,
                       optimiser: bool = False) -> Programme:
    """Chaque opération lue, préparée puis résolue, par paquets de :data:`PAQUET` au fil de la lecture : seuls
    les paquets en cours sont en mémoire, puis le résultat de chaque opération (une ligne de tableau). Avec un
    client Dask, les paquets sont résolus par les travailleurs du cluster (mêmes résultats). ``flux`` : celui de
    :func:`flux_operations` déjà ouvert sur ``entree`` (la table n'est pas relue)."""
    total, flux = flux if flux is not None else flux_operations(entree)
    lignes = Programme(total or 1024)
    faits = 0
    dernier = None

    from plai_bilan.colonnes import Bloc

    def ranger(fait: list) -> None:
        """(indice, résultats, erreur) de lignes résolues, ou des blocs du chemin en colonnes, rangés."""
        nonlocal faits, dernier
        for rang in fait:
            if isinstance(rang, Bloc):  # des lignes du chemin en colonnes (ici, ou chez un travailleur Dask)
                lignes.resultats.poser_bloc(*rang)
                faits += len(rang.indices)
                continue
            i, res, erreur = rang
            faits += 1
            if erreur is not None:
                lignes.erreurs[i] = erreur
            elif res:
                lignes.resultats.poser(i, res)
        if progression is not None:
            progression(faits, total)
            dernier = faits

    en_cours = None
    if client is not None:
        from dask.distributed import as_completed

        en_cours = as_completed()
        plafond = EN_COURS_PAR_TRAVAILLEUR * max(1, len(client.scheduler_info().get("workers", {})))

    def soumettre(fonction, *args, **options) -> None:
        """Un paquet confié au cluster ; au-delà du plafond, les résultats rangés à mesure qu'ils arrivent."""
        en_cours.add(client.submit(fonction, *args, parametres=parametres, optimiser=optimiser, pure=False, **options))
        while en_cours.count() >= plafond:
            ranger(next(en_cours).result())

    def confier(paquet: list[tuple[int, Any]]) -> None:
        if en_cours is None:
            ranger(_resoudre_paquet(paquet, parametres, optimiser))
        else:
            soumettre(_resoudre_paquet, paquet)

    paquet: list = []
    if en_cours is not None and isinstance(flux, _FluxTable):
        # Une table sur un cluster : les lignes brutes et leurs modèles partent aux travailleurs, qui les lisent.
        lecteur = flux.lecteur
        modeles: dict[str, dict] = {}  # ceux des lignes du paquet : un travailleur ne garde que ce qu'il reçoit
        table = str(lecteur.chemin)
        for n, ligne in flux.lignes:
            i = lignes.ajouter(lecteur.ou(n))
            try:
                modele = lecteur.modele(n, ligne)
            except ErreurPlaiBilan as exc:
                lignes.erreurs[i] = str(exc)
                faits += 1
                continue
            modeles[modele] = lecteur.modeles[modele]
            paquet.append((i, n, ligne))
            if len(paquet) == PAQUET * LIGNES_PAR_PAQUET_DASK:
                soumettre(_resoudre_lignes, table, paquet, modeles, lignes_table=total)
                paquet, modeles = [], {}
        if paquet:
            soumettre(_resoudre_lignes, table, paquet, modeles, lignes_table=total)
        paquet = []
    else:
        colonnes = None
        if isinstance(flux, _FluxTable) and en_cours is None and not optimiser and en_colonnes():
            from plai_bilan.colonnes import PAQUET_COLONNES

            colonnes = _chemin_colonnes(flux.lecteur, parametres, total)

        def lue(source: str, sc) -> None:
            ajouter(lignes.ajouter(source), source, sc)

        def ajouter(i: int, source: str, sc) -> None:
            nonlocal paquet, faits
            erreur = _erreur_avant_calcul(source, sc)
            if erreur is not None:
                lignes.erreurs[i] = erreur
                faits += 1  # comptée comme traitée au prochain paquet
            else:
                paquet.append((i, sc))
                if len(paquet) == PAQUET:
                    confier(paquet)
                    paquet = []

        def vider() -> None:
            fait = colonnes.resoudre()
            if fait:
                ranger(fait)
            lecteur = flux.lecteur
            rendues, colonnes.rendues = colonnes.rendues, []
            for i, n, cellules in rendues:  # la lecture entière dit pourquoi
                ajouter(i, lecteur.ou(n), lecteur.lire(n, cellules))

        if colonnes is None:
            for source, sc in flux:
                lue(source, sc)
        else:
            lecteur = flux.lecteur
            for n, cellules in flux.lignes:
                source = lecteur.ou(n)
                i = lignes.ajouter(source)
                if not colonnes.ajouter(i, n, cellules):
                    ajouter(i, source, lecteur.lire(n, cellules))
                if len(colonnes.en_attente) >= PAQUET_COLONNES or len(colonnes.faits) >= PAQUET:
                    vider()
            vider()
    if paquet:
        confier(paquet)
    if en_cours is not None:
        for futur in en_cours:
            ranger(futur.result())
    if progression is not None and (faits != dernier or faits != total):
        progression(faits, faits)  # des lignes en erreur après le dernier paquet, ou un compte de table inexact
    return lignes


_SIEG = object()


def resultats(b, maximum_sieg: Any = _SIEG, non_conformes: list[str] | None = None) -> dict[str, Any]:
    """Une ligne du tableau du programme (clés du catalogue) ; ``maximum_sieg`` et ``non_conformes`` : le maximum du
    corridor et les codes des contrôles non conformes déjà calculés (calcul.resoudre_leger), sinon ceux du
    bilan."""
    if maximum_sieg is _SIEG:
        c = b.sieg.corridor if b.sieg is not None else None
        maximum_sieg = None if c is None else c.maximum
    j = b.subvention_justifiable
    if non_conformes is None:
        non_conformes = [k.code for k in b.controles if k.statut == "non conforme"]
    return {
        "nom": b.scenario.operation.nom, "nature": b.scenario.operation.nature, "n_logements": b.n_logements,
        "n_plai_adapte": b.n_plai_adapte, "prix_de_revient": b.prix_de_revient, "faisable": b.faisable,
        "subvention_minimale": b.subvention_minimale,
        "subvention_minimale_par_logement": b.subvention_minimale_par_logement,
        "subvention_plai_ordinaire": b.subvention_plai_ordinaire, "cout_contreparties": b.cout_contreparties,
        "subvention_justifiable": j,
        "justifiable_par_plai_adapte": None if j is None or not b.n_plai_adapte else j / b.n_plai_adapte,
        "besoin_hors_contreparties": b.besoin_hors_contreparties, "subvention_maximale": maximum_sieg,
        "annee_critique": b.annee_critique, "controles_non_conformes": " ".join(non_conformes),
        **{f"n_logements_{p.lower()}": sum(l.nombre for l in b.loyers_par_logement if l.produit == p)
           for p in ("PLAI", "PLUS", "PLS")},
        **{f"besoin_propre_{p.lower()}": next((c.besoin_propre for c in b.produits if c.produit == p
                                               and c.besoin_propre_faisable), None) for p in ("PLAI", "PLUS", "PLS")},
        "justifiable_part_plai": None if b.lecture_part_plai is None else b.lecture_part_plai["subvention_justifiable"],
        "motif": None if b.motif is None else catalogue().valeurs["motif"].get(b.motif, b.motif),
        "montant_demande": None, "verdict": None,
    }


def allouer_budget(lignes: Sequence[Ligne], budget: float) -> list[tuple[Ligne, bool, float]]:
    """Le budget FNAP réparti : les opérations classées par montant justifiable par PLAI adapté croissant (le plus
    de PLAI adaptés par euro d'abord ; à égalité, l'ordre du programme), chacune financée de tout son montant
    justifiable tant que le budget restant le couvre, sinon passée (aucun financement partiel).

    Renvoie (ligne, financée, budget restant après elle) dans l'ordre du classement."""
    def montant(l: Ligne) -> float:
        """Une demande : son montant ; une opération à résoudre : son montant justifiable."""
        d = l.resultats.get("montant_demande")
        return l.resultats["subvention_justifiable"] if d is None else d

    candidates = [l for l in lignes if l.erreur is None and l.resultats.get("n_plai_adapte")
                  and (l.resultats.get("justifiable_par_plai_adapte") or l.resultats.get("montant_demande"))]
    candidates.sort(key=lambda l: montant(l) / l.resultats["n_plai_adapte"])
    reste = budget
    sortie = []
    for l in candidates:
        j = montant(l)
        # Une demande que l'instruction ne juge pas justifiée n'est pas financée (le verdict dit pourquoi).
        financee = j <= reste + 1e-6 and l.resultats.get("verdict") in (None, "justifiee")
        if financee:
            reste -= j
        sortie.append((l, financee, reste))
    return sortie
