"""Ligne de commande : contrat JSON, texte, erreurs en français avec statut 2."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from plai_bilan.cli import main

AA = "scenarios/aa-villeurbanne-3-plai-adaptes.toml"


def lancer(*args):
    return CliRunner().invoke(main, list(args))


def test_subvention_json_contrat(chemin_scenario):
    r = lancer("subvention", str(chemin_scenario), "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    for cle in ("subvention_minimale", "faisable", "critere", "annee_critique", "prix_de_revient", "pret_equilibre",
                "motif", "plai_bilan_version", "parametres_date"):
        assert cle in d
    assert len(d["scenario"]["sha256"]) == 64
    if d["faisable"]:
        assert d["pret_equilibre"] == pytest.approx(d["pret_equilibre_initial"] - d["subvention_minimale"], abs=0.02)


def test_simuler_json_contrat(chemin_scenario):
    r = lancer("simuler", str(chemin_scenario), "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    h = d["horizon"]
    assert [a["annee"] for a in d["annees"]] == list(range(1, h + 1))
    for a in d["annees"]:
        for cle in ("annee_civile", "loyers", "charges", "annuites", "autofinancement", "tresorerie"):
            assert cle in a
    for p in d["prets"]:
        for cle in ("echeances", "interets", "amortissements", "capital_restant_du"):
            assert len(p[cle]) == h
        assert "nom" in p and "capital_initial" in p


def test_json_identique_d_un_lancement_a_l_autre():
    assert lancer("subvention", AA, "--format", "json").stdout == lancer("subvention", AA, "--format", "json").stdout


def test_texte_lisible():
    r = lancer("subvention", AA)
    assert r.exit_code == 0
    assert "Subvention d'équilibre (tout l'écart de financement) :" in r.stdout and "Contrôles" in r.stdout
    assert "Ce que paie la subvention PLAI adapté" in r.stdout
    r = lancer("simuler", AA)
    assert "Compte d'exploitation" in r.stdout and "Emprunts" in r.stdout


def test_sortie_dans_un_fichier(tmp_path):
    cible = tmp_path / "r.json"
    r = lancer("subvention", AA, "--format", "json", "-o", str(cible))
    assert r.exit_code == 0
    assert json.loads(cible.read_text(encoding="utf-8"))["faisable"] is True


@pytest.mark.parametrize(("remplacer", "par", "cle"), [
    ('zone_apl = "2"', 'zone_apl = "4"', "operation.zone_apl"),
    ("nombre = 2\n", "nombre = 0\n", "logements[0].nombre"),
    ("surface_habitable = 46.0", "surface_habitable = -46.0", "logements[0].surface_habitable"),
    ("marge_pct = -0.20\nduree = 50", "marge_pct = -0.20\nduree = 0", "prets[0].duree"),
    ("duree = 40\nmontant = \"solde\"", "duree = 40\ndifferee = 2\nmontant = \"solde\"", "prets[1].differee"),
    ("date_agrement = 2026-03-01", "date_agrement = 2016-03-01", "operation.date_agrement"),
    ('critere = "tresorerie_cumulee"', 'critere = "cumul"', "analyse.critere"),
])
def test_mauvaise_valeur_message_francais_statut_2(tmp_path, remplacer, par, cle):
    texte = open(AA, encoding="utf-8").read()
    assert remplacer in texte
    f = tmp_path / "mauvais.toml"
    f.write_text(texte.replace(remplacer, par, 1), encoding="utf-8")
    r = lancer("subvention", str(f))
    assert r.exit_code == 2
    assert r.stdout == ""
    assert str(f) in r.stderr and f"« {cle} »" in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_fichier_introuvable():
    r = lancer("subvention", "nulle-part.toml")
    assert r.exit_code == 2 and "nulle-part.toml : fichier introuvable" in r.stderr


def test_processus_reel_sans_trace(tmp_path):
    f = tmp_path / "vide.toml"
    f.write_text("", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "plai_bilan.cli", "subvention", str(f)], capture_output=True,
                       text=True)
    assert p.returncode == 2
    assert p.stderr.strip() == f"Erreur : {f} : le fichier est vide"


@pytest.mark.parametrize("commande", ["simuler", "subvention", "sensibilite", "risque"])
def test_le_texte_tient_dans_un_terminal_de_100_colonnes(chemin_scenario, commande):
    extra = ["-n", "50"] if commande == "risque" else []
    r = lancer(commande, str(chemin_scenario), *extra)
    assert r.exit_code == 0, r.output
    trop_longues = [l for l in r.stdout.splitlines() if len(l) > 100]
    assert not trop_longues, trop_longues[:3]


def test_comparer_tient_dans_un_terminal_de_100_colonnes():
    from conftest import SCENARIOS

    r = lancer("comparer", *map(str, SCENARIOS))
    assert r.exit_code == 0
    assert max(len(l) for l in r.stdout.splitlines()) <= 100


@pytest.mark.parametrize("args", [
    ("subvention", "{s}", "-o", "{s}"),
    ("simuler", "{s}", "-o", "{lien}"),
    ("subvention", "{s}", "--xlsx", "{x}", "-o", "{x}"),
    ("sensibilite", "{s}", "--png", "{s}"),
    ("exporter", "{s}", "-o", "{s}"),
    ("instruire", "{d}", "--avis", "{p}", "-o", "{p}"),
])
def test_une_sortie_ne_remplace_ni_une_entree_ni_une_autre_sortie(tmp_path, args):
    """Vérifié avant tout calcul : statut 2, une ligne, les fichiers intacts et rien d'écrit."""
    s = tmp_path / "s.toml"
    texte = open(AA, encoding="utf-8").read()
    s.write_text(texte, encoding="utf-8")
    d = tmp_path / "d.toml"
    d.write_text(texte.replace('montant = "a_calculer"', "montant = 1000"), encoding="utf-8")
    (tmp_path / "lien.json").symlink_to(s)
    chemins = {"s": s, "d": d, "lien": tmp_path / "lien.json", "x": tmp_path / "x.xlsx", "p": tmp_path / "a.pdf"}
    avant = sorted(p.name for p in tmp_path.iterdir())
    r = lancer(*[a.format(**chemins) for a in args])
    assert r.exit_code == 2, r.output
    assert r.stderr.count("\n") == 1 and "choisissez un autre nom" in r.stderr
    assert s.read_text(encoding="utf-8") == texte
    assert sorted(p.name for p in tmp_path.iterdir()) == avant


def test_aide_en_francais_pour_chaque_commande():
    """Défauts, bornes et titres de l'aide en français ; aucun reste de l'anglais de click."""
    from plai_bilan.cli import main as groupe

    anglais = ("default:", "<=x", "x<=", "Options:", "Usage:", "Show this message", "required]", "Commands:")
    for nom in [None, *groupe.commands]:
        r = CliRunner().invoke(groupe, ([nom] if nom else []) + ["--help"])
        assert r.exit_code == 0, nom
        restes = [m for m in anglais if m in r.output]
        assert not restes, (nom, restes)
        assert "Options :" in r.output
    aide = CliRunner().invoke(groupe, ["instruire", "--help"]).output
    assert "[défaut : 1 ; de 0 à" in aide and "1\u00a0000\u00a0000]" in aide


def test_exemples_listes_et_copies_sans_rien_remplacer(tmp_path):
    from plai_bilan.calcul import subvention_minimale
    from plai_bilan.scenario import charger_scenario

    r = CliRunner().invoke(main, ["exemples"])
    assert r.exit_code == 0 and "rs-rennes-30-logements" in r.output and "pf-angers-25-places" in r.output
    r = CliRunner().invoke(main, ["exemples", "--copier", str(tmp_path / "ops")])
    assert r.exit_code == 0
    copies = sorted((tmp_path / "ops").glob("*.toml"))
    assert len(copies) == len(list(Path(__file__).parent.parent.joinpath("scenarios").glob("*.toml")))
    assert subvention_minimale(charger_scenario(copies[0])).faisable
    (tmp_path / "ops" / copies[0].name).write_text("# modifié\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["exemples", "--copier", str(tmp_path / "ops"), copies[0].stem])
    assert r.exit_code == 0 and "non remplacé" in r.stderr
    assert (tmp_path / "ops" / copies[0].name).read_text(encoding="utf-8") == "# modifié\n"
    r = CliRunner().invoke(main, ["exemples", "inexistant"])
    assert r.exit_code == 2 and "exemple inconnu : inexistant" in r.stderr
