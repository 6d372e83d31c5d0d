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
