"""Écriture atomique des fichiers de résultat : un fichier temporaire voisin, puis un renommage.

Un fichier ouvert dans LibreOffice (verrou ``.~lock.NOM#``) ou Excel (verrou ``~$NOM``) n'est pas remplacé.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from plai_bilan.erreurs import SortieImpossible


def verifier_cible(chemin: str | Path) -> Path:
    """Refuse une cible qui est un dossier, dans un dossier absent, ou ouverte dans un tableur ; renvoie son dossier."""
    cible = Path(chemin)
    dossier = cible.parent if str(cible.parent) else Path(".")
    if cible.is_dir():
        raise SortieImpossible(f"{cible} : c'est un dossier ; donnez un nom de fichier de sortie")
    if not dossier.is_dir():
        raise SortieImpossible(f"{cible} : le dossier {dossier} n'existe pas")
    for verrou in (dossier / f".~lock.{cible.name}#", dossier / f"~${cible.name}"):
        if verrou.exists():
            raise SortieImpossible(f"{cible} : le fichier est ouvert dans un tableur (verrou {verrou.name}) ; "
                                   "fermez-le ou choisissez un autre nom de sortie")
    return dossier


def ecrire_atomique(chemin: str | Path, ecrire: Callable[[str], None]) -> None:
    """Appelle ``ecrire(chemin_temporaire)`` puis remplace ``chemin`` ; en cas d'échec, rien n'est remplacé."""
    cible = Path(chemin)
    dossier = verifier_cible(cible)
    try:
        fd, temporaire = tempfile.mkstemp(prefix=f".{cible.name}.", suffix=".tmp", dir=dossier)
    except OSError as exc:
        raise SortieImpossible(f"{cible} : écriture impossible dans {dossier} ({exc.strerror})") from None
    os.close(fd)
    try:
        ecrire(temporaire)
        os.chmod(temporaire, _mode(cible))
        os.replace(temporaire, cible)
    except PermissionError as exc:
        raise SortieImpossible(f"{cible} : fichier verrouillé ou protégé en écriture (ouvert dans un tableur ?) "
                               f"({exc.strerror})") from None
    except OSError as exc:
        raise SortieImpossible(f"{cible} : écriture impossible ({exc.strerror})") from None
    finally:
        if os.path.exists(temporaire):
            os.unlink(temporaire)


def _mode(cible: Path) -> int:
    """Les droits du fichier remplacé, sinon ceux d'un fichier neuf (0o666 moins le masque) : mkstemp crée en 0o600."""
    if cible.exists():
        return cible.stat().st_mode & 0o777
    masque = os.umask(0)
    os.umask(masque)
    return 0o666 & ~masque


def ecrire_texte(chemin: str | Path, texte: str) -> None:
    """Écrit un texte UTF-8 de façon atomique."""

    def ecrire(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(texte)

    ecrire_atomique(chemin, ecrire)
