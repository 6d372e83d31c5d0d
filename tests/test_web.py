"""La page web et l'API contre un vrai serveur (plai-bilan serve sur 127.0.0.1, lancé par le test), et la page
dans un vrai navigateur (Chromium sans écran, piloté par selenium) : mêmes nombres que la ligne de commande."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from plai_bilan.cli import main

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytestmark = pytest.mark.integration

RACINE = Path(__file__).resolve().parent.parent
EXEMPLES = sorted((RACINE / "scenarios").glob("*.toml"))
DEMANDE = RACINE / "scenarios" / "instruction-villeurbanne-demande-justifiee.toml"


def envoyer(url: str, fichier: tuple[str, bytes] | None = None, **champs: str) -> tuple[int, bytes, dict]:
    """Un formulaire multipart (champ « fichier » et champs texte) envoyé par urllib : statut, corps, en-têtes."""
    borne = uuid.uuid4().hex
    corps = b""
    for nom, valeur in champs.items():
        corps += (f"--{borne}\r\nContent-Disposition: form-data; name=\"{nom}\"\r\n\r\n{valeur}\r\n").encode()
    if fichier is not None:
        corps += (f"--{borne}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{fichier[0]}\"\r\n"
                  "Content-Type: application/octet-stream\r\n\r\n").encode() + fichier[1] + b"\r\n"
    corps += f"--{borne}--\r\n".encode()
    requete = urllib.request.Request(url, data=corps, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={borne}"})
    try:
        with urllib.request.urlopen(requete, timeout=120) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def cli_json(*args) -> dict:
    r = CliRunner().invoke(main, [str(a) for a in args] + ["--format", "json"])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def serveur(tmp_path_factory):
    """plai-bilan serve sur un port libre de 127.0.0.1, ses fichiers temporaires dans un dossier à lui."""
    temporaires = tmp_path_factory.mktemp("tmp-serveur")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, TMPDIR=str(temporaires))
    p = subprocess.Popen([sys.executable, "-m", "plai_bilan.cli", "serve", "--port", str(port)], cwd=RACINE, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/", timeout=1).read()
            break
        except OSError:
            time.sleep(0.2)
    else:
        p.kill()
        pytest.fail("le serveur ne répond pas : " + p.stderr.read())
    yield url, temporaires
    p.terminate()
    p.wait(timeout=20)
    assert f"page ouverte sur http://127.0.0.1:{port}/" in p.stderr.read()


@pytest.mark.parametrize("exemple", EXEMPLES, ids=lambda p: p.stem)
def test_api_subvention_egale_la_ligne_de_commande(serveur, exemple):
    url, _ = serveur
    statut, corps, _ = envoyer(url + "/api/subvention", (exemple.name, exemple.read_bytes()))
    assert statut == 200
    d, attendu = json.loads(corps), cli_json("subvention", exemple)
    assert list(d) == list(attendu)
    for cle in ("subvention_minimale", "subvention_plai_ordinaire", "cout_contreparties", "subvention_justifiable",
                "annee_critique", "reference_fnap", "contreparties"):
        assert d[cle] == attendu[cle], cle
    assert d["scenario"]["nom"] == attendu["scenario"]["nom"] and d["scenario"]["fichier"] == exemple.name
    assert d["scenario"]["sha256"] == attendu["scenario"]["sha256"]
    # Tout le reste égal, au détail près : seul le nom du fichier (l'envoi, pas le chemin) diffère.
    for x in (d, attendu):
        x.pop("scenario")
        x["avertissements"] = [a.replace(str(exemple), exemple.name) for a in x["avertissements"]]
    assert d == attendu


def test_api_instruire_simuler_sieg_et_lot(serveur, tmp_path):
    url, _ = serveur
    statut, corps, _ = envoyer(url + "/api/instruire", (DEMANDE.name, DEMANDE.read_bytes()), montant="67988")
    assert statut == 200
    d, attendu = json.loads(corps), cli_json("instruire", DEMANDE)
    assert d["verdict"] == attendu["verdict"] == "justifiee" and d["raison"] == attendu["raison"]
    aa = EXEMPLES[0]
    for commande in ("simuler", "sieg"):
        statut, corps, _ = envoyer(url + f"/api/{commande}", (aa.name, aa.read_bytes()))
        assert statut == 200
        assert list(json.loads(corps)) == list(cli_json(commande, aa)), commande
    table = "modele;prix_de_revient.travaux\naa-villeurbanne-3-plai-adaptes.toml;190000\n" \
            "pf-angers-25-places.toml;2250000\n"
    statut, corps, _ = envoyer(url + "/api/lot", ("programme.csv", table.encode()), budget="200000")
    assert statut == 200
    d = json.loads(corps)
    (tmp_path / "programme.csv").write_text(table, encoding="utf-8")
    for e in EXEMPLES:
        shutil.copy(e, tmp_path / e.name)
    attendu = json.loads(CliRunner().invoke(main, ["lot", str(tmp_path / "programme.csv"), "--format", "json",
                                                   "--budget-fnap", "200000"]).stdout)
    assert d["programme"] == attendu["programme"]


@pytest.mark.parametrize("fichier, champs, statut, message", [
    (("notes.txt", b"bonjour"), {}, 400, "un scénario .toml ou un classeur .xlsx est attendu"),
    (("faux.toml", b"[operation\n"), {}, 400, "syntaxe TOML invalide"),
    (("faux.xlsx", b"PK\x03\x04pas un classeur"), {}, 400, "faux.xlsx"),
    (None, {}, 400, "aucun fichier envoyé"),
    (("gros.toml", b"#" * 5_100_000), {}, 413, "trop gros"),
])
def test_envois_refuses_en_francais(serveur, fichier, champs, statut, message):
    url, _ = serveur
    code, corps, _ = envoyer(url + "/api/subvention", fichier, **champs)
    assert code == statut
    assert message in json.loads(corps)["erreur"]


def test_un_envoi_ne_nomme_aucun_fichier_du_serveur(serveur):
    url, _ = serveur
    texte = EXEMPLES[0].read_text(encoding="utf-8").replace("[operation]\n", "[operation]\nparametres_locaux = \"/etc\"\n", 1)
    code, corps, _ = envoyer(url + "/api/subvention", ("s.toml", texte.encode()))
    assert code == 400 and "operation.parametres_locaux" in json.loads(corps)["erreur"]
    code, corps, _ = envoyer(url + "/api/lot", ("p.csv", b"modele\n../../etc/passwd\n"))
    assert code == 400 and "n'est pas un exemple livré" in json.loads(corps)["erreur"]


def test_requetes_simultanees_sans_etat_partage_et_rien_sur_le_disque(serveur):
    url, temporaires = serveur
    attendus = {e.name: cli_json("subvention", e)["subvention_minimale"] for e in EXEMPLES}
    with ThreadPoolExecutor(max_workers=6) as ex:
        resultats = list(ex.map(lambda e: (e.name, envoyer(url + "/api/subvention", (e.name, e.read_bytes()))),
                                EXEMPLES * 2))
    for nom, (code, corps, _) in resultats:
        assert code == 200 and json.loads(corps)["subvention_minimale"] == attendus[nom]
    # Page, téléchargements : tout est effacé après la réponse.
    code, corps, _ = envoyer(url + "/resultat", exemple=EXEMPLES[0].name)
    assert code == 200
    code, corps, entetes = envoyer(url + "/telecharger/classeur.xlsx", (EXEMPLES[0].name, EXEMPLES[0].read_bytes()))
    assert code == 200 and corps.startswith(b"PK")
    assert list(temporaires.iterdir()) == []


def _navigateur(telechargements: Path):
    pytest.importorskip("selenium")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    pilote = shutil.which("chromedriver")
    if not chromium or not pilote:
        pytest.skip("Chromium et chromium-driver ne sont pas installés (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    o = Options()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1800"):
        o.add_argument(a)
    o.binary_location = chromium
    o.add_experimental_option("prefs", {"download.default_directory": str(telechargements),
                                        "download.prompt_for_download": False})
    d = webdriver.Chrome(service=Service(pilote), options=o)
    d.implicitly_wait(20)  # une page calculée s'affiche en moins d'une seconde ; marge pour une machine chargée
    return d


def _attendre_fichier(dossier: Path, suffixe: str) -> Path:
    for _ in range(100):
        trouves = [f for f in dossier.iterdir() if f.name.endswith(suffixe)]
        if trouves:
            return trouves[0]
        time.sleep(0.2)
    raise AssertionError(f"aucun {suffixe} téléchargé")


def test_page_dans_chromium_egale_la_ligne_de_commande(serveur, tmp_path):
    """Charger la page, envoyer un scénario livré puis un classeur de saisie rempli, lire la subvention affichée,
    télécharger le classeur d'étude : les nombres de la ligne de commande."""
    import openpyxl
    from selenium.webdriver.common.by import By

    url, _ = serveur
    telechargements = tmp_path / "telechargements"
    telechargements.mkdir()
    d = _navigateur(telechargements)
    try:
        lyon = RACINE / "scenarios" / "cn-lyon-30-plus-plai-dont-3-adaptes.toml"
        d.get(url + "/")
        assert "L'équilibre financier d'une opération" in d.page_source
        d.find_element(By.ID, "fichier").send_keys(str(lyon))
        d.find_element(By.ID, "calculer").click()
        attendu = cli_json("subvention", lyon)
        affiche = d.find_element(By.ID, "subvention-minimale")
        assert float(affiche.get_attribute("data-valeur")) == pytest.approx(attendu["subvention_minimale"], abs=0.005)
        assert d.find_element(By.ID, "justifiable").text.replace("\u202f", " ").startswith(
            f"{round(attendu['subvention_justifiable']):,}".replace(",", " "))
        d.save_screenshot(str(tmp_path / "page-lyon.png"))
        d.find_element(By.ID, "telecharger-classeur").click()
        classeur = _attendre_fichier(telechargements, ".xlsx")
        wb = openpyxl.load_workbook(classeur, data_only=True)
        feuille, cellule = next(iter(wb.defined_names["subvention_minimale"].destinations))
        assert wb[feuille][cellule.replace("$", "")].value == pytest.approx(attendu["subvention_minimale"], abs=0.01)

        # Un classeur de saisie rempli (celui de plai-bilan modele, à partir de l'exemple de Montreuil).
        montreuil = RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml"
        saisie = tmp_path / "saisie.xlsx"
        assert CliRunner().invoke(main, ["convertir", str(montreuil), "-o", str(saisie)]).exit_code == 0
        d.get(url + "/")
        d.find_element(By.ID, "fichier").send_keys(str(saisie))
        d.find_element(By.ID, "montant").send_keys("400000")
        d.find_element(By.ID, "calculer").click()
        verdict = d.find_element(By.ID, "verdict").text
        instruit = json.loads(CliRunner().invoke(main, ["instruire", str(_demande(tmp_path, montreuil, 400000)),
                                                        "--format", "json"]).stdout)
        assert instruit["verdict"] == "excessive" and "demande excessive" in verdict
        d.save_screenshot(str(tmp_path / "page-montreuil-verdict.png"))
        # Une erreur d'envoi : le message français sur la page.
        faux = tmp_path / "faux.toml"
        faux.write_text("[operation\n", encoding="utf-8")
        d.get(url + "/")
        d.find_element(By.ID, "fichier").send_keys(str(faux))
        d.find_element(By.ID, "calculer").click()
        assert "syntaxe TOML invalide" in d.find_element(By.ID, "erreur").text
        # Un programme : la table envoyée, la répartition du budget, le tableau téléchargé.
        table = tmp_path / "programme.csv"
        table.write_text("modele;prix_de_revient.travaux\naa-villeurbanne-3-plai-adaptes.toml;190000\n"
                         "rs-rennes-30-logements.toml;2800000\n", encoding="utf-8")
        d.get(url + "/programme")
        d.find_element(By.ID, "fichier").send_keys(str(table))
        d.find_element(By.ID, "budget").send_keys("100000")
        d.find_element(By.ID, "resoudre").click()
        synthese = d.find_element(By.ID, "synthese").text
        assert "2 opérations financées" not in synthese and "Budget FNAP" in synthese
        d.find_element(By.ID, "telecharger-tableau-csv").click()
        tableau = _attendre_fichier(telechargements, ".csv")
        assert "Villeurbanne" in tableau.read_text(encoding="utf-8-sig")
        d.save_screenshot(str(tmp_path / "page-programme.png"))
    finally:
        d.quit()


def _demande(tmp_path: Path, chemin: Path, montant: float) -> Path:
    f = tmp_path / f"demande-{chemin.name}"
    f.write_text(chemin.read_text(encoding="utf-8").replace('montant = "a_calculer"', f"montant = {montant}", 1),
                 encoding="utf-8")
    return f
