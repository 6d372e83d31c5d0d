"""Résultats -> JSON (contrat de scenario-format.md) et texte lisible dans un terminal."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from plai_bilan import __version__
from plai_bilan.bilan import ResultatSubvention, Simulation
from plai_bilan.controles import Constat, controler
from plai_bilan.format import euros
from plai_bilan.parametres import charger_parametres
from plai_bilan.preparation import Entrees

CRITERES_TEXTE = {"annuel": "autofinancement annuel positif chaque année",
                  "tresorerie_cumulee": "trésorerie cumulée jamais négative",
                  "van": "valeur actuelle nette positive"}


def _arrondi(x: Any, n: int = 2) -> Any:
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None  # JSON n'a ni NaN ni infini : « n'existe pas » (infaisable)
    return round(x, n) + 0.0  # +0.0 : pas de -0.0


def _liste(v: np.ndarray, n: int = 2) -> list:
    return [_arrondi(x, n) for x in v]


def entete(e: Entrees) -> dict:
    """Traçabilité : version, empreinte du scénario, date du jeu de paramètres."""
    return {
        "plai_bilan_version": __version__,
        "scenario": {"fichier": e.scenario.fichier, "sha256": e.scenario.sha256, "nom": e.scenario.operation.nom},
        "parametres_date": charger_parametres().date_jeu.isoformat(),
    }


def _loyers_json(e: Entrees) -> list[dict]:
    return [{"typologie": lg.typologie, "nombre": lg.nombre, "surface_habitable": lg.surface_habitable,
             "surface_annexes": lg.surface_annexes, "surface_utile": _arrondi(lg.surface_utile, 4),
             "plai_adapte": lg.plai_adapte, "menage": lg.menage, "plafond_plai": _arrondi(lg.plafond_plai),
             "plafond_apl": _arrondi(lg.plafond_apl), "loyer": _arrondi(lg.loyer),
             "loyer_accessoire": _arrondi(lg.loyer_accessoire), "origine": lg.origine, "rls": _arrondi(lg.rls)}
            for lg in e.lignes]


def _financement_json(e: Entrees) -> list[dict]:
    return [{"nature": f.nature, "libelle": f.libelle, "montant": _arrondi(f.montant), "cle": f.cle,
             "a_calculer": f.inconnue} for f in e.financement]


def _parametres_json(e: Entrees) -> list[dict]:
    return [{"bareme": v.bareme, "date": v.date.isoformat(), "statut": v.statut, "reference": v.reference}
            for v in e.parametres_utilises]


def simulation_json(sim: Simulation, controles: list[Constat] | None = None) -> dict:
    """Objet JSON de ``plai-bilan simuler``."""
    e = sim.entrees
    cols = sim.colonnes()
    annees = []
    for j in range(e.horizon):
        ligne = {"annee": int(cols["annee"][j]), "annee_civile": int(cols["annee_civile"][j])}
        for k, v in cols.items():
            if k not in ("annee", "annee_civile"):
                ligne[k] = _arrondi(v[j])
        annees.append(ligne)
    prets = []
    for i, pr in enumerate(e.scenario.prets):
        p = sim.prets
        prets.append({
            "nom": pr.nom,
            "capital_initial": _arrondi(p.capital_initial[i]),
            "taux": _liste(p.taux[i] * 100, 6),
            "echeances": _liste(p.echeances[i]),
            "interets": _liste(p.interets[i]),
            "amortissements": _liste(p.amortissements[i]),
            "capital_restant_du": _liste(p.capital_restant_du[i]),
        })
    return {
        **entete(e),
        "prix_de_revient": _arrondi(e.prix_de_revient),
        "horizon": e.horizon,
        "critere": e.scenario.analyse.critere,
        "subvention_inconnue_appliquee": _arrondi(sim.subvention),
        "van": _arrondi(sim.van),
        "coefficient_structure": _arrondi(e.cs, 6),
        "loyer_plafond_m2": _arrondi(e.plafond_plai_m2, 4),
        "loyers_par_logement": _loyers_json(e),
        "financement": _financement_json(e),
        "annees": annees,
        "prets": prets,
        "controles": [c.vers_json() for c in (controles if controles is not None else controler(e))],
        "parametres": _parametres_json(e),
        "avertissements": list(e.avertissements),
    }


def subvention_json(r: ResultatSubvention) -> dict:
    """Objet JSON de ``plai-bilan subvention``."""
    e = r.entrees
    t_min, annee_min = r.tresorerie_minimale
    return {
        **entete(e),
        "subvention_minimale": _arrondi(r.subvention_minimale),
        "subvention_minimale_par_logement": _arrondi(r.par_logement),
        "subvention_minimale_par_logement_plai_adapte": _arrondi(r.par_logement_plai_adapte),
        "faisable": r.faisable,
        "critere": r.critere,
        "annee_critique": r.annee_critique,
        "motif": r.motif,
        "annees_deficit": [{"annee": a, "montant": _arrondi(m)} for a, m in r.annees_deficit],
        "prix_de_revient": _arrondi(r.prix_de_revient),
        "pret_equilibre": _arrondi(r.pret_equilibre),
        "pret_equilibre_initial": _arrondi(r.pret_equilibre_initial),
        "loyer_equilibre_m2": _arrondi(r.loyer_equilibre_m2, 4),
        "cout_contreparties": _arrondi(r.cout_contreparties),
        "subvention_plai_ordinaire": _arrondi(r.subvention_plai_ordinaire),
        "reference_fnap": _arrondi(e.reference_fnap),
        "reference_fnap_par_logement": _arrondi(e.reference_fnap_par_logement),
        "tresorerie_minimale": _arrondi(t_min),
        "annee_tresorerie_minimale": annee_min,
        "van": _arrondi(r.simulation.van),
        "horizon": e.horizon,
        "n_logements": e.scenario.n_logements,
        "n_plai_adapte": e.scenario.n_plai_adapte,
        "controles": [c.vers_json() for c in r.controles],
        "parametres": _parametres_json(e),
        "avertissements": list(r.avertissements),
    }


def en_json(objet: dict) -> str:
    return json.dumps(objet, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


# ------------------------------------------------------------------------------------------------ texte


def _tableau(entetes: list[str], lignes: list[list[str]], alignements: str | None = None) -> str:
    """Un tableau en texte : colonnes alignées, la première à gauche, les autres à droite par défaut."""
    alignements = alignements or "<" + ">" * (len(entetes) - 1)
    largeurs = [max(len(str(x)) for x in [h] + [l[i] for l in lignes]) for i, h in enumerate(entetes)]

    def fmt(cellules):
        return "  ".join(f"{str(c):{a}{w}}" for c, a, w in zip(cellules, alignements, largeurs)).rstrip()

    sep = "  ".join("-" * w for w in largeurs)
    return "\n".join([fmt(entetes), sep] + [fmt(l) for l in lignes])


def _nombre(x: float, decimales: int = 0) -> str:
    return euros(x, decimales)[:-2]


def _titre(texte: str) -> str:
    return f"\n{texte}\n{'=' * len(texte)}"


def _texte_loyers(e: Entrees) -> str:
    lignes = []
    for lg in e.lignes:
        lignes.append([lg.typologie or "-", str(lg.nombre), _nombre(lg.surface_utile, 2),
                       "oui" if lg.plai_adapte else "non", lg.menage or "-", _nombre(lg.plafond_plai, 2),
                       "-" if lg.plafond_apl is None else _nombre(lg.plafond_apl, 2), _nombre(lg.loyer, 2),
                       _nombre(lg.loyer_accessoire, 2), lg.origine])
    foyer = e.scenario.operation.produit == "foyer"
    entetes = ["Type", "Nb", "SU m2", "PLAI ad.", "Ménage", "Redev. max" if foyer else "Plaf. PLAI",
               "Équiv. APL" if foyer else "Plaf. APL", "Redevance" if foyer else "Loyer", "Accessoire", "Origine"]
    entete_op = ""
    if e.cs is not None:
        lm = f"LMzone {_nombre(e.lmzone, 2)} €/m2, " if e.lmzone is not None else ""
        entete_op = (f"{lm}CS {e.cs:.4f}, plafond PLAI de l'opération "
                     f"{_nombre(e.plafond_plai_m2, 4)} €/m2 SU/mois\n").replace(".", ",")
    return entete_op + _tableau(entetes, lignes, "<>>><>>>>><")


def _texte_financement(e: Entrees, inconnue: float | None = None) -> str:
    pr = e.prix_de_revient
    lignes = []
    for f in e.financement:
        montant = f.montant
        libelle = f.libelle
        if f.inconnue:
            libelle += " (à calculer)"
            if inconnue is not None:
                montant = inconnue
        if f.nature == "pret" and e.indice_solde is not None and f.cle == f"prets[{e.indice_solde}].montant":
            libelle += " (prêt d'équilibre)"
            if inconnue is not None:
                montant = f.montant - inconnue
        lignes.append([libelle, _nombre(montant), f"{montant / pr:.1%}".replace(".", ",").replace("%", " %")])
    lignes.append(["Prix de revient", _nombre(pr), "100,0 %"])
    return _tableau(["Ressource", "Montant €", "Part"], lignes)


def _texte_compte(sim: Simulation) -> str:
    c = sim.colonnes()
    lignes = []
    for j in range(len(c["annee"])):
        lignes.append([str(c["annee"][j]), str(c["annee_civile"][j]), _nombre(c["loyers"][j]),
                       _nombre(c["produits_accompagnement"][j]), _nombre(c["charges"][j]),
                       _nombre(c["annuites"][j]), _nombre(c["remuneration_fonds_propres"][j]),
                       _nombre(c["autofinancement"][j]), _nombre(c["tresorerie"][j])])
    return _tableau(["Année", "Civile", "Loyers", "Produits", "Charges", "Annuités", "Rém. FP", "Autofin.",
                     "Trésorerie"], lignes)


def _texte_prets(sim: Simulation) -> str:
    lignes = []
    p = sim.prets
    for i, pr in enumerate(sim.scenario.prets):
        taux = ("fixe " + _nombre(pr.taux_pct, 2) + " %") if pr.index == "fixe" else (
            f"LA {'+' if pr.marge_pct >= 0 else '-'} {_nombre(abs(pr.marge_pct), 2)} pt")
        lignes.append([pr.nom, _nombre(p.capital_initial[i]), str(pr.duree), taux,
                       _nombre(p.taux[i, 0] * 100, 2) + " %", _nombre(p.echeances[i, 0]),
                       _nombre(p.interets[i].sum()), _nombre(p.capital_restant_du[i, -1])])
    return _tableau(["Prêt", "Capital €", "Durée", "Taux", "Taux an 1", "Échéance an 1", "Intérêts totaux",
                     "CRD horizon"], lignes)


def _texte_controles(controles) -> str:
    symboles = {"conforme": "[ok]", "non conforme": "[!!]", "information": "[i] ", "non vérifiable": "[?] "}
    return "\n".join(f"{symboles.get(c.statut, '')} {c.libelle}\n      {c.detail}" for c in controles)


def simulation_texte(sim: Simulation) -> str:
    e = sim.entrees
    sc = e.scenario
    morceaux = [
        f"{sc.operation.nom}",
        f"{sc.n_logements} logements dont {sc.n_plai_adapte} PLAI adaptés ; mise en service {sc.operation.mise_en_service}"
        f" ; horizon {e.horizon} ans ; subvention à calculer comptée pour 0",
        _titre("Loyers (euros par mois et par logement)"), _texte_loyers(e),
        _titre("Plan de financement"), _texte_financement(e),
        _titre("Emprunts"), _texte_prets(sim),
        _titre("Compte d'exploitation (euros)"), _texte_compte(sim),
    ]
    if sim.van is not None:
        morceaux.append(f"\nVAN de l'autofinancement : {euros(sim.van)}")
    morceaux += [_titre("Contrôles"), _texte_controles(controler(e))]
    return "\n".join(morceaux) + "\n"


def subvention_texte(r: ResultatSubvention) -> str:
    e = r.entrees
    sc = e.scenario
    t_min, annee_min = r.tresorerie_minimale
    m = [sc.operation.nom,
         f"{sc.n_logements} logements dont {sc.n_plai_adapte} PLAI adaptés ; prix de revient {euros(e.prix_de_revient)}"
         f" ; horizon {e.horizon} ans",
         f"Critère : {r.critere} ({CRITERES_TEXTE[r.critere]})", ""]
    if r.faisable:
        s = r.subvention_minimale
        m.append(f"Subvention minimale : {euros(s)}")
        m.append(f"  par logement : {euros(r.par_logement)}")
        if r.par_logement_plai_adapte is not None:
            m.append(f"  par logement PLAI adapté : {euros(r.par_logement_plai_adapte)}")
        m.append("  année critique : " + (f"{r.annee_critique} ({sc.operation.mise_en_service + r.annee_critique - 1})"
                                          if r.annee_critique else "aucune (l'opération s'équilibre sans subvention)"
                                          if s == 0 else "sans objet (critère VAN)"))
        m.append(f"Prêt d'équilibre : {euros(r.pret_equilibre_initial)} sans subvention, {euros(r.pret_equilibre)} avec")
    else:
        m.append("Aucune subvention n'équilibre l'opération.")
        m.append(f"Motif : {r.motif}")
        if r.annees_deficit:
            m.append("Déficit structurel (années et montants au critère) :")
            for a, v in r.annees_deficit[:10]:
                m.append(f"  année {a} : {euros(v)}")
            if len(r.annees_deficit) > 10:
                m.append(f"  ... et {len(r.annees_deficit) - 10} autres années")
    if r.loyer_equilibre_m2 is not None:
        m.append(f"Loyer d'équilibre sans la subvention : {_nombre(r.loyer_equilibre_m2, 2)} €/m2 SU/mois"
                 + (f" (plafond PLAI de l'opération : {_nombre(e.plafond_plai_m2, 2)} €/m2)"
                    if e.plafond_plai_m2 is not None else ""))
    if r.cout_contreparties is not None:
        m.append(f"Coût des contreparties sociales : {euros(r.cout_contreparties)} "
                 f"(la même opération en PLAI ordinaire demanderait {euros(r.subvention_plai_ordinaire)})")
    if e.reference_fnap:
        ratio = ""
        if r.subvention_minimale is not None:
            ratio = f" ; subvention minimale = {r.subvention_minimale / e.reference_fnap:.0%} de la référence".replace("%", " %")
        m.append(f"Référence FNAP : {euros(e.reference_fnap)} ({euros(e.reference_fnap_par_logement)} x "
                 f"{sc.n_plai_adapte}){ratio}")
    m.append(f"Trésorerie cumulée la plus basse : {euros(t_min)} en année {annee_min}")
    m += [_titre("Plan de financement avec la subvention minimale"),
          _texte_financement(e, r.subvention_minimale if r.faisable else None),
          _titre("Contrôles"), _texte_controles(r.controles)]
    return "\n".join(m) + "\n"
