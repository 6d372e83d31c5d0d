"""Les barèmes du projet recoupés avec openfisca-france, date par date : plafonds de loyer APL (L), équivalence
foyer (E), forfait de charges (C), RLS (montants et plafonds de ressources), livret A.

Le test lit les fichiers de paramètres d'openfisca-france (installé sans son moteur : ``pip install --no-deps
openfisca-france pyyaml``) ; il est sauté sans lui, sauf en intégration continue, qui l'installe.
"""

from __future__ import annotations

import os
from datetime import date

import pytest

from openfisca_parametres import CORRESPONDANCES, FORFAIT_CHARGES, LIVRET_A, ZONES, dossier, en_vigueur, serie
from plai_bilan.parametres import charger_parametres

pytestmark = pytest.mark.integration  # roues, pipx, openfisca : lancé en CI ou avec --integration

RACINE = dossier()
if RACINE is None:
    if os.environ.get("CI"):
        pytest.fail("openfisca-france est requis en intégration continue : .ci/run doit l'installer",
                    pytrace=False)
    pytest.skip("openfisca-france absent (pip install --no-deps openfisca-france pyyaml)", allow_module_level=True)

P = charger_parametres()


def _colonnes(nom: str) -> list[tuple[str, str, str]]:
    """(zone, colonne, fichier openfisca) d'un barème par zone."""
    return [(z, col, chemin.format(z=z)) for z in ZONES for col, chemin in CORRESPONDANCES[nom].items()]


@pytest.mark.parametrize("nom", sorted(CORRESPONDANCES))
def test_bareme_par_zone_egal_a_openfisca_date_par_date(nom):
    bareme = P[nom]
    premiere = bareme.valeurs[0].date
    ecarts = []
    dates_openfisca = set()
    for zone, colonne, chemin in _colonnes(nom):
        s = serie(RACINE, chemin)
        dates_openfisca |= {d for d in s if d >= premiere}
        for v in bareme.valeurs:
            attendu = en_vigueur(s, v.date)
            obtenu = v.donnees[f"zone_{zone}"][colonne]
            if attendu is None or abs(obtenu - attendu) > 0.005:
                ecarts.append(f"{v.date} zone {zone} {colonne} : {obtenu} au lieu de {attendu}")
    assert not ecarts, ecarts[:10]
    manquantes = sorted(dates_openfisca - {v.date for v in bareme.valeurs})
    assert not manquantes, f"{nom} : revalorisations d'openfisca-france absentes : {manquantes}"


def test_forfait_de_charges_egal_a_openfisca():
    general, par_pac = serie(RACINE, FORFAIT_CHARGES["cas_general"]), serie(RACINE, FORFAIT_CHARGES["par_pac"])
    bareme = P["forfait_charges"]
    for v in bareme.valeurs:
        assert v.donnees["cas_general"] == pytest.approx(en_vigueur(general, v.date), abs=0.005), v.date
        assert v.donnees["par_pac"] == pytest.approx(en_vigueur(par_pac, v.date), abs=0.005), v.date
    manquantes = {d for d in set(general) | set(par_pac) if d >= bareme.valeurs[0].date} - {v.date for v in bareme.valeurs}
    assert not manquantes


def test_livret_a_egal_a_openfisca():
    s = serie(RACINE, LIVRET_A)
    bareme = P["livret_a"]
    for v in bareme.valeurs:
        assert v.donnees["taux_pct"] == pytest.approx(en_vigueur(s, v.date) * 100, abs=1e-9), v.date
    manquantes = {d for d in s if d >= bareme.valeurs[0].date} - {v.date for v in bareme.valeurs}
    assert not manquantes, sorted(manquantes)


def test_valeurs_de_l_enonce_au_2026_11_15():
    """Agrément au 15/11/2026 : plafond APL zone 1, personne seule, 336,97 € ; livret A 1,70 %."""
    jour = date(2026, 11, 15)
    assert P.plafond_apl("1", False, 0, jour)[0] == 336.97
    assert P.taux_livret_a(jour)[0] == 1.70


LOGEMENT_SOCIAL = "prestations_sociales/aides_logement/logement_social"
GROUPES = ("autres_regions", "ile_de_france", "paris_communes_limitrophes")
CATEGORIES = tuple(f"categorie_{i}" for i in range(1, 7)) + ("personne_supplementaire",)


def _chemin_ressources(produit: str, groupe: str, categorie: str) -> str:
    base = f"{LOGEMENT_SOCIAL}/{'plu' if produit == 'plus' else 'plai/plafond_ressources'}"
    if categorie == "personne_supplementaire":
        return f"{base}/par_personne_supplementaire/{groupe}.yaml"
    return f"{base}/par_categorie_de_menage/{categorie}/{groupe}.yaml"


@pytest.mark.parametrize("produit", ["plai", "plus"])
def test_plafonds_de_ressources_egaux_a_openfisca_date_par_date(produit):
    # PLAI : openfisca-france s'arrête au 2022-01-01 (Paris catégorie 2 de 2022 : sa faute de frappe, corrigée ici) ;
    # les valeurs suivantes du projet sont dérivées, et recoupées ailleurs avec les tableaux publiés.
    bareme = P[f"plafonds_ressources_{produit}"]
    ecarts = []
    for groupe in GROUPES:
        for categorie in CATEGORIES:
            s = serie(RACINE, _chemin_ressources(produit, groupe, categorie))
            for v in bareme.valeurs:
                if produit == "plai" and v.statut == "D" and v.date.year > 2022:
                    continue
                attendu = en_vigueur(s, v.date)
                if (produit, groupe, categorie, v.date) == ("plai", "paris_communes_limitrophes", "categorie_2",
                                                            date(2022, 1, 1)):
                    attendu = 21805
                if attendu is None or v.donnees[groupe][categorie] != attendu:
                    ecarts.append(f"{v.date} {groupe} {categorie} : {v.donnees[groupe][categorie]} au lieu de {attendu}")
            if produit == "plus":
                connues = {v.date for v in bareme.valeurs}
                manquantes = {d for d in s if d >= bareme.valeurs[0].date
                              and not any(abs((d - c).days) <= 7 for c in connues)}
                assert not manquantes, sorted(manquantes)
    assert not ecarts, ecarts[:10]


def test_plafonds_plai_derives_au_rythme_des_plafonds_plus():
    # Les deux annexes de l'arrêté du 29/07/1987 sont révisées du même taux : PLAI(N) / PLAI(N-1) = PLUS(N) / PLUS(N-1)
    # à 0,01 % près, vérifié sur les années où openfisca-france a les deux (2018 à 2022).
    for groupe in GROUPES:
        for categorie in CATEGORIES:
            plai = serie(RACINE, _chemin_ressources("plai", groupe, categorie))
            plus = serie(RACINE, _chemin_ressources("plus", groupe, categorie))
            for annee in range(2018, 2023):
                avant, jour = date(annee - 1, 1, 1), date(annee, 1, 1)
                if (groupe, categorie, annee) == ("paris_communes_limitrophes", "categorie_2", 2022):
                    continue  # la faute de frappe d'openfisca-france
                derive = en_vigueur(plai, avant) * en_vigueur(plus, jour) / en_vigueur(plus, avant)
                assert abs(derive - en_vigueur(plai, jour)) <= max(1.0, 1e-4 * derive), (groupe, categorie, annee)
