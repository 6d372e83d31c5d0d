"""Écriture atomique des fichiers de résultat : un fichier temporaire voisin, puis un renommage.

Règles, vérifiées avant tout calcul par :func:`verifier_cible` :

- un dossier, un dossier parent absent, un tube ou un périphérique sont refusés ;
- un fichier protégé en écriture (droits 444...) est refusé, jamais remplacé en silence ;
- un lien symbolique est suivi : le fichier qu'il désigne est remplacé, le lien reste ;
- un fichier ouvert dans LibreOffice (verrou ``.~lock.NOM#``) ou Excel (verrou ``~$NOM``) n'est pas remplacé.

Le fichier temporaire s'appelle ``.NOM.plai-bilan-PID.tmp`` : il disparaît en cas d'échec ou d'interruption
(SIGINT, SIGTERM, SIGHUP), et celui d'un processus tué sans pouvoir nettoyer (SIGKILL) est supprimé à la
prochaine écriture dans le même dossier.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from plai_bilan.erreurs import SortieImpossible, message_systeme

SUFFIXE = ".tmp"
MARQUE = ".plai-bilan-"


def _message(exc: OSError) -> str:
    return message_systeme(exc)


def _reelle(chemin: str | Path) -> Path:
    """La cible réelle : un lien symbolique est suivi (le fichier désigné est remplacé, le lien reste)."""
    cible = Path(chemin)
    return Path(os.path.realpath(cible)) if cible.is_symlink() else cible


NOM_MAX = 200  # octets d'un nom de sortie : 255 moins les préfixes des verrous (« .~lock. », « # ») et du temporaire


def verifier_cible(chemin: str | Path) -> Path:
    """Refuse une cible qu'on ne doit pas remplacer ; renvoie son dossier."""
    cible = _reelle(chemin)
    dossier = cible.parent if str(cible.parent) else Path(".")
    try:
        etat = os.stat(cible) if os.path.lexists(cible) else None
    except OSError as exc:
        raise SortieImpossible(f"{chemin} : sortie inaccessible ({_message(exc)})") from None
    if etat is not None and stat.S_ISDIR(etat.st_mode):
        raise SortieImpossible(f"{chemin} : c'est un dossier ; donnez un nom de fichier de sortie")
    if etat is not None and not stat.S_ISREG(etat.st_mode):
        raise SortieImpossible(f"{chemin} : ce n'est pas un fichier ordinaire (tube, périphérique...) ; donnez un "
                               "nom de fichier de sortie")
    if not dossier.is_dir():
        raise SortieImpossible(f"{chemin} : le dossier {dossier} n'existe pas")
    if etat is not None and not etat.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise SortieImpossible(f"{chemin} : fichier protégé en écriture ; il n'est pas remplacé (changez ses droits "
                               "ou choisissez un autre nom de sortie)")
    # Le nom, et ceux des verrous des tableurs et du fichier temporaire bâtis dessus, tiennent dans 255 octets.
    if len(os.fsencode(cible.name)) > NOM_MAX:
        raise SortieImpossible(f"{chemin} : nom de fichier trop long ({len(os.fsencode(cible.name))} octets, au plus "
                               f"{NOM_MAX}) ; choisissez un nom plus court")
    for verrou in (dossier / f".~lock.{cible.name}#", dossier / f"~${cible.name}"):
        if verrou.exists():
            raise SortieImpossible(f"{chemin} : le fichier est ouvert dans un tableur (verrou {verrou.name}) ; "
                                   "fermez-le ou choisissez un autre nom de sortie")
    return dossier


def balayer(dossier: Path, nom: str) -> None:
    """Supprime les fichiers temporaires de ``nom`` laissés par un processus plai-bilan qui n'existe plus."""
    for reste in dossier.glob(f".{nom}{MARQUE}*{SUFFIXE}"):
        pid = reste.name[len(f".{nom}{MARQUE}"):-len(SUFFIXE)]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            try:
                reste.unlink()
            except OSError:
                pass
        except OSError:
            pass  # un processus d'un autre utilisateur : on n'y touche pas


def ecrire_atomique(chemin: str | Path, ecrire: Callable[[str], None]) -> None:
    """Appelle ``ecrire(chemin_temporaire)`` puis remplace ``chemin`` ; en cas d'échec, rien n'est remplacé."""
    cible = _reelle(chemin)
    dossier = verifier_cible(chemin)
    balayer(dossier, cible.name)
    temporaire = str(dossier / f".{cible.name}{MARQUE}{os.getpid()}{SUFFIXE}")
    # Création comprise dans le try : un signal reçu juste après elle ne laisse pas le fichier temporaire.
    try:
        try:
            _creer(temporaire)
        except OSError as exc:
            raise SortieImpossible(f"{chemin} : écriture impossible dans {dossier} ({_message(exc)})") from None
        ecrire(temporaire)
        os.chmod(temporaire, _mode(cible))
        os.replace(temporaire, cible)
    except PermissionError as exc:
        raise SortieImpossible(f"{chemin} : fichier verrouillé ou protégé en écriture (ouvert dans un tableur ?) "
                               f"({_message(exc)})") from None
    except OSError as exc:
        raise SortieImpossible(f"{chemin} : écriture impossible ({_message(exc)})") from None
    finally:
        if os.path.exists(temporaire):
            os.unlink(temporaire)


def _creer(temporaire: str) -> None:
    """Crée le fichier temporaire, lisible par son seul propriétaire jusqu'au renommage."""
    os.close(os.open(temporaire, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _mode(cible: Path) -> int:
    """Les droits du fichier remplacé, sinon ceux d'un fichier neuf (0o666 moins le masque)."""
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
