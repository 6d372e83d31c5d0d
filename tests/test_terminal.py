"""Les sorties dans un vrai terminal (pseudo-terminal de 80 et 120 colonnes) : aucune ligne plus large que le
terminal, pour chaque commande sur chaque exemple livré ; les avertissements après le résultat."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parent.parent
EXEMPLES = sorted((RACINE / "scenarios").glob("*.toml"))
COMMANDES = [["simuler"], ["subvention"], ["sieg"], ["sensibilite"], ["risque", "-n", "50"], ["optimiser"],
             ["instruire"]]


def au_terminal(args: list[str], colonnes: int) -> tuple[int, list[str]]:
    """La commande dans un pseudo-terminal de ``colonnes`` colonnes (sortie et erreurs mêlées, comme à l'écran)."""
    maitre, esclave = pty.openpty()
    fcntl.ioctl(esclave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, colonnes, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    p = subprocess.Popen([sys.executable, "-m", "plai_bilan.cli", *args], stdin=esclave, stdout=esclave,
                         stderr=esclave, env=env, cwd=RACINE, close_fds=True)
    os.close(esclave)
    sortie = b""
    while True:
        prets, _, _ = select.select([maitre], [], [], 120)
        if not prets:
            break
        try:
            morceau = os.read(maitre, 65536)
        except OSError:  # la commande a fermé le terminal
            break
        if not morceau:
            break
        sortie += morceau
    p.wait(timeout=120)
    os.close(maitre)
    # Une barre de progression se réécrit avec « \r » : chaque état est une ligne à l'écran.
    return p.returncode, re.split(r"\r\n|\n|\r", sortie.decode("utf-8"))


@pytest.mark.integration
@pytest.mark.parametrize("colonnes", [80, 120])
@pytest.mark.parametrize("commande", COMMANDES, ids=lambda c: c[0])
def test_aucune_ligne_plus_large_que_le_terminal(commande, colonnes):
    for exemple in EXEMPLES:
        code, lignes = au_terminal([commande[0], str(exemple.relative_to(RACINE)), *commande[1:]], colonnes)
        assert code in (0, 1, 2, 3, 4, 5), (exemple.name, code)
        trop = [l for l in lignes if len(l) > colonnes]
        assert not trop, (exemple.name, trop[:3])


@pytest.mark.integration
@pytest.mark.parametrize("colonnes", [80, 120])
def test_comparer_lot_et_instruire_a_la_largeur(colonnes):
    demande = "scenarios/instruction-villeurbanne-demande-justifiee.toml"
    for args in (["comparer", *[str(e.relative_to(RACINE)) for e in EXEMPLES]], ["lot", "scenarios"],
                 ["lot", "scenarios", "--budget-fnap", "300000"], ["exemples"], ["--aide"], ["instruire", "--aide"],
                 ["instruire", demande], ["subvention", "scenarios/cn-lyon-30-plus-plai-dont-3-adaptes.toml"]):
        code, lignes = au_terminal(args, colonnes)
        assert code == 0, (args[0], lignes[-5:])
        assert max(len(l) for l in lignes) <= colonnes, args[0]
    # À 120 colonnes, un tableau large tient sur une ligne ; à 80, ses colonnes de texte se replient.
    _, lignes = au_terminal(["instruire", demande], colonnes)
    texte = "\n".join(lignes)
    assert "VERDICT : demande justifiée" in texte and "statut 0" not in texte


@pytest.mark.integration
def test_avertissements_apres_le_resultat_et_nommant_le_fichier():
    exemple = "scenarios/aa-villeurbanne-3-plai-adaptes.toml"
    _, lignes = au_terminal(["subvention", exemple], 80)
    texte = "\n".join(lignes)
    assert texte.index("Plan de financement avec la subvention d'équilibre") < texte.index("Avertissements")
    apres = " ".join(texte[texte.index("Avertissements"):].split())
    assert f"Avertissement : {exemple} : l'année critique (50)" in apres
