"""Fuzz du chargeur : un document quelconque est accepté ou refusé par ScenarioInvalide, rien d'autre ; un
scénario accepté se simule et se résout sans exception ni NaN."""

from __future__ import annotations

import copy
import os
import math
import tomllib
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plai_bilan.calcul import simuler, subvention_minimale
from plai_bilan.erreurs import ScenarioInvalide
from plai_bilan.scenario import lire_document
from conftest import SCENARIOS

DOCUMENTS = [tomllib.loads(p.read_text(encoding="utf-8")) for p in SCENARIOS]

feuilles = st.one_of(
    st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-200, max_value=200),
    st.text(max_size=12),
    st.sampled_from(["solde", "a_calculer", "reference", "constante", "livret_a", "fixe", "foyer", "ordinaire",
                     "1bis", "2", "van", "annuel", "double", "simple", "amortissement_constant"]),
    st.booleans(),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
)
valeurs = st.recursive(feuilles, lambda enfants: st.one_of(
    st.lists(enfants, max_size=3), st.dictionaries(st.text(max_size=8), enfants, max_size=3)), max_leaves=6)


def chemins(doc, prefixe=()):
    """Tous les chemins (clés et indices) d'un document TOML, tables et listes comprises."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield prefixe + (k,)
            yield from chemins(v, prefixe + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield prefixe + (i,)
            yield from chemins(v, prefixe + (i,))


@st.composite
def mutations(draw):
    doc = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        tous = list(chemins(doc))
        chemin = draw(st.sampled_from(tous))
        parent = doc
        for k in chemin[:-1]:
            parent = parent[k]
        cle = chemin[-1]
        action = draw(st.sampled_from(["remplacer", "supprimer", "ajouter"]))
        if action == "supprimer":
            del parent[cle]
        elif action == "ajouter" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(valeurs)
        else:
            parent[cle] = draw(valeurs)
    return doc


@st.composite
def perturbations(draw):
    """Des nombres des exemples remplacés par d'autres du même type : le document reste souvent valide."""
    doc = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    numeriques = [c for c in chemins(doc) if _valeur(doc, c).__class__ in (int, float)]
    for chemin in draw(st.lists(st.sampled_from(numeriques), min_size=1, max_size=4, unique=True)):
        parent = doc
        for k in chemin[:-1]:
            parent = parent[k]
        if isinstance(parent[chemin[-1]], int):
            parent[chemin[-1]] = draw(st.integers(min_value=-3, max_value=120))
        else:
            parent[chemin[-1]] = draw(st.one_of(st.floats(min_value=-50, max_value=150),
                                                st.floats(min_value=-1e13, max_value=1e13), st.just(0.0)))
    return doc


def _valeur(doc, chemin):
    for k in chemin:
        doc = doc[k]
    return doc


def verifier(doc) -> None:
    try:
        sc = lire_document(doc, "fuzz.toml")
        sim = simuler(sc)
    except ScenarioInvalide as exc:
        assert str(exc).startswith("fuzz.toml : ")
        return
    for nom, v in sim.compte.colonnes().items():
        assert np.isfinite(v).all(), nom
    assert all(np.isfinite(p.echeances).all() for p in sim.compte.prets)
    if any(p.est_solde for p in sc.prets):
        r = subvention_minimale(sc)
        if r.faisable:
            assert math.isfinite(r.subvention_minimale) and r.subvention_minimale >= 0
        else:
            assert r.motif
        assert np.isfinite(r.compte.tresorerie).all()


@pytest.mark.integration
@settings(max_examples=int(os.environ.get("FUZZ_EXEMPLES", 300)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_mutations_des_exemples(doc):
    verifier(doc)


@pytest.mark.integration
@settings(max_examples=int(os.environ.get("FUZZ_EXEMPLES", 300)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(perturbations())
def test_perturbations_numeriques_des_exemples(doc):
    verifier(doc)


@pytest.mark.integration
@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["operation", "logements", "prix_de_revient", "subventions", "prets",
                                        "exploitation", "livret_a", "analyse", "autre"]), valeurs, max_size=9))
def test_documents_quelconques(doc):
    verifier(doc)
