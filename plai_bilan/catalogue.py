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
