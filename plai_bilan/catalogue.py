"""Le catalogue des grandeurs nommées (``catalogue.toml``) : une clé, un libellé français, une unité.

La clé d'une grandeur est à la fois la clé du scénario, l'attribut du code, la clé JSON et le nom défini du
classeur. Les tables de libellés des sorties (texte, CSV, DataFrame, classeur) sont des vues de ce catalogue.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FICHIER = Path(__file__).with_name("catalogue.toml")
FICHIER_LIGNES = Path(__file__).with_name("lignes_compte.toml")


@dataclass(frozen=True)
class Grandeur:
    cle: str
    famille: str
    libelle: str
    unite: str
    court: str

    @property
    def libelle_unite(self) -> str:
        """Le libellé suivi de son unité, pour un en-tête de colonne (« Loyers (€) »)."""
        if self.unite in ("texte", "booléen", "nombre", "liste", "objet", "date", "année", "années"):
            return self.libelle
        return f"{self.libelle} ({self.unite})"


@dataclass(frozen=True)
class Catalogue:
    version_contrat: int
    grandeurs: dict[str, Grandeur]
    valeurs: dict[str, dict[str, str]]
    documents: dict[str, tuple[str, ...]]
    scenario: dict[str, dict[str, str]]  # clé du fichier de scénario -> type, défaut, unité, libellé, choix

    def __getitem__(self, cle: str) -> Grandeur:
        return self.grandeurs[cle]

    def libelle(self, cle: str) -> str:
        return self.grandeurs[cle].libelle

    def court(self, cle: str) -> str:
        return self.grandeurs[cle].court

    def famille(self, nom: str) -> tuple[str, ...]:
        """Les clés d'une famille, dans l'ordre du catalogue."""
        return tuple(c for c, g in self.grandeurs.items() if g.famille == nom)

    def document(self, nom: str) -> tuple[str, ...]:
        """Les clés d'un objet JSON, « @vue » développée (``@compte`` : les lignes du compte ; ``@provenance``...)."""
        cles: list[str] = []
        for cle in self.documents[nom]:
            if cle == "@compte":
                cles += self.famille("compte")
            elif cle.startswith("@"):
                cles += self.document(cle[1:])
            else:
                cles.append(cle)
        return tuple(cles)


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    with FICHIER.open("rb") as f:
        doc = tomllib.load(f)
    grandeurs = {cle: Grandeur(cle, g["famille"], g["libelle"], g["unite"], g.get("court", g["libelle"]))
                 for cle, g in doc["grandeurs"].items()}
    return Catalogue(doc["version_contrat"], grandeurs, doc["valeurs"],
                     {k: tuple(v) for k, v in doc["documents"].items()}, doc["scenario"])


def libelle(cle: str) -> str:
    """Le libellé français d'une grandeur."""
    return catalogue().libelle(cle)


LIGNES_COMPTE = catalogue().famille("compte")
ASSIETTES = ("n_logements", "n_plai_adapte", "n_financement_accompagnement")
INDEXATIONS = ("charges", "loyers")
ROLES = ("produit", "charge")


@dataclass(frozen=True, kw_only=True)
class LigneSimple:
    """Une ligne simple du compte (``lignes_compte.toml``) : montant x assiette x indice, sur ses années."""

    cle: str
    role: str
    montant: str
    assiette: str | None = None  # un nombre de l'opération (ASSIETTES), une ligne du compte, ou None
    indexation: str | None = None
    pendant: str | None = None  # années 1..pendant
    apres: str | None = None  # années t > apres
    scenario: str | None = None

    @property
    def assiette_ligne(self) -> bool:
        """L'assiette est-elle une ligne du compte (celle de l'année), plutôt qu'un nombre de l'opération ?"""
        return self.assiette is not None and self.assiette not in ASSIETTES

    @property
    def bornes(self) -> str | None:
        """Le nom de la durée qui borne ses années (``pendant`` ou ``apres``), ou None."""
        return self.pendant or self.apres

    @property
    def colonnes(self) -> tuple[str, ...]:
        """Les grandeurs de l'opération qu'elle lit : montant, assiette, bornes de ses années."""
        return tuple(n for n in (self.montant, None if self.assiette_ligne else self.assiette, self.bornes) if n)


@lru_cache(maxsize=1)
def lignes_simples() -> dict[str, LigneSimple]:
    """Les lignes simples du compte, dans l'ordre de la famille « compte » du catalogue, vérifiées à la lecture."""
    with FICHIER_LIGNES.open("rb") as f:
        doc = tomllib.load(f)
    lignes = {}
    for cle in LIGNES_COMPTE:
        if cle not in doc:
            continue
        d = LigneSimple(cle=cle, **doc.pop(cle))
        if d.role not in ROLES or (d.indexation is not None and d.indexation not in INDEXATIONS) or (
                d.pendant and d.apres) or (d.assiette_ligne and (d.assiette not in lignes_avant(cle) or d.indexation)):
            raise ValueError(f"{FICHIER_LIGNES.name} : ligne « {cle} » mal déclarée")
        lignes[cle] = d
    if doc:
        raise ValueError(f"{FICHIER_LIGNES.name} : lignes absentes de la famille « compte » du catalogue : "
                         f"{', '.join(doc)}")
    return lignes


def montants_par_logement() -> tuple[str, ...]:
    """Les montants des lignes simples lus tels quels d'une clé « exploitation.<nom> » du scénario, en euros par
    logement et par an (frais de gestion, entretien courant...) : lus, préparés et saisis de la même façon."""
    return tuple(d.montant for d in lignes_simples().values() if d.scenario == f"exploitation.{d.montant}")


def lignes_avant(cle: str) -> tuple[str, ...]:
    """Les lignes du compte qui précèdent ``cle`` dans le tableau (celles qu'elle peut lire)."""
    return LIGNES_COMPTE[:LIGNES_COMPTE.index(cle)]
