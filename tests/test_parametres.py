"""Paramètres datés : valeurs des textes (arrêté du 05/09/2025, FNAP 21/09/2018, avis loyers), dates."""

from datetime import date

import pytest

from plai_bilan.erreurs import ParametreInvalide
from plai_bilan.moteur.loyers import coefficient_structure, plafond_plai_m2, surface_utile
from plai_bilan.parametres import charger_parametres

P = charger_parametres()
AU_2025_10 = date(2025, 10, 1)

# Arrêté du 05/09/2025 (JORFTEXT000052212770) : loyers plafonds L au 2025-10-01, euros par mois.
# zone : (isolé, couple sans PAC, 1 PAC, par PAC supplémentaire)
L_2025 = {"1": (333.14, 401.78, 454.10, 65.89), "2": (290.34, 355.38, 399.89, 58.21),
          "3": (272.12, 329.88, 369.88, 53.01)}


@pytest.mark.parametrize("zone", ["1", "2", "3"])
@pytest.mark.parametrize("couple", [False, True])
@pytest.mark.parametrize("pac", [0, 1, 2, 3, 6])
def test_plafonds_apl_2025_tous_menages(zone, couple, pac):
    isole, couple_0, un_pac, supp = L_2025[zone]
    if pac == 0:
        attendu = couple_0 if couple else isole
    else:
        attendu = un_pac + (pac - 1) * supp  # 3 PAC en zone 2 : 399,89 + 2 x 58,21 = 516,31
    valeur, source = P.plafond_apl(zone, couple, pac, date(2026, 3, 1))
    assert valeur == pytest.approx(attendu, abs=1e-9)
    assert source.date == AU_2025_10 and "JORFTEXT000052212770" in source.reference


def test_plafond_apl_exemple_calcule_a_la_main():
    # Couple avec 3 enfants en zone 2 : 399,89 + 2 x 58,21 = 516,31 €.
    assert P.plafond_apl("2", True, 3, AU_2025_10)[0] == pytest.approx(516.31)


def test_plafonds_apl_avant_revalorisation_2025():
    # La veille du 2025-10-01, la valeur du 2024-10-01 (zone 3, 1 PAC : 366,07, lola-notes T8).
    assert P.plafond_apl("3", False, 1, date(2025, 9, 30))[0] == 366.07
    assert P.plafond_apl("3", False, 1, date(2023, 10, 1))[0] == 354.51


def test_pas_de_revalorisation_2018():
    assert P.plafond_apl("1", False, 0, date(2018, 12, 31))[0] == 295.05


def test_equivalence_foyer_2025():
    # Arrêté du 27/09/2019, art. 27, au 2025-10-01 : zone 3 isolé 432,98 ; couple 503,57 ; 4 PAC 644,41 ;
    # 6 PAC = 644,41 + 2 x 66,74 = 777,89.
    assert P.equivalence_foyer("3", False, 0, AU_2025_10)[0] == 432.98
    assert P.equivalence_foyer("3", True, 0, AU_2025_10)[0] == 503.57
    assert P.equivalence_foyer("1", False, 2, AU_2025_10)[0] == 667.29
    assert P.equivalence_foyer("2", True, 4, AU_2025_10)[0] == 689.89
    assert P.equivalence_foyer("3", False, 6, AU_2025_10)[0] == pytest.approx(777.89)


# FNAP, CA du 21/09/2018, tableau des valeurs de référence (seed 001), euros par logement PLAI adapté.
FNAP = {
    ("idf-paca", "ordinaire", 1): 18630, ("idf-paca", "ordinaire", 3): 18630,
    ("idf-paca", "ordinaire", 4): 13980, ("idf-paca", "ordinaire", 8): 13980,
    ("idf-paca", "ordinaire", 9): 7480, ("idf-paca", "ordinaire", 40): 7480,
    ("idf-paca", "foyer", 1): 7480, ("idf-paca", "foyer", 25): 7480,
    ("hors-idf-paca", "ordinaire", 1): 13980, ("hors-idf-paca", "ordinaire", 3): 13980,
    ("hors-idf-paca", "ordinaire", 4): 10480, ("hors-idf-paca", "ordinaire", 8): 10480,
    ("hors-idf-paca", "ordinaire", 9): 5600, ("hors-idf-paca", "ordinaire", 12): 5600,
    ("hors-idf-paca", "foyer", 2): 5600, ("hors-idf-paca", "foyer", 30): 5600,
}


@pytest.mark.parametrize(("cle", "attendu"), FNAP.items(), ids=lambda x: str(x))
def test_table_fnap_cellule_par_cellule(cle, attendu):
    region, produit, n = cle
    assert P.reference_fnap(region, produit, n, date(2026, 1, 1))[0] == attendu


def test_fnap_avant_2018_est_une_erreur():
    with pytest.raises(ParametreInvalide, match="première valeur connue au 2018-09-21"):
        P.reference_fnap("idf-paca", "ordinaire", 2, date(2018, 1, 1))


def test_coefficient_structure_exemple_ministeriel():
    # Avis loyers, annexe 6 : 20 logements, SU 1 320 m2 -> CS = 1,0033.
    regles = P.regles_loyers(date(2026, 1, 1))[0]
    assert (regles["a"], regles["b"]) == (0.77, 20.0)
    assert round(coefficient_structure(20, 1320.0, regles["a"], regles["b"]), 4) == 1.0033


def test_exemple_annexes_importantes_2010():
    # lola-notes T1 : 60 m2 SH + 12 m2 d'annexes -> SU 66 m2 ; LMzone 5,24 ; marge 5 % -> 5,52 €/m2.
    regles = P.regles_loyers(date(2010, 1, 1))[0]
    assert regles["part_annexes_su"] == 0.5  # CCH R.331-10 : la moitié des annexes
    assert surface_utile(60.0, 12.0, regles["part_annexes_su"]) == 66.0
    cs = coefficient_structure(20, 20 * 66.0, 0.77, 20.0)
    assert round(plafond_plai_m2(5.24, cs, 0.05), 2) == 5.52


def test_livret_a_historique():
    # Arrêtés « taux d'intérêt des produits d'épargne réglementée ».
    assert P.taux_livret_a(date(2026, 2, 1))[0] == 1.50
    assert P.taux_livret_a(date(2026, 1, 31))[0] == 1.70
    assert P.taux_livret_a(date(2025, 2, 1))[0] == 2.40
    assert P.taux_livret_a(date(2023, 6, 1))[0] == 3.00
    assert P.taux_livret_a(date(2021, 6, 1))[0] == 0.50
    assert P.taux_livret_a(date(2008, 3, 1))[0] == 3.50


def test_date_avant_la_premiere_valeur_est_une_erreur_claire():
    with pytest.raises(ParametreInvalide, match="aucune valeur en vigueur au 2007-05-01"):
        P.plafond_apl("1", False, 0, date(2007, 5, 1))
    with pytest.raises(ParametreInvalide, match="livret A"):
        P.taux_livret_a(date(2000, 1, 1))


def test_loyers_maximaux_marques_comme_estimations():
    bareme = P["loyers_maximaux_plai"]
    assert bareme.estimation
    assert all(v.statut == "E" for v in bareme.valeurs)
    # 2025 : matrice de loyers d'un bailleur (6,93 / 6,50 / 5,71 / 5,28) ; 2026 : + IRL T2 2025 (+1,04 %).
    for zone, v2025 in (("1bis", 6.93), ("1", 6.50), ("2", 5.71), ("3", 5.28)):
        assert P.loyer_maximal_plai(zone, date(2025, 3, 1))[0] == v2025
        assert P.loyer_maximal_plai(zone, date(2026, 3, 1))[0] == round(v2025 * 1.0104 + 1e-9, 2)


def test_chaque_valeur_a_une_reference_et_un_statut():
    for bareme in P.baremes.values():
        assert bareme.reference and bareme.prolongation
        for v in bareme.valeurs:
            assert v.reference and v.statut in ("V", "V2", "D", "E")


def test_irl_variation_t2_2025():
    # INSEE : T2 2025 = 146,68, +1,04 % sur T2 2024 (145,17).
    valeur = P["irl"].en_vigueur(date(2025, 4, 1)).donnees
    assert valeur["indice"] == 146.68
    assert round((146.68 / 145.17 - 1) * 100, 2) == valeur["variation_pct"]


def test_rls_2026():
    # Arrêté du 22/05/2026 : zone 2, 1 PAC 43,06 € ; 3 PAC = 43,06 + 2 x 6,26.
    assert P.reduction_loyer_solidarite("2", False, 1, date(2026, 6, 1))[0] == 43.06
    assert P.reduction_loyer_solidarite("2", True, 3, date(2026, 7, 1))[0] == pytest.approx(55.58)


# ----------------------------------------------------------------------------------------------- clés lues


class _Espion(dict):
    """Un dictionnaire qui note chaque clé lue (chemin complet), tables imbriquées comprises."""

    def __init__(self, donnees, chemin, lues):
        super().__init__({k: _Espion(v, f"{chemin}.{k}", lues) if isinstance(v, dict) else v
                          for k, v in donnees.items()})
        self.chemin, self.lues = chemin, lues

    def __getitem__(self, cle):
        self.lues.add(f"{self.chemin}.{cle}")
        return super().__getitem__(cle)


# Les barèmes dont aucun calcul ne lit encore les valeurs, avec la raison.
PAS_ENCORE_LUS: dict[str, str] = {}


def test_chaque_cle_de_chaque_fichier_de_parametres_est_lue_par_le_code():
    """Chaque accesseur est appelé sur tout son domaine (zones, ménages, régions, produits, tranches) à la date
    de chaque valeur datée ; toute clé d'une valeur qui n'est jamais lue est une valeur morte ou un nombre que le
    code retape au lieu de le lire."""
    import dataclasses

    from plai_bilan.parametres import Parametres
    from plai_bilan.risque import moyennes_annuelles

    lues: set[str] = set()
    baremes = {}
    for nom, b in P.baremes.items():
        valeurs = tuple(dataclasses.replace(v, donnees=_Espion(v.donnees, f"{nom}[{v.date}]", lues))
                        for v in b.valeurs)
        baremes[nom] = dataclasses.replace(b, valeurs=valeurs)
    espion = Parametres(baremes)
    menages = [(couple, pac) for couple in (False, True) for pac in range(7)]
    for nom, b in espion.baremes.items():
        for v in b.valeurs:
            jour = v.date
            if nom == "apl_loyers_plafonds":
                for z in "123":
                    for couple, pac in menages:
                        espion.plafond_apl(z, couple, pac, jour)
            elif nom == "apl_equivalence_foyer":
                for z in "123":
                    for couple, pac in menages:
                        espion.equivalence_foyer(z, couple, pac, jour)
            elif nom == "rls":
                for z in "123":
                    for couple, pac in menages:
                        espion.reduction_loyer_solidarite(z, couple, pac, jour)
            elif nom == "livret_a":
                espion.taux_livret_a(jour)
            elif nom == "loyers_maximaux_plai":
                for z in ("1bis", "1", "2", "3"):
                    espion.loyer_maximal_plai(z, jour)
            elif nom == "prets_cdc":
                for produit in ("PLAI", "PLUS", "PLS"):
                    espion.marge_pret(produit, jour)
            elif nom == "loyers_maximaux_plus":
                for z in ("1bis", "1", "2", "3"):
                    espion.loyer_maximal("PLUS", z, jour)
            elif nom == "loyers_maximaux_pls":
                for z in ("Abis", "A", "B1", "B2", "C"):
                    espion.loyer_maximal("PLS", z, jour)
            elif nom == "fnap_plai_adapte":
                for region in ("idf-paca", "hors-idf-paca"):
                    for produit in ("ordinaire", "foyer"):
                        for n in range(1, 12):
                            espion.reference_fnap(region, produit, n, jour)
            elif nom == "coefficient_structure":
                espion.regles_loyers(jour)
            elif nom == "rls_plafonds_ressources":
                for z in "123":
                    for couple, pac in menages + [(True, 9)]:
                        espion.plafond_ressources_rls(z, couple, pac, jour)
            elif nom == "tfpb_exoneration":
                for nature in ("construction-neuve", "vefa", "acquisition", "acquisition-amelioration"):
                    for criteres in (False, True):
                        espion.exoneration_tfpb(nature, criteres, jour)
            elif nom == "marges_locales":
                for z in ("1bis", "1", "2", "3"):
                    espion.marge_locale(z, jour)
            elif nom == "tva":
                for nature in ("construction-neuve", "acquisition-amelioration"):
                    espion.taux_tva(nature, jour)
                    for produit, ru in (("PLAI", False), ("PLUS", False), ("PLUS", True), ("PLS", False)):
                        espion.taux_tva_postes(nature, jour, produit, ru)
            elif nom == "sieg":
                espion.sieg(jour)
            elif nom == "sieg_marche":
                espion.sieg_marche(jour)
            elif nom == "swap_eur":
                for maturite in (5, 10, 25, 60):
                    espion.taux_swap(maturite, jour)
            elif nom == "forfait_charges":
                espion.forfait_charges(2, jour)
            elif nom == "plafonds_ressources_plai":
                for z in ("1bis", "1", "2", "3"):
                    for couple, pac in menages:
                        espion.plafond_ressources_plai(z, couple, pac, jour)
            elif nom == "plafonds_ressources_plus":
                for z in ("1bis", "1", "2", "3"):
                    for couple, pac in menages:
                        for produit in ("plus", "pls"):
                            espion.plafond_ressources(produit, z, couple, pac, jour)
            elif nom == "revision_loyers":
                espion.revision_loyers_fixee(jour.year)
            elif nom == "regles_prets":
                for objet in ("construction", "foncier"):
                    for z in ("A", "C", None):
                        espion.bornes_pret(objet, z, jour)
    moyennes_annuelles(espion, 2008, 2025)
    for v in espion["irl"].valeurs:
        espion.irl(v.donnees["trimestre"])
    jamais = []
    for nom, b in P.baremes.items():
        if nom in PAS_ENCORE_LUS:
            continue
        for v in b.valeurs:
            def feuilles(d, chemin):
                for k, x in d.items():
                    if isinstance(x, dict):
                        yield from feuilles(x, f"{chemin}.{k}")
                    yield f"{chemin}.{k}"
            jamais += [c for c in feuilles(v.donnees, f"{nom}[{v.date}]") if c not in lues]
    assert not jamais, f"clés de paramètres jamais lues : {jamais[:10]} ({len(jamais)} en tout)"
    assert set(PAS_ENCORE_LUS) <= set(P.baremes)



# ----------------------------------------------------------------------------------------------- actualité


def _scenario_date(tmp_path, agrement: str, mise_en_service: int):
    from conftest import RACINE

    texte = (RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml").read_text(encoding="utf-8")
    texte = texte.replace("date_agrement = 2026-03-01", f"date_agrement = {agrement}").replace(
        "mise_en_service = 2027", f"mise_en_service = {mise_en_service}")
    f = tmp_path / "s.toml"
    f.write_text(texte, encoding="utf-8")
    return f


def test_agrement_du_15_novembre_2026_prend_les_revalorisations_de_2026(tmp_path):
    """Arrêté du 28/09/2026 (APL +1,15 % au 1er octobre : zone 2, une personne à charge, 404,49 €) et arrêté du
    28/07/2026 (livret A 1,70 % au 1er août) ; aucune valeur n'est périmée."""
    from plai_bilan import charger_scenario, simuler

    b = simuler(charger_scenario(_scenario_date(tmp_path, "2026-11-15", 2027)))
    assert b.loyers_par_logement[0].plafond_apl == 404.49
    assert b.livret_a[0] == pytest.approx(0.017)
    assert b.provenance.parametres_perimes == ()


def test_agrement_de_novembre_2027_signale_les_valeurs_perimees(tmp_path):
    from plai_bilan import charger_scenario, simuler

    b = simuler(charger_scenario(_scenario_date(tmp_path, "2027-11-15", 2028)))
    perimes = {v.bareme: (v.derniere_valeur.isoformat(), v.attendue.isoformat()) for v in b.provenance.parametres_perimes}
    assert perimes == {"apl_loyers_plafonds": ("2026-10-01", "2027-10-01"), "livret_a": ("2026-08-01", "2027-02-01")}
    assert sum("revalorisation attendue" in a for a in b.avertissements) == 2
    # LMzone 2027 non publié : la valeur 2026 revalorisée par l'IRL T2 2026 (CCH L.353-9-2), dite estimation.
    assert sum("LMzone PLAI 2027 non publié" in a and "IRL T2 2026" in a for a in b.avertissements) == 1


@pytest.mark.parametrize(("nature", "criteres", "agrement", "annees"), [
    ("construction-neuve", False, "2026-03-01", 25),   # CGI 1384 A, I bis : décision du 01/07/2004 au 31/12/2026
    ("construction-neuve", True, "2026-03-01", 30),    # I ter : au moins 4 des 5 critères environnementaux
    ("acquisition-amelioration", True, "2026-03-01", 25),  # CGI 1384 C : pas de 30 ans
    ("vefa", False, "2027-03-01", 15),  # après le 31/12/2026 (estimation : sans prorogation)
    ("construction-neuve", True, "2027-03-01", 20),  # 1384 A, I bis : 20 ans avec les critères, sans date de fin
    ("acquisition-amelioration", False, "2027-03-01", 15),  # 1384 C : 15 ans après le 31/12/2026
])
def test_exoneration_de_tfpb_par_defaut_la_duree_legale(tmp_path, nature, criteres, agrement, annees):
    import tomllib

    from conftest import RACINE

    from plai_bilan import scenario_depuis_dict, simuler

    with (RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml").open("rb") as f:
        doc = tomllib.load(f)
    doc["operation"].update(nature=nature, date_agrement=date.fromisoformat(agrement),
                            mise_en_service=int(agrement[:4]) + 1)
    doc["livret_a"] = {"trajectoire": [1.5]}
    doc["exploitation"]["tfpb"] = {"montant": 700, "criteres_environnementaux": criteres}
    b = simuler(scenario_depuis_dict(doc, "tfpb"))
    assert b.hypotheses.tfpb_exoneration == annees and b.hypotheses.tfpb_exoneration_legale
    # La TFPB commence l'année qui suit la fin de l'exonération.
    assert b.compte["tfpb"][annees - 1] == 0 and b.compte["tfpb"][annees] > 0


def test_exoneration_de_tfpb_avant_juillet_2004():
    # Avant la loi de programmation pour la cohésion sociale : 15 ans (CGI 1384 A, I et 1384 C).
    assert P.exoneration_tfpb("acquisition-amelioration", False, date(2004, 6, 30))[0] == 15
    assert P.exoneration_tfpb("construction-neuve", False, date(2004, 7, 1))[0] == 25


def test_swap_interpole_entre_les_maturites():
    """Le swap de la maturité de la période : interpolé linéairement entre deux maturités, constant au-delà."""
    from datetime import date

    v = P["swap_eur"].en_vigueur(date(2026, 3, 1)).donnees["maturites"]
    assert P.taux_swap(25, date(2026, 3, 1))[0] == pytest.approx((v["20"] + v["30"]) / 2)
    assert P.taux_swap(5, date(2026, 3, 1))[0] == v["10"]
    assert P.taux_swap(80, date(2026, 3, 1))[0] == v["50"]
