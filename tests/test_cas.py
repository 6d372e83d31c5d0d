"""Cas calculés à la main : tests/cas/*.toml, chacun avec son scénario, les valeurs attendues et l'arithmétique
en commentaire. Une valeur attendue est un chemin d'attributs du bilan (``compte.tresorerie.2``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from plai_bilan import scenario_depuis_dict, simuler, subvention_minimale

CAS = sorted((Path(__file__).parent / "cas").glob("*.toml"))


def _valeur(objet, chemin: str):
    for partie in chemin.split("."):
        objet = objet[int(partie)] if partie.isdigit() else objet[partie] if isinstance(objet, dict) else getattr(
            objet, partie)
    return objet


@pytest.mark.parametrize("fichier", CAS, ids=lambda p: p.stem)
def test_cas_calcule_a_la_main(fichier):
    with fichier.open("rb") as f:
        doc = tomllib.load(f)
    attendu = dict(doc["attendu"])
    commande = attendu.pop("commande")
    sc = scenario_depuis_dict(doc["scenario"], fichier.name)
    b = subvention_minimale(sc) if commande == "subvention" else simuler(sc)
    for chemin, valeur in attendu.items():
        obtenu = _valeur(b, chemin)
        if isinstance(valeur, float):
            # Les montants sont donnés au centime, les loyers au m2 et les coefficients au millionième.
            tolerance = 0.005 if abs(valeur) >= 100 or valeur == 0.0 else 5e-5
            assert float(obtenu) == pytest.approx(valeur, abs=tolerance), chemin
        else:
            assert obtenu == valeur, chemin


def test_il_y_a_des_cas():
    assert len(CAS) >= 4
