"""Les points d'entrée du calcul : scénario -> entrées -> moteur -> solveur -> contrôles -> :class:`Bilan`.

Chaque opération donne un :class:`~plai_bilan.bilan.Bilan` fermé ; les sorties ne lisent que lui.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from plai_bilan.bilan import Bilan, Compte, Diagnostic, EcheancierPret, Equilibre
from plai_bilan.controles import controler
from plai_bilan.erreurs import ScenarioInvalide
from plai_bilan.moteur import exploitation
from plai_bilan.moteur.lot import Lot
from plai_bilan.moteur.prets import Echeancier
from plai_bilan.parametres import Parametres
from plai_bilan.preparation import (
    CAUSES_CONTREPARTIES,
    Entrees,
    construire_lot,
    financement_accompagnement_contrepartie,
    preparer,
    variantes_contreparties,
)
from plai_bilan.scenario import Scenario
from plai_bilan.solveur import Subventions, leviers_prets_fixes, masque_critere, resoudre_lot, subventions_lot


def _echeanciers(ech: Echeancier, prets: np.ndarray, h: int, noms, principaux) -> tuple[EcheancierPret, ...]:
    return tuple(EcheancierPret(nom=noms[k], capital=float(principaux[k]),
                                capital_initial=float(ech.capital_initial[j]), taux=ech.taux[j, :h],
                                progressivite=ech.progressivite[j, :h], echeances=ech.echeances[j, :h],
                                interets=ech.interets[j, :h], amortissements=ech.amortissements[j, :h],
                                capital_restant_du=ech.capital_restant_du[j, :h])
                 for k, j in enumerate(prets))


def _compte(lot: Lot, c: exploitation.Compte, ech: Echeancier, i: int, e: Entrees, subvention: float = 0.0) -> Compte:
    """Le compte de l'opération ``i`` du lot, années 1..H, sous les clés du catalogue."""
    h = e.horizon
    annees = np.arange(1, h + 1)
    lignes = {"annee": annees, "annee_civile": e.scenario.operation.mise_en_service + annees - 1}
    lignes.update({k: v[i, :h] for k, v in c.lignes.items()})
    lignes["autofinancement"] = c.autofinancement[i, :h]
    lignes["tresorerie"] = c.tresorerie[i, :h]
    prets = np.nonzero(lot.pret_operation == i)[0]
    principaux = lot.principal[prets]
    van = float(c.van[i])
    return Compte(lignes, None if math.isnan(van) else van,
                  _echeanciers(ech, prets, h, [p.nom for p in e.prets], principaux), subvention)


def _assiettes(lot: Lot, i: int, e: Entrees) -> dict[str, float]:
    return {"base_loyers": float(lot.base_loyers[i]), "base_accessoires": float(lot.base_accessoires[i]),
            "base_rls": float(lot.base_rls[i]), "base_surface": float(lot.base_surface[i]),
            "n_financement_accompagnement": float(lot.n_financement_accompagnement[i]),
            "base_loyers_plai_ordinaire": sum(lg.nombre * 12.0 * (lg.loyer_plai_ordinaire + lg.loyer_accessoire)
                                              for lg in e.lignes)}


def _bilan(e: Entrees, lot: Lot, compte_zero: Compte | None, compte: Compte | None, complet: bool = True,
           leger: bool = False, **resultats) -> Bilan:
    """Le bilan de l'opération ; sans ``complet``, ni contrôle SIEG ni contrôles (ses seuls comptes par produit) ;
    ``leger`` : ce que lit programme.resultats, ni contrôle SIEG ni lignes des produits après subvention (les
    comptes peuvent manquer à une opération d'un seul produit : ni ses contrôles ni ses produits ne les lisent)."""
    b = Bilan(
        scenario=e.scenario, provenance=e.provenance, horizon=e.horizon, coefficient_structure=e.cs, cs_a=e.cs_a,
        cs_b=e.cs_b, lmzone=e.lmzone, plafond_plai_m2=e.plafond_plai_m2,
        plafond_plai_m2_brut=e.plafond_plai_m2_brut, lmzones=e.lmzones, plafonds_m2=e.plafonds_m2,
        tva_produits=e.tva_produits,
        revalorisation=e.revalorisation,
        revalorisations_apl_supposees=e.revalorisations_apl_supposees, regles_loyers=e.regles_loyers,
        loyers_par_logement=e.lignes, assiettes=_assiettes(lot, resultats.pop("indice"), e), hypotheses=e.hypotheses,
        livret_a=e.livret_a, prets_caracteristiques=e.prets, financement=e.financement,
        principaux=tuple(float(x) for x in e.principaux), indice_solde=e.indice_solde,
        indice_inconnue=e.indice_inconnue, reference_fnap=e.reference_fnap,
        reference_fnap_par_logement=e.reference_fnap_par_logement, tranches_fnap=e.tranches_fnap,
        postes_prix_de_revient=e.postes_prix_de_revient, hypotheses_sieg=e.hypotheses_sieg,
        loyer_accessoire_maximal=e.loyer_accessoire_maximal, compte_zero=compte_zero, compte=compte,
        critere=e.hypotheses.critere, avertissements=resultats.pop("avertissements", e.avertissements),
        baremes_menage=e.baremes_menage, **resultats)
    from plai_bilan.copie import remplacer
    from plai_bilan.produits import comptes_par_produit
    from plai_bilan.sieg import controler_sieg

    if not complet:  # léger : la part PLAI seule (produits.lecture_part_plai)
        return remplacer(b, produits=comptes_par_produit(b, seuls=("PLAI",) if leger else None))
    if not leger:
        b = remplacer(b, sieg=controler_sieg(b), produits=())
    b = remplacer(b, produits=comptes_par_produit(b, lignes_subventionnees=not leger))
    return b if leger else remplacer(b, controles=tuple(controler(b)))


def _non_conformes(e: Entrees, b: Bilan) -> list[str]:
    """Les codes des contrôles non conformes d'un bilan léger : les statuts qui ne lisent aucun montant gardés par
    structure (sur l'entrée de base de preparer_depuis), ceux de controles.STATUTS_DES_MONTANTS refaits."""
    from plai_bilan.controles import NON_CONFORME, STATUTS_DES_MONTANTS

    base = e.__dict__.get("structure", e)
    gardes = base.__dict__.get("statuts_controles")
    if gardes is None:
        constats = controler(b)
        base.__dict__["statuts_controles"] = tuple((k.code, k.statut == NON_CONFORME) for k in constats)
        return [k.code for k in constats if k.statut == NON_CONFORME]
    return [code for code, non_conforme in gardes
            if (not STATUTS_DES_MONTANTS[code](b) if code in STATUTS_DES_MONTANTS else non_conforme)]


def simuler(scenario: Scenario, parametres: Parametres | None = None) -> Bilan:
    """Le compte de l'opération, la subvention à calculer comptée pour 0 (aucune résolution)."""
    e = preparer(scenario, parametres)
    lot = construire_lot([e])
    ech = lot.echeancier_prets()
    c = _compte(lot, exploitation.compte(lot, echeances=ech.echeances), ech, 0, e)
    return _bilan(e, lot, c, c, indice=0)


def _lot_avec_subventions(lot: Lot, subventions: np.ndarray) -> Lot:
    """Le lot où chaque prêt d'équilibre est diminué de la subvention de son opération (homogénéité)."""
    principal = lot.principal.copy()
    a_solde = lot.indice_solde >= 0
    principal[lot.indice_solde[a_solde]] -= subventions[a_solde]
    return lot.avec(principal=principal)


def _ratio(x: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(x), x, np.nan)


def _equilibre(lot: Lot, sol, i: int, j_plai: int | None, e: Entrees, c0: Compte) -> Equilibre:
    """Les grandeurs intermédiaires des formes fermées de l'opération ``i`` (``j_plai`` : sa variante)."""
    h = e.horizon
    compte_annees = np.ones(h, bool)
    if sol.critere[i] == "van":
        compte_annees[1:] = False  # la VAN n'occupe que l'année 1

    def annees_comptees(x: np.ndarray) -> np.ndarray:
        return np.where(compte_annees, x[:h], np.nan)

    il = lot.indice_loyers[i, :h]
    net = 1.0 - lot.vacance[i] - lot.impayes[i]
    cpl = lot.charges_pct_loyers[i]
    assiettes = _assiettes(lot, i, e)
    fin = c0["financement_accompagnement"] if financement_accompagnement_contrepartie(e.scenario) else 0.0
    retirees = sum(f.montant for f in e.financement if f.propre_au_plai_adapte and not f.inconnue)
    ecart_plai = ((1 - cpl) * (assiettes["base_loyers_plai_ordinaire"] - lot.base_loyers[i]) * il * net
                  + c0["gla"] + c0["accompagnement"] - fin - retirees * sol.unitaire[i, :h])
    ratio = _ratio(sol.bornes.ratio[i, :h])
    k = lot.indice_solde[i]
    unitaire = _echeanciers(lot.unitaire, np.array([k]), h, [e.prets[e.indice_solde].nom], np.ones(1))[0]
    plai = j_plai is not None
    return Equilibre(
        unitaire=unitaire, u=sol.unitaire[i, :h], cumul_u=np.cumsum(sol.unitaire[i, :h]),
        v=annees_comptees(sol.valeurs[i]), w=annees_comptees(sol.coefficients[i]), ratio=ratio,
        sans_levier=sol.bornes.echec_sans_levier[i, :h],
        loyers_principaux=(lot.base_loyers[i] - lot.base_accessoires[i]) * il * net,
        v_loyer=annees_comptees(sol.valeurs_loyer[i]), a=sol.recette_m2[i, :h],
        w_loyer=annees_comptees(sol.coefficients_loyer[i]), ratio_loyer=_ratio(sol.bornes_loyer.ratio[i, :h]),
        ecart_plai=ecart_plai,
        v_plai=annees_comptees(sol.valeurs[j_plai]) if plai else np.full(h, np.nan),
        ratio_plai=_ratio(sol.bornes.ratio[j_plai, :h]) if plai else np.full(h, np.nan),
        sans_levier_plai=sol.bornes.echec_sans_levier[j_plai, :h] if plai else np.zeros(h, bool),
        besoin_brut=max(0.0, float(np.nanmax(ratio))) if np.isfinite(ratio).any() else 0.0,
        pret_equilibre_plai=float(sol.pret_equilibre_initial[j_plai]) if plai else None,
    )


def _diagnostic(lot: Lot, sol, i: int, e: Entrees) -> Diagnostic:
    """Capacité d'emprunt, manque et leviers d'une opération infaisable (sans prêt d'équilibre : rien à dire)."""
    critere = str(sol.critere[i])
    masque = masque_critere(sol.critere, lot.actif)
    k = float(sol.pret_equilibre_initial[i])
    sans_levier = bool(sol.bornes.echec_sans_levier[i].any())
    brut = None if sans_levier else float(sol.bornes.valeur[i])
    leviers = leviers_prets_fixes(lot, i, critere, sol.valeurs, sol.coefficients, masque, k)
    prets = tuple((lot.noms_prets[l.indice], l.capital, None if not np.isfinite(l.besoin) else l.besoin, l.suffit)
                  for l in leviers)
    h = e.horizon
    fin_prets = max((int(np.nonzero(lot.unitaire.echeances[j, :h] > 1e-12)[0].max()) + 1
                     for j in np.nonzero(lot.pret_operation == i)[0] if (lot.unitaire.echeances[j, :h] > 1e-12).any()),
                    default=0)
    deficit = [a for a, _ in sol.annees_deficit[i]]
    return Diagnostic(capacite_emprunt=None if brut is None else k - brut, manque=None if brut is None else brut - k,
                      prets=prets, charges_plus_rapides=e.hypotheses.indexation_charges > e.hypotheses.indexation_loyers,
                      annees_sans_pret=any(a > fin_prets for a in deficit))


def resoudre(entrees: list[Entrees], variantes: bool = True, parametres: Parametres | None = None,
             variantes_preparees: list[list[Entrees]] | None = None) -> list[Bilan]:
    """Subvention d'équilibre de plusieurs opérations, résolues en un lot.

    Avec ``variantes``, chaque opération est aussi résolue en PLAI ordinaire (même lot) pour le coût des
    contreparties sociales ; ``variantes_preparees`` : leurs entrées déjà faites (preparation.Preparations),
    dans l'ordre de CAUSES_CONTREPARTIES pour chaque opération.
    """
    return _resoudre(entrees, variantes, parametres, variantes_preparees)


def resoudre_leger(entrees: list[Entrees], parametres: Parametres | None = None,
                   variantes_preparees: list[list[Entrees]] | None = None) -> list[tuple[Bilan, float | None, list[str]]]:
    """resoudre pour un tableau de programme : (bilan réduit à ce que lit programme.resultats, maximum du corridor
    SIEG, codes des contrôles non conformes) par opération. Ni compte après subvention, ni échéanciers ni formes
    fermées d'une opération d'un seul produit, ni contrôle SIEG entier (sieg.maxima_lot) : un tel bilan ne sert
    qu'à ces colonnes."""
    return _resoudre(entrees, True, parametres, variantes_preparees, leger=True)


def _resoudre(entrees: list[Entrees], variantes: bool, parametres: Parametres | None,
              variantes_preparees: list[list[Entrees]] | None, leger: bool = False) -> list:
    """resoudre ; ``leger`` : (bilan réduit à ce que lit programme.resultats, maximum du corridor) par opération."""
    from plai_bilan.produits import produits_presents
    from plai_bilan.sieg import maxima_lot

    tout = list(entrees)
    n = len(entrees)
    k_variantes = len(CAUSES_CONTREPARTIES) if variantes else 0
    if variantes:
        if variantes_preparees is None:
            par_operation = [variantes_contreparties(e.scenario) for e in entrees]
            variantes_preparees = [[preparer(v, parametres) for v in vs] for vs in par_operation]
        for k in range(k_variantes):
            tout += [v[k] for v in variantes_preparees]
    lot = construire_lot(tout)
    ech_0 = lot.echeancier_prets()  # une fois : le compte du solveur, les bilans et le maximum SIEG le lisent
    sol = resoudre_lot(lot, [e.hypotheses.critere for e in tout], exploitation.compte(lot, echeances=ech_0.echeances))
    appliquees = np.where(sol.faisable, np.nan_to_num(sol.subvention), 0.0)
    if leger:
        maxima = maxima_lot(lot, sol.compte, ech_0.echeances, entrees, appliquees)
    else:
        lot_s = _lot_avec_subventions(lot, appliquees)
        ech_s = lot_s.echeancier_prets()
        compte_s = exploitation.compte(lot_s, echeances=ech_s.echeances)
    bilans = []
    for i, e in enumerate(entrees):
        faisable = bool(sol.faisable[i])
        s = float(sol.subvention[i]) if faisable else None
        avert = list(e.avertissements)
        if e.indice_solde is None:
            avert.append(f"{e.scenario.fichier} : clé « prets » : aucun prêt montant = \"solde\" ; la subvention "
                         "inconnue ne peut remplacer aucun emprunt")
        if sol.annee_critique_apres_pret[i]:
            dernier = int(np.nonzero(sol.unitaire[i] > 1e-12)[0].max()) + 1
            avert.append(f"{e.scenario.fichier} : l'année critique ({int(sol.annee_critique[i])}) est après la dernière échéance du prêt "
                         f"d'équilibre (année {dernier}) : la subvention n'y agit que par la trésorerie accumulée "
                         "pendant les années de remboursement, et c'est le déficit de fin de période (charges indexées "
                         "plus vite que les loyers, prêts plus longs que le prêt d'équilibre) qui fixe son montant ; "
                         "leviers : allonger le prêt d'équilibre, alléger les charges de fin de période, ou fixer "
                         "l'horizon (analyse.duree) sur la durée de la convention")
        s_plai = cout = justifiable = None
        causes: dict[str, float] | None = None
        j_plai = n * k_variantes + i if variantes else None  # la variante PLAI ordinaire (la dernière)
        if variantes and sol.faisable[j_plai]:
            s_plai = float(sol.subvention[j_plai])
            rangs = [i] + [n * (k + 1) + i for k in range(k_variantes)]
            if s is not None:
                # C et J dès que S* et G sont connus ; seule une cause dont une variante intermédiaire est infaisable
                # reste sans valeur (None).
                cout = s - s_plai
                justifiable = max(0.0, min(s, cout))
                causes = {c: float(sol.subvention[a] - sol.subvention[b]) if sol.faisable[a] and sol.faisable[b]
                          else None for c, a, b in zip(CAUSES_CONTREPARTIES, rangs[:-1], rangs[1:])}
        mixte = len(produits_presents(e.lignes)) >= 2
        if leger:  # le compte sans subvention, celle appliquée seule : ce que lisent les comptes par produit
            c0 = _compte(lot, sol.compte, ech_0, i, e, float(appliquees[i])) if mixte else None
            cs = c0
        else:
            c0 = _compte(lot, sol.compte, ech_0, i, e)
            cs = _compte(lot_s, compte_s, ech_s, i, e, float(appliquees[i]))
        loyer = float(sol.loyer_equilibre[i])
        bilans.append(_bilan(
            e, lot, c0, cs, leger=leger, indice=i, resolu=True,
            faisable=faisable, subvention_minimale=s, annee_critique=int(sol.annee_critique[i]) or None,
            annee_critique_apres_pret=bool(sol.annee_critique_apres_pret[i]), motif=sol.motif[i],
            annees_deficit=tuple(sol.annees_deficit[i]),
            pret_equilibre_initial=e.pret_equilibre_initial, loyer_equilibre_m2=None if math.isnan(loyer) else loyer,
            subvention_plai_ordinaire=s_plai, cout_contreparties=cout, contreparties=causes,
            subvention_justifiable=justifiable,
            equilibre=(None if e.indice_solde is None or (leger and not mixte)
                       else _equilibre(lot, sol, i, j_plai, e, c0)),
            diagnostic=(_diagnostic(lot, sol, i, e) if not faisable and e.indice_solde is not None and not leger
                        else None),
            avertissements=tuple(avert)))
        b = bilans[-1]
        if variantes and b.produits and b.equilibre is not None:
            # Opération mixte : la part PLAI lue seule, de la variante PLAI ordinaire déjà résolue dans le lot.
            from plai_bilan.produits import lecture_part_plai

            cv = _compte(lot, sol.compte, ech_0, j_plai, tout[j_plai])
            variante = _bilan(tout[j_plai], lot, cv, cv, complet=False, leger=leger, indice=j_plai)
            bilans[-1] = dataclasses.replace(b, lecture_part_plai=lecture_part_plai(b, variante))
        if leger:
            bilans[-1] = (bilans[-1], maxima[i], _non_conformes(e, bilans[-1]))
    return bilans


def subvention_minimale(scenario: Scenario, parametres: Parametres | None = None) -> Bilan:
    """La plus petite subvention « a_calculer » qui équilibre l'opération selon son critère."""
    exiger_pret_equilibre(scenario)
    return resoudre([preparer(scenario, parametres)], parametres=parametres)[0]


def bilan_etude(scenario: Scenario, parametres: Parametres | None = None) -> Bilan:
    """Le bilan d'une étude : résolu quand l'opération a un prêt d'équilibre, sinon simulé."""
    if any(p.est_solde for p in scenario.prets):
        return subvention_minimale(scenario, parametres)
    return simuler(scenario, parametres)


def exiger_pret_equilibre(scenario: Scenario) -> None:
    """Erreur claire quand aucun prêt ne vaut « solde » : la subvention n'a rien à remplacer."""
    if not any(p.est_solde for p in scenario.prets):
        raise ScenarioInvalide(scenario.fichier, "prets",
                               "le calcul de la subvention d'équilibre exige un prêt d'équilibre (montant = \"solde\")")


def besoins(entrees: list[Entrees]) -> Subventions:
    """S* de plusieurs opérations en un lot, sans motifs ni loyer d'équilibre (études de sensibilité) : le noyau
    compilé quand numba est là (solveur.subventions_lot)."""
    lot = construire_lot(entrees)
    return subventions_lot(lot, np.array([e.hypotheses.critere for e in entrees]))
