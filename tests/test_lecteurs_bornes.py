"""Chaque lecteur borné, en conditions réelles (vrais fichiers, tubes nommés, archives) : statut 2, une phrase
française qui nomme le fichier et ce qui était attendu, aucune trace, rien d'écrit, temps et mémoire bornés."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

# Chaque test lance la commande dans un processus (intégration : toujours lancé en CI).
pytestmark = pytest.mark.integration
RACINE = Path(__file__).resolve().parent.parent
AA = RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"


# La mémoire de pointe du processus lancé : VmHWM, propre à l'espace mémoire créé par exec (ru_maxrss, lui, garde
# sous Linux celle du processus de test au moment du fork : des centaines de Mo qui ne sont pas à la commande).
MESURE = """
import atexit, runpy, sys
sortie = sys.argv.pop(1)
def noter():
    with open("/proc/self/status") as f, open(sortie, "w") as g:
        g.write(next(l.split()[1] for l in f if l.startswith("VmHWM:")))
atexit.register(noter)
sys.argv[0] = "plai-bilan"
runpy.run_module("plai_bilan.cli", run_name="__main__", alter_sys=True)
"""


def lancer(*args, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float, int]:
    """La commande dans un processus à part : son résultat, sa durée et sa mémoire de pointe (Ko, ce processus)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        mesure = Path(d) / "vmhwm"
        debut = time.monotonic()
        r = subprocess.run([sys.executable, "-c", MESURE, str(mesure), *map(str, args)], capture_output=True,
                           text=True, cwd=RACINE, timeout=timeout)
        duree = time.monotonic() - debut
        pointe = int(mesure.read_text()) if mesure.exists() else 0
    return r, duree, pointe


def une_erreur(r: subprocess.CompletedProcess, *morceaux: str) -> None:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "Error" not in r.stderr.replace("Erreur", "")
    derniere = r.stderr.strip().splitlines()[-1]
    assert derniere.startswith("Erreur : ")
    for m in morceaux:
        assert m in derniere, (m, derniere)


def _classeur(tmp_path: Path) -> Path:
    etude = tmp_path / "etude.xlsx"
    subprocess.run([sys.executable, "-m", "plai_bilan.cli", "exporter", str(AA), "-o", str(etude)], check=True,
                   capture_output=True, cwd=RACINE)
    return etude


def _reecrire(source: Path, cible: Path, changer) -> Path:
    """Une copie de l'archive ``source`` où chaque membre passe par ``changer(nom, octets) -> octets``."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(cible, "w", zipfile.ZIP_DEFLATED) as zout:
        for i in zin.infolist():
            zout.writestr(i, changer(i.filename, zin.read(i.filename)))
    return cible


def test_classeur_qui_se_decompresse_en_centaines_de_mo(tmp_path):
    def gonfler(nom: str, data: bytes) -> bytes:
        if nom != "xl/worksheets/sheet2.xml":
            return data
        return data.replace(b"</sheetData>", b"<row r='900'>" + b"<c r='A900'><v>1</v></c>" * 4_000_000
                            + b"</row></sheetData>")

    bombe = _reecrire(_classeur(tmp_path), tmp_path / "bombe.xlsx", gonfler)
    assert bombe.stat().st_size < 2_000_000
    r, duree, pointe = lancer("subvention", bombe)
    une_erreur(r, str(bombe), "trop gros une fois décompressé")
    assert duree < 20 and 0 < pointe < 600_000  # Ko, ce processus seul


def test_classeur_qui_declare_des_milliards_de_cellules_lu_sans_cout(tmp_path):
    """La dimension déclarée n'est pas une borne : LibreOffice déclare A1:S1048576 après une insertion de ligne."""
    import re

    def declarer(nom: str, data: bytes) -> bytes:
        if not nom.startswith("xl/worksheets/sheet"):
            return data
        return re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD1048576"/>', data, count=1)

    faux = _reecrire(_classeur(tmp_path), tmp_path / "dimension.xlsx", declarer)
    r, duree, pointe = lancer("subvention", faux)
    assert r.returncode == 0, r.stderr
    assert duree < 20 and 0 < pointe < 600_000


@pytest.mark.parametrize("cas, contenu, morceau", [
    ("guillemet", 'modele;prix_de_revient.travaux\naa-villeurbanne-3-plai-adaptes.toml;"190000\n'
                  'aa-villeurbanne-3-plai-adaptes.toml;200000\n', "guillemet"),
    ("cellules", "modele;prix_de_revient.travaux\naa-villeurbanne-3-plai-adaptes.toml;190000;1;2\n", "ligne 2 : 4 cellules"),
    ("doublon", "modele;prix_de_revient.travaux;prix_de_revient.travaux\naa-villeurbanne-3-plai-adaptes.toml;1;2\n",
     "colonne en double : prix_de_revient.travaux"),
    ("geante", "modele;operation.nom\naa-villeurbanne-3-plai-adaptes.toml;" + "x" * 140_000 + "\n",
     "131 072 caractères"),
], ids=lambda x: x if isinstance(x, str) and len(x) < 12 else "")
def test_tables_csv_fautives(tmp_path, cas, contenu, morceau):
    shutil.copy(AA, tmp_path / AA.name)
    table = tmp_path / "programme.csv"
    table.write_text(contenu, encoding="utf-8")
    sortie = tmp_path / "resultat.csv"
    r, _, _ = lancer("lot", table, "-o", sortie)
    une_erreur(r, str(table), morceau.replace(" ", "\u202f") if cas == "geante" and False else morceau)
    assert not sortie.exists()


def test_table_d_excel_en_windows_1252_et_fins_de_ligne_cr(tmp_path):
    shutil.copy(AA, tmp_path / AA.name)
    table = tmp_path / "programme.csv"
    table.write_bytes("modele;operation.nom\raa-villeurbanne-3-plai-adaptes.toml;Opération rénovée\r".encode("cp1252"))
    r, _, _ = lancer("lot", table, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert "Windows-1252" in r.stderr and '"operations_resolues": 1' in r.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="tubes nommés POSIX")
def test_modele_qui_est_un_tube_ou_un_peripherique(tmp_path):
    tube = tmp_path / "modele.toml"
    os.mkfifo(tube)
    table = tmp_path / "programme.csv"
    table.write_text("modele\nmodele.toml\n", encoding="utf-8")
    r, duree, _ = lancer("lot", table, "--format", "json", timeout=60)
    assert r.returncode == 1 and duree < 30  # la ligne est en erreur, sans attendre le tube
    assert "ce n'est pas un fichier ordinaire" in r.stdout and "Traceback" not in r.stderr
    table.write_text("modele\n/dev/zero\n", encoding="utf-8")
    r, duree, _ = lancer("lot", table, "--format", "json", timeout=60)
    assert r.returncode == 1 and duree < 30 and "ce n'est pas un fichier ordinaire" in r.stdout


def test_modele_a_nombre_geant(tmp_path):
    (tmp_path / "m.toml").write_text(AA.read_text(encoding="utf-8").replace("travaux = ", "travaux = " + "9" * 5000
                                                                              + " #", 1), encoding="utf-8")
    table = tmp_path / "programme.csv"
    table.write_text("modele\nm.toml\n", encoding="utf-8")
    r, _, _ = lancer("lot", table, "--format", "json")
    assert r.returncode == 1 and "trop de chiffres" in r.stdout and "Traceback" not in r.stderr


@pytest.mark.parametrize("valeur", ["nan", "inf", "-inf", "NaN"])
def test_options_non_finies_refusees(valeur):
    r, _, _ = lancer("lot", "scenarios", "--budget-fnap", valeur)
    une_erreur(r, "--budget-fnap")


def _pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(RACINE / "parametres-locaux" / "exemple-departement", pack)
    return pack


def test_parametres_locaux_bornes_comme_les_nationaux(tmp_path):
    pack = _pack(tmp_path)
    (pack / "marges_locales.toml").write_text(
        'description = "Marges"\nunite = "%"\nreference = "r"\nprolongation = "p"\n[[valeurs]]\ndate = 2026-01-01\n'
        'statut = "V"\nreference = "barème local"\nzones = { "1bis" = 500.0, "1" = 0.0, "2" = 0.0, "3" = 0.0 }\n',
        encoding="utf-8")
    r, _, _ = lancer("subvention", AA, "--parametres", pack)
    une_erreur(r, "marges_locales.toml", "une marge locale de 0 à 15 % est attendue", "500 %")


def test_parametres_locaux_en_latin_1_ou_en_tube(tmp_path):
    pack = _pack(tmp_path)
    premier = sorted(pack.glob("*.toml"))[0]
    premier.write_bytes(premier.read_text(encoding="utf-8").replace("#", "# é", 1).encode("latin-1"))
    r, _, _ = lancer("subvention", AA, "--parametres", pack)
    une_erreur(r, premier.name, "UTF-8")
    if hasattr(os, "mkfifo"):
        premier.unlink()
        os.mkfifo(premier)
        r, duree, _ = lancer("subvention", AA, "--parametres", pack, timeout=60)
        une_erreur(r, premier.name, "ce n'est pas un fichier ordinaire")
        assert duree < 30


def test_table_toml_declaree_deux_fois(tmp_path):
    f = tmp_path / "double.toml"
    f.write_text(AA.read_text(encoding="utf-8") + "\n[analyse]\ncritere = \"van\"\n", encoding="utf-8")
    r, _, _ = lancer("subvention", f)
    une_erreur(r, str(f), "table [analyse] déclarée deux fois")


@pytest.mark.parametrize("adresse", ["", "n'importe quoi", "http://127.0.0.1:8000", "inproc://x"])
def test_adresse_dask_invalide(adresse):
    pytest.importorskip("dask.distributed")
    r, duree, _ = lancer("lot", "scenarios", "--dask", adresse)
    une_erreur(r, "--dask", "tcp://hote:8786")
    assert duree < 30


@pytest.mark.integration
def test_dask_sur_un_serveur_qui_n_est_pas_un_planificateur():
    """Un serveur web sur le port : la commande répond en temps borné, en une phrase."""
    pytest.importorskip("dask.distributed")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        r, duree, _ = lancer("lot", "scenarios", "--dask", f"tcp://127.0.0.1:{port}", timeout=90)
        une_erreur(r, "--dask", "planificateur")
        assert duree < 45
    finally:
        web.terminate()


def test_table_parquet_geante_refusee_avant_lecture(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import numpy as np
    import pyarrow.parquet as pq

    n = 100_000_000  # quelques centaines de Ko compressés
    col = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int8)), pa.array([AA.name]))
    table = tmp_path / "geante.parquet"
    pq.write_table(pa.table({"modele": col}), table, compression="zstd")
    assert table.stat().st_size < 5_000_000
    r, duree, pointe = lancer("lot", table)
    une_erreur(r, str(table), "au plus 5\u202f000\u202f000 lignes")
    assert duree < 30 and 0 < pointe < 600_000


def test_formule_sans_valeur_calculee_nommee(tmp_path):
    import openpyxl

    etude = _classeur(tmp_path)
    wb = openpyxl.load_workbook(etude)
    feuille, cellule = next(iter(wb.defined_names["travaux"].destinations))
    wb[feuille][cellule.replace("$", "")] = "=200000+60000"  # un script qui écrit une formule sans la calculer
    modifie = tmp_path / "modifie.xlsx"
    wb.save(modifie)
    r, _, _ = lancer("subvention", modifie)
    une_erreur(r, str(modifie), cellule.replace("$", ""), "formule sans valeur calculée")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="/dev/full (Linux)")
def test_sortie_standard_pleine():
    with open("/dev/full", "w") as plein:
        r = subprocess.run([sys.executable, "-m", "plai_bilan.cli", "subvention", str(AA)], stdout=plein,
                           stderr=subprocess.PIPE, text=True, cwd=RACINE, timeout=120)
    une_erreur(r, "sortie standard : écriture impossible")


def test_terminal_latin_1():
    r = subprocess.run([sys.executable, "-m", "plai_bilan.cli", "subvention", str(AA)], capture_output=True,
                       cwd=RACINE, timeout=120, env=dict(os.environ, PYTHONIOENCODING="latin-1"))
    assert r.returncode == 0 and b"Traceback" not in r.stderr
    texte = r.stdout.decode("latin-1")
    assert "Subvention d'équilibre (tout l'écart de financement) : 76 488 EUR" in texte


def test_nom_de_sortie_trop_long(tmp_path):
    cible = tmp_path / ("a" * 245 + ".xlsx")
    r, _, _ = lancer("subvention", AA, "--xlsx", cible)
    une_erreur(r, "nom de fichier trop long (250 octets, au plus 200)")
    assert not list(tmp_path.iterdir())


def test_nom_de_fichier_qui_n_est_pas_en_utf_8(tmp_path):
    nom = os.fsdecode(b"op\xe9ration.toml")
    shutil.copy(AA, tmp_path / nom)
    r = subprocess.run([sys.executable, "-m", "plai_bilan.cli", "subvention", os.fsencode(tmp_path / nom)],
                       capture_output=True, cwd=RACINE, timeout=120)
    assert r.returncode == 0 and b"Traceback" not in r.stderr


@pytest.mark.integration
def test_dask_sur_un_pair_qui_envoie_des_octets_au_hasard():
    pytest.importorskip("dask.distributed")
    import socket

    serveur = socket.socket()
    serveur.bind(("127.0.0.1", 0))
    serveur.listen(5)
    port = serveur.getsockname()[1]

    def repondre():
        while True:
            try:
                c, _ = serveur.accept()
            except OSError:
                return
            try:
                c.sendall(os.urandom(4096))
            except OSError:
                pass
            c.close()

    threading.Thread(target=repondre, daemon=True).start()
    try:
        r, duree, _ = lancer("lot", "scenarios", "--dask", f"tcp://127.0.0.1:{port}", timeout=90)
        une_erreur(r, "--dask")
        assert duree < 45
    finally:
        serveur.close()
