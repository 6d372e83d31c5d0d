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
}
AUTRES_FINANCEURS = "du PLAI de droit commun, des collectivités, d'Action Logement ou des fonds propres"


def _centimes(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


@dataclass(frozen=True)
class Verdict:
    """Le verdict d'instruction et ce qui le fonde (seed 001, III : la subvention PLAI adapté paie les surcoûts et
    baisses de recettes des contreparties sociales, pas un désengagement des autres financeurs)."""

    bilan: Bilan  # l'opération, la subvention instruite devenue l'inconnue
    indice: int
    financeur: str
    demande: float  # au centime
    constats_eligibilite: tuple[Constat, ...]
    tolerance: float  # euros : écart admis entre la demande et les bornes

    @property
    def subvention_minimale(self) -> float | None:
        """S* au centime."""
        return _centimes(self.bilan.subvention_minimale)

    @property
    def justifiable(self) -> float | None:
        """J = max(0, min(S*, C)) au centime."""
        return _centimes(self.bilan.subvention_justifiable)

    @property
    def ecart(self) -> float | None:
        """Demande - S* (positif : excès sur l'équilibre ; négatif : la demande ne suffit pas)."""
        s = self.subvention_minimale
        return None if s is None else round(self.demande - s, 2)

    @property
    def ecart_pct(self) -> float | None:
        s = self.subvention_minimale
        return None if s is None or s == 0 else self.ecart / s * 100

    @property
    def criteres_non_conformes(self) -> tuple[Constat, ...]:
        return tuple(c for c in self.constats_eligibilite if c.statut == NON_CONFORME)

    @property
    def verdict(self) -> str:
        if self.criteres_non_conformes:
            return "non_eligible"
        if not self.bilan.faisable or self.justifiable is None:
            return "plan_non_equilibre"
        if self.demande > self.justifiable + self.tolerance:
            return "excessive"
        if self.demande < self.subvention_minimale - self.tolerance:
            return "plan_non_equilibre"
        return "justifiee"

    @property
    def statut_sortie(self) -> int:
        return VERDICTS[self.verdict][0]

    @property
    def libelle(self) -> str:
        return VERDICTS[self.verdict][1]

    @property
    def justifiee(self) -> bool:
        return self.verdict == "justifiee"

    @property
    def borne(self) -> str | None:
        """La borne qui fixe le montant justifiable : « equilibre » (S* <= C) ou « contreparties » (C < S*)."""
        s, c = self.subvention_minimale, self.bilan.cout_contreparties
        if s is None or c is None:
            return None
        return "equilibre" if s <= c else "contreparties"

    @property
    def subvention_maximale(self) -> float | None:
        """La subvention maximale sans surcompensation (SIEG) de la subvention instruite."""
        c = self.bilan.sieg.corridor if self.bilan.sieg is not None else None
        return None if c is None else c.maximum

    @property
    def au_dessus_du_maximum(self) -> bool | None:
        m = self.subvention_maximale
        return None if m is None else self.demande > m + self.tolerance

    @property
    def excedent(self) -> float | None:
        """Demande - J quand la demande est excessive."""
        return round(self.demande - self.justifiable, 2) if self.verdict == "excessive" else None

    @property
    def manque(self) -> float | None:
        """S* - demande quand la demande laisse un déficit."""
        s = self.subvention_minimale
        if s is None or self.demande >= s - self.tolerance:
            return None
        return round(s - self.demande, 2)

    @property
    def manque_dans_contreparties(self) -> float | None:
        """La part du déficit que la subvention PLAI adapté pourrait encore couvrir : max(0, J - demande)."""
        if self.manque is None or self.justifiable is None:
            return None
        return round(max(0.0, self.justifiable - self.demande), 2)

    @property
    def manque_hors_contreparties(self) -> float | None:
        """La part du déficit qui doit venir d'autres financeurs : S* - max(J, demande)."""
        if self.manque is None or self.justifiable is None:
            return None
        return round(self.subvention_minimale - max(self.justifiable, self.demande), 2)

    @property
    def raison(self) -> str:
        """Le verdict en une phrase française."""
        from plai_bilan.format import euros

        b, d = self.bilan, self.demande
        v = self.verdict
        if v == "non_eligible":
            return "critère non conforme : " + " ; ".join(f"{c.code} ({c.libelle})" for c in self.criteres_non_conformes)
        if not b.faisable:
            return f"aucune subvention n'équilibre l'opération ({b.motif}) : le déficit dépasse les contreparties " \
                   f"et doit être résorbé par d'autres ressources ou d'autres choix (voir le diagnostic)"
        s, c, j = self.subvention_minimale, b.cout_contreparties, self.justifiable
        if v == "excessive":
            if self.borne == "equilibre":
                return (f"la demande ({euros(d, 2)}) dépasse de {euros(self.excedent, 2)} la subvention d'équilibre "
                        f"({euros(s, 2)}) : l'opération s'équilibre avec moins")
            return (f"la demande ({euros(d, 2)}) dépasse de {euros(self.excedent, 2)} le coût des contreparties "
                    f"sociales ({euros(c, 2)}) ; le reste du besoin de l'opération ({euros(s - j, 2)}) doit venir "
                    f"{AUTRES_FINANCEURS}, pas de la subvention PLAI adapté")
        if v == "plan_non_equilibre":
            dans, hors = self.manque_dans_contreparties, self.manque_hors_contreparties
            morceaux = []
            if dans:
                morceaux.append(f"{euros(dans, 2)} relèvent des contreparties sociales (la subvention PLAI adapté "
                                f"peut aller jusqu'à {euros(j, 2)})")
            if hors:
                morceaux.append(f"{euros(hors, 2)} doivent venir {AUTRES_FINANCEURS}")
            return (f"la demande ({euros(d, 2)}) et le plan déclaré laissent un déficit de {euros(self.manque, 2)} : "
                    + " ; ".join(morceaux))
        return (f"la demande ({euros(d, 2)}) couvre le besoin d'équilibre ({euros(s, 2)}) sans dépasser le coût des "
                f"contreparties sociales ({euros(c, 2)})")

    @property
    def motifs(self) -> list[str]:
        """Les raisons du verdict (vide s'il est justifié) : la phrase du verdict, puis chaque critère non conforme."""
        if self.justifiee:
            return []
        m = [self.raison] if self.verdict != "non_eligible" else []
        m += [f"critère {c.code} non conforme : {c.libelle}" for c in self.criteres_non_conformes]
        return m


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

