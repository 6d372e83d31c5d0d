"""Sorties JSON des commandes : le contrat documenté dans docs/contrat-json.md (généré depuis le catalogue).

Chaque fonction lit un objet résultat fermé (:class:`~plai_bilan.bilan.Bilan` ou une étude) et écrit les clés du
document correspondant du catalogue, dans son ordre. Montants arrondis au centime ; taux en pour cent (``_pct``).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from plai_bilan.bilan import LECTURE_MIXTE, Bilan, Provenance
from plai_bilan.catalogue import LIGNES_COMPTE
from plai_bilan.etudes import QUANTILES, Risque, Sensibilite, Verdict


def arrondi(x: Any, n: int = 2) -> Any:
    """Un nombre arrondi pour le JSON ; None pour l'absent et le non fini (JSON n'a ni NaN ni infini)."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, n) + 0.0  # +0.0 : pas de -0.0


def _liste(v: np.ndarray, n: int = 2) -> list:
    return [arrondi(x, n) for x in v]


def provenance(p: Provenance) -> dict:
    """Traçabilité : version du contrat et du logiciel, empreinte du scénario, jeu de paramètres utilisé."""
    return {
        "version_contrat": p.version_contrat,
        "plai_bilan_version": p.version,
        "scenario": {"fichier": p.fichier, "sha256": p.sha256, "nom": p.nom},
        "parametres_date": p.parametres_date.isoformat(),
        "parametres_origine": p.parametres_origine,
        "parametres_perimes": [{"bareme": v.bareme, "derniere_valeur": v.derniere_valeur.isoformat(),
                                "attendue": v.attendue.isoformat()} for v in p.parametres_perimes],
    }


def _loyers(b: Bilan) -> list[dict]:
    return [{"typologie": lg.typologie, "nombre": lg.nombre, "produit": lg.produit,
             "surface_habitable": lg.surface_habitable,
             "surface_annexes": lg.surface_annexes, "surface_utile": arrondi(lg.surface_utile, 4),
             "plai_adapte": lg.plai_adapte, "menage": lg.menage, "plafond_loyer": arrondi(lg.plafond_loyer),
             "plafond_apl": arrondi(lg.plafond_apl), "loyer": arrondi(lg.loyer),
             "loyer_accessoire": arrondi(lg.loyer_accessoire), "origine": lg.origine,
             "reduction_loyer_solidarite": arrondi(lg.reduction_loyer_solidarite),
             "prestations": arrondi(lg.prestations)}
            for lg in b.loyers_par_logement]


def _financement(b: Bilan) -> list[dict]:
    return [{"nature": f.nature, "libelle": f.libelle, "montant": arrondi(f.montant), "cle": f.cle,
             "a_calculer": f.inconnue} for f in b.financement]


def _parametres(p: Provenance) -> list[dict]:
    return [{"bareme": v.bareme, "date": v.date.isoformat(), "statut": v.statut, "reference": v.reference}
            for v in p.parametres_utilises]


def _controles(b: Bilan) -> list[dict]:
    return [c.vers_json() for c in b.controles]


def menages(vue) -> dict | None:
    """La vue des ménages (None : non demandée)."""
    if vue is None:
        return None
    return {"disponible": vue.disponible, "message": vue.message or None, "periode": vue.periode or None,
            "openfisca_version": vue.openfisca_version or None, "seuil_reste_a_charge": vue.seuil_reste_a_charge,
            "ressources_origine": vue.ressources_origine or None, "statut_locataire": vue.statut_locataire or None,
            "lignes": [{"typologie": l.typologie, "nombre": l.nombre, "produit": l.produit, "menage": l.menage,
                        "ressources": arrondi(l.ressources), "loyer": arrondi(l.loyer),
                        "reduction_loyer_solidarite": arrondi(l.reduction_loyer_solidarite),
                        "charges_locatives": arrondi(l.charges), "charges_origine": l.charges_origine or None,
                        "prestations": arrondi(l.prestations),
                        "quittance": arrondi(l.quittance), "apl": arrondi(l.apl),
                        "reste_a_charge": arrondi(l.reste_a_charge), "revenu_total": arrondi(l.revenu_total),
                        "taux_effort": arrondi(l.taux_effort, 4), "reste_pour_vivre": arrondi(l.reste_pour_vivre)}
                       for l in vue.lignes],
            "controles": [c.vers_json() for c in vue.constats]}


def _annees(lignes: dict, horizon: int) -> list[dict]:
    """Le compte année par année : une entrée par année, les clés de la famille « compte » du catalogue."""
    return [{k: int(lignes[k][j]) if k in ("annee", "annee_civile") else arrondi(lignes[k][j]) for k in LIGNES_COMPTE}
            for j in range(horizon)]


def _comptes_par_produit(b: Bilan) -> list[dict]:
    """Opération mixte : le plan et le compte de chaque produit (la subvention appliquée) ; vide sinon."""
    return [{"produit": p.produit, "n_logements": p.n_logements, "n_plai_adapte": p.n_plai_adapte,
             "part_surface": arrondi(p.part_surface, 6), "prix_de_revient": arrondi(p.prix_de_revient),
             "subventions_produit": arrondi(p.subventions), "fonds_propres": arrondi(p.fonds_propres),
             "prets_produit": arrondi(p.prets), "part_pret_equilibre": arrondi(p.part_pret_equilibre, 6),
             "besoin_propre": arrondi(p.besoin_propre), "besoin_propre_faisable": p.besoin_propre_faisable,
             "annees": _annees(p.lignes, b.horizon)} for p in b.produits]


def _lecture_part_plai(b: Bilan) -> dict | None:
    """Opération mixte : S*, G, C et J de la part PLAI seule (la lecture globale est celle des clés du document)."""
    lp = b.lecture_part_plai
    return None if lp is None else {k: arrondi(v) for k, v in lp.items()}


def simulation(b: Bilan, vue=None) -> dict:
    """Objet JSON de ``plai-bilan simuler`` (compte sans subvention à calculer)."""
    c = b.compte_zero
    cols = c.colonnes()
    annees = []
    for j in range(b.horizon):
        ligne: dict[str, Any] = {}
        for k, v in cols.items():
            ligne[k] = int(v[j]) if k in ("annee", "annee_civile") else arrondi(v[j])
        annees.append(ligne)
    prets = [{"nom": p.nom, "capital_initial": arrondi(p.capital_initial), "taux_pct": _liste(p.taux * 100, 6),
              "echeances": _liste(p.echeances), "interets": _liste(p.interets),
              "amortissements": _liste(p.amortissements), "capital_restant_du": _liste(p.capital_restant_du)}
             for p in c.prets]
    return {
        **provenance(b.provenance),
        "prix_de_revient": arrondi(b.prix_de_revient),
        "prix_de_revient_ht": arrondi(b.prix_de_revient_ht),
        "tva_prix_de_revient": arrondi(b.tva_prix_de_revient),
        "horizon": b.horizon,
        "critere": b.critere,
        "subvention_inconnue_appliquee": arrondi(c.subvention),
        "van": arrondi(c.van),
        "coefficient_structure": arrondi(b.coefficient_structure, 6),
        "plafond_plai_m2": arrondi(b.plafond_plai_m2, 4),
        "revalorisation_loyers": {"facteur": arrondi(b.revalorisation.facteur, 6), "etapes": [
            {"annee": a, "taux_pct": arrondi(x * 100, 4), "source": s} for a, x, s in b.revalorisation.etapes]},
        "revalorisations_apl_supposees": b.revalorisations_apl_supposees,
        "loyers_par_logement": _loyers(b),
        "financement": _financement(b),
        "comptes_par_produit": _comptes_par_produit(b),
        "annees": annees,
        "prets": prets,
        "controles": _controles(b),
        "menages": menages(vue),
        "parametres": _parametres(b.provenance),
        "avertissements": list(b.avertissements),
    }


def subvention(b: Bilan, vue=None) -> dict:
    """Objet JSON de ``plai-bilan subvention``."""
    t_min, annee_min = b.tresorerie_minimale
    return {
        **provenance(b.provenance),
        "subvention_minimale": arrondi(b.subvention_minimale),
        "subvention_minimale_par_logement": arrondi(b.subvention_minimale_par_logement),
        "subvention_minimale_par_logement_plai_adapte": arrondi(b.subvention_minimale_par_logement_plai_adapte),
        "faisable": b.faisable,
        "critere": b.critere,
        "annee_critique": b.annee_critique,
        "motif": b.motif,
        "annees_deficit": [{"annee": a, "montant": arrondi(m)} for a, m in b.annees_deficit],
        "diagnostic": _diagnostic(b),
        "prix_de_revient": arrondi(b.prix_de_revient),
        "prix_de_revient_ht": arrondi(b.prix_de_revient_ht),
        "tva_prix_de_revient": arrondi(b.tva_prix_de_revient),
        "pret_equilibre": arrondi(b.pret_equilibre),
        "pret_equilibre_initial": arrondi(b.pret_equilibre_initial),
        "loyer_equilibre_m2": arrondi(b.loyer_equilibre_m2, 4),
        "cout_contreparties": arrondi(b.cout_contreparties),
        "subvention_plai_ordinaire": arrondi(b.subvention_plai_ordinaire),
        "contreparties": _contreparties(b),
        "subvention_justifiable": arrondi(b.subvention_justifiable),
        "besoin_hors_contreparties": arrondi(b.besoin_hors_contreparties),
        "reference_fnap": arrondi(b.reference_fnap),
        "reference_fnap_par_logement": arrondi(b.reference_fnap_par_logement),
        "tresorerie_minimale": arrondi(t_min),
        "annee_tresorerie_minimale": annee_min,
        "van": arrondi(b.compte.van),
        "horizon": b.horizon,
        "n_logements": b.n_logements,
        "n_plai_adapte": b.n_plai_adapte,
        "comptes_par_produit": _comptes_par_produit(b),
        "lecture_part_plai": _lecture_part_plai(b),
        "lecture_retenue": LECTURE_MIXTE if b.lecture_part_plai is not None else None,
        "controles": _controles(b),
        "menages": menages(vue),
        "parametres": _parametres(b.provenance),
        "avertissements": list(b.avertissements),
    }


def _diagnostic(b: Bilan) -> dict | None:
    d = b.diagnostic
    if d is None:
        return None
    return {"capacite_emprunt": arrondi(d.capacite_emprunt), "manque": arrondi(d.manque),
            "prets": [{"nom": n, "capital": arrondi(c), "besoin": arrondi(x), "suffit": s} for n, c, x, s in d.prets],
            "charges_plus_rapides": d.charges_plus_rapides, "annees_sans_pret": d.annees_sans_pret}


def _contreparties(b: Bilan) -> dict | None:
    return None if b.contreparties is None else {k: arrondi(v) for k, v in b.contreparties.items()}


def verdict(v: Verdict, vue=None) -> dict:
    """Objet JSON de ``plai-bilan instruire``."""
    b = v.bilan
    return {
        **provenance(b.provenance),
        "verdict": v.verdict,
        "statut_sortie": v.statut_sortie,
        "raison": v.raison,
        "justifiee": v.justifiee,
        "financeur": v.financeur,
        "indice_subvention": v.indice,
        "montant_demande": arrondi(v.demande),
        "subvention_minimale": arrondi(v.subvention_minimale),
        "subvention_plai_ordinaire": arrondi(b.subvention_plai_ordinaire),
        "cout_contreparties": arrondi(b.cout_contreparties),
        "contreparties": _contreparties(b),
        "subvention_justifiable": arrondi(v.justifiable),
        "besoin_hors_contreparties": arrondi(b.besoin_hors_contreparties),
        "borne": v.borne,
        "excedent": arrondi(v.excedent),
        "manque": arrondi(v.manque),
        "manque_dans_contreparties": arrondi(v.manque_dans_contreparties),
        "manque_hors_contreparties": arrondi(v.manque_hors_contreparties),
        "tolerance": v.tolerance,
        "faisable": b.faisable,
        "motif": b.motif,
        "ecart": arrondi(v.ecart),
        "ecart_pct": arrondi(v.ecart_pct, 4),
        "motifs": v.motifs,
        "reference_fnap": arrondi(b.reference_fnap),
        "critere": b.critere,
        "annee_critique": b.annee_critique,
        "subvention_maximale": arrondi(v.subvention_maximale),
        "contrainte_maximum": None if b.sieg is None or b.sieg.corridor is None else b.sieg.corridor.contrainte_maximum,
        "au_dessus_du_maximum": v.au_dessus_du_maximum,
        "lecture_part_plai": _lecture_part_plai(b),
        "lecture_retenue": LECTURE_MIXTE if b.lecture_part_plai is not None else None,
        "controles": _controles(b),
        "menages": menages(vue),
    }


def sieg(b: Bilan) -> dict:
    """Objet JSON de ``plai-bilan sieg``."""
    c = b.sieg
    h = c.hypotheses
    r = c.corridor
    return {
        **provenance(b.provenance),
        "subvention_retenue": arrondi(c.subvention),
        "periode": h.duree,
        "taux_actualisation_pct": arrondi(h.taux_actualisation * 100, 4),
        "taux_swap_pct": arrondi(h.taux_swap * 100, 4),
        "taux_marche_pct": arrondi(h.taux_marche * 100, 4),
        "taux_unique": h.taux_unique,
        "taux_benefice_pct": arrondi(h.taux_benefice * 100, 4),
        "droit": h.droit,
        "valeur_residuelle_choix": h.valeur_residuelle if isinstance(h.valeur_residuelle, str) else "montant",
        "prix_de_revient": arrondi(b.prix_de_revient),
        "prix_de_revient_ht": arrondi(b.prix_de_revient_ht),
        "tva_prix_de_revient": arrondi(b.tva_prix_de_revient),
        "postes_prix_de_revient": [{"cle": p.cle, "libelle": p.libelle, "ht": arrondi(p.ht),
                                    "taux_tva_pct": arrondi(p.taux_tva * 100, 4), "tva": arrondi(p.tva),
                                    "ttc": arrondi(p.ttc)} for p in b.postes_prix_de_revient],
        "cout_brut": arrondi(c.cout_brut),
        "recettes": arrondi(c.poste("recettes")),
        "cout_net": arrondi(c.cout_net),
        "compensation": arrondi(c.compensation),
        "benefice_raisonnable": arrondi(c.benefice_raisonnable),
        "marge_surcompensation": arrondi(c.marge),
        "surcompensation": arrondi(c.surcompensation),
        "verdict_sieg": c.verdict,
        "postes": [{"cle": p.cle, "libelle": p.libelle, "valeur": arrondi(p.valeur)} for p in c.postes],
        "avantages_prets": [{"nom": n, "avantage": arrondi(a)} for n, a in c.avantages_prets],
        "corridor": None if r is None else {
            "subvention_minimale": arrondi(r.minimum), "contrainte_minimum": r.contrainte_minimum,
            "subvention_maximale": arrondi(r.maximum), "contrainte_maximum": r.contrainte_maximum,
            "avantage_unitaire": arrondi(r.avantage_unitaire, 6), "corridor_ouvert": r.ouvert,
            "subvention_minimale_van": arrondi(r.minimum_van), "cause_corridor_vide": r.cause,
            "identite_equilibre": None if r.identite is None else {
                k: (bool(v) if k == "applicable" else arrondi(v)) for k, v in r.identite.items()}},
        "produits": [{"produit": p.produit, "part_surface": arrondi(p.part_surface, 6), "cout_net": arrondi(p.cout_net),
                      "compensation": arrondi(p.compensation), "benefice_raisonnable": arrondi(p.benefice_raisonnable),
                      "marge_surcompensation": arrondi(p.marge)} for p in c.produits],
        "sources_sieg": [{"bareme": v.bareme, "date": v.date.isoformat(), "statut": v.statut,
                          "reference": v.reference} for v in h.sources],
    }


def comparaison(bilans: list[Bilan]) -> dict:
    """Objet JSON de ``plai-bilan comparer``."""
    return {"operations": [
        {**provenance(b.provenance), "nom": b.scenario.operation.nom, "fichier": b.scenario.fichier,
         **{k: (arrondi(v) if isinstance(v, float) else v) for k, v in b.indicateurs().items()}}
        for b in bilans]}


def sensibilite(s: Sensibilite) -> dict:
    """Objet JSON de ``plai-bilan sensibilite``."""
    return {**provenance(s.provenance), "subvention_base": arrondi(s.subvention_base), "hypotheses": [
        {"cle": l.cle, "libelle": l.libelle, "unite": l.unite, "base": arrondi(l.base, 4), "basse": arrondi(l.basse, 4),
         "haute": arrondi(l.haute, 4), "subvention_basse": arrondi(l.subvention_basse),
         "subvention_haute": arrondi(l.subvention_haute), "bascule": arrondi(l.bascule, 4),
         "rupture": arrondi(l.rupture, 4), "plage": [arrondi(l.plage[0], 4), arrondi(l.plage[1], 4)]}
        for l in s.triees()]}


def risque(r: Risque) -> dict:
    """Objet JSON de ``plai-bilan risque``."""
    d = r.distribution
    return {**provenance(r.provenance),
            "pret_equilibre_initial": arrondi(r.pret_equilibre_initial),
            "trajectoires": [{"nom": t.nom, "libelle": t.libelle, "livret_a_pct": [arrondi(x * 100, 4) for x in t.taux],
                              "faisable": t.faisable, "subvention_minimale": arrondi(t.subvention_minimale),
                              "besoin_brut": arrondi(t.besoin_brut),
                              "plus_severe_que": arrondi(d.plus_severe_que(
                                  t.subvention_minimale if t.faisable else None), 6)} for t in r.trajectoires],
            "aleatoire": {"n": d.n, "graine": d.graine,
                          **{f"p{round(p * 100)}": arrondi(d.quantile(p)) for p in QUANTILES},
                          "subvention_90_pct_trajectoires": arrondi(d.quantile(0.9)),
                          "part_infaisable": arrondi(d.part_infaisable, 6)}}


def en_json(objet: dict) -> str:
    return json.dumps(objet, ensure_ascii=False, indent=2, sort_keys=False, allow_nan=False) + "\n"


def _valeur_json(v):
    return arrondi(v) if isinstance(v, float) else v


def optimisation(o) -> dict:
    """Objet JSON de ``plai-bilan optimiser``."""
    return {**provenance(o.provenance), "objectif": o.objectif, "horizon": o.horizon, "regles": o.regles,
            "inconnue": o.inconnue, "subvention_fichier": arrondi(o.subvention_fichier),
            "subvention_optimisee": arrondi(o.subvention_optimisee), "economie": arrondi(o.economie),
            "justifiable_fichier": arrondi(o.justifiable_fichier),
            "justifiable_optimisee": arrondi(o.justifiable_optimisee),
            "leviers": [{"cle": l.cle, "libelle": l.libelle, "valeur_fichier": _valeur_json(l.valeur_fichier),
                         "valeur_optimisee": _valeur_json(l.valeur_optimisee), "change": l.valeur_optimisee != l.valeur_fichier,
                         "economie_seule": arrondi(l.economie_seule)} for l in o.leviers],
            "prets": [{"nom": pr.nom, "montant": pr.montant if pr.est_solde else arrondi(pr.montant),
                       "duree": pr.duree, "progressivite_pct": pr.progressivite_pct,
                       "differe_amortissement": pr.differe_amortissement, "revisabilite": pr.revisabilite}
                      for pr in o.scenario_optimise.prets],
            "fonds_propres": arrondi(o.scenario_optimise.fonds_propres.montant),
            "hors_regles": list(o.hors_regles), "engagements_prolonges": list(o.engagements_prolonges),
            "evaluations": o.evaluations, "avertissements": list(o.scenario_optimise.avertissements)}
