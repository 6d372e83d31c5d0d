"""Comparaison d'opérations côte à côte : coûts, subvention minimale, loyers, autofinancement, trésorerie, VAN.

Toutes les opérations sont résolues en un seul lot. Les grandeurs « avec subvention » appliquent la subvention
minimale de chaque opération (0 si elle est infaisable).
"""

from __future__ import annotations

from dataclasses import dataclass

from plai_bilan.bilan import ResultatSubvention, exiger_pret_equilibre, resoudre
from plai_bilan.parametres import Parametres
from plai_bilan.preparation import preparer
from plai_bilan.scenario import Scenario


@dataclass(frozen=True)
class Indicateur:
    cle: str
    libelle: str
    unite: str  # "€", "€/m²", "an", "texte", "nombre"


INDICATEURS = (
    Indicateur("nature", "Nature", "texte"),
    Indicateur("n_logements", "Logements", "nombre"),
    Indicateur("n_plai_adapte", "dont PLAI adaptés", "nombre"),
    Indicateur("surface_utile", "Surface utile totale (m²)", "nombre"),
    Indicateur("prix_de_revient", "Prix de revient", "€"),
    Indicateur("prix_de_revient_par_logement", "Prix de revient par logement", "€"),
    Indicateur("prix_de_revient_par_m2", "Prix de revient par m² SU", "€"),
    Indicateur("faisable", "Équilibrable", "texte"),
    Indicateur("subvention_minimale", "Subvention minimale", "€"),
    Indicateur("subvention_minimale_par_logement", "Subvention minimale par logement", "€"),
    Indicateur("subvention_minimale_par_m2", "Subvention minimale par m² SU", "€"),
    Indicateur("loyer_moyen_m2", "Loyer moyen (€/m² SU/mois)", "€/m²"),
    Indicateur("loyer_moyen_logement", "Loyer moyen par logement (€/mois)", "€"),
    Indicateur("loyer_equilibre_m2", "Loyer d'équilibre sans subvention (€/m² SU/mois)", "€/m²"),
    Indicateur("autofinancement_annee_1", "Autofinancement de l'année 1 (avec subvention)", "€"),
    Indicateur("tresorerie_minimale", "Trésorerie cumulée la plus basse (avec subvention)", "€"),
    Indicateur("annee_tresorerie_minimale", "Année de la trésorerie la plus basse", "an"),
    Indicateur("van", "VAN de l'autofinancement (avec subvention)", "€"),
    Indicateur("annee_critique", "Année critique", "an"),
    Indicateur("cout_contreparties", "Coût des contreparties sociales", "€"),
    Indicateur("reference_fnap", "Valeur de référence FNAP", "€"),
)


def indicateurs(r: ResultatSubvention) -> dict:
    """Les indicateurs d'une opération résolue (None quand ils n'existent pas)."""
    e, sc = r.entrees, r.scenario
    su = sc.su_totale
    n = sc.n_logements
    s = r.subvention_minimale
    loyers = sum(lg.nombre * lg.loyer for lg in e.lignes)
    t_min, a_min = r.tresorerie_minimale
    return {
        "nom": sc.operation.nom,
        "fichier": sc.fichier,
        "nature": sc.operation.nature,
        "n_logements": n,
        "n_plai_adapte": sc.n_plai_adapte,
        "surface_utile": su,
        "prix_de_revient": e.prix_de_revient,
        "prix_de_revient_par_logement": e.prix_de_revient / n,
        "prix_de_revient_par_m2": e.prix_de_revient / su,
        "faisable": r.faisable,
        "subvention_minimale": s,
        "subvention_minimale_par_logement": None if s is None else s / n,
        "subvention_minimale_par_m2": None if s is None else s / su,
        "loyer_moyen_m2": loyers / su,
        "loyer_moyen_logement": loyers / n,
        "loyer_equilibre_m2": r.loyer_equilibre_m2,
        "autofinancement_annee_1": float(r.simulation.autofinancement[0]),
        "tresorerie_minimale": t_min,
        "annee_tresorerie_minimale": a_min,
        "van": r.simulation.van,
        "annee_critique": r.annee_critique,
        "cout_contreparties": r.cout_contreparties,
        "reference_fnap": e.reference_fnap,
    }


def comparer(scenarios: list[Scenario], parametres: Parametres | None = None) -> list[ResultatSubvention]:
    """Résout toutes les opérations en un lot (avec leur variante PLAI ordinaire)."""
    for sc in scenarios:
        exiger_pret_equilibre(sc)
    return resoudre([preparer(sc, parametres) for sc in scenarios], parametres=parametres)
