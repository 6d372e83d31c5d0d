"""L'API de haut niveau : simuler une opération, résoudre sa subvention minimale, en lot ou seule."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from plai_bilan.controles import Constat, controler
from plai_bilan.erreurs import ScenarioInvalide
from plai_bilan.moteur.exploitation import Compte, compte
from plai_bilan.moteur.lot import Lot, construire_lot
from plai_bilan.moteur.prets import Echeancier
from plai_bilan.parametres import Parametres
from plai_bilan.preparation import Entrees, preparer, variante_plai_ordinaire
from plai_bilan.scenario import Scenario
from plai_bilan.solveur import Besoin, besoin_subvention, resoudre_lot

# Libellés français des lignes du compte, dans l'ordre du tableau.
LIBELLES = {
    "annee": "Année",
    "annee_civile": "Année civile",
    "revenu_locatif": "Loyers quittancés nets de vacance et d'impayés",
    "reduction_loyer_solidarite": "Réduction de loyer de solidarité",
    "loyers": "Loyers",
    "produits_accompagnement": "Financement de l'accompagnement",
    "frais_gestion": "Frais de gestion",
    "entretien_courant": "Entretien courant",
    "gros_entretien": "Gros entretien",
    "assurance": "Assurance",
    "autres_charges": "Autres charges",
    "charges_comprises": "Charges comprises (foyer)",
    "charges_proportionnelles": "Charges en % des loyers",
    "gestion_locative_adaptee": "Gestion locative adaptée",
    "accompagnement": "Accompagnement",
    "taxe_fonciere": "Taxe foncière (TFPB)",
    "charges": "Charges d'exploitation",
    "annuites": "Annuités d'emprunts",
    "remuneration_fonds_propres": "Rémunération des fonds propres",
    "autofinancement": "Autofinancement",
    "tresorerie": "Trésorerie cumulée",
}


@dataclass(frozen=True)
class Simulation:
    """Le compte année par année d'une opération et les échéanciers de ses prêts."""

    entrees: Entrees
    lignes: dict[str, np.ndarray]  # (H,)
    autofinancement: np.ndarray
    tresorerie: np.ndarray
    van: float | None
    prets: Echeancier  # (L, H)
    subvention: float = 0.0  # subvention inconnue appliquée (0 en simulation)

    @property
    def scenario(self) -> Scenario:
        return self.entrees.scenario

    @property
    def annees(self) -> np.ndarray:
        return np.arange(1, self.entrees.horizon + 1)

    @property
    def annees_civiles(self) -> np.ndarray:
        return self.scenario.operation.mise_en_service + self.annees - 1

    def colonnes(self) -> dict[str, np.ndarray]:
        """Le compte sous forme de colonnes nommées comme les clés JSON."""
        cols = {"annee": self.annees, "annee_civile": self.annees_civiles}
        cols.update(self.lignes)
        cols["autofinancement"] = self.autofinancement
        cols["tresorerie"] = self.tresorerie
        return cols

    def tableau(self):
        """Le compte en DataFrame pandas, colonnes en français, une ligne par année."""
        import pandas as pd

        return pd.DataFrame({LIBELLES[k]: v for k, v in self.colonnes().items()}).set_index("Année")


def _extraire(lot: Lot, c: Compte, ech: Echeancier, i: int, entrees: Entrees, subvention: float = 0.0) -> Simulation:
    h = entrees.horizon
    sel = ech.selection(lot.pret_operation == i, h)
    van = c.van[i]
    return Simulation(entrees, {k: v[i, :h] for k, v in c.lignes.items()}, c.autofinancement[i, :h],
                      c.tresorerie[i, :h], None if math.isnan(van) else float(van), sel, subvention)


def simuler(scenario: Scenario, parametres: Parametres | None = None) -> Simulation:
    """Le compte de l'opération, la subvention inconnue comptée pour 0."""
    e = preparer(scenario, parametres)
    lot = construire_lot([e])
    ech = lot.echeancier_prets()
    return _extraire(lot, compte(lot, echeances=ech.echeances), ech, 0, e)


@dataclass(frozen=True)
class DetailEquilibre:
    """Les grandeurs intermédiaires des formes fermées (model.md 8) pour une opération, années 1..H.

    ``v``, ``w`` : valeur du critère à S = 0 et son coefficient ; ``v_loyer``, ``w_loyer`` : les mêmes pour le
    loyer d'équilibre ; ``v_plai`` et ``pret_equilibre_plai`` : la variante PLAI ordinaire (mêmes ``w``).
    """

    unitaire: Echeancier  # échéancier d'un euro de prêt d'équilibre (1, H)
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    v_loyer: np.ndarray
    w_loyer: np.ndarray
    v_plai: np.ndarray | None
    pret_equilibre_plai: float | None
    compte_zero: Simulation  # le compte à S = 0


@dataclass(frozen=True)
class ResultatSubvention:
    """La subvention minimale d'une opération et ce qui l'explique."""

    entrees: Entrees
    critere: str
    faisable: bool
    subvention_minimale: float | None
    annee_critique: int | None
    motif: str | None
    pret_equilibre_initial: float | None  # K_bal, subvention inconnue à 0
    pret_equilibre: float | None  # K_bal - S*
    annees_deficit: list[tuple[int, float]]
    loyer_equilibre_m2: float | None
    cout_contreparties: float | None
    subvention_plai_ordinaire: float | None
    simulation: Simulation  # le compte avec S* appliquée (S = 0 si infaisable)
    avertissements: tuple[str, ...]
    controles: tuple[Constat, ...] = field(default=())
    detail: DetailEquilibre | None = None

    @property
    def scenario(self) -> Scenario:
        return self.entrees.scenario

    @property
    def prix_de_revient(self) -> float:
        return self.entrees.prix_de_revient

    @property
    def par_logement(self) -> float | None:
        s = self.subvention_minimale
        return None if s is None else s / self.scenario.n_logements

    @property
    def par_logement_plai_adapte(self) -> float | None:
        s, n = self.subvention_minimale, self.scenario.n_plai_adapte
        return None if s is None or n == 0 else s / n

    @property
    def tresorerie_minimale(self) -> tuple[float, int]:
        """La trésorerie cumulée la plus basse (avec la subvention appliquée) et son année."""
        t = self.simulation.tresorerie
        j = int(np.argmin(t))
        return float(t[j]), j + 1


def _lot_avec_subventions(lot: Lot, subventions: np.ndarray) -> Lot:
    """Le lot où chaque prêt d'équilibre est diminué de la subvention de son opération (homogénéité)."""
    principal = lot.principal.copy()
    a_solde = lot.indice_solde >= 0
    principal[lot.indice_solde[a_solde]] -= subventions[a_solde]
    return lot.avec(principal=principal)


def resoudre(entrees: list[Entrees], variantes: bool = True, parametres: Parametres | None = None
             ) -> list[ResultatSubvention]:
    """Subvention minimale de plusieurs opérations, résolues en un lot.

    Avec ``variantes``, chaque opération est aussi résolue en PLAI ordinaire (même lot) pour le coût des
    contreparties sociales.
    """
    tout = list(entrees)
    if variantes:
        tout += [preparer(variante_plai_ordinaire(e.scenario), parametres) for e in entrees]
    lot = construire_lot(tout)
    criteres = [e.scenario.analyse.critere for e in tout]
    sol = resoudre_lot(lot, criteres)
    n = len(entrees)
    appliquees = np.where(sol.faisable, np.nan_to_num(sol.subvention), 0.0)
    lot_s = _lot_avec_subventions(lot, appliquees)
    ech_s = lot_s.echeancier_prets()
    compte_s = compte(lot_s, echeances=ech_s.echeances)
    ech_0 = lot.echeancier_prets()
    resultats = []
    for i, e in enumerate(entrees):
        faisable = bool(sol.faisable[i])
        s = float(sol.subvention[i]) if faisable else None
        k_bal = float(sol.pret_equilibre_initial[i]) if e.indice_solde is not None else None
        avert = list(e.avertissements)
        if e.indice_solde is None:
            avert.append(f"{e.scenario.fichier} : clé « prets » : aucun prêt montant = \"solde\" ; la subvention "
                         "inconnue ne peut remplacer aucun emprunt")
        if sol.annee_critique_apres_pret[i]:
            avert.append(f"l'année critique ({int(sol.annee_critique[i])}) est après la dernière échéance du prêt "
                         "d'équilibre")
        s_plai = cout = None
        if variantes and sol.faisable[n + i]:
            s_plai = float(sol.subvention[n + i])
            if s is not None:
                cout = s - s_plai
        sim = _extraire(lot_s, compte_s, ech_s, i, e, float(appliquees[i]))
        loyer = float(sol.loyer_equilibre[i])
        detail = None
        if e.indice_solde is not None:
            h = e.horizon
            detail = DetailEquilibre(
                unitaire=lot.unitaire.selection([lot.indice_solde[i]], h), u=sol.unitaire[i, :h], v=sol.valeurs[i, :h], w=sol.coefficients[i, :h],
                v_loyer=sol.valeurs_loyer[i, :h], w_loyer=sol.coefficients_loyer[i, :h],
                v_plai=sol.valeurs[n + i, :h] if variantes else None,
                pret_equilibre_plai=float(sol.pret_equilibre_initial[n + i]) if variantes else None,
                compte_zero=_extraire(lot, sol.compte, ech_0, i, e))
        r = ResultatSubvention(
            entrees=e,
            critere=str(sol.critere[i]),
            faisable=faisable,
            subvention_minimale=s,
            annee_critique=int(sol.annee_critique[i]) or None,
            motif=sol.motif[i],
            pret_equilibre_initial=k_bal,
            pret_equilibre=None if k_bal is None else k_bal - (s or 0.0),
            annees_deficit=sol.annees_deficit[i],
            loyer_equilibre_m2=None if math.isnan(loyer) else loyer,
            cout_contreparties=cout,
            subvention_plai_ordinaire=s_plai,
            simulation=sim,
            avertissements=tuple(avert),
            detail=detail,
        )
        resultats.append(_avec_controles(r))
    return resultats


def _avec_controles(r: ResultatSubvention) -> ResultatSubvention:
    from dataclasses import replace

    return replace(r, controles=tuple(controler(r.entrees, r)))


def subvention_minimale(scenario: Scenario, parametres: Parametres | None = None) -> ResultatSubvention:
    """La plus petite subvention « a_calculer » qui équilibre l'opération selon son critère."""
    exiger_pret_equilibre(scenario)
    return resoudre([preparer(scenario, parametres)], parametres=parametres)[0]


def exiger_pret_equilibre(scenario: Scenario) -> None:
    """Erreur claire quand aucun prêt ne vaut « solde » : la subvention n'a rien à remplacer."""
    if not any(p.est_solde for p in scenario.prets):
        raise ScenarioInvalide(scenario.fichier, "prets",
                               "le calcul de la subvention minimale exige un prêt d'équilibre (montant = \"solde\")")


def besoins(entrees: list[Entrees]) -> Besoin:
    """S* de plusieurs opérations en un lot, sans motifs ni loyer d'équilibre (études de sensibilité)."""
    lot = construire_lot(entrees)
    criteres = np.array([e.scenario.analyse.critere for e in entrees])
    return besoin_subvention(lot, criteres, compte(lot))
