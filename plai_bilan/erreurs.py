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
