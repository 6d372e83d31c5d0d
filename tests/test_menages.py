"""La vue des ménages : l'APL d'openfisca-france recoupée par la formule publiée, calculée ici à la main.

Aide mensuelle d'un locataire (CCH D.823-16 et arrêté du 27/09/2019) pour des ressources prises en compte
nulles (ménage au RSA) : L' = min(loyer + accessoire, loyer plafond L) ; C : forfait de charges ; participation
personnelle P0 = max(8,5 % x (L' + C) ; 40,01 € au 01/10/2026) ; aide brute = L' + C - P0 - 5 € (minoration
forfaitaire) ; en logement d'un organisme HLM, moins 98 % de la réduction de loyer de solidarité (CCH L.442-2-1 ;
fraction de baisse de l'aide : paramètre fraction_baisse_aide_logement d'openfisca-france) ; nette de CRDS (0,5 %), arrondie à l'euro inférieur. L, C et la RLS viennent des barèmes datés
du projet, eux-mêmes recoupés avec openfisca-france (tests/test_openfisca.py).
"""

from __future__ import annotations

import json
import math
import os
import pickle
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from plai_bilan.calcul import subvention_minimale
from plai_bilan.cli import main
from plai_bilan.parametres import charger_parametres
from plai_bilan.scenario import charger_scenario

RACINE = Path(__file__).resolve().parent.parent
AA = RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"
MONTREUIL = RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml"
P0_TAUX, P0_FORFAIT, MINORATION, BAISSE_RLS, CRDS = 0.085, 40.01, 5.0, 0.98, 0.005


def apl_a_la_main(ligne, zone: str, jour: date, hlm: bool) -> float:
    p = charger_parametres()
    plafond = p.plafond_apl(zone, ligne.couple, ligne.personnes_a_charge, jour)[0]
    c = p.forfait_charges(ligne.personnes_a_charge, jour)[0]
    l_retenu = min(ligne.loyer + ligne.loyer_accessoire, plafond)
    p0 = max(P0_TAUX * (l_retenu + c), P0_FORFAIT)
    brute = l_retenu + c - p0 - MINORATION
    if hlm:
        brute -= BAISSE_RLS * p.reduction_loyer_solidarite(zone, ligne.couple, ligne.personnes_a_charge, jour)[0]
    return math.floor(max(0.0, brute) * (1 - CRDS))


@pytest.mark.integration
@pytest.mark.parametrize("chemin, hlm", [(AA, False), (MONTREUIL, True)], ids=["association", "hlm_rls"])
def test_apl_egale_a_la_formule_publiee_a_un_euro_pres(chemin, hlm):
    pytest.importorskip("openfisca_france")
    from plai_bilan.menages import vue_menages

    b = subvention_minimale(charger_scenario(chemin))
    vue = vue_menages(b)
    assert vue.disponible and len(vue.lignes) == len(b.loyers_par_logement)
    jour = date(b.scenario.operation.mise_en_service, 1, 1)
    for ligne, l in zip(b.loyers_par_logement, vue.lignes):
        assert abs(l.apl - apl_a_la_main(ligne, b.scenario.operation.zone_apl, jour, hlm)) <= 1.0, ligne.typologie
        assert l.quittance == pytest.approx(ligne.loyer + ligne.loyer_accessoire - l.reduction_loyer_solidarite
                                            + ligne.charges_locatives, abs=1e-6)
        assert l.reste_a_charge == pytest.approx(l.quittance - l.apl, abs=1e-6)
        if hlm:
            # openfisca-france lit la RLS publiée en vigueur à la période (sans projeter les révisions attendues).
            publiee = charger_parametres().reduction_loyer_solidarite(b.scenario.operation.zone_apl, ligne.couple,
                                                   ligne.personnes_a_charge, jour)[0]
            assert l.reduction_loyer_solidarite == pytest.approx(publiee, abs=0.01)


def test_plus_de_ressources_moins_d_aide_et_un_taux_d_effort():
    pytest.importorskip("openfisca_france")
    from plai_bilan.menages import vue_menages

    vue = vue_menages(subvention_minimale(charger_scenario(AA)), (0.0, 12_000.0, 20_000.0))
    par_ligne = {}
    for l in vue.lignes:
        par_ligne.setdefault(l.typologie, []).append(l)
    for lignes in par_ligne.values():
        apl = [l.apl for l in lignes]
        assert apl == sorted(apl, reverse=True) and apl[0] > apl[-1]
        assert lignes[0].taux_effort is None
        assert lignes[1].taux_effort == pytest.approx(lignes[1].reste_a_charge / 1000.0)


def test_cent_lignes_en_une_simulation(monkeypatch):
    """Une opération de 100 lignes : une seule simulation openfisca (un seul appel au constructeur)."""
    pytest.importorskip("openfisca_france")
    import dataclasses

    from openfisca_core.simulation_builder import SimulationBuilder

    from plai_bilan.menages import vue_menages

    sc = charger_scenario(MONTREUIL)
    logements = tuple(dataclasses.replace(sc.logements[i % 4], typologie=f"L{i}", nombre=1) for i in range(100))
    pr = dataclasses.replace(sc.prix_de_revient, travaux=30_000_000.0)  # à l'échelle de 100 logements
    b = subvention_minimale(dataclasses.replace(sc, logements=logements, prix_de_revient=pr))
    appels = []
    original = SimulationBuilder.build_from_entities

    def espion(self, *args, **kwargs):
        appels.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SimulationBuilder, "build_from_entities", espion)
    vue = vue_menages(b, (0.0, 9000.0))
    assert len(appels) == 1 and len(vue.lignes) == 200


def test_sans_openfisca_la_vue_le_dit_et_rien_d_autre_ne_change(monkeypatch):
    import plai_bilan.menages as m

    avec = json.loads(CliRunner().invoke(main, ["subvention", str(AA), "--format", "json"]).stdout)
    monkeypatch.setattr(m, "disponible", lambda: False)
    r = CliRunner().invoke(main, ["subvention", str(AA), "--format", "json", "--menages"])
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["menages"]["disponible"] is False
    assert 'pip install -e ".[menages]"' in d["menages"]["message"]
    assert "vue des ménages indisponible" in r.stderr
    d["menages"] = None
    assert d == avec
    texte = CliRunner().invoke(main, ["subvention", str(AA), "--menages"]).stdout
    assert "Vue des ménages indisponible : openfisca-france n'est pas installé" in texte


def test_seuil_de_reste_a_charge_et_feuille_menages(tmp_path):
    pytest.importorskip("openfisca_france")
    import openpyxl

    classeur = tmp_path / "etude.xlsx"
    r = CliRunner().invoke(main, ["subvention", str(MONTREUIL), "--format", "json", "--menages",
                                  "--ressources", "0,9000", "--seuil-reste-a-charge", "60", "--xlsx", str(classeur)])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)["menages"]
    assert len(d["lignes"]) == 8 and len(d["controles"]) == 8
    for l, c in zip(d["lignes"], d["controles"]):
        assert c["statut"] == ("conforme" if l["reste_a_charge"] <= 60.005 else "non conforme")
    ws = openpyxl.load_workbook(classeur)["Ménages"]
    assert ws["A1"].value.startswith("Ménages") and "openfisca-france" in ws["A2"].value
    assert ws._charts


@pytest.mark.parametrize("valeur, message", [("abc", "des montants annuels en euros"), ("-5", "de 1 à 20 montants")])
def test_ressources_invalides(valeur, message):
    r = CliRunner().invoke(main, ["subvention", str(AA), "--menages", "--ressources", valeur])
    assert r.exit_code == 2 and message in r.stderr


def test_revenu_total_forfait_de_charges_et_ressources_declarees():
    """Un ménage au RSA (0 € pour l'aide) qui déclare son revenu total a un taux d'effort et un reste pour vivre ;
    une ligne sans charges saisies dit que ses charges sont le forfait APL ; sans --ressources, la vue prend les
    ressources déclarées de chaque ligne et le dit."""
    pytest.importorskip("openfisca_france")
    import dataclasses

    from plai_bilan.menages import vue_menages

    sc = charger_scenario(AA)
    menage = dataclasses.replace(sc.logements[0].menage, ressources=0.0, revenu_total=7_800.0)
    logements = (dataclasses.replace(sc.logements[0], menage=menage),) + sc.logements[1:]
    vue = vue_menages(subvention_minimale(dataclasses.replace(sc, logements=logements)))
    assert vue.ressources_origine.startswith("déclarées")
    l = vue.lignes[0]
    assert l.revenu_total == 7_800.0 and l.ressources == 0.0
    assert l.taux_effort == pytest.approx(l.reste_a_charge / 650.0)
    assert l.reste_pour_vivre == pytest.approx(650.0 - l.reste_a_charge)
    assert l.charges_origine == "forfait APL, pas une estimation des charges"


def test_logement_sur_occupe_non_conforme(tmp_path):
    """Un T2 de 46 m2 pour un couple avec quatre enfants (6 personnes : 52 m2 au moins) : non conforme."""
    texte = AA.read_text(encoding="utf-8").replace("menage = { couple = false, personnes_a_charge = 1 }",
                                                   "menage = { couple = true, personnes_a_charge = 4 }", 1)
    f = tmp_path / "surpeuple.toml"
    f.write_text(texte, encoding="utf-8")
    b = subvention_minimale(charger_scenario(f))
    occupation = [c for c in b.controles if c.code == "occupation" and c.statut == "non conforme"]
    assert occupation and "52,00 m2" in occupation[0].detail
    from plai_bilan.controles import surface_minimale

    assert [surface_minimale(n) for n in (1, 2, 3, 8, 9)] == [9.0, 16.0, 25.0, 70.0, 70.0]


@pytest.mark.integration
def test_saisies_qui_abregent_le_calcul_ne_changent_aucune_aide(monkeypatch):
    """La vue saisit l'autonomie financière et les bases de ressources des prestations familiales pour éviter
    qu'openfisca ne recalcule des salaires : les mêmes ménages calculés sans ces saisies ont les mêmes aides."""
    pytest.importorskip("openfisca_france")
    from openfisca_core.simulations.simulation import Simulation

    from plai_bilan.menages import vue_menages

    b = subvention_minimale(charger_scenario(MONTREUIL))
    niveaux = (0.0, 9000.0, 16000.0, 26000.0)
    abregee = vue_menages(b, niveaux)
    saisir = Simulation.set_input
    abreges = {"autonomie_financiere", "prestations_familiales_base_ressources",
               "prestations_familiales_base_ressources_individu"}
    monkeypatch.setattr(Simulation, "set_input",
                        lambda self, v, p, x: None if v in abreges else saisir(self, v, p, x))
    complete = vue_menages(b, niveaux)
    assert [l.apl for l in abregee.lignes] == [l.apl for l in complete.lignes]
    assert [l.reduction_loyer_solidarite for l in abregee.lignes] == [
        l.reduction_loyer_solidarite for l in complete.lignes]
    assert any(l.apl > 0 for l in complete.lignes) and any(l.apl == 0 for l in complete.lignes)


def _vue_json(cache: Path, *options: str) -> tuple[dict, subprocess.CompletedProcess]:
    env = dict(os.environ, PLAI_BILAN_CACHE=str(cache))
    r = subprocess.run([sys.executable, "-m", "plai_bilan.cli", "subvention", str(MONTREUIL), "--menages",
                        "--format", "json", *options], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["menages"], r


@pytest.mark.integration
def test_cache_des_parametres_openfisca_entre_deux_executions(tmp_path):
    pytest.importorskip("openfisca_france")
    cache = tmp_path / "cache"
    premiere, _ = _vue_json(cache)
    fichiers = list(cache.glob("parametres-openfisca-*.pickle"))
    assert len(fichiers) == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700 and stat.S_IMODE(fichiers[0].stat().st_mode) == 0o600
    seconde, _ = _vue_json(cache)
    assert seconde == premiere
    # Un cache abîmé est reconstruit ; un cache que d'autres peuvent écrire n'est jamais relu (pickle).
    fichiers[0].write_bytes(b"abime")
    assert _vue_json(cache)[0] == premiere
    temoin = tmp_path / "execute"

    class Piege:
        def __reduce__(self):
            return (os.system, (f"touch {temoin}",))

    fichiers[0].write_bytes(pickle.dumps(Piege()))
    fichiers[0].chmod(0o666)
    assert _vue_json(cache)[0] == premiere and not temoin.exists()
    # Sans cache, ou un dossier de cache impossible à écrire : même vue, aucun fichier.
    assert _vue_json(Path("non"))[0] == premiere
    bloque = tmp_path / "fichier"
    bloque.write_text("pas un dossier")
    assert _vue_json(bloque / "cache")[0] == premiere


@pytest.mark.tableur
def test_feuille_menages_recalculee_dans_libreoffice_egale_la_vue(tmp_path):
    """Résidence sociale (prestations, revenu total) : la feuille Ménages recalculée par LibreOffice redonne la
    quittance, le reste à charge, le taux d'effort et le reste pour vivre de la sortie JSON."""
    pytest.importorskip("openfisca_france")
    from tableur import convertir, soffice, valeurs

    soffice()
    chemin = RACINE / "scenarios" / "rs-rennes-30-logements.toml"
    classeur = tmp_path / "etude.xlsx"
    r = CliRunner().invoke(main, ["subvention", str(chemin), "--format", "json", "--menages", "--xlsx", str(classeur)])
    assert r.exit_code == 0, r.output
    lignes = json.loads(r.stdout)["menages"]["lignes"]
    ws = valeurs(convertir(classeur, tmp_path / "recalcul", tmp_path / "profil"))["Ménages"]
    entetes = [c.value for c in ws[4]]
    col = {nom: entetes.index(nom) for nom in ("Prestations", "Quittance", "Reste à charge", "Taux d'effort",
                                               "Reste pour vivre", "Origine des charges")}
    for i, l in enumerate(lignes):
        rang = [c.value for c in ws[5 + i]]
        assert rang[col["Prestations"]] == pytest.approx(l["prestations"], abs=0.005)
        assert rang[col["Quittance"]] == pytest.approx(l["quittance"], abs=0.005)
        assert rang[col["Reste à charge"]] == pytest.approx(l["reste_a_charge"], abs=0.005)
        assert rang[col["Taux d'effort"]] == pytest.approx(l["taux_effort"], abs=5e-5)
        assert rang[col["Reste pour vivre"]] == pytest.approx(l["reste_pour_vivre"], abs=0.005)
        assert rang[col["Origine des charges"]] == l["charges_origine"]


@pytest.mark.integration
def test_variables_lues_comme_openfisca_france():
    """Le système de la vue lit ses variables sans arbre syntaxique : mêmes variables, mêmes entités, mêmes
    formules datées et mêmes valeurs par défaut que le système d'openfisca-france construit par lui-même."""
    pytest.importorskip("openfisca_france")
    from openfisca_france import FranceTaxBenefitSystem

    from plai_bilan.menages import _systeme

    ici, reference = _systeme().variables, FranceTaxBenefitSystem().variables

    def signature(v):
        defaut = v.default_value  # une énumération : chaque système a la sienne, comparée par nom
        return (v.entity.key, v.definition_period, v.value_type.__name__, getattr(defaut, "name", defaut),
                tuple(sorted(str(d) for d in v.formulas)),
                getattr(getattr(v, "possible_values", None), "__name__", None))

    assert set(ici) == set(reference) and len(ici) > 3000
    assert {k: signature(v) for k, v in ici.items()} == {k: signature(v) for k, v in reference.items()}
