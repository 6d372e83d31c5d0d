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
    assert dessus.marge < 0 and dessus.verdict == "reportable"
    assert dessus.marge == pytest.approx(-(1 - A), abs=1e-6)


@pytest.mark.parametrize("rabais, verdict", [(8_000.0, "reportable"), (20_000.0, "a_rembourser")])
def test_report_et_remboursement(rabais, verdict):
    """Une décote foncière (compensation) rend la subvention d'équilibre surcompensée : reportable jusqu'à 10 % de
    la compensation annuelle moyenne (CP / 2), à rembourser au-delà."""
    sc = charger_scenario(CAS)
    sc = dataclasses.replace(sc, sieg=dataclasses.replace(sc.sieg, rabais_foncier=rabais))
    c = controler_sieg(subvention_minimale(sc))
    cp = compensation(S_ETOILE) + rabais
    assert c.compensation == pytest.approx(cp, abs=1e-6)
    assert c.surcompensation == pytest.approx(rabais - marge(S_ETOILE), abs=1e-6)
    assert c.seuil_report == pytest.approx(0.10 * cp / 2, abs=1e-6)
    assert c.verdict == verdict


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
