"""Des lignes de résultats rangées en colonnes : un programme de millions d'opérations sans un dictionnaire, ni un
objet par nombre, pour chaque ligne.

Chaque colonne prend sa sorte à sa première valeur : nombre (tableau float64, NaN pour « sans valeur »), entier,
booléen (gardés en float64, rendus dans leur type), ou texte et autres objets (tableau d'objets). Une valeur d'une
autre sorte que sa colonne (un texte dans une colonne de nombres, un NaN véritable) est gardée à part, telle
quelle : une ligne relue rend exactement ce qui a été rangé.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

_NOMBRE, _ENTIER, _BOOLEEN, _OBJET = "f", "i", "b", "o"
_ENTIER_EXACT = 2 ** 53
_EN_PYTHON = {_NOMBRE: float, _ENTIER: int, _BOOLEEN: bool}  # la valeur d'une colonne gardée en float64


def _vide(sorte: str):
    """« Sans valeur » dans une colonne : None pour les objets, NaN pour les autres."""
    return None if sorte == _OBJET else np.nan


def _neuve(sorte: str, n: int) -> np.ndarray:
    """Une colonne de ``n`` lignes sans valeur."""
    return np.full(n, _vide(sorte), dtype=object if sorte == _OBJET else float)


def _sorte(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return _BOOLEEN
    if isinstance(v, int | np.integer):
        return _ENTIER if abs(int(v)) < _ENTIER_EXACT else _OBJET
    if isinstance(v, float) and v == v:
        return _NOMBRE
    return _OBJET


class Vues(Sequence):
    """Une suite de lignes faites à la demande : ``suite[i]`` (indice négatif, tranche) est la vue :meth:`_vue`."""

    def _vue(self, i: int):
        raise NotImplementedError

    def __getitem__(self, i):
        n = len(self)
        if isinstance(i, slice):
            return [self._vue(k) for k in range(*i.indices(n))]
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        return self._vue(i)

    def __iter__(self):
        for i in range(len(self)):
            yield self._vue(i)


class Releve(Vues):
    """Des lignes (clé -> valeur) en colonnes ; ``releve[i]`` : la ligne ``i``, une vue en lecture seule (Mapping) ;
    une ligne sans valeurs (:meth:`ajouter` sans argument) est vide et fausse, comme ``{}``."""

    def __init__(self, capacite: int = 1024) -> None:
        self.cles: list[str] = []
        self.index: dict[str, int] = {}
        self._colonnes: list[np.ndarray | None] = []
        self._sortes: list[str | None] = []
        self._autres: dict[tuple[int, int], Any] = {}
        self._capacite = max(16, capacite)
        self._pleine = np.zeros(self._capacite, dtype=bool)
        self.n = 0

    # ------------------------------------------------------------------------------------------- écriture
    def _cle(self, cle: str) -> int:
        j = self.index.get(cle)
        if j is None:
            j = self.index[cle] = len(self.cles)
            self.cles.append(cle)
            self._colonnes.append(None)
            self._sortes.append(None)
        return j

    def _agrandir(self, n: int) -> None:
        if n <= self._capacite:
            return
        capacite = max(n, 2 * self._capacite)
        for j, c in enumerate(self._colonnes):
            if c is not None:
                neuve = _neuve(self._sortes[j], capacite)
                neuve[:len(c)] = c
                self._colonnes[j] = neuve
        pleine = np.zeros(capacite, dtype=bool)
        pleine[:len(self._pleine)] = self._pleine
        self._pleine, self._capacite = pleine, capacite

    def ajouter(self, valeurs: Mapping[str, Any] | None = None) -> int:
        """Une ligne de plus (vide sans ``valeurs``) ; son indice."""
        i = self.n
        self._agrandir(i + 1)
        self.n += 1
        if valeurs:
            self.poser(i, valeurs)
        return i

    def poser(self, i: int, valeurs: Mapping[str, Any]) -> None:
        """Les valeurs de la ligne ``i`` (une ligne n'est posée qu'une fois, ou vidée avant)."""
        self._pleine[i] = True
        for cle, v in valeurs.items():
            self._poser_valeur(i, self._cle(cle), v)

    def _poser_valeur(self, i: int, j: int, v: Any) -> None:
        sorte = self._sortes[j]
        if v is None:
            if sorte is not None:  # sinon la colonne n'existe pas encore : sans valeur partout
                self._colonnes[j][i] = _vide(sorte)
            return
        s = _sorte(v)
        if sorte is None:
            sorte = s
            self._colonne(j, s)
        if sorte == _OBJET or s == sorte:
            self._colonnes[j][i] = v
        else:
            self._autres[(j, i)] = v

    def poser_bloc(self, indices: np.ndarray, nombres: Mapping[str, np.ndarray], entiers: Mapping[str, np.ndarray],
                   booleens: Mapping[str, np.ndarray], objets: Mapping[str, Sequence]) -> None:
        """Les valeurs de lignes ``indices`` en colonnes : nombres, entiers, booléens en tableaux (NaN : sans
        valeur), objets en listes (None : sans valeur) ; comme :meth:`poser` ligne à ligne."""
        self._pleine[indices] = True
        for sorte, colonnes in ((_NOMBRE, nombres), (_ENTIER, entiers), (_BOOLEEN, booleens), (_OBJET, objets)):
            for cle, valeurs in colonnes.items():
                j = self._cle(cle)
                if sorte == _OBJET:
                    if self._sortes[j] == _OBJET or (self._sortes[j] is None and any(v is not None for v in valeurs)
                                                      and all(v is None or _sorte(v) == _OBJET for v in valeurs)):
                        self._colonne(j, _OBJET)[indices] = np.array(valeurs, dtype=object)
                    else:  # une colonne d'une autre sorte, ou sans valeur jusqu'ici : ligne à ligne
                        for i, v in zip(indices.tolist(), valeurs):
                            self._poser_valeur(int(i), j, v)
                    continue
                x = np.asarray(valeurs, dtype=float)
                if self._sortes[j] in (None, sorte):
                    if self._sortes[j] is None and np.isnan(x).all():
                        continue
                    self._colonne(j, sorte)[indices] = x
                else:
                    for i, v in zip(indices.tolist(), x.tolist()):
                        self._poser_valeur(int(i), j, None if v != v else _EN_PYTHON[sorte](v))

    def _colonne(self, j: int, sorte: str) -> np.ndarray:
        if self._sortes[j] is None:
            self._sortes[j] = sorte
            self._colonnes[j] = _neuve(sorte, self._capacite)
        return self._colonnes[j]

    def vider(self, i: int) -> None:
        """La ligne ``i`` sans valeurs."""
        self._pleine[i] = False
        for j, c in enumerate(self._colonnes):
            if c is not None:
                c[i] = _vide(self._sortes[j])
        for cle in [k for k in self._autres if k[1] == i]:
            del self._autres[cle]

    # --------------------------------------------------------------------------------------------- lecture
    def valeur(self, i: int, j: int) -> Any:
        if self._autres:
            v = self._autres.get((j, i), self)
            if v is not self:
                return v
        c = self._colonnes[j]
        if c is None:
            return None
        sorte = self._sortes[j]
        if sorte == _OBJET:
            return c[i]
        x = c.item(i)
        return None if x != x else _EN_PYTHON[sorte](x)

    def colonne(self, cle: str, debut: int = 0, fin: int | None = None) -> list[Any]:
        """Les valeurs d'une colonne, une par ligne (None : sans valeur, ou une ligne vide), des lignes ``debut`` à
        ``fin`` exclue."""
        fin = self.n if fin is None else min(fin, self.n)
        j = self.index.get(cle)
        if j is None or self._colonnes[j] is None:
            return [None] * max(0, fin - debut)
        c, sorte = self._colonnes[j][debut:fin], self._sortes[j]
        sortie = c.tolist()
        if sorte != _OBJET:
            rendre = _EN_PYTHON[sorte]
            sortie = ([None if x != x else x for x in sortie] if rendre is float
                      else [None if x != x else rendre(x) for x in sortie])
        for (jj, i), v in self._autres.items():
            if jj == j and debut <= i < fin:
                sortie[i - debut] = v
        vides = ~self._pleine[debut:fin]
        if vides.any():  # une ligne sans valeurs n'en a dans aucune colonne
            for i in np.nonzero(vides)[0].tolist():
                sortie[i] = None
        return sortie

    def __len__(self) -> int:
        return self.n

    def _vue(self, i: int) -> Rangee:
        return Rangee(self, i)


class Rangee(Mapping):
    """Une ligne d'un :class:`Releve` : ses clés sont celles du relevé (vide si la ligne n'a pas de valeurs)."""

    __slots__ = ("releve", "i")

    def __init__(self, releve: Releve, i: int) -> None:
        self.releve, self.i = releve, i

    def __getitem__(self, cle: str) -> Any:
        r = self.releve
        j = r.index.get(cle)
        if j is None or not r._pleine[self.i]:
            raise KeyError(cle)
        return r.valeur(self.i, j)

    def get(self, cle: str, defaut: Any = None) -> Any:
        r = self.releve
        j = r.index.get(cle)
        if j is None or not r._pleine[self.i]:
            return defaut
        return r.valeur(self.i, j)

    def __iter__(self) -> Iterator[str]:
        return iter(self.releve.cles if self.releve._pleine[self.i] else ())

    def __len__(self) -> int:
        return len(self.releve.cles) if self.releve._pleine[self.i] else 0

    def __repr__(self) -> str:
        return repr(dict(self))
