"""Contrôle de surcompensation (SIEG) : un petit cas calculé à la main, ligne par ligne, et les bornes exactes.

Cas tests/cas_sieg/deux-ans.toml : un logement à 500 €/mois (6 000 €/an, sans vacance ni indexation), travaux
105 500 € TTC (100 000 € HT à 5,5 %), frais de gestion 1 000 €/an, TFPB 500 €/an exonérée la première année,
fonds propres 5 500 €, une subvention de 20 000 € et la subvention à calculer S, un prêt d'équilibre à 1 % sur deux
annuités constantes ; SIEG sur deux ans, swap 2 % (actualisation), marché 4 %, bâti amorti sur deux ans.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from plai_bilan.calcul import bilan_etude, subvention_minimale
from plai_bilan.scenario import charger_scenario
from plai_bilan.sieg import controler_sieg

CAS = Path(__file__).resolve().parent / "cas_sieg" / "deux-ans.toml"

v1, v2 = 1 / 1.02, 1 / 1.02 ** 2
ANNUITE = 0.01 / (1 - 1.01 ** -2)  # échéance d'un euro emprunté à 1 % sur 2 ans
A = 1 - ANNUITE * (1 / 1.04 + 1 / 1.04 ** 2)  # avantage de taux d'un euro contre le marché à 4 %
K0 = 105_500 - 20_000 - 5_500  # prêt d'équilibre sans la subvention à calculer
# Critère annuel, année 2 (TFPB payée) : 6 000 - 1 000 - 500 = 4 500 >= (K0 - S) x annuité.
S_ETOILE = K0 - 4_500 / ANNUITE
INVESTISSEMENT = 100_000 * 1.20  # au taux normal : l'avantage de TVA est une compensation
CHARGES = 1_500 * (v1 + v2)  # gestion 1 000 + TFPB 500 (l'exonération de l'année 1 est une compensation)
RECETTES = 6_000 * (v1 + v2)
COUT_NET = INVESTISSEMENT + CHARGES - 0.0 - RECETTES  # bâti amorti sur deux ans : valeur résiduelle nulle
BENEFICE = (0.02 + 0.01) * 5_500 * (v1 + v2)  # swap + 100 points de base sur les fonds propres


def compensation(s: float) -> float:
    return 20_000 + s + (K0 - s) * A + 100_000 * (0.20 - 0.055) + 500 * v1


def marge(s: float) -> float:
    return COUT_NET + BENEFICE - compensation(s)


S_MAX = (COUT_NET + BENEFICE - 20_000 - K0 * A - 14_500 - 500 * v1) / (1 - A)  # marge(S_MAX) = 0


def test_postes_calcules_a_la_main():
    b = subvention_minimale(charger_scenario(CAS))
    assert b.subvention_minimale == pytest.approx(S_ETOILE, abs=1e-6)
    c = controler_sieg(b)
    attendu = {"investissement": INVESTISSEMENT, "charges": CHARGES, "valeur_residuelle": 0.0, "recettes": RECETTES,
               "subventions": 20_000 + S_ETOILE, "avantage_prets": (K0 - S_ETOILE) * A, "avantage_tva": 14_500,
               "exoneration_tfpb": 500 * v1, "financement_accompagnement": 0.0, "rabais_foncier": 0.0,
               "garanties": 0.0, "benefice_raisonnable": BENEFICE}
    assert {p.cle: p.valeur for p in c.postes} == pytest.approx(attendu, abs=1e-6)
    assert c.cout_net == pytest.approx(COUT_NET, abs=1e-6)
    assert c.marge == pytest.approx(marge(S_ETOILE), abs=1e-6)
    assert c.verdict == "conforme"
    assert c.corridor.minimum == pytest.approx(S_ETOILE, abs=1e-6)
    assert c.corridor.maximum == pytest.approx(S_MAX, abs=1e-6)
    assert c.corridor.contrainte_maximum == "surcompensation" and c.corridor.ouvert
    assert c.corridor.contrainte_minimum == "equilibre_annee_2"


def _plan_avec_subvention(montant: float):
    """Le même plan où la subvention à calculer est fixée : un autre chemin (simulation du plan donné)."""
    sc = charger_scenario(CAS)
    subventions = sc.subventions[:1] + (dataclasses.replace(sc.subventions[1], montant=montant),)
    return bilan_etude(dataclasses.replace(sc, subventions=subventions))


def test_au_maximum_la_marge_est_nulle_a_l_euro_et_negative_un_euro_au_dessus():
    b = subvention_minimale(charger_scenario(CAS))
    maximum = controler_sieg(b).corridor.maximum
    au_max = controler_sieg(_plan_avec_subvention(maximum))
    assert abs(au_max.marge) < 1.0 and au_max.verdict == "conforme"
    dessus = controler_sieg(_plan_avec_subvention(maximum + 1.0))
    assert dessus.marge < 0 and dessus.verdict == "surcompensation"
    assert dessus.marge == pytest.approx(-(1 - A), abs=1e-6)


@pytest.mark.parametrize("rabais", [8_000.0, 20_000.0])
def test_surcompensation_sans_report(rabais):
    """Une décote foncière (compensation) rend la subvention d'équilibre surcompensée : le contrôle prospectif dit
    la surcompensation, sans report (l'art. 6, 2 vise les contrôles périodiques)."""
    sc = charger_scenario(CAS)
    sc = dataclasses.replace(sc, sieg=dataclasses.replace(sc.sieg, rabais_foncier=rabais))
    c = controler_sieg(subvention_minimale(sc))
    cp = compensation(S_ETOILE) + rabais
    assert c.compensation == pytest.approx(cp, abs=1e-6)
    assert c.surcompensation == pytest.approx(rabais - marge(S_ETOILE), abs=1e-6)
    assert c.verdict == "surcompensation"


def test_un_seul_taux_calcule_a_la_main():
    """Sans taux de marché saisi, l'avantage des prêts est actualisé au taux du contrôle (2 %), comme les autres
    flux : a = 1 - annuité x (1,02^-1 + 1,02^-2)."""
    sc = charger_scenario(CAS)
    sc = dataclasses.replace(sc, sieg=dataclasses.replace(sc.sieg, taux_marche_pct=None))
    b = subvention_minimale(sc)
    c = controler_sieg(b)
    a = 1 - ANNUITE * (v1 + v2)
    assert c.hypotheses.taux_unique and c.hypotheses.taux_marche == pytest.approx(0.02)
    assert c.poste("avantage_prets") == pytest.approx((K0 - S_ETOILE) * a, abs=1e-6)
    assert c.corridor.avantage_unitaire == pytest.approx(a, abs=1e-9)
    attendu = COUT_NET + BENEFICE - (20_000 + S_ETOILE + (K0 - S_ETOILE) * a + 14_500 + 500 * v1)
    assert c.marge == pytest.approx(attendu, abs=1e-6)


VILLEURBANNE = Path(__file__).resolve().parent.parent / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"


def test_identite_a_l_equilibre_en_valeur_actuelle():
    """Villeurbanne au critère VAN au taux du swap, un seul taux, valeur résiduelle comptable : à l'équilibre, la
    marge vaut fonds propres + bénéfice raisonnable - valeur résiduelle (et les autres termes, nuls ici)."""
    sc = charger_scenario(VILLEURBANNE)
    sc = dataclasses.replace(sc, analyse=dataclasses.replace(sc.analyse, critere="van", taux_actualisation_pct=2.6),
                             sieg=dataclasses.replace(sc.sieg, taux_swap_pct=2.6, valeur_residuelle="comptable"))
    b = subvention_minimale(sc)
    c = b.sieg
    assert c.corridor.minimum_van == pytest.approx(b.subvention_minimale, abs=1e-4)
    i = c.corridor.identite
    assert i["applicable"]
    fp, br, vr = sc.fonds_propres.montant, c.benefice_raisonnable, c.poste("valeur_residuelle")
    assert vr > 0 and fp > 0
    assert c.marge == pytest.approx(fp + br - vr + i["rabais_foncier"] + i["garanties"]
                                    + i["remuneration_fonds_propres"] + i["prefinancement"], abs=0.01)
    assert i["marge_equilibre_va"] == pytest.approx(c.marge, abs=0.01)


def test_valeur_residuelle_hors_taxes_sans_tva_sur_le_foncier():
    """Valeur résiduelle comptable : le foncier HT entier (une AA : hors TVA) et le bâti HT non amorti, sans TVA."""
    sc = charger_scenario(VILLEURBANNE)
    sc = dataclasses.replace(sc, sieg=dataclasses.replace(sc.sieg, valeur_residuelle="comptable"))
    b = subvention_minimale(sc)
    h = b.sieg.hypotheses
    foncier = sum(p.ht for p in b.postes_prix_de_revient if p.groupe == "charge_fonciere")
    bati = b.prix_de_revient_ht - foncier
    attendu = (foncier + bati * max(0.0, 1 - h.duree / h.duree_amortissement)) * (1 + h.taux_actualisation) ** -h.duree
    assert b.sieg.poste("valeur_residuelle") == pytest.approx(attendu, abs=1e-6)


def test_usufruit_sans_valeur_residuelle_et_cout_net_positif(tmp_path):
    """Un usufruit social de 17 ans : aucune valeur résiduelle (même « comptable »), la période et l'horizon bornés
    par la fin du droit, un avertissement pour chaque prêt plus long, un coût net positif."""
    texte = VILLEURBANNE.read_text(encoding="utf-8").replace(
        "[operation]\n", "[operation]\ndroit = \"usufruit\"\nfin_droit = 2043-12-31\n", 1)
    f = tmp_path / "usufruit.toml"
    f.write_text(texte + "\n[sieg]\nvaleur_residuelle = \"comptable\"\n", encoding="utf-8")
    sc = charger_scenario(f)
    b = bilan_etude(sc)
    assert b.horizon == 2043 - sc.operation.mise_en_service + 1
    c = b.sieg
    assert c.hypotheses.duree == b.horizon and c.hypotheses.valeur_residuelle == "nulle"
    assert c.poste("valeur_residuelle") == 0.0
    assert c.cout_net > 0
    assert any("dure plus que le droit temporaire" in a for a in b.avertissements)


@pytest.mark.parametrize("s", [0.0, 10_000.0, S_ETOILE, 79_000.0])
def test_la_marge_est_affine_en_la_subvention(s):
    b = subvention_minimale(charger_scenario(CAS))
    assert controler_sieg(b, s).marge == pytest.approx(marge(s), abs=1e-6)


def test_operation_mixte_par_produit():
    """Montreuil (PLAI et PLAI adapté) : les deux analyses par produit se somment à l'opération (coût net,
    compensation, bénéfice, marge), et la subvention FNAP à calculer va au PLAI adapté."""
    racine = Path(__file__).resolve().parent.parent / "scenarios"
    b = subvention_minimale(charger_scenario(racine / "cn-montreuil-12-plai-dont-4-adaptes.toml"))
    c = controler_sieg(b)
    adapte, plai = c.produits
    assert (adapte.produit, plai.produit) == ("plai_adapte", "plai")
    assert adapte.part_surface + plai.part_surface == pytest.approx(1.0)
    for champ in ("cout_net", "compensation", "benefice_raisonnable", "marge"):
        assert getattr(adapte, champ) + getattr(plai, champ) == pytest.approx(getattr(c, champ), rel=1e-9)
    assert c.corridor.minimum <= c.corridor.maximum


def test_instruire_signale_une_demande_au_dessus_du_maximum(tmp_path):
    """Montreuil : corridor [S*, maximum] ; une demande au-dessus du maximum est signalée (JSON et texte)."""
    import json

    from click.testing import CliRunner

    from plai_bilan.cli import main

    racine = Path(__file__).resolve().parent.parent / "scenarios"
    source = racine / "cn-montreuil-12-plai-dont-4-adaptes.toml"
    maximum = subvention_minimale(charger_scenario(source)).sieg.corridor.maximum
    for demande, au_dessus in ((round(maximum) - 100, False), (round(maximum) + 100, True)):
        f = tmp_path / f"demande-{demande}.toml"
        f.write_text(source.read_text(encoding="utf-8").replace('montant = "a_calculer"', f"montant = {demande}"),
                     encoding="utf-8")
        r = CliRunner().invoke(main, ["instruire", str(f), "--format", "json"])
        d = json.loads(r.stdout)
        assert d["au_dessus_du_maximum"] is au_dessus
        assert d["subvention_maximale"] == pytest.approx(maximum, abs=0.01)
        texte = CliRunner().invoke(main, ["instruire", str(f)]).stdout
        assert ("DEMANDE AU-DESSUS" in texte) is au_dessus
