"""Lecture des fichiers de paramètres d'openfisca-france (YAML), sans son moteur : la référence des valeurs APL
(L, E, C), RLS (montants et plafonds de ressources) et du livret A, pour les recouper date par date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

AL = "prestations_sociales/aides_logement"
ZONES = ("1", "2", "3")

# Barème du projet -> colonne -> fichier d'openfisca-france (par zone : {z} ; facteur : unité).
CORRESPONDANCES = {
    "apl_loyers_plafonds": {
        "isole": f"{AL}/allocations_logement/locatif/formule/l_plafonds_loyers/par_zone/zone_{{z}}/personnes_seules.yaml",
        "couple": f"{AL}/allocations_logement/locatif/formule/l_plafonds_loyers/par_zone/zone_{{z}}/couples.yaml",
        "un_pac": f"{AL}/allocations_logement/locatif/formule/l_plafonds_loyers/par_zone/zone_{{z}}/un_enfant.yaml",
        "pac_supp": f"{AL}/allocations_logement/locatif/formule/l_plafonds_loyers/par_zone/zone_{{z}}/"
                    "majoration_par_enf_supp.yaml",
    },
    "apl_equivalence_foyer": {
        "isole": f"{AL}/allocations_logement/foyer/apl/formule/e_equiv_loyers_eligible/zone_{{z}}/"
                 "personne_isolee_sans_enfant.yaml",
        "couple": f"{AL}/allocations_logement/foyer/apl/formule/e_equiv_loyers_eligible/zone_{{z}}/menage_seul.yaml",
        **{f"pac_{k}": f"{AL}/allocations_logement/foyer/apl/formule/e_equiv_loyers_eligible/zone_{{z}}/"
                       f"menage_ou_isole_avec_{k}_enfant{'s' if k > 1 else ''}.yaml" for k in range(1, 5)},
        "pac_supp": f"{AL}/allocations_logement/foyer/apl/formule/e_equiv_loyers_eligible/zone_{{z}}/"
                    "menage_ou_isole_par_enfant_en_plus.yaml",
    },
    "rls": {
        "isole": f"{AL}/reduction_loyer_solidarite/montant/par_zone/zone_{{z}}/personnes_seules.yaml",
        "couple": f"{AL}/reduction_loyer_solidarite/montant/par_zone/zone_{{z}}/couples.yaml",
        "un_pac": f"{AL}/reduction_loyer_solidarite/montant/par_zone/zone_{{z}}/famille_1pac.yaml",
        "pac_supp": f"{AL}/reduction_loyer_solidarite/montant/par_zone/zone_{{z}}/majoration_par_pac_supp.yaml",
    },
    "rls_plafonds_ressources": {
        "isole": f"{AL}/reduction_loyer_solidarite/plafond_ressources/par_zone/zone_{{z}}/personnes_seules.yaml",
        "couple": f"{AL}/reduction_loyer_solidarite/plafond_ressources/par_zone/zone_{{z}}/couples.yaml",
        **{f"pac_{k}": f"{AL}/reduction_loyer_solidarite/plafond_ressources/par_zone/zone_{{z}}/famille_{k}pac.yaml"
           for k in range(1, 7)},
        "pac_supp": f"{AL}/reduction_loyer_solidarite/plafond_ressources/par_zone/zone_{{z}}/"
                    "majoration_par_pac_supp.yaml",
    },
}
FORFAIT_CHARGES = {
    "cas_general": f"{AL}/allocations_logement/locatif/formule/c_forfait_charges/cas_general/cas_general.yaml",
    "par_pac": f"{AL}/allocations_logement/locatif/formule/c_forfait_charges/cas_general/majoration_par_enfant.yaml",
}
LIVRET_A = "taxation_capital/epargne/livret_a/taux.yaml"


def dossier() -> Path | None:
    """Le dossier des paramètres d'openfisca-france installé, ou None."""
    import importlib.util

    spec = importlib.util.find_spec("openfisca_france")  # sans l'importer : seuls ses fichiers servent
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "parameters"


def serie(racine: Path, chemin: str) -> dict[date, float | None]:
    """Les valeurs datées d'un paramètre (None : paramètre éteint à cette date)."""
    import yaml

    doc = yaml.safe_load((racine / chemin).read_text(encoding="utf-8"))
    valeurs = {}
    for jour, v in doc["values"].items():
        valeurs[jour if isinstance(jour, date) else date.fromisoformat(str(jour))] = (
            v.get("value") if isinstance(v, dict) else v)
    return dict(sorted(valeurs.items()))


def en_vigueur(s: dict[date, float | None], jour: date) -> float | None:
    retenue = None
    for d, v in s.items():
        if d <= jour:
            retenue = v
    return retenue
