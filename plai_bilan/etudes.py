"""Les résultats des études (instruction, sensibilité, risque de taux) : des objets fermés que lisent les sorties.

Comme :mod:`plai_bilan.bilan`, ce module ne calcule rien : les modules ``instruction``, ``sensibilite`` et
``risque`` les construisent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plai_bilan.bilan import Bilan, Constat, Provenance

NON_CONFORME = "non conforme"
QUANTILES = (0.5, 0.9, 0.99)


@dataclass(frozen=True)
class Verdict:
    """Le verdict d'instruction et ce qui le fonde."""

    bilan: Bilan  # l'opération, la subvention instruite devenue l'inconnue
    indice: int
    financeur: str
    demande: float
    constats_eligibilite: tuple[Constat, ...]
    tolerance: float  # euros : écart admis au-dessus de la subvention d'équilibre

    @property
    def subvention_minimale(self) -> float | None:
        return self.bilan.subvention_minimale

    @property
    def ecart(self) -> float | None:
        """Demande - S* (positif : excès ; négatif : la demande ne suffit pas)."""
        s = self.subvention_minimale
        return None if s is None else self.demande - s

    @property
    def ecart_pct(self) -> float | None:
        s = self.subvention_minimale
        return None if s is None or s == 0 else self.ecart / s * 100

    @property
    def criteres_non_conformes(self) -> tuple[Constat, ...]:
        return tuple(c for c in self.constats_eligibilite if c.statut == NON_CONFORME)

    @property
    def justifiee(self) -> bool:
        return (self.bilan.faisable and self.ecart is not None and self.ecart <= self.tolerance
                and not self.criteres_non_conformes)

    @property
    def motifs(self) -> list[str]:
        """Pourquoi la demande n'est pas justifiée (liste vide si elle l'est)."""
        from plai_bilan.format import euros

        m = []
        if not self.bilan.faisable:
            m.append(f"aucune subvention n'équilibre l'opération ({self.bilan.motif})")
        elif self.ecart > self.tolerance:
            pct = f" ({self.ecart_pct:.1f} %)".replace(".", ",") if self.ecart_pct is not None else ""
            m.append(f"la demande dépasse la subvention minimale de {euros(self.ecart)}{pct}")
        for c in self.criteres_non_conformes:
            m.append(f"critère {c.code} non conforme : {c.libelle}")
        return m


@dataclass(frozen=True)
class LigneSensibilite:
    cle: str
    libelle: str
    unite: str
    base: float
    basse: float
    haute: float
    subvention_basse: float  # S* (inf si infaisable)
    subvention_haute: float
    bascule: float | None  # valeur où S* devient nulle ; None hors plage
    rupture: float | None  # dernière valeur où une subvention suffit encore ; None hors plage
    plage: tuple[float, float]


@dataclass(frozen=True)
class Sensibilite:
    provenance: Provenance
    nom: str
    critere: str
    subvention_base: float
    lignes: tuple[LigneSensibilite, ...]

    def triees(self) -> list[LigneSensibilite]:
        """Les lignes de la plus grande amplitude à la plus petite (ordre d'une tornade)."""
        def amplitude(l: LigneSensibilite) -> float:
            a = np.array([l.subvention_basse, l.subvention_haute]) - self.subvention_base
            return float(np.nanmax(np.abs(np.where(np.isinf(a), 1e18, a))))
        return sorted(self.lignes, key=amplitude, reverse=True)


@dataclass(frozen=True)
class Trajectoire:
    """Une trajectoire du livret A et la subvention d'équilibre qu'elle demande."""

    nom: str
    libelle: str
    taux: np.ndarray  # (H,) décimal
    faisable: bool = True
    subvention_minimale: float | None = None  # None si infaisable
    besoin_brut: float | None = None  # au-delà du prêt d'équilibre ; None quand une année est sans levier


@dataclass(frozen=True)
class Distribution:
    """La distribution de S* sur N trajectoires aléatoires."""

    subventions: np.ndarray  # (N,), +inf si infaisable
    graine: int

    @property
    def n(self) -> int:
        return len(self.subventions)

    def quantile(self, q: float) -> float:
        """Le plus petit S tel qu'au moins q des trajectoires ont S* <= S (inf si hors d'atteinte)."""
        return float(np.quantile(self.subventions, q, method="inverted_cdf"))

    @property
    def part_infaisable(self) -> float:
        return float(np.isinf(self.subventions).mean())


@dataclass(frozen=True)
class Risque:
    provenance: Provenance
    nom: str
    critere: str
    horizon: int
    pret_equilibre_initial: float | None
    trajectoires: tuple[Trajectoire, ...]
    distribution: Distribution
