"""Le chemin en colonnes d'une table de programme (docs/programme.md, « Chemin en colonnes »).

Les lignes d'une table ne diffèrent souvent de leur modèle que par des montants (prix de revient, capital d'un prêt
fixe, vacance, impayés, nom). Chaque structure (le modèle et les colonnes qui ne sont pas des montants) est lue,
préparée avec ses quatre variantes et résolue une fois, par le chemin partagé (première ligne) ; ses lignes
suivantes ne sont plus que des nombres : contrôlés comme le lecteur du scénario les contrôle, rangés en tableaux,
appliqués aux lignes du lot de la structure (vacance, impayés, gros entretien, capital des prêts : ce que
``preparation.preparer_depuis`` change), résolus en lot (le noyau compilé sur les grandes tables), puis écrits en
colonnes du tableau.

Toute ligne dont un montant ne passerait pas la lecture sans message (hors bornes, texte, pour cent qui ressemble à
une fraction, plan sur-financé...), toute structure sans prêt d'équilibre ou qui est un fichier de demande, prend le
chemin partagé : même message, même résultat. Les deux chemins sont comparés colonne
par colonne (tests/test_programme_partage.py).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np

from plai_bilan.catalogue import catalogue
from plai_bilan.controles import STATUTS_DES_MONTANTS
from plai_bilan.erreurs import ErreurPlaiBilan
from plai_bilan.moteur import exploitation
from plai_bilan.moteur.prets import Echeancier
from plai_bilan.preparation import (COL_GE, COL_IMPAYES, COL_VACANCE, contexte_postes, lot_depuis_tableaux,
                                    postes_prix_de_revient)
from plai_bilan.produits import besoins_propres, lignes_produit, produits_presents, repartition
from plai_bilan.scenario import MONTANT_MAX, SEUIL_DECIMAL_PCT

PAQUET_COLONNES = 500  # lignes résolues ensemble (5 lignes de lot chacune : l'opération et ses 4 variantes)
SEUIL_NOYAU_COLONNES = 3_000  # lignes de table à partir desquelles le noyau compilé paie son chargement
STRUCTURES_GARDEES = 256

# La clé d'une colonne de montant -> le champ d'une ligne ; « pret » : le capital d'un prêt à montant fixe.
CHAMPS = {"operation.nom": "nom", "prix_de_revient.charge_fonciere": "charge_fonciere",
          "prix_de_revient.travaux": "travaux", "prix_de_revient.honoraires": "honoraires",
          "exploitation.vacance_pct": "vacance_pct", "exploitation.impayes_pct": "impayes_pct"}
_PRET = re.compile(r"prets\[(\d+)\]\.montant")
_STRUCTURELLES = ("nature", "n_logements", "n_plai_adapte", "n_logements_plai", "n_logements_plus",
                  "n_logements_pls")
# Seul le plan de financement lit un montant parmi les contrôles (controles.STATUTS_DES_MONTANTS) : il est refait
# ici sur les tableaux. Un autre statut de montant ajouté là sans l'être ici fermerait ce chemin.
ACTIF = set(STATUTS_DES_MONTANTS) == {"plan"}


def _nombre(v: Any) -> bool:
    return type(v) is float or type(v) is int  # ni un booléen, ni un texte (programme._valeur_cellule)


class _Structure:
    """Une structure de la table : sa lecture, ses entrées de base (l'opération et ses variantes) et les tableaux
    de leurs lignes de lot."""

    def __init__(self, sc, entrees: list, resultats: dict) -> None:
        bases = [x.__dict__.get("structure", x) for x in entrees]
        self.bases = bases
        self.scenario = sc  # le modèle modifié par les seules colonnes de structure
        self.nom = sc.operation.nom
        self.contexte = contexte_postes(sc, entrees[0])
        self.pr = sc.prix_de_revient
        self.autres = sum(m for _, m in self.pr.autres)
        ex = sc.exploitation
        self.ge_fixe = ex.gros_entretien * sum(lg.nombre for lg in sc.logements) \
            if ex.gros_entretien is not None else None
        self.ge_pct = ex.gros_entretien_pct_travaux
        self.fixes = [i for i, p in enumerate(sc.prets) if not p.est_solde]
        self.solde = entrees[0].indice_solde
        self.n_prets = len(sc.prets)
        # Sommes des ressources hors prêts de chaque variante (subventions fixes, fonds propres : _plan_prets).
        self.ressources = [sum(f.montant for f in b.financement[:len(b.financement) - len(b.prets)]) for b in bases]
        self.lignes = [b.lot[0] for b in bases]
        self.prets = [b.lot[1] for b in bases]
        self.horizons = [b.horizon for b in bases]
        self.trajectoires = [np.asarray(b.livret_a, dtype=float) for b in bases]
        self.criteres = [b.hypotheses.critere for b in bases]
        self.noms_prets = [tuple(pr.nom for pr in b.prets) for b in bases]
        self._unitaires: dict[tuple[int, int], Echeancier] = {}
        self.statuts = bases[0].__dict__["statuts_controles"]
        self.structurelles = {k: resultats[k] for k in _STRUCTURELLES}
        # Opération mixte : ses comptes par produit (produits.repartition) et la part PLAI en PLAI ordinaire (la
        # dernière variante).
        self.mixte = len(produits_presents(entrees[0].lignes)) >= 2
        self.part_plai = self.mixte and all("PLAI" in produits_presents(bases[k].lignes) for k in (0, -1))

    def unitaire(self, k: int, h: int) -> Echeancier:
        """L'échéancier d'un euro des prêts de la variante ``k`` sur ``h`` années (le même pour toutes ses
        lignes : mêmes prêts, même livret A)."""
        u = self._unitaires.get((k, h))
        if u is None:
            lot = lot_depuis_tableaux(np.array([self.horizons[k]]), _trajectoire(self.trajectoires[k], h)[None, :],
                                      self.lignes[k][None, :], self.prets[k], np.array([self.n_prets]),
                                      np.array([self.solde]), self.noms_prets[k])
            u = self._unitaires[(k, h)] = lot.unitaire
        return u


def _trajectoire(x: np.ndarray, h: int) -> np.ndarray:
    """La trajectoire du livret A sur ``h`` années, prolongée de sa dernière valeur (construire_lot)."""
    if len(x) == h:
        return x
    sortie = np.empty(h)
    sortie[:len(x)] = x
    sortie[len(x):] = x[-1]
    return sortie


class Bloc(NamedTuple):
    """Des lignes résolues en colonnes : leurs indices dans le programme et leurs valeurs par sorte (nombres,
    entiers et booléens en tableaux, NaN : sans valeur ; textes en listes)."""

    indices: np.ndarray
    nombres: dict[str, np.ndarray]
    entiers: dict[str, np.ndarray]
    booleens: dict[str, np.ndarray]
    objets: dict[str, list]


class _Ligne:
    __slots__ = ("indice", "numero", "cellules", "structure", "nom", "charge_fonciere", "travaux", "honoraires",
                 "vacance_pct", "impayes_pct", "prets")


class CheminColonnes:
    """Les lignes d'une table résolues en colonnes ; :meth:`ajouter` dit si une ligne est prise, :meth:`resoudre`
    rend ce qu'il a résolu ; les lignes qu'il rend au chemin partagé sont dans :attr:`rendues` (indice, numéro,
    cellules)."""

    def __init__(self, lecteur, outils, parametres=None, lignes_table: int = 0) -> None:
        # outils : valeur_cellule, section_relue et resoudre_seule du programme (plai_bilan.programme)
        self.lecteur, self.outils = lecteur, outils
        self.parametres = parametres
        self.structures: dict[tuple, _Structure | None] = {}
        self.plans: dict[tuple, list] = {}
        self.en_attente: list[_Ligne] = []
        self.faits: list[tuple[int, dict | None, str | None]] = []
        self.rendues: list[tuple[int, int, dict]] = []
        self.prises = 0
        # Le noyau sur les grandes tables seulement, même chargé : en deçà, S* est celui du moteur numpy au bit près
        # (le noyau en diffère au dernier chiffre, le tableau écrit au centime est le même).
        self.noyau = lignes_table >= SEUIL_NOYAU_COLONNES

    # ------------------------------------------------------------------------------------------ lecture
    def _plan(self, modele: str, doc: dict, cles: tuple) -> list:
        """(clé brute, clé, champ) de chaque colonne ; champ None : colonne de structure ; ("pret", k) : le capital
        d'un prêt fixe du modèle (programme._section_relue)."""
        plan = []
        for brute in cles:
            if brute is None or brute.strip() in ("", "modele"):
                continue
            cle = brute.strip()
            champ = CHAMPS.get(cle)
            m = _PRET.fullmatch(cle)
            if m and self.outils.section_relue(cle, 0.0, doc) is not None:
                champ = ("pret", int(m.group(1)))
            plan.append((brute, cle, champ))
        return plan

    def ajouter(self, i: int, n: int, cellules: dict) -> bool:
        """Prend la ligne ``n`` (indice ``i`` du programme) si ses seuls montants changent d'une structure
        connue, ou si elle ouvre une structure que ce chemin sait résoudre (elle est alors résolue seule)."""
        valeur_cellule = self.outils.valeur_cellule
        try:
            modele = self.lecteur.modele(n, cellules)
        except ErreurPlaiBilan:
            return False  # le chemin partagé dit pourquoi
        doc = self.lecteur.modeles[modele]
        cles = tuple(cellules)
        plan = self.plans.get((modele, cles))
        if plan is None:
            plan = self.plans[(modele, cles)] = self._plan(modele, doc, cles)
        ligne = _Ligne()
        ligne.nom = ligne.charge_fonciere = ligne.travaux = ligne.honoraires = None
        ligne.vacance_pct = ligne.impayes_pct = None
        prets: dict[int, float] = {}
        structure = []
        for brute, cle, champ in plan:
            v = valeur_cellule(cellules[brute] or "", cle)
            if v is None:
                continue
            if champ is None:
                structure.append((cle, v))
            elif champ == "nom":
                ligne.nom = v
            elif not _nombre(v) or not 0.0 <= v <= MONTANT_MAX:
                return False  # la lecture entière dit pourquoi
            elif isinstance(champ, tuple):
                prets[champ[1]] = float(v)
            elif champ in ("vacance_pct", "impayes_pct"):
                if v > 100.0 or (v != 0 and v < SEUIL_DECIMAL_PCT):
                    return False
                setattr(ligne, champ, float(v))
            else:
                setattr(ligne, champ, float(v))
        if ligne.nom is not None and not isinstance(ligne.nom, str):
            return False
        cle = (modele, repr(tuple(structure)))
        if cle not in self.structures:
            self._ouvrir(cle, i, n, cellules, modele, doc, tuple(structure))
            return True
        s = self.structures[cle]
        if s is None:
            return False
        self.structures[cle] = self.structures.pop(cle)  # la plus récente en dernier
        sc = s.scenario
        pr, ex = sc.prix_de_revient, sc.exploitation
        cf = pr.charge_fonciere if ligne.charge_fonciere is None else ligne.charge_fonciere
        tr = pr.travaux if ligne.travaux is None else ligne.travaux
        ho = pr.honoraires if ligne.honoraires is None else ligne.honoraires
        vac = ex.vacance_pct if ligne.vacance_pct is None else ligne.vacance_pct
        imp = ex.impayes_pct if ligne.impayes_pct is None else ligne.impayes_pct
        if cf + tr + ho + s.autres <= 0 or vac + imp >= 100.0:
            return False
        ligne.charge_fonciere, ligne.travaux, ligne.honoraires = cf, tr, ho
        ligne.vacance_pct, ligne.impayes_pct = vac, imp
        ligne.prets = [prets.get(k, float(sc.prets[k].montant)) for k in s.fixes]
        ligne.indice, ligne.numero, ligne.cellules, ligne.structure = i, n, cellules, s
        if ligne.nom is None:
            ligne.nom = s.nom
        self.en_attente.append(ligne)
        self.prises += 1
        return True

    def _ouvrir(self, cle: tuple, i: int, n: int, cellules: dict, modele: str, doc: dict, structure: tuple) -> None:
        """La première ligne d'une structure : lue, préparée et résolue par le chemin partagé ; la structure est
        gardée si ce chemin sait en résoudre les lignes suivantes."""
        while len(self.structures) >= STRUCTURES_GARDEES:
            self.structures.pop(next(iter(self.structures)))
        self.structures[cle] = None
        fait, entrees, res = self.outils.resoudre_seule(self.lecteur, i, n, cellules, self.parametres)
        self.faits.extend(fait)
        if entrees is None:
            return
        lecteur = self.lecteur
        e = entrees[0]
        if e.indice_solde is None or "statuts_controles" not in e.__dict__.get("structure", e).__dict__:
            return
        gardee = lecteur._lecture_gardee(modele, doc, structure, lecteur.ou(n))
        if gardee is None:
            return
        self.structures[cle] = _Structure(gardee[0], entrees, res)

    # ---------------------------------------------------------------------------------------- résolution
    def resoudre(self) -> list:
        """Les lignes en attente résolues : (indice, résultats ou None, erreur ou None) de celles qu'a résolues le
        chemin partagé (premières lignes des structures), puis un :class:`Bloc` des autres, en colonnes ; celles que
        la préparation refuserait (plan sur-financé) sont rendues au chemin partagé (:attr:`rendues`)."""
        faits, self.faits = self.faits, []
        lignes, self.en_attente = self.en_attente, []
        bloc = self._resoudre(lignes) if lignes else None
        return faits + ([bloc] if bloc is not None else [])

    def _par_produit(self, segments: list, lot_ops, compte, ech, h: int, n_ops: int) -> dict[str, np.ndarray]:
        """Les colonnes des comptes par produit (NaN : sans valeur), une valeur par opération du lot : besoin
        propre de chaque produit d'une opération mixte, subvention justifiable de sa part PLAI (calcul._resoudre)."""
        sortie = {c: np.full(n_ops, np.nan) for c in _PAR_PRODUIT}
        mixtes = [(o, d, seg) for o, d, seg in _rangs(segments) if seg[0].mixte]
        if not mixtes:
            return sortie
        derniere = len(segments[0][0].bases) - 1
        lot_plai = _lot([seg for _, _, seg in mixtes], (derniere,), h)
        ech_plai = lot_plai.echeances_prets()
        compte_plai = exploitation.compte(lot_plai, echeances=ech_plai)
        debut_plai = debut_prets_plai = 0
        for o, debut_prets, (s, membres, tab) in mixtes:
            m = len(membres)
            op = _comptes_produits(s, 0, tab, compte, ech, o, debut_prets, m, h)
            for p, (besoin, faisable) in op.items():
                sortie[f"besoin_propre_{p.lower()}"][o:o + m] = np.where(faisable, besoin, np.nan)
            if s.part_plai:
                g, faisable_g = _comptes_produits(s, derniere, tab, compte_plai, ech_plai, debut_plai,
                                                  debut_prets_plai, m, h)["PLAI"]
                sp, faisable_s = op["PLAI"]
                sj, gj = np.where(faisable_s, sp, np.nan), np.where(faisable_g, g, np.nan)
                sortie["justifiable_part_plai"][o:o + m] = _justifiable(sj, sj - gj)
            debut_plai += m
            debut_prets_plai += m * s.n_prets
        return sortie

    def _resoudre(self, lignes: list[_Ligne]) -> Bloc | None:
        from plai_bilan.sieg import maxima_structure
        from plai_bilan.solveur import resoudre_lot, subventions_lot

        # Par structure, dans l'ordre de leur première ligne : les tableaux d'une structure sont contigus.
        groupes: dict[int, list[_Ligne]] = {}
        for ligne in lignes:
            groupes.setdefault(id(ligne.structure), []).append(ligne)
        segments = []  # (structure, lignes, tableaux)
        for membres in groupes.values():
            s = membres[0].structure
            cf = np.array([x.charge_fonciere for x in membres])
            tr = np.array([x.travaux for x in membres])
            ho = np.array([x.honoraires for x in membres])
            total = cf + tr + ho + s.autres
            fixes = np.array([x.prets for x in membres], dtype=float).reshape(len(membres), len(s.fixes))
            principaux = np.zeros((len(membres), s.n_prets))
            principaux[:, s.fixes] = fixes
            somme_fixes = principaux.sum(axis=1)
            par_variante = []
            for k in range(len(s.bases)):
                p = principaux.copy()
                solde = total - (s.ressources[k] + somme_fixes)
                p[:, s.solde] = np.maximum(solde, 0.0)
                par_variante.append((p, solde))
            rendre = np.zeros(len(membres), dtype=bool)
            for _, solde in par_variante:
                rendre |= solde < -0.005
            if rendre.any():  # la préparation refuse ce plan : la lecture entière le dit
                self.rendues += [(x.indice, x.numero, x.cellules) for x, r in zip(membres, rendre) if r]
                garder = ~rendre
                membres = [x for x, r in zip(membres, rendre) if not r]
                if not membres:
                    continue
                cf, tr, ho, total = cf[garder], tr[garder], ho[garder], total[garder]
                par_variante = [(p[garder], solde[garder]) for p, solde in par_variante]
            vac = np.array([x.vacance_pct for x in membres]) / 100.0
            imp = np.array([x.impayes_pct for x in membres]) / 100.0
            if s.ge_fixe is not None:
                ge = np.full(len(membres), float(s.ge_fixe))
            elif s.ge_pct is not None:
                ge = s.ge_pct / 100.0 * tr
            else:
                ge = np.zeros(len(membres))
            segments.append((s, membres, dict(cf=cf, tr=tr, ho=ho, total=total, vac=vac, imp=imp, ge=ge,
                                              principaux=[p for p, _ in par_variante])))
        if not segments:
            return None
        h = max(max(s.horizons) for s, _, _ in segments)
        n_ops = sum(len(m) for _, m, _ in segments)
        variantes = len(segments[0][0].bases)  # l'opération, puis ses variantes ; la dernière : en PLAI ordinaire
        lot = _lot(segments, range(variantes), h)
        lot_ops = _lot(segments, (0,), h)
        criteres = np.concatenate([np.repeat(np.array(s.criteres[k]), len(m)) for k in range(variantes)
                                   for s, m, _ in segments])
        sol = subventions_lot(lot, criteres, noyau_compile=self.noyau)
        faisable = sol.faisable
        valeur = sol.valeur
        s_op = np.where(faisable[:n_ops], valeur[:n_ops], np.nan)
        debut_plai = (variantes - 1) * n_ops
        s_plai = np.where(faisable[debut_plai:], valeur[debut_plai:], np.nan)
        crit_ops = criteres[:n_ops]
        indice = sol.annee[:n_ops]
        critique = np.where(faisable[:n_ops] & (valeur[:n_ops] > 0) & (crit_ops != "van") & (indice >= 0),
                            lot.t[np.maximum(indice, 0)], 0)
        # Le maximum du corridor SIEG : les postes des lignes, du compte sans subvention des seules opérations.
        ech = lot_ops.echeances_prets()
        compte = exploitation.compte(lot_ops, echeances=ech)
        appliquees = np.where(faisable[:n_ops], np.nan_to_num(s_op), 0.0)
        maxima = []
        for o, _, (s, membres, tab) in _rangs(segments):
            pr = replace(s.pr, charge_fonciere=tab["cf"], travaux=tab["tr"], honoraires=tab["ho"])
            maxima += maxima_structure(lot_ops, compte, ech, slice(o, o + len(membres)), s.bases[0],
                                       postes_prix_de_revient(pr, *s.contexte),
                                       tab["principaux"][0][:, s.solde], appliquees[o:o + len(membres)]).tolist()
        par_produit = self._par_produit(segments, lot_ops, compte, ech, h, n_ops)
        # Le motif d'une opération sans équilibre : le solveur entier sur ses seules lignes (rares).
        motifs: dict[int, str] = {}
        infaisables = np.nonzero(~faisable[:n_ops])[0]
        if infaisables.size:
            sous = []
            for o, _, (s, membres, tab) in _rangs(segments):
                garder = ~faisable[o:o + len(membres)]
                if garder.any():
                    sous.append((s, [x for x, g in zip(membres, garder) if g],
                                 {k: (v[garder] if k != "principaux" else [p[garder] for p in v])
                                  for k, v in tab.items()}))
            lot_inf = _lot(sous, (0,), h)
            r = resoudre_lot(lot_inf, crit_ops[infaisables])
            libelles = catalogue().valeurs["motif"]
            motifs = {int(o): (None if m is None else libelles.get(m, m)) for o, m in zip(infaisables, r.motif)}
        # Les colonnes du tableau (NaN : sans valeur).
        tab_plan = np.concatenate([np.abs(t["principaux"][0].sum(axis=1) + s.ressources[0] - t["total"])
                                   for s, _, t in segments]) <= 1
        n_log = np.concatenate([np.full(len(m), s.structurelles["n_logements"]) for s, m, _ in segments])
        n_pa = np.concatenate([np.full(len(m), s.structurelles["n_plai_adapte"]) for s, m, _ in segments])
        cout = s_op - s_plai
        justifiable = _justifiable(s_op, cout)
        nombres = {"prix_de_revient": np.concatenate([t["total"] for _, _, t in segments]),
                   "subvention_minimale": s_op, "subvention_minimale_par_logement": s_op / n_log,
                   "subvention_plai_ordinaire": s_plai, "cout_contreparties": cout,
                   "subvention_justifiable": justifiable,
                   "justifiable_par_plai_adapte": np.where(n_pa > 0, justifiable / np.where(n_pa > 0, n_pa, 1), np.nan),
                   "besoin_hors_contreparties": s_op - justifiable, "subvention_maximale": np.array(maxima, dtype=float),
                   **par_produit}
        entiers = {"annee_critique": np.where(critique != 0, critique, np.nan)}
        for cle in ("n_logements", "n_plai_adapte", "n_logements_plai", "n_logements_plus", "n_logements_pls"):
            entiers[cle] = np.concatenate([np.full(len(m), s.structurelles[cle], dtype=float) for s, m, _ in segments])
        controles = []
        for o, _, (s, membres, _) in _rangs(segments):
            textes = {ok: " ".join(code for code, non_conforme in s.statuts
                                   if (not ok if code == "plan" else non_conforme)) for ok in (True, False)}
            controles += [textes[bool(x)] for x in tab_plan[o:o + len(membres)]]
        objets = {"nom": [x.nom for _, m, _ in segments for x in m],
                  "nature": [s.structurelles["nature"] for s, m, _ in segments for _ in m],
                  "controles_non_conformes": controles, "motif": [motifs.get(o) for o in range(n_ops)],
                  "montant_demande": [None] * n_ops, "verdict": [None] * n_ops}
        indices = np.array([x.indice for _, m, _ in segments for x in m])
        return Bloc(indices, nombres, entiers, {"faisable": faisable[:n_ops]}, objets)


def _justifiable(s: np.ndarray, c: np.ndarray) -> np.ndarray:
    """max(0, min(S*, C)) ligne à ligne, comme le chemin par opération ; NaN si l'un manque."""
    m = np.where(c < s, c, s)
    return np.where(np.isnan(s) | np.isnan(c), np.nan, np.where(m > 0.0, m, 0.0))


_PAR_PRODUIT = ("besoin_propre_plai", "besoin_propre_plus", "besoin_propre_pls", "justifiable_part_plai")


def _rangs(segments: list):
    """(premier rang dans le lot d'une variante, premier rang de ses prêts, segment) de chaque segment."""
    o = debut_prets = 0
    for seg in segments:
        yield o, debut_prets, seg
        o += len(seg[1])
        debut_prets += len(seg[1]) * seg[0].n_prets


def _comptes_produits(s: _Structure, k: int, tab: dict, c, ech, debut: int, debut_prets: int, m: int, h: int
                      ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(S*_p, faisable) de chaque produit de la variante ``k`` des ``m`` lignes d'un segment, dont les comptes sont
    les lignes ``debut``.. de ``c`` et les échéances des prêts les lignes ``debut_prets``.. de ``ech``
    (produits.comptes_par_produit sur des tableaux)."""
    b = s.bases[k]
    hk = s.horizons[k]
    principaux = tab["principaux"][k]
    lignes = {cle: v[debut:debut + m, :hk] for cle, v in c.lignes.items()}
    lignes["annee"] = lignes["annee_civile"] = None
    echeances = ech[debut_prets:debut_prets + m * s.n_prets].reshape(m, s.n_prets, -1)[:, :, :hk]
    u = s.unitaire(0, h).echeances[s.solde, :s.horizons[0]]
    sortie = {}
    for p, (part, parts_prets) in repartition(b, principaux, tab["total"]).items():
        annuites = np.zeros((m, hk))
        for j in range(s.n_prets):
            annuites = annuites + echeances[:, j, :] * parts_prets[:, j:j + 1]
        lp = lignes_produit(lignes, part, annuites, b.scenario.analyse.tresorerie_initiale)
        sortie[p] = besoins_propres(lp["autofinancement"], lp["tresorerie"], u, b.hypotheses.critere,
                                    b.hypotheses.taux_actualisation, principaux[:, s.solde] * parts_prets[:, s.solde])
    return sortie


def _lot(segments: list, variantes, h: int):
    """Le lot des lignes des ``segments`` pour chaque variante de ``variantes`` (dans cet ordre, puis par segment),
    sur ``h`` années : les lignes de lot des bases répétées, aux vacance, impayés, gros entretien et capitaux de
    chaque ligne ; l'échéancier d'un euro de chaque base répété."""
    tables, prets, horizons, la, nombres, soldes, noms, unitaires = [], [], [], [], [], [], [], []
    for k in variantes:
        for s, membres, tab in segments:
            m = len(membres)
            t = np.repeat(s.lignes[k][None, :], m, axis=0)
            t[:, COL_VACANCE], t[:, COL_IMPAYES], t[:, COL_GE] = tab["vac"], tab["imp"], tab["ge"]
            tables.append(t)
            p = np.tile(s.prets[k], (m, 1))
            p[:, 9] = tab["principaux"][k].ravel()
            prets.append(p)
            horizons.append(np.full(m, s.horizons[k]))
            la.append(np.repeat(_trajectoire(s.trajectoires[k], h)[None, :], m, axis=0))
            nombres.append(np.full(m, s.n_prets))
            soldes.append(np.full(m, s.solde))
            noms.extend(s.noms_prets[k] * m)
            unitaires.append((s.unitaire(k, h), m))
    lot = lot_depuis_tableaux(np.concatenate(horizons).astype(int), np.concatenate(la), np.concatenate(tables),
                              np.concatenate(prets), np.concatenate(nombres).astype(int),
                              np.concatenate(soldes).astype(int), tuple(noms))
    # De l'échéancier d'un euro, seules les échéances servent ici (solveur, compte, SIEG : Lot.echeances_prets) ;
    # les autres champs ne sont pas répétés (NaN : une lecture se verrait).
    echeances = np.concatenate([np.tile(u.echeances, (m, 1)) for u, m in unitaires])
    vide = np.broadcast_to(np.nan, echeances.shape)
    vars(lot)["unitaire"] = Echeancier(capital_initial=np.broadcast_to(np.nan, echeances.shape[:1]),
                                       echeances=echeances, interets=vide, amortissements=vide,
                                       capital_restant_du=vide, taux=vide, progressivite=vide)
    return lot
