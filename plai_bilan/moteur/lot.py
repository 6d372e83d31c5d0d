"""Un lot d'opérations empilées en tableaux numpy (opérations x années ; prêts x années).

Le lot est ce que consomment les lignes du compte et les solveurs ; une opération seule est un lot d'une ligne.
Taux en décimal ; montants d'exploitation par logement et par an aux prix de l'année 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from plai_bilan.moteur.prets import CODES_PROFIL, CODES_REVISABILITE, Echeancier, echeancier, taux_annuels


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
    g_loyers: np.ndarray
    g_charges: np.ndarray
    n_logements: np.ndarray
    n_plai_adapte: np.ndarray
    frais_gestion: np.ndarray
    entretien_courant: np.ndarray
    assurance: np.ndarray
    autres_charges: np.ndarray
    charges_comprises: np.ndarray
    gros_entretien_total: np.ndarray  # euros par an pour l'opération, année 1
    gla: np.ndarray
    gla_duree: np.ndarray
    accompagnement: np.ndarray
    accompagnement_duree: np.ndarray
    financement_accompagnement: np.ndarray
    financement_accompagnement_duree: np.ndarray
    tfpb: np.ndarray
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
    unitaire: Echeancier  # échéancier d'un euro de chaque prêt (homogénéité)
    indice_solde: np.ndarray  # (O,) indice à plat du prêt d'équilibre, -1 sans
    parametres_prets: ParametresPrets
    noms_prets: tuple[str, ...] = field(default=())

    @property
    def n_operations(self) -> int:
        return len(self.horizon)

    @property
    def actif(self) -> np.ndarray:
        """(O, H) vrai pour les années dans l'horizon de l'opération."""
        return self.t[None, :] <= self.horizon[:, None]

    def echeancier_prets(self) -> Echeancier:
        """Échéanciers des prêts à leur capital : l'échéancier unitaire multiplié par le capital."""
        k = self.principal[:, None]
        u = self.unitaire
        return Echeancier(u.capital_initial * self.principal, u.echeances * k, u.interets * k,
                          u.amortissements * k, u.capital_restant_du * k, u.taux, u.progressivite)

    def avec(self, **changements) -> Lot:
        from dataclasses import replace
        return replace(self, **changements)

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
                         unitaire=params.echeancier_unitaire(la[pret_operation]), indice_solde=indice_solde,
                         parametres_prets=params, noms_prets=tuple(self.noms_prets[i] for i in prets))


def _champ(entrees, fonction) -> np.ndarray:
    return np.array([fonction(e) for e in entrees], dtype=float)


def construire_lot(entrees: list, livret_a: np.ndarray | None = None) -> Lot:
    """Empile les entrées de plusieurs opérations (``preparation.Entrees``) en un lot.

    ``livret_a`` (O, H) remplace les trajectoires des scénarios (tests de résistance).
    """
    horizons = np.array([e.horizon for e in entrees], dtype=int)
    h = int(horizons.max())
    t = np.arange(1, h + 1)
    if livret_a is None:
        la = np.zeros((len(entrees), h))
        for i, e in enumerate(entrees):
            trajet = e.livret_a
            la[i, : len(trajet)] = trajet
            la[i, len(trajet):] = trajet[-1]
    else:
        la = np.asarray(livret_a, float)
    ex = [e.scenario.exploitation for e in entrees]

    def base(e, f):
        return sum(lg.nombre * 12.0 * f(lg) for lg in e.lignes)

    pret_op, principal, duree, prog, revis, indexe, taux_fixe, marge, pref, diff, profil, noms = ([] for _ in range(12))
    indice_solde = np.full(len(entrees), -1, dtype=int)
    for i, e in enumerate(entrees):
        for j, pr in enumerate(e.scenario.prets):
            if e.indice_solde == j:
                indice_solde[i] = len(pret_op)
            pret_op.append(i)
            principal.append(e.principaux[j])
            duree.append(pr.duree)
            prog.append(pr.progressivite_pct / 100.0)
            revis.append(CODES_REVISABILITE[pr.revisabilite])
            indexe.append(pr.index == "livret_a")
            taux_fixe.append((pr.taux_pct or 0.0) / 100.0)
            marge.append(pr.marge_pct / 100.0)
            pref.append(pr.prefinancement)
            diff.append(pr.differe_amortissement)
            profil.append(CODES_PROFIL[pr.profil])
            noms.append(pr.nom)
    pret_op = np.array(pret_op, dtype=int)
    params = ParametresPrets(duree=np.array(duree, int), progressivite=np.array(prog, float),
                             revisabilite=np.array(revis, int), indexe=np.array(indexe, bool),
                             taux_fixe=np.array(taux_fixe, float), marge=np.array(marge, float),
                             prefinancement=np.array(pref, int), differe=np.array(diff, int),
                             profil=np.array(profil, int))
    unitaire = params.echeancier_unitaire(la[pret_op] if len(pret_op) else np.zeros((0, h)))

    def md(x, attr):
        v = getattr(x, attr)
        return (0.0, 0) if v is None else (v.montant, v.duree)

    def ge(e, x):
        if x.gros_entretien is not None:
            return x.gros_entretien * e.scenario.n_logements
        if x.gros_entretien_pct_travaux is not None:
            return x.gros_entretien_pct_travaux / 100.0 * e.scenario.prix_de_revient.travaux
        return 0.0

    fp = [e.scenario.fonds_propres for e in entrees]
    return Lot(
        t=t,
        horizon=horizons,
        base_loyers=_champ(entrees, lambda e: base(e, lambda lg: lg.loyer + lg.loyer_accessoire)),
        base_accessoires=_champ(entrees, lambda e: base(e, lambda lg: lg.loyer_accessoire)),
        base_rls=_champ(entrees, lambda e: base(e, lambda lg: lg.rls)),
        base_surface=_champ(entrees, lambda e: base(e, lambda lg: lg.surface_utile)),
        vacance=np.array([x.vacance_pct / 100.0 for x in ex]),
        impayes=np.array([x.impayes_pct / 100.0 for x in ex]),
        charges_pct_loyers=np.array([x.charges_pct_loyers / 100.0 for x in ex]),
        g_loyers=np.array([x.indexation.loyers_pct / 100.0 for x in ex]),
        g_charges=np.array([x.indexation.charges_pct / 100.0 for x in ex]),
        n_logements=_champ(entrees, lambda e: e.scenario.n_logements),
        n_plai_adapte=_champ(entrees, lambda e: e.scenario.n_plai_adapte),
        frais_gestion=np.array([x.frais_gestion for x in ex]),
        entretien_courant=np.array([x.entretien_courant for x in ex]),
        assurance=np.array([x.assurance for x in ex]),
        autres_charges=np.array([x.autres_charges for x in ex]),
        charges_comprises=np.array([x.charges_comprises for x in ex]),
        gros_entretien_total=np.array([ge(e, x) for e, x in zip(entrees, ex)]),
        gla=np.array([md(x, "gla")[0] for x in ex]),
        gla_duree=np.array([md(x, "gla")[1] for x in ex]),
        accompagnement=np.array([md(x, "accompagnement")[0] for x in ex]),
        accompagnement_duree=np.array([md(x, "accompagnement")[1] for x in ex]),
        financement_accompagnement=np.array([md(x, "financement_accompagnement")[0] for x in ex]),
        financement_accompagnement_duree=np.array([md(x, "financement_accompagnement")[1] for x in ex]),
        tfpb=np.array([x.tfpb.montant if x.tfpb else 0.0 for x in ex]),
        tfpb_exoneration=np.array([x.tfpb.exoneration if x.tfpb else 0 for x in ex]),
        fonds_propres=np.array([f.montant for f in fp]),
        fonds_propres_taux=np.array([f.remuneration.taux_pct / 100.0 if f.remuneration else 0.0 for f in fp]),
        fonds_propres_duree=np.array([f.remuneration.duree if f.remuneration else 0 for f in fp]),
        tresorerie_initiale=_champ(entrees, lambda e: e.scenario.analyse.tresorerie_initiale),
        taux_actualisation=_champ(entrees, lambda e: _taux_ou_nan(e.scenario.analyse.taux_actualisation_pct)),
        livret_a=la,
        pret_operation=pret_op,
        principal=np.array(principal, float),
        unitaire=unitaire,
        indice_solde=indice_solde,
        parametres_prets=params,
        noms_prets=tuple(noms),
    )


def _taux_ou_nan(pct: float | None) -> float:
    return float("nan") if pct is None else pct / 100.0
