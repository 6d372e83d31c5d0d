"""Les résultats des études (instruction, sensibilité, risque de taux) : des objets fermés que lisent les sorties.

Comme :mod:`plai_bilan.bilan`, ce module ne calcule rien : les modules ``instruction``, ``sensibilite`` et
``risque`` les construisent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from plai_bilan.bilan import Bilan, Constat, Provenance

NON_CONFORME = "non conforme"
QUANTILES = (0.5, 0.9, 0.99)


VERDICTS = {  # code -> (statut de sortie, libellé)
    "justifiee": (0, "demande justifiée"),
    "excessive": (1, "demande excessive"),
    "plan_non_equilibre": (3, "plan de financement non équilibré"),
    "non_eligible": (4, "opération non éligible au PLAI adapté"),
    "surcompensation": (5, "demande au-dessus de la subvention maximale sans surcompensation"),
}


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """Le verdict d'instruction et ce qui le fonde, jugé par :mod:`plai_bilan.instruction` (seed 001, III : la
    subvention PLAI adapté paie les surcoûts et baisses de recettes des contreparties sociales, pas un
    désengagement des autres financeurs). Montants au centime."""

    bilan: Bilan  # l'opération, la subvention instruite devenue l'inconnue
    indice: int
    financeur: str
    demande: float
    constats_eligibilite: tuple[Constat, ...]
    tolerance: float  # euros : écart admis entre la demande et les bornes
    verdict: str  # clé de VERDICTS
    subvention_minimale: float | None  # S*
    justifiable: float | None  # J = max(0, min(S*, C))
    ecart: float | None  # demande - S* (positif : excès sur l'équilibre ; négatif : la demande ne suffit pas)
    ecart_pct: float | None
    borne: str | None  # ce qui fixe J : « equilibre » (S* <= C) ou « contreparties » (C < S*)
    subvention_maximale: float | None  # la subvention maximale sans surcompensation (SIEG) de la subvention instruite
    au_dessus_du_maximum: bool | None
    excedent: float | None  # demande - J quand la demande est excessive
    manque: float | None  # S* - demande quand la demande laisse un déficit
    manque_dans_contreparties: float | None  # la part que la subvention PLAI adapté pourrait encore couvrir
    manque_hors_contreparties: float | None  # la part qui doit venir d'autres financeurs
    raison: str  # le verdict en une phrase française
    motifs: tuple[str, ...]  # vide si justifiée : la phrase du verdict, puis chaque critère non conforme

    @property
    def criteres_non_conformes(self) -> tuple[Constat, ...]:
        return tuple(c for c in self.constats_eligibilite if c.statut == NON_CONFORME)

    @property
    def statut_sortie(self) -> int:
        return VERDICTS[self.verdict][0]

    @property
    def libelle(self) -> str:
        return VERDICTS[self.verdict][1]

    @property
    def justifiee(self) -> bool:
        return self.verdict == "justifiee"


@dataclass(frozen=True, kw_only=True)
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
            if not self.faisable:  # base infaisable : d'abord les hypothèses qui rendent une subvention suffisante
                finies = [x for x in (l.subvention_basse, l.subvention_haute) if np.isfinite(x)]
                return -min(finies) if finies else -np.inf
            a = np.array([l.subvention_basse, l.subvention_haute]) - self.subvention_base
            return float(np.max(np.abs(np.where(np.isfinite(a), a, 1e18))))
        return sorted(self.lignes, key=amplitude, reverse=True)

    @property
    def faisable(self) -> bool:
        """Une subvention équilibre-t-elle l'opération telle qu'elle est décrite ?"""
        return bool(np.isfinite(self.subvention_base))


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

    def plus_severe_que(self, subvention: float | None) -> float:
        """La part des trajectoires aléatoires qu'une subvention (None : infaisable) dépasse : le rang d'une
        trajectoire de résistance dans le modèle aléatoire."""
        s = math.inf if subvention is None else subvention
        return float(np.mean(self.subventions < s)) if self.subventions.size else 0.0

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

