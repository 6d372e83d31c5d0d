"""Erreurs du domaine : une seule place, des messages en français."""

from __future__ import annotations


class ErreurPlaiBilan(Exception):
    """Base des erreurs que la ligne de commande traduit en message (statut 2)."""


class ScenarioInvalide(ErreurPlaiBilan):
    """Un scénario illisible ou incohérent : nomme le fichier, la clé et l'attendu."""

    def __init__(self, fichier: str, cle: str, message: str) -> None:
        self.fichier = str(fichier)
        self.cle = cle
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.cle:
            return f"{self.fichier} : clé « {self.cle} » : {self.message}"
        return f"{self.fichier} : {self.message}"


class ParametreInvalide(ErreurPlaiBilan):
    """Un paramètre réglementaire introuvable à la date demandée, ou un fichier de paramètres abîmé."""


class SortieImpossible(ErreurPlaiBilan):
    """Un fichier de résultat qui ne peut pas être écrit."""


def message_systeme(exc: OSError) -> str:
    """L'erreur du système en français (les plus courantes), sinon son texte."""
    import errno

    return {errno.EACCES: "permission refusée", errno.EPERM: "opération non permise",
            errno.ENOENT: "fichier ou dossier introuvable", errno.ENAMETOOLONG: "nom de fichier trop long",
            errno.ENOSPC: "plus de place sur le disque", errno.EROFS: "système de fichiers en lecture seule",
            errno.EISDIR: "c'est un dossier", errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
            errno.ELOOP: "trop de liens symboliques", errno.EDQUOT: "quota disque dépassé",
            errno.EIO: "erreur d'entrée-sortie"}.get(exc.errno, exc.strerror or str(exc))
