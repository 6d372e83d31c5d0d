"""Les bords du système, rencontrés comme un utilisateur les rencontre : vrais tubes, périphériques, liens, droits,
signaux envoyés à un vrai processus, sortie fermée, noms et textes hostiles, texte TOML brut."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plai_bilan.cli import main
from plai_bilan.erreurs import ErreurPlaiBilan
from plai_bilan.scenario import charger_scenario

RACINE = Path(__file__).resolve().parent.parent
AA = RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"
TEXTE = AA.read_text(encoding="utf-8")
PLAI_BILAN = [sys.executable, "-m", "plai_bilan.cli"]


def lancer(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def une_ligne(r, morceau: str) -> None:
    assert r.exit_code == 2, r.output
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert morceau in r.stderr, r.stderr


def ecrire(tmp_path, texte, nom="s.toml") -> Path:
    f = tmp_path / nom
    f.write_text(texte, encoding="utf-8")
    return f


# ----------------------------------------------------------------------------------------------- entrées


def test_tube_et_peripherique_refuses_sans_lecture(tmp_path):
    tube = tmp_path / "tube.toml"
    os.mkfifo(tube)
    une_ligne(lancer("subvention", tube), "ce n'est pas un fichier ordinaire")
    une_ligne(lancer("subvention", "/dev/zero"), "ce n'est pas un fichier ordinaire")


def test_fichier_geant_refuse(tmp_path):
    f = tmp_path / "gros.toml"
    with open(f, "wb") as g:
        g.truncate(6_000_000)
    une_ligne(lancer("simuler", f), "fichier trop gros")


def test_nom_trop_long_et_lien_casse(tmp_path):
    une_ligne(lancer("simuler", tmp_path / ("x" * 300 + ".toml")), "nom de fichier trop long")
    (tmp_path / "casse.toml").symlink_to(tmp_path / "absent.toml")
    une_ligne(lancer("simuler", tmp_path / "casse.toml"), "fichier introuvable")


@pytest.mark.parametrize(("avant", "apres", "attendu"), [
    ("travaux = 105000", "travaux = 1" + "0" * 400, "pas un nombre de 401 chiffres"),
    ("travaux = 105000", "travaux = 1" + "0" * 5000, "nombre illisible (trop de chiffres)"),
    ("marge_locale_pct = 5.0", "marge_locale_pct = 5,5", "virgule décimale"),
    ("travaux = 105000", "travaux = 105 000", "espace dans un nombre"),
    ("date_agrement = 2026-03-01", "date_agrement = 01/03/2026", "écrivez les dates AAAA-MM-JJ"),
    ("date_agrement = 2026-03-01", "date_agrement = 2026-02-30", "date invalide"),
    ('zone_loyer = "2"', 'zone_loyer = "B1"', "zonage A/B/C"),
])
def test_ecritures_francaises_expliquees(tmp_path, avant, apres, attendu):
    une_ligne(lancer("simuler", ecrire(tmp_path, TEXTE.replace(avant, apres, 1))), attendu)


def test_bom_et_accents_compris(tmp_path):
    f = tmp_path / "bom.toml"
    f.write_bytes(b"\xef\xbb\xbf" + TEXTE.encode("utf-8"))
    assert lancer("simuler", f).exit_code == 0
    g = ecrire(tmp_path, TEXTE.replace('"acquisition-amelioration"', '"acquisition-amélioration"')
               .replace('"a_calculer"', '"à calculer"'), "accents.toml")
    r = lancer("subvention", g, "--format", "json")
    assert r.exit_code == 0, r.output
    assert charger_scenario(g).operation.nature == "acquisition-amelioration"


def test_classeur_donne_au_lieu_d_un_scenario(tmp_path):
    """Sous l'extension .xlsx, un classeur se lit (abîmé : illisible) ; sous une autre, c'est une erreur claire."""
    f = tmp_path / "etude.xlsx"
    f.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    une_ligne(lancer("simuler", f), "classeur illisible")
    f = tmp_path / "etude.toml"
    f.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    une_ligne(lancer("simuler", f), "c'est un classeur (archive zip), pas un scénario TOML : un classeur de "
              "plai-bilan se lit sous son extension .xlsx")


# ----------------------------------------------------------------------------------------------- sorties


def test_cible_en_lecture_seule_refusee_et_intacte(tmp_path):
    cible = tmp_path / "r.json"
    cible.write_text("ancien", encoding="utf-8")
    cible.chmod(0o444)
    une_ligne(lancer("subvention", AA, "--format", "json", "-o", cible), "fichier protégé en écriture")
    assert cible.read_text(encoding="utf-8") == "ancien"


def test_lien_symbolique_suivi_le_lien_reste(tmp_path):
    vrai = tmp_path / "vrai.json"
    vrai.write_text("ancien", encoding="utf-8")
    lien = tmp_path / "lien.json"
    lien.symlink_to(vrai)
    r = lancer("subvention", AA, "--format", "json", "-o", lien)
    assert r.exit_code == 0, r.output
    assert lien.is_symlink() and vrai.read_text(encoding="utf-8").startswith("{")


def test_tube_ou_peripherique_en_sortie_refuse(tmp_path):
    tube = tmp_path / "tube.json"
    os.mkfifo(tube)
    une_ligne(lancer("subvention", AA, "--format", "json", "-o", tube), "ce n'est pas un fichier ordinaire")
    une_ligne(lancer("subvention", AA, "--format", "json", "-o", "/dev/null"), "ce n'est pas un fichier ordinaire")


def test_tiret_veut_dire_sortie_standard(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = lancer("subvention", AA, "--format", "json", "-o", "-")
    assert r.exit_code == 0 and r.stdout.startswith("{")
    assert not (tmp_path / "-").exists()


def test_extension_d_image_verifiee(tmp_path):
    une_ligne(lancer("sensibilite", AA, "--png", tmp_path / "t.jpg"), "extension attendue : .png")
    assert not (tmp_path / "t.jpg").exists()


def test_graine_negative(tmp_path):
    r = lancer("risque", AA, "--graine", "-1")
    assert r.exit_code == 2 and "Traceback" not in r.stderr and "--graine" in r.stderr


def test_sans_commande_l_aide_sans_erreur():
    r = CliRunner().invoke(main, [], prog_name="plai-bilan")
    assert r.exit_code == 0 and r.stdout.startswith("Utilisation : plai-bilan") and not r.stderr


def test_sequences_ansi_neutralisees_et_formules_csv(tmp_path):
    f = ecrire(tmp_path, TEXTE.replace('nom = "Villeurbanne', 'nom = "=HYPERLINK(\\"x\\")\\u001b[31mVilleurbanne'))
    r = lancer("subvention", f)
    assert r.exit_code == 0 and "\x1b" not in r.stdout
    r = lancer("comparer", f, AA, "--format", "csv")
    assert r.exit_code == 0
    import csv
    import io

    lignes = list(csv.reader(io.StringIO(r.stdout[1:]), delimiter=";"))
    assert lignes[1][0].startswith("'=HYPERLINK") and "\x1b" not in r.stdout
    assert not any(champ.startswith(("=", "+", "@")) for ligne in lignes for champ in ligne)


def test_disque_plein(tmp_path):
    """Un petit système de fichiers plein, quand la machine permet d'en monter un (root) ; sinon sauté."""
    point = tmp_path / "petit"
    point.mkdir()
    monte = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)], capture_output=True)
    if monte.returncode != 0:
        pytest.skip("impossible de monter un tmpfs ici (droits)")
    try:
        (point / "plein").write_bytes(b"\0" * 60_000)
        r = lancer("exporter", AA, "-o", point / "etude.xlsx")
        une_ligne(r, "plus de place sur le disque")
        assert sorted(p.name for p in point.iterdir()) == ["plein"]
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


# ----------------------------------------------------------------------------------------------- signaux


def _gros_scenario(tmp_path) -> Path:
    """Un scénario de 150 prêts : son classeur prend quelques secondes à s'écrire."""
    prets = "".join(f'\n[[prets]]\nnom = "Prêt {i}"\ntaux_pct = 1.0\nduree = 40\nmontant = 100\n' for i in range(150))
    return ecrire(tmp_path, TEXTE + prets, "gros.toml")


@pytest.mark.integration
@pytest.mark.parametrize("signal_envoye", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_interruption_pendant_un_export_ne_laisse_rien(tmp_path, signal_envoye):
    f = _gros_scenario(tmp_path)
    cible = tmp_path / "etude.xlsx"
    p = subprocess.Popen(PLAI_BILAN + ["exporter", str(f), "-o", str(cible)], stderr=subprocess.PIPE,
                         cwd=RACINE)
    fin = time.time() + 60
    while not list(tmp_path.glob(".etude.xlsx.plai-bilan-*.tmp")) and time.time() < fin and p.poll() is None:
        time.sleep(0.02)
    # Figé dès que le fichier temporaire paraît : le signal arrive avant le renommage quelle que soit la charge.
    p.send_signal(signal.SIGSTOP)
    if p.poll() is not None or cible.exists():
        p.send_signal(signal.SIGCONT)
        p.wait(timeout=60)
        pytest.skip("l'export a fini avant le signal")
    p.send_signal(signal_envoye)
    p.send_signal(signal.SIGCONT)
    p.wait(timeout=60)
    assert p.returncode != 0
    assert "Traceback" not in p.stderr.read().decode()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["gros.toml"]


def test_reste_d_un_processus_tue_balaye_a_l_ecriture_suivante(tmp_path):
    """SIGKILL ne laisse pas nettoyer : le fichier temporaire d'un processus mort est effacé ensuite."""
    reste = tmp_path / ".etude.xlsx.plai-bilan-999999999.tmp"
    reste.write_bytes(b"moitie")
    r = lancer("exporter", AA, "-o", tmp_path / "etude.xlsx")
    assert r.exit_code == 0, r.output
    assert sorted(x.name for x in tmp_path.iterdir()) == ["etude.xlsx"]


def test_sortie_standard_fermee():
    p = subprocess.run(PLAI_BILAN + ["simuler", str(AA)], cwd=RACINE, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60,
                       preexec_fn=lambda: os.close(1))
    assert "Traceback" not in p.stderr.decode()


def test_nom_de_fichier_non_utf8(tmp_path):
    nom = os.fsencode(str(tmp_path)) + b"/sc\xe9nario.toml"
    with open(nom, "wb") as g:
        g.write(TEXTE.encode("utf-8"))
    p = subprocess.run(PLAI_BILAN + [os.fsdecode(nom), ] if False else PLAI_BILAN + ["simuler", os.fsdecode(nom)],
                       cwd=RACINE, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode(errors="replace")


# ----------------------------------------------------------------------------------------------- fuzz du texte brut


@pytest.mark.integration
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_texte_toml_brut_fuzz(tmp_path, data):
    """Le texte du scénario altéré octet par octet ou ligne par ligne : une erreur française d'une ligne, ou un
    calcul ; jamais une autre exception."""
    octets = TEXTE.encode("utf-8")
    mode = data.draw(st.sampled_from(["octets", "lignes", "aleatoire"]))
    if mode == "octets":
        i = data.draw(st.integers(0, len(octets) - 1))
        octets = octets[:i] + data.draw(st.binary(min_size=0, max_size=4)) + octets[i + 1:]
    elif mode == "lignes":
        lignes = TEXTE.splitlines()
        i = data.draw(st.integers(0, len(lignes) - 1))
        lignes[i] = data.draw(st.text(max_size=40))
        octets = "\n".join(lignes).encode("utf-8", errors="surrogatepass")
    else:
        octets = data.draw(st.binary(max_size=200))
    f = tmp_path / "fuzz.toml"
    f.write_bytes(octets)
    try:
        from plai_bilan import simuler

        simuler(charger_scenario(f))
    except ErreurPlaiBilan as exc:
        message = str(exc)
        assert message.startswith(str(f)) and "\n" not in message, message


@pytest.mark.parametrize("commande", [
    ("exporter", "{aa}", "-o", "{sortie}.xlsx"),
    ("subvention", "{aa}", "--xlsx", "{sortie}.xlsx"),
    ("comparer", "{aa}", "{aa}", "--xlsx", "{sortie}.xlsx"),
    ("sensibilite", "{aa}", "--png", "{sortie}.png"),
    ("risque", "{aa}", "-n", "200", "--png", "{sortie}.png"),
    ("instruire", "{demande}", "--avis", "{sortie}.pdf"),
    ("instruire", "{demande}", "--avis", "{sortie}.png"),
    ("subvention", "{aa}", "--format", "json", "-o", "{sortie}.json"),
    ("comparer", "{aa}", "{aa}", "--format", "csv", "-o", "{sortie}.csv"),
])
@pytest.mark.integration
def test_deux_lancements_donnent_les_memes_octets(tmp_path, commande):
    demande = RACINE / "scenarios" / "instruction-villeurbanne-demande-justifiee.toml"
    fichiers = []
    for k in (1, 2):
        args = [a.format(aa=AA, demande=demande, sortie=tmp_path / f"r{k}") for a in commande]
        r = lancer(*args)
        assert r.exit_code in (0, 1), r.output
        fichiers.append(next(Path(a) for a in args if str(tmp_path) in a))
        if k == 1 and commande[-1].endswith((".xlsx", ".pdf")):
            time.sleep(1.1)  # une horloge qui avance ne doit rien changer (dates des documents)
    assert fichiers[0].read_bytes() == fichiers[1].read_bytes()


def test_fichier_illisible_pour_un_utilisateur_sans_privilege(tmp_path):
    """Un vrai refus de permission : plai-bilan lancé par un utilisateur sans privilège sur un fichier 0600 d'un
    autre. Sauté quand la machine ne le permet pas (pas de root, ou un interpréteur que cet utilisateur ne peut lire)."""
    import pwd

    if os.geteuid() != 0:
        pytest.skip("il faut être root pour lancer un processus sous un autre utilisateur")
    nobody = pwd.getpwnam("nobody")
    try:
        essai = subprocess.run([sys.executable, "-c", "import plai_bilan"], user=nobody.pw_uid, capture_output=True)
    except PermissionError:
        essai = None
    if essai is None or essai.returncode != 0:
        pytest.skip("l'interpréteur ou le paquet ne sont pas lisibles par l'utilisateur nobody sur cette machine")
    f = tmp_path / "prive.toml"
    f.write_text(TEXTE, encoding="utf-8")
    f.chmod(0o600)
    tmp_path.chmod(0o755)
    p = subprocess.run(PLAI_BILAN + ["simuler", str(f)], user=nobody.pw_uid, capture_output=True, cwd="/")
    assert p.returncode == 2 and "permission refusée" in p.stderr.decode()


@pytest.mark.parametrize("env", [{"LANG": "C", "LC_ALL": "C"}, {"PYTHONIOENCODING": "ascii"}])
def test_terminal_non_utf8(env):
    p = subprocess.run(PLAI_BILAN + ["subvention", str(AA)], cwd=RACINE, capture_output=True, timeout=60,
                       env={**os.environ, **env})
    assert p.returncode == 0 and b"Traceback" not in p.stderr
