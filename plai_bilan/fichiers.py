"""Lecture bornée des fichiers d'entrée : un fichier ordinaire de taille raisonnable, rien d'autre."""

from __future__ import annotations

from pathlib import Path

from plai_bilan.erreurs import ScenarioInvalide, message_systeme

TAILLE_MAX = 5_000_000  # octets : un scénario réel en fait quelques milliers


def lire_fichier_borne(chemin: Path, nom: str, quoi: str = "fichier de scénario .toml",
                       taille_max: int = TAILLE_MAX) -> bytes:
    """Les octets d'un fichier ordinaire de taille raisonnable ; un tube, un périphérique, un dossier ou un fichier
    géant est refusé sans être lu (un tube bloquerait, /dev/zero remplirait la mémoire)."""
    verifier_fichier_borne(chemin, nom, quoi, taille_max)
    try:
        with open(chemin, "rb") as f:
            octets = f.read(taille_max + 1)
    except OSError as exc:
        raise ScenarioInvalide(nom, "", f"lecture impossible ({message_systeme(exc)})") from None
    if len(octets) > taille_max:
        raise ScenarioInvalide(nom, "", f"fichier trop gros (plus de {taille_max:,} octets)".replace(",", "\u202f"))
    return octets


def verifier_fichier_borne(chemin: Path, nom: str, quoi: str = "fichier de scénario .toml",
                           taille_max: int = TAILLE_MAX) -> None:
    """Ce que :func:`lire_fichier_borne` vérifie avant de lire : un fichier ordinaire, existant, de taille
    raisonnable (mêmes messages)."""
    import os
    import stat

    try:
        etat = os.stat(chemin)
    except OSError as exc:
        import errno

        if exc.errno == errno.ENOENT:
            raise ScenarioInvalide(nom, "", "fichier introuvable") from None
        raise ScenarioInvalide(nom, "", f"lecture impossible ({message_systeme(exc)})") from None
    if stat.S_ISDIR(etat.st_mode):
        raise ScenarioInvalide(nom, "", f"c'est un dossier ; donnez le chemin d'un {quoi}")
    if not stat.S_ISREG(etat.st_mode):
        raise ScenarioInvalide(nom, "", f"ce n'est pas un fichier ordinaire (tube, périphérique...) ; donnez le "
                               f"chemin d'un {quoi}")
    if etat.st_size > taille_max:
        raise ScenarioInvalide(nom, "", f"fichier trop gros ({etat.st_size:,} octets, au plus {taille_max:,}) : ce "
                               f"n'est pas un {quoi}".replace(",", "\u202f"))
