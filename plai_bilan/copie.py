"""Copie d'un enregistrement figé (dataclass) où quelques champs changent, sans repasser par son constructeur."""

from __future__ import annotations

from dataclasses import fields
from functools import cached_property, lru_cache
from typing import Any, TypeVar

T = TypeVar("T")


@lru_cache(maxsize=None)
def _champs(classe: type) -> tuple[frozenset[str], bool]:
    """Les champs de la classe, et si elle garde des valeurs en cache (qu'une copie ne doit pas reprendre)."""
    caches = any(isinstance(v, cached_property) for c in classe.__mro__ for v in vars(c).values())
    return frozenset(f.name for f in fields(classe)), caches


def remplacer(objet: T, **changes: Any) -> T:
    """``dataclasses.replace`` pour les chemins chauds d'un programme : les champs sont recopiés tels quels (ni
    ``__init__`` ni ``__post_init__``), les valeurs mises en cache (``cached_property``) ne le sont pas."""
    champs, caches = _champs(type(objet))
    if not champs.issuperset(changes):
        raise TypeError(f"{type(objet).__name__} : champs inconnus {sorted(set(changes) - champs)}")
    neuf = object.__new__(type(objet))
    d = neuf.__dict__
    d.update({k: v for k, v in objet.__dict__.items() if k in champs} if caches else objet.__dict__)
    d.update(changes)
    return neuf
