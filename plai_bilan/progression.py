"""Barre de progression sur le terminal (erreur standard) : seulement si c'est un terminal et que la sortie n'est
pas un document JSON ; sinon rien n'est écrit."""

from __future__ import annotations

import sys
import time


class Progression:
    def __init__(self, libelle: str, actif: bool | None = None, flux=None) -> None:
        self.flux = flux or sys.stderr
        self.libelle = libelle
        self.actif = (self.flux.isatty() if hasattr(self.flux, "isatty") else False) if actif is None else actif
        self.debut = time.perf_counter()
        self._dernier = 0.0
        self._ecrit = False

    def __call__(self, fait: int, total: int) -> None:
        if not self.actif:
            return
        maintenant = time.perf_counter()
        if fait < total and maintenant - self._dernier < 0.2:
            return
        self._dernier = maintenant
        largeur = 30
        plein = int(largeur * fait / max(total, 1))
        ecoule = maintenant - self.debut
        reste = ecoule * (total - fait) / fait if fait else 0.0
        compte = f"{fait:,}/{total:,}".replace(",", "\u202f")
        texte = f"\r{self.libelle} [{'#' * plein}{'.' * (largeur - plein)}] {compte} ({ecoule:.0f} s, reste ~{reste:.0f} s)"
        self.flux.write(texte)
        self.flux.flush()
        self._ecrit = True
        if fait >= total:
            self.fin()

    def fin(self) -> None:
        if self.actif and self._ecrit:
            self.flux.write("\n")
            self.flux.flush()
            self._ecrit = False
