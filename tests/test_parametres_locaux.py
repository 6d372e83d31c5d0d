"""Paramètres locaux : un dossier qui complète les barèmes nationaux (ici la pratique FNAP de l'Île-de-France en
2023 : plus de 15 000 € par PLAI adapté, quel que soit leur nombre), par l'option --parametres ou le scénario."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import RACINE
from plai_bilan.cli import main

MONTREUIL = RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml"
IDF = RACINE / "parametres-locaux" / "ile-de-france-2023"


def lancer(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_la_table_fnap_regionale_remplace_la_nationale():
    national = json.loads(lancer("subvention", MONTREUIL, "--format", "json").stdout)
    # Table nationale de 2018 : Île-de-France et PACA, 4 à 8 PLAI adaptés, 13 980 € par logement.
    assert national["reference_fnap_par_logement"] == 13980.0
    r = lancer("subvention", MONTREUIL, "--format", "json", "--parametres", IDF)
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["reference_fnap_par_logement"] == 15000.0 and d["reference_fnap"] == 4 * 15000.0
    assert "paramètres locaux" in d["parametres_origine"]
    # La subvention d'équilibre ne dépend pas de la valeur de référence (la subvention FNAP est l'inconnue).
    assert d["subvention_minimale"] == national["subvention_minimale"]


def test_le_scenario_designe_son_dossier_local(tmp_path):
    texte = MONTREUIL.read_text(encoding="utf-8").replace(
        "[operation]\n", f'[operation]\nparametres_locaux = "{IDF.as_posix()}"\n', 1)
    f = tmp_path / "montreuil-idf.toml"
    f.write_text(texte, encoding="utf-8")
    d = json.loads(lancer("subvention", f, "--format", "json").stdout)
    assert d["reference_fnap_par_logement"] == 15000.0


def test_un_dossier_local_invalide_donne_une_ligne_qui_nomme_le_fichier_et_la_cle(tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    (local / "fnap_plai_adapte.toml").write_text(
        '[[valeurs]]\ndate = 2024-01-01\nstatut = "V2"\nreference = "essai"\n"idf-paca" = { foyer = 1 }\n',
        encoding="utf-8")
    r = lancer("subvention", MONTREUIL, "--parametres", local)
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert f"{local / 'fnap_plai_adapte.toml'} : clé « valeurs » du 2024-01-01 : il manque" in r.stderr
    (local / "fnap_plai_adapte.toml").write_text('[[valeurs]]\ndate = "hier"\n', encoding="utf-8")
    r = lancer("subvention", MONTREUIL, "--parametres", local)
    assert r.exit_code == 2 and "clé « valeurs[0].date » : une date AAAA-MM-JJ est attendue" in r.stderr
    r = lancer("subvention", MONTREUIL, "--parametres", tmp_path / "absent")
    assert r.exit_code == 2 and "dossier de paramètres locaux introuvable" in r.stderr


def test_bareme_local_de_la_subvention_plai_et_des_marges(tmp_path):
    """Le dossier d'exemple : PLAI de droit commun 10 000 € par logement en acquisition-amélioration hors IdF et
    PACA, marge locale de 5 % en zone 2. Villeurbanne (3 logements) : 30 000 € au lieu des 27 000 € saisis ; marge
    5 % comme celle que le scénario donne : le plafond PLAI ne change pas quand la marge du scénario est retirée."""
    exemple = RACINE / "parametres-locaux" / "exemple-departement"
    aa = (RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml").read_text(encoding="utf-8")
    texte = aa.replace('montant_par_logement = 9000', 'montant = "bareme"', 1).replace(
        "marge_locale_pct = 5.0 ", "# sans marge ")
    f = tmp_path / "local.toml"
    f.write_text(texte, encoding="utf-8")
    base = json.loads(lancer("simuler", RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml",
                             "--format", "json").stdout)
    d = json.loads(lancer("simuler", f, "--format", "json", "--parametres", exemple).stdout)
    assert d["financement"][0]["montant"] == 3 * 10000.0
    assert d["plafond_plai_m2"] == base["plafond_plai_m2"]
    # Le classeur d'étude porte le montant du barème par logement, et une aide par PLAI adapté.
    g = tmp_path / "par-plai-adapte.toml"
    g.write_text(texte.replace('montant = 15000', 'montant_par_plai_adapte = 5000', 1), encoding="utf-8")
    r = lancer("exporter", g, "-o", tmp_path / "etude.xlsx", "--parametres", exemple)
    assert r.exit_code == 0, r.output
    # Sans dossier local : pas de barème de la subvention PLAI, une ligne d'erreur qui le dit.
    r = lancer("simuler", f)
    assert r.exit_code == 2 and "aucun barème de subvention PLAI de droit commun" in r.stderr


def test_plafond_local_du_loyer_accessoire():
    """Montreuil : parking à 15 € par mois ; le barème d'exemple plafonne le loyer accessoire à 12 €."""
    exemple = RACINE / "parametres-locaux" / "exemple-departement"
    d = json.loads(lancer("subvention", MONTREUIL, "--format", "json", "--parametres", exemple).stdout)
    accessoires = [c for c in d["controles"] if c["code"] == "accessoire"]
    assert len(accessoires) == 4 and all(c["statut"] == "non conforme" for c in accessoires)
    assert "15,00 € > 12,00 €" in accessoires[0]["detail"]
    national = json.loads(lancer("subvention", MONTREUIL, "--format", "json").stdout)
    assert not [c for c in national["controles"] if c["code"] == "accessoire"]
