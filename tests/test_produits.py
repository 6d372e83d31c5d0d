"""Opérations mixtes (PLAI, PLUS, PLS) : plafonds par produit avec le CS de toute l'opération, comptes par produit
dont la somme est l'opération, boucle de référence sur des opérations mixtes tirées au hasard."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from conftest import RACINE
from plai_bilan.calcul import simuler, subvention_minimale
from plai_bilan.erreurs import ScenarioInvalide
from plai_bilan.scenario import charger_scenario, lire_document
from reference import compte as compte_reference
from reference import comptes_par_produit

LYON = RACINE / "scenarios" / "cn-lyon-30-plus-plai-dont-3-adaptes.toml"
MONTREUIL = RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml"


def _somme_egale_a_l_operation(b) -> None:
    for cle, ligne in b.compte.lignes.items():
        if cle in ("annee", "annee_civile"):
            continue
        total = sum(p.lignes[cle] for p in b.produits)
        np.testing.assert_allclose(total, ligne, rtol=1e-9, atol=1e-6, err_msg=cle)
    solde = b.prets_caracteristiques[b.indice_solde] if b.indice_solde is not None else None
    if solde is not None and solde.produit is None:  # le prêt d'équilibre comble le plan de chaque produit
        for p in b.produits:
            assert p.prix_de_revient == pytest.approx(p.subventions + p.fonds_propres + p.prets, abs=1e-6)


def test_exemple_mixte_equilibre_global_et_comptes_par_produit():
    b = subvention_minimale(charger_scenario(LYON))
    assert b.faisable and [p.produit for p in b.produits] == ["PLAI", "PLUS"]
    assert [p.n_logements for p in b.produits] == [12, 18]
    _somme_egale_a_l_operation(b)
    ref = comptes_par_produit(b.scenario, b)
    for p in b.produits:
        np.testing.assert_allclose(p.autofinancement, ref[p.produit][0], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(p.tresorerie, ref[p.produit][1], rtol=1e-9, atol=1e-6)
    # Deux lectures : globale (le verdict) et part PLAI seule, chacune avec C = S* - G et J = min(S*, C).
    lp = b.lecture_part_plai
    assert lp["cout_contreparties"] == pytest.approx(lp["subvention_minimale"] - lp["subvention_plai_ordinaire"])
    assert lp["subvention_justifiable"] == pytest.approx(max(0.0, min(lp["subvention_minimale"],
                                                                      lp["cout_contreparties"])))


def test_plafond_du_produit_avec_le_cs_de_toute_l_operation():
    """Chaque ligne a le plafond de son produit : LMzone du produit x le même CS (toute l'opération)."""
    b = simuler(charger_scenario(LYON))
    cs = b.coefficient_structure
    su = sum(l.nombre * l.surface_utile for l in b.loyers_par_logement)
    assert cs == pytest.approx(0.77 * (1 + 20 * 30 / su))
    r = b.revalorisation.facteur
    for l in b.loyers_par_logement:
        m2 = b.plafonds_m2[l.produit]
        assert l.plafond_loyer == pytest.approx(m2 * l.surface_utile)
    assert b.plafonds_m2["PLUS"] <= b.lmzones["PLUS"] * cs * r + 1e-9  # sans marge locale ici, annexes au plus
    assert b.plafonds_m2["PLUS"] > b.plafonds_m2["PLAI"]


def test_lignes_non_plai_exigent_un_produit_plai_pour_un_plai_adapte(tmp_path):
    texte = LYON.read_text(encoding="utf-8").replace('typologie = "T1 bis PLAI adapté"\n',
                                                     'typologie = "T1 bis PLAI adapté"\nproduit = "PLUS"\n')
    f = tmp_path / "x.toml"
    f.write_text(texte, encoding="utf-8")
    with pytest.raises(ScenarioInvalide, match="PLAI adapté est financé en PLAI"):
        charger_scenario(f)
    f.write_text(LYON.read_text(encoding="utf-8").replace('produit = "PLUS"\nnombre = 8', 'produit = "PLS"\nnombre = 8')
                 .replace('zone_abc = "A"\n', ""), encoding="utf-8")
    with pytest.raises(ScenarioInvalide, match="zone_abc"):
        charger_scenario(f)


def test_lignes_plus_et_pls_gardees_en_plai_ordinaire():
    """G ne convertit que les PLAI adaptés : une ligne PLUS garde son loyer dans la variante PLAI ordinaire."""
    b = simuler(charger_scenario(LYON))
    for l in b.loyers_par_logement:
        if l.produit != "PLAI":
            assert l.loyer_plai_ordinaire == l.loyer


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_operations_mixtes_aleatoires_egales_a_la_boucle_de_reference(data):
    """Produits tirés sur chaque ligne (un PLAI adapté reste PLAI), produit des prêts et des subventions, loyers
    saisis et charges tirés : le compte de l'opération et celui de chaque produit égalent la boucle de référence,
    et les produits somment à l'opération."""
    import tomllib

    doc = tomllib.loads(data.draw(st.sampled_from([LYON, MONTREUIL])).read_text(encoding="utf-8"))
    doc["operation"]["zone_abc"] = data.draw(st.sampled_from(["Abis", "A", "B1", "B2", "C"]))
    for lg in doc["logements"]:
        lg["produit"] = "PLAI" if lg["plai_adapte"] else data.draw(st.sampled_from(["PLAI", "PLUS", "PLS"]))
        if data.draw(st.booleans()):
            lg["loyer_mensuel"] = data.draw(st.floats(150, 700))
    produits = {lg["produit"] for lg in doc["logements"]}
    for pr in doc["prets"]:
        pr["produit"] = data.draw(st.sampled_from(sorted(produits) + [None]))
        if pr["produit"] is None:
            del pr["produit"]
    for s in doc["subventions"]:
        if s.get("nature") in ("collectivite", "action_logement", "autre"):
            choix = data.draw(st.sampled_from(sorted(produits) + [None]))
            if choix:
                s["produit"] = choix
    ex = doc["exploitation"]
    ex["frais_gestion"] = data.draw(st.floats(0, 1500))
    ex["provision_gros_travaux"] = data.draw(st.floats(0, 400))
    ex["indexation"]["charges_pct"] = data.draw(st.floats(0, 3))
    try:
        sc = lire_document(doc, "aleatoire.toml")
        b = subvention_minimale(sc)
    except ScenarioInvalide:
        event("plan refusé")
        return  # plan sur-financé par un tirage : refusé avec son message
    event("mixte" if len(produits) > 1 else "un produit")
    af, treso = compte_reference(sc, b)
    np.testing.assert_allclose(b.compte_zero.autofinancement, af, rtol=1e-9, atol=1e-6)
    if len(produits) > 1:
        _somme_egale_a_l_operation(b)
        ref = comptes_par_produit(sc, b)
        for p in b.produits:
            np.testing.assert_allclose(p.autofinancement, ref[p.produit][0], rtol=1e-9, atol=1e-5)
            np.testing.assert_allclose(p.tresorerie, ref[p.produit][1], rtol=1e-9, atol=1e-5)
    else:
        assert b.produits == ()
