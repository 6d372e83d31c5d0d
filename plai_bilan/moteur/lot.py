"""Un lot d'opérations empilées en tableaux numpy (opérations x années ; prêts x années).

Le moteur ne voit que ces tableaux : la lecture du scénario et la conversion des pour cent en décimal se font
une fois, dans ``preparation`` (``construire_lot``).

Le lot est ce que consomment les lignes du compte et les solveurs ; une opération seule est un lot d'une ligne.
Taux en décimal ; montants d'exploitation par logement et par an aux prix de l'année 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from plai_bilan.moteur.prets import CODES_PROFIL, CODES_REVISABILITE, Echeancier, echeancier, taux_annuels


def indice_croissance(g: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(1 + g) ** (t - 1), (O, H)."""
    return (1.0 + g[:, None]) ** (t[None, :] - 1)


@dataclass(frozen=True, kw_only=True)
class ParametresPrets:
    """Caractéristiques des prêts du lot, à plat (L,) : de quoi recalculer les échéanciers d'une autre trajectoire."""

    duree: np.ndarray
    progressivite: np.ndarray
    revisabilite: np.ndarray
    indexe: np.ndarray
    taux_fixe: np.ndarray
    marge: np.ndarray
    prefinancement: np.ndarray
    differe: np.ndarray
    profil: np.ndarray

    def prendre(self, indices: np.ndarray) -> ParametresPrets:
        return ParametresPrets(**{k: v[indices] for k, v in vars(self).items()})

    def echeancier_unitaire(self, livret_a_prets: np.ndarray) -> Echeancier:
        """Échéancier d'un euro de chaque prêt sous la trajectoire (L, H) du livret A de son opération."""
        taux = taux_annuels(self.indexe, self.taux_fixe, self.marge, livret_a_prets)
        return echeancier(np.ones(len(self.duree)), taux, self.duree, progressivite=self.progressivite,
                          revisabilite=self.revisabilite, indexe=self.indexe, prefinancement=self.prefinancement,
                          differe=self.differe, profil=self.profil)


@dataclass(frozen=True, kw_only=True)
class Lot:
    t: np.ndarray  # (H,) années d'exploitation 1..H
    horizon: np.ndarray  # (O,) horizon de chaque opération
    # Assiettes annuelles des loyers, année 1 (euros par an).
    base_loyers: np.ndarray  # somme n_i * 12 * (loyer_i + accessoire_i)
    base_accessoires: np.ndarray  # somme n_i * 12 * accessoire_i
    base_rls: np.ndarray  # somme n_i * 12 * RLS_i des lignes soumises
    base_surface: np.ndarray  # somme n_i * 12 * SU_i (pour le loyer d'équilibre)
    vacance: np.ndarray
    impayes: np.ndarray
    charges_pct_loyers: np.ndarray
    indexation_loyers: np.ndarray
    indexation_charges: np.ndarray
    n_logements: np.ndarray
    n_plai_adapte: np.ndarray
    frais_gestion: np.ndarray
    entretien_courant: np.ndarray
    assurance: np.ndarray
    autres_charges: np.ndarray
    charges_comprises: np.ndarray
    provision_gros_travaux: np.ndarray
    gros_entretien_total: np.ndarray  # euros par an pour l'opération, année 1
    gla_montant: np.ndarray
    gla_duree: np.ndarray
    gls_montant: np.ndarray
    gls_duree: np.ndarray
    accompagnement_montant: np.ndarray
    accompagnement_duree: np.ndarray
    financement_accompagnement_montant: np.ndarray
    financement_accompagnement_duree: np.ndarray
    n_financement_accompagnement: np.ndarray  # logements qu'il compte : PLAI adaptés s'il leur est propre, sinon tous
    tfpb_montant: np.ndarray
    tfpb_exoneration: np.ndarray
    fonds_propres: np.ndarray
    fonds_propres_taux: np.ndarray
    fonds_propres_duree: np.ndarray
    tresorerie_initiale: np.ndarray
    taux_actualisation: np.ndarray  # nan si non donné
    livret_a: np.ndarray  # (O, H)
    # Prêts, à plat.
    pret_operation: np.ndarray  # (L,) indice de l'opération
    principal: np.ndarray  # (L,)
    indice_solde: np.ndarray  # (O,) indice à plat du prêt d'équilibre, -1 sans
    parametres_prets: ParametresPrets
    noms_prets: tuple[str, ...] = field(default=())

    @property
    def n_operations(self) -> int:
        return len(self.horizon)

    @cached_property
    def unitaire(self) -> Echeancier:
        """Échéancier d'un euro de chaque prêt (homogénéité), sous le livret A de son opération ; calculé à la
        première lecture (le noyau compilé n'en a pas besoin)."""
        n_annees = len(self.t)
        la = self.livret_a[self.pret_operation] if len(self.pret_operation) else np.zeros((0, n_annees))
        return self.parametres_prets.echeancier_unitaire(la)

    @cached_property
    def indice_loyers(self) -> np.ndarray:
        """(1 + indexation_loyers) ** (t - 1), (O, H), calculé une fois par lot."""
        return indice_croissance(self.indexation_loyers, self.t)

    @cached_property
    def indice_charges(self) -> np.ndarray:
        """(1 + indexation_charges) ** (t - 1), (O, H), calculé une fois par lot."""
        return indice_croissance(self.indexation_charges, self.t)

    @property
    def actif(self) -> np.ndarray:
        """(O, H) vrai pour les années dans l'horizon de l'opération."""
        return self.t[None, :] <= self.horizon[:, None]

    def echeances_prets(self) -> np.ndarray:
        """Les échéances des prêts à leur capital (celles de :meth:`echeancier_prets`, seules)."""
        return self.unitaire.echeances * self.principal[:, None]

    def echeancier_prets(self) -> Echeancier:
        """Échéanciers des prêts à leur capital : l'échéancier unitaire multiplié par le capital."""
        k = self.principal[:, None]
        u = self.unitaire
        return Echeancier(u.capital_initial * self.principal, u.echeances * k, u.interets * k,
                          u.amortissements * k, u.capital_restant_du * k, u.taux, u.progressivite)

    def avec(self, **changements) -> Lot:
        """Le lot modifié ; l'échéancier unitaire déjà calculé est gardé s'il ne dépend pas des changements."""
        from dataclasses import replace
        nouveau = replace(self, **changements)
        if "unitaire" in vars(self) and not {"livret_a", "pret_operation", "parametres_prets", "t"} & changements.keys():
            vars(nouveau)["unitaire"] = self.unitaire
        return nouveau

    def sous_trajectoires(self, livret_a: np.ndarray) -> Lot:
        """Le lot d'UNE opération répété pour chaque trajectoire (N, H) du livret A : N opérations identiques
        dont seuls les taux des prêts indexés diffèrent (tests de résistance, vectorisés sur les trajectoires)."""
        assert self.n_operations == 1, "sous_trajectoires attend un lot d'une seule opération"
        la = np.asarray(livret_a, float)
        n, n_prets = la.shape[0], len(self.principal)
        par_pret = {"pret_operation", "principal", "indice_solde", "livret_a", "t"}
        champs = {nom: np.repeat(v, n) for nom, v in vars(self).items()
                  if isinstance(v, np.ndarray) and nom not in par_pret}
        prets = np.tile(np.arange(n_prets), n)
        params = self.parametres_prets.prendre(prets)
        pret_operation = np.repeat(np.arange(n), n_prets)
        indice_solde = (np.where(self.indice_solde[0] >= 0, np.arange(n) * n_prets + self.indice_solde[0], -1)
                        .astype(int))
        return self.avec(**champs, livret_a=la, pret_operation=pret_operation, principal=self.principal[prets],
                         indice_solde=indice_solde,
                         parametres_prets=params, noms_prets=tuple(self.noms_prets[i] for i in prets))
