"""Les résultats d'un programme en colonnes (plai_bilan.releve) : une ligne relue rend exactement ce qui a été rangé,
ligne à ligne ou par blocs, comme une liste de dictionnaires."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from plai_bilan.releve import Releve

CLES = ["a", "b", "c", "d"]
VALEURS = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-2 ** 60, 2 ** 60),
                    st.booleans(), st.text(max_size=5), st.just(""))


def pareil(x, y) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return type(x) is type(y) and x == y


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.dictionaries(st.sampled_from(CLES), VALEURS)), max_size=30))
def test_relu_comme_range(lignes):
    r = Releve(capacite=4)  # agrandi en route
    for l in lignes:
        r.ajouter(l)
    assert len(r) == len(lignes)
    for l, vue in zip(lignes, r):
        if not l:
            assert not vue and dict(vue) == {}
            continue
        for cle in r.cles:
            assert pareil(vue.get(cle), l.get(cle)), (cle, vue.get(cle), l.get(cle))
    for cle in r.cles:
        colonne = r.colonne(cle)
        for l, v in zip(lignes, colonne):
            assert pareil(v, (l or {}).get(cle))
        morceau = r.colonne(cle, 3, 7)  # une tranche : l'écriture du tableau par blocs
        assert len(morceau) == len(colonne[3:7]) and all(pareil(x, y) for x, y in zip(morceau, colonne[3:7]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(-1e12, 1e12)), st.one_of(st.none(), st.integers(0, 3000)),
                          st.booleans(), st.one_of(st.none(), st.text(max_size=4))), min_size=1, max_size=40),
       st.lists(st.dictionaries(st.sampled_from(["x", "n", "ok", "t"]), VALEURS), max_size=5))
def test_blocs_comme_lignes(rangs, avant):
    """Un bloc posé en colonnes (le chemin en colonnes de lot) : les mêmes valeurs que les mêmes lignes posées une à
    une, même après des lignes d'autres sortes dans les mêmes colonnes."""
    dicts = [{"x": x, "n": n, "ok": ok, "t": t} for x, n, ok, t in rangs]
    un, bloc = Releve(), Releve()
    for l in avant:
        un.ajouter(l)
        bloc.ajouter(l)
    for l in dicts:
        un.ajouter(l)
        bloc.ajouter()
    indices = np.arange(len(avant), len(avant) + len(dicts))
    bloc.poser_bloc(indices, {"x": np.array([np.nan if x is None else x for x, _, _, _ in rangs])},
                    {"n": np.array([np.nan if n is None else n for _, n, _, _ in rangs], dtype=float)},
                    {"ok": np.array([ok for _, _, ok, _ in rangs])}, {"t": [t for *_, t in rangs]})
    for i in range(len(un)):
        for cle in set(un.cles) | set(bloc.cles):
            assert pareil(un[i].get(cle), bloc[i].get(cle)), (i, cle, un[i].get(cle), bloc[i].get(cle))
