"""Hypothèses de projection (pas des valeurs réglementaires) : trajectoires de résistance du livret A et modèle
aléatoire. Données dans des fichiers TOML voisins ; voir docs/parametres.md."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

DOSSIER = Path(__file__).parent


@lru_cache(maxsize=2)
def hypotheses_livret_a(chemin: str | None = None) -> dict:
    """Le fichier des trajectoires de résistance et du modèle aléatoire du livret A."""
    with open(chemin or DOSSIER / "livret_a_risque.toml", "rb") as f:
        return tomllib.load(f)
