"""Agréments de 2027 et rejeux d'agréments anciens : chaque règle contre la valeur recalculée à la main depuis son
texte (issue « Files signed from January 2027 »)."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest
from conftest import RACINE

from plai_bilan import scenario_depuis_dict, simuler, subvention_minimale
from plai_bilan.parametres import charger_parametres

P = charger_parametres()


def _villeurbanne(**operation) -> dict:
    with (RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml").open("rb") as f:
        doc = tomllib.load(f)
    doc["operation"].update(operation)
    return doc


def test_lmzone_2027_la_valeur_2026_revalorisee_par_l_irl_t2_2026():
    # CCH L.353-9-2 : révision au 1er janvier par l'IRL du T2 de l'année précédente ; IRL T2 2026 : +1,15 %.
    # Zone 2 : 5,77 x 1,0115 = 5,836 -> 5,84 (arrondi au centime, comme l'avis).
    b = simuler(scenario_depuis_dict(_villeurbanne(date_agrement=date(2027, 1, 4), mise_en_service=2027), "v"))
    assert b.lmzone == pytest.approx(5.84)
    assert any("LMzone PLAI 2027 non publié" in a and "= 5,84 €/m2 SU" in a for a in b.avertissements)


def test_lmzone_2028_suit_l_hypothese_du_scenario_faute_d_irl_t2_2027():
    doc = _villeurbanne(date_agrement=date(2028, 3, 1), mise_en_service=2028)
    doc["exploitation"]["indexation"]["loyers_pct"] = 2.0
    b = simuler(scenario_depuis_dict(doc, "v"))
    assert b.lmzone == pytest.approx(round(round(5.77 * 1.0115, 2) * 1.02, 2))


def test_un_agrement_plus_tardif_n_a_pas_un_plafond_plus_bas():
    # Agréé le 31/12/2026 : LMzone 2026 revalorisé au 01/01/2027 par l'IRL T2 2026 ; le 04/01/2027 : LMzone 2027,
    # la même révision arrondie au centime par l'avis. Le plafond du second n'est pas plus bas.
    avant = simuler(scenario_depuis_dict(_villeurbanne(date_agrement=date(2026, 12, 31), mise_en_service=2027), "a"))
    apres = simuler(scenario_depuis_dict(_villeurbanne(date_agrement=date(2027, 1, 4), mise_en_service=2027), "b"))
    assert apres.plafond_plai_m2_brut / avant.plafond_plai_m2_brut == pytest.approx(5.84 / (5.77 * 1.0115))
    assert apres.plafond_plai_m2 >= avant.plafond_plai_m2
    assert subvention_minimale(scenario_depuis_dict(_villeurbanne(date_agrement=date(2027, 1, 4),
                                                                  mise_en_service=2027), "b")).subvention_minimale \
        <= subvention_minimale(scenario_depuis_dict(_villeurbanne(date_agrement=date(2026, 12, 31),
                                                                  mise_en_service=2027), "a")).subvention_minimale


def test_gel_des_loyers_au_1er_janvier_2018():
    # Loi 2017-1837, art. 126 : pas de révision au 01/01/2018 (l'IRL T2 2017 était de +0,75 %).
    from plai_bilan.preparation import revalorisation_loyers

    r = revalorisation_loyers(P, 2017, 2019, 0.01, {})
    assert [t for _, t, _ in r.etapes] == pytest.approx([0.0, 0.0125])  # 2018 gelé ; 2019 : IRL T2 2018
    assert r.facteur == pytest.approx(1.0125)


def test_duree_de_tfpb_saisie_au_dela_de_la_duree_legale_signalee():
    doc = _villeurbanne(date_agrement=date(2027, 2, 1), mise_en_service=2028)
    doc["exploitation"]["tfpb"]["exoneration"] = 25
    b = simuler(scenario_depuis_dict(doc, "v"))
    assert any("25 ans saisis" in a and "15 ans" in a and "1384 C" in a for a in b.avertissements)
    # La fin des 25 ans dite en une phrase, avec sa lecture du texte.
    assert sum(a.startswith("Exonération de TFPB : pour une décision à partir du 01/01/2027") for a in
               b.avertissements) == 1
    doc["operation"]["date_agrement"] = date(2026, 12, 15)
    b = simuler(scenario_depuis_dict(doc, "v"))
    assert not any("TFPB" in a for a in b.avertissements)


def test_plafonds_de_ressources_2023_ceux_de_l_arrete_du_27_12_2022():
    # Arrêté du 27/12/2022, autres régions (tableau publié) : PLAI 12 032 / 17 531 / 21 082 / 23 457 / 27 445 ;
    # PLUS 21 878 / 29 217 / 35 135 ; PLS = PLUS x 1,30 : 28 441.
    jour = date(2023, 3, 1)
    menages = [(False, 0), (True, 0), (True, 1), (True, 2), (True, 3)]
    assert [P.plafond_ressources_plai("2", c, k, jour)[0] for c, k in menages] == [12032, 17531, 21082, 23457, 27445]
    assert [P.plafond_ressources("plus", "2", c, k, jour)[0] for c, k in menages[:3]] == [21878, 29217, 35135]
    assert P.plafond_ressources("pls", "2", False, 0, jour)[0] == round(21878 * 1.3)
    # 2025, catégorie 1 : 12 759 (autres régions), 14 683 (Île-de-France).
    assert P.plafond_ressources_plai("2", False, 0, date(2025, 6, 1))[0] == 12759
    assert P.plafond_ressources_plai("1", False, 0, date(2025, 6, 1))[0] == 14683
    assert not P["plafonds_ressources_plai"].perime(date(2026, 6, 1))


def test_tva_datee_avant_2018():
    assert P.taux_tva("construction-neuve", date(2010, 5, 1))[0] == 5.5
    assert P.taux_tva("construction-neuve", date(2013, 5, 1))[0] == 7.0   # loi 2011-1978 : 7 % en 2012-2013
    assert P.taux_tva("construction-neuve", date(2014, 5, 1))[0] == 5.5   # loi 2013-1278, art. 29


def test_rejeu_d_un_agrement_de_2010():
    doc = _villeurbanne(date_agrement=date(2010, 6, 1), mise_en_service=2011, loyer_plafond_m2=5.0)
    doc["livret_a"] = {"trajectoire": "constante"}
    b = subvention_minimale(scenario_depuis_dict(doc, "v2010"))
    # Un bilan : la subvention d'équilibre, ou le diagnostic chiffré d'une opération qu'aucune subvention n'équilibre.
    assert (b.faisable and b.subvention_minimale > 0) or (not b.faisable and b.diagnostic.manque > 0)
    # Loyers plafonds APL au 01/01/2011 (décret 2010-1765) : zone 2, 1 PAC 338,52 ; taux du livret A au 01/08/2010.
    assert b.loyers_par_logement[0].plafond_apl == pytest.approx(338.52)


def test_rejeu_d_une_operation_de_2017_soumise_a_la_rls():
    with (RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml").open("rb") as f:
        doc = tomllib.load(f)
    doc["operation"].update(date_agrement=date(2017, 3, 1), mise_en_service=2017, loyer_plafond_m2=5.97)
    doc["livret_a"] = {"trajectoire": [0.75]}
    b = subvention_minimale(scenario_depuis_dict(doc, "m2017"))
    assert (b.faisable and b.subvention_minimale > 0) or (not b.faisable and b.diagnostic.manque > 0)
    # Année 1 = 2017 : avant la RLS (01/01/2018, loi 2017-1837, art. 126), aucune réduction.
    assert all(lg.reduction_loyer_solidarite == 0 for lg in b.loyers_par_logement)
    doc["operation"]["mise_en_service"] = 2019
    b = simuler(scenario_depuis_dict(doc, "m2017"))
    # Mise en service 2019 : RLS du 01/01/2019 (zone 1, isolé 32,33).
    assert b.loyers_par_logement[0].reduction_loyer_solidarite == pytest.approx(32.33)


def test_ressources_au_dessus_du_plafond_rls_sans_rls_meme_declaree():
    with (RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml").open("rb") as f:
        doc = tomllib.load(f)
    lg = doc["logements"][0]
    lg["rls"] = True
    lg.setdefault("menage", {})["ressources"] = 970 * 12 * 3  # trois fois le plafond mensuel 2026 d'un isolé
    b = simuler(scenario_depuis_dict(doc, "m"))
    assert b.loyers_par_logement[0].reduction_loyer_solidarite == 0
    assert any("logements[0].rls" in a and "L.442-2-1" in a for a in b.avertissements)


def test_c_et_j_quand_g_depasse_s_etoile():
    # 30 000 € par PLAI adapté de la Région : l'opération PLAI adapté demande moins que la même en PLAI ordinaire
    # (qui n'a pas cette subvention) ; C = S* - G < 0 et J = max(0, min(S*, C)) = 0, la somme des causes vaut C.
    doc = _villeurbanne()
    region = doc["subventions"][2]
    del region["montant"]
    region["montant_par_plai_adapte"] = 30000
    b = subvention_minimale(scenario_depuis_dict(doc, "v"))
    assert b.subvention_plai_ordinaire > b.subvention_minimale > 0
    assert b.cout_contreparties == pytest.approx(b.subvention_minimale - b.subvention_plai_ordinaire)
    assert b.subvention_justifiable == 0.0
    assert sum(b.contreparties.values()) == pytest.approx(b.cout_contreparties)
