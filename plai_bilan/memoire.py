"""Réglage de l'allocateur mémoire pour les calculs par paquets.

Le moteur crée et libère à chaque paquet des tableaux de l'ordre du mégaoctet. Avec les seuils par défaut de la
glibc, chacun est rendu au système puis redemandé : chaque page est refaultée à la création du tableau suivant, et
ce coût dépasse celui du calcul (mesuré : r / (1 + r) sur 120 000 réels, 0,65 ms au lieu de 0,05 ms). Garder ces
blocs dans le tas du processus les réutilise ; le pic de mémoire reste celui des tableaux vivants.
Sans glibc (Windows, macOS), rien n'est fait.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
SEUIL_MMAP = 64 * 1024 * 1024  # au-delà, un tableau est projeté à part et rendu dès sa libération
SEUIL_RENDU = 256 * 1024 * 1024  # le haut du tas n'est rendu au système qu'au-delà

_regle = False


def regler_allocateur() -> bool:
    """Relève les seuils de la glibc (une fois par processus) ; vrai si c'est fait."""
    global _regle
    if _regle:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # la libc déjà chargée par Python, sans la chercher sur le disque
    except (OSError, AttributeError):  # autre libc sans mallopt : rien à régler
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    _regle = bool(mallopt(M_MMAP_THRESHOLD, SEUIL_MMAP)) and bool(mallopt(M_TRIM_THRESHOLD, SEUIL_RENDU))
    return _regle
