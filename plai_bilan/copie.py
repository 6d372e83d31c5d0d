"""Copie d'un enregistrement figé (dataclass) où quelques champs changent, sans repasser par son constructeur."""

from __future__ import annotations

from dataclasses import fields
from functools import lru_cache
from typing import Any, TypeVar

T = TypeVar("T")


@lru_cache(maxsize=None)
def _champs(classe: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(classe))


def remplacer(objet: T, **changes: Any) -> T:
    """``dataclasses.replace`` pour les chemins chauds d'un programme : les champs sont recopiés tels quels (ni
    ``__init__`` ni ``__post_init__``), les valeurs mises en cache (``cached_property``) ne le sont pas."""
    champs = _champs(type(objet))
    inconnus = set(changes) - champs
    if inconnus:
        raise TypeError(f"{type(objet).__name__} : champs inconnus {sorted(inconnus)}")
    neuf = object.__new__(type(objet))
    d = neuf.__dict__
    d.update({k: v for k, v in objet.__dict__.items() if k in champs})
    d.update(changes)
    return neuf
