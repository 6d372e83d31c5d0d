"""Ce que paie la subvention PLAI adapté et le verdict d'instruction, sur une petite opération calculée à la main.

Opération : un logement PLAI adapté de 50 m2 (loyer saisi 250 €/mois), plafond de l'avis loyers 6 €/m2, soit un
plafond PLAI de 300 €/mois ; frais de gestion 1 000 €/an, GLA 500 €/an pendant 10 ans ; prix de revient
50 000 € ; PLAI de droit commun 10 000 € ; prêt d'équilibre à taux nul sur 10 ans (1 € de prêt coûte 0,10 €
par an) ; critère annuel, horizon 10 ans, sans indexation ni vacance.

- S* : 3 000 - 1 000 - 500 - (40 000 - S) / 10 >= 0, soit S* = 25 000 €.
- Loyers au plafond (3 600 €/an) : 2 100 - 4 000 + S / 10, soit 19 000 € : la cause « loyers » vaut 6 000 €.
- Sans GLA : 2 600 - 4 000 + S / 10, soit G = 14 000 € (ni accompagnement, ni subvention propre au PLAI adapté) :
  la cause « gla » vaut 5 000 €.
- C = S* - G = 11 000 € ; montant justifiable J = min(S*, C) = 11 000 € ; hors contreparties S* - J = 14 000 €.
"""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from plai_bilan import instruire, scenario_depuis_dict, subvention_minimale
from plai_bilan.cli import main

BASE = {
    "operation": {"nom": "Cas instruit", "nature": "acquisition-amelioration", "produit": "ordinaire",
                  "region": "hors-idf-paca", "zone_loyer": "2", "zone_apl": "2", "date_agrement": "2026-03-01",
                  "mise_en_service": 2026, "loyer_plafond_m2": 6.0},
    "logements": [{"typologie": "T2", "nombre": 1, "surface_habitable": 50.0, "plai_adapte": True,
                   "menage": {"couple": False, "personnes_a_charge": 0}, "loyer_mensuel": 250.0}],
    "prix_de_revient": {"charge_fonciere": 50000},
    "subventions": [{"financeur": "État - PLAI", "nature": "etat_plai", "montant": 10000},
                    {"financeur": "État - PLAI adapté", "nature": "fnap_plai_adapte", "montant": "a_calculer"}],
    "prets": [{"nom": "Prêt à taux nul", "taux_pct": 0.0, "duree": 10, "montant": "solde"}],
    "exploitation": {"frais_gestion": 1000, "gla": {"montant": 500, "duree": 10},
                     "indexation": {"loyers_pct": 0.0, "charges_pct": 0.0}},
    "analyse": {"critere": "annuel", "duree": 10},
}


def operation(demande=None, **modifs):
    doc = copy.deepcopy(BASE)
    if demande is not None:
        doc["subventions"][1]["montant"] = demande
    for chemin, valeur in modifs.items():
        cible = doc
        cles = chemin.split("__")
        for c in cles[:-1]:
            cible = cible[int(c)] if c.isdigit() else cible[c]
        cible[cles[-1]] = valeur
    return scenario_depuis_dict(doc, "cas-instruit")


def test_besoin_decompose_a_la_main():
    b = subvention_minimale(operation())
    assert b.subvention_minimale == pytest.approx(25000, abs=0.01)
    assert b.subvention_plai_ordinaire == pytest.approx(14000, abs=0.01)
    assert b.cout_contreparties == pytest.approx(11000, abs=0.01)
    assert b.contreparties == pytest.approx({"loyers": 6000, "gla": 5000, "accompagnement": 0,
                                             "subventions_plai_adapte": 0}, abs=0.01)
    assert b.subvention_justifiable == pytest.approx(11000, abs=0.01)
    assert b.besoin_hors_contreparties == pytest.approx(14000, abs=0.01)


def test_une_aide_propre_au_plai_adapte_d_un_autre_financeur_reduit_les_contreparties():
    """Une collectivité donne 3 000 € par PLAI adapté : le prêt vaut 37 000 €, S* = 22 000 € ; loyers au plafond
    16 000 € ; sans GLA 11 000 € ; sans l'aide propre au PLAI adapté (le prêt remonte à 40 000 €) G = 14 000 € :
    C = 8 000 € = 6 000 (loyers) + 5 000 (GLA) - 3 000 (aide propre au PLAI adapté)."""
    sc = operation()
    doc = copy.deepcopy(BASE)
    doc["subventions"].insert(1, {"financeur": "Ville - PLAI adapté", "nature": "collectivite",
                                  "montant_par_plai_adapte": 3000})
    b = subvention_minimale(scenario_depuis_dict(doc, "aide-propre"))
    assert sc is not None
    assert b.subvention_minimale == pytest.approx(22000, abs=0.01)
    assert b.subvention_plai_ordinaire == pytest.approx(14000, abs=0.01)
    assert b.contreparties == pytest.approx({"loyers": 6000, "gla": 5000, "accompagnement": 0,
                                             "subventions_plai_adapte": -3000}, abs=0.01)
    assert b.subvention_justifiable == pytest.approx(8000, abs=0.01)


def test_foyer_le_financement_general_de_la_gestion_reste_en_plai_ordinaire():
    """Pension de famille : redevance saisie 350 €/mois (redevance maximale 400), GLS renforcée 500 €/an, AGLS
    300 €/an (pas propre au PLAI adapté : elle reste dans la variante et compte tous les logements).
    S* : 4 200 + 300 - 1 000 - 500 - (40 000 - S) / 10, soit 10 000 € ; redevance maximale : 4 800 + 300 - 1 000
    - 500 - 4 000 = -400, soit 4 000 € ; sans GLS renforcée : +100, G = 0. C = 10 000 = 6 000 + 4 000."""
    doc = copy.deepcopy(BASE)
    doc["operation"]["produit"] = "foyer"
    doc["operation"].pop("loyer_plafond_m2")
    doc["operation"]["zone_apl"] = "3"
    doc["logements"][0].update(loyer_mensuel=350.0, redevance_max=400.0)
    doc["exploitation"]["financement_accompagnement"] = {"montant": 300, "duree": 10}
    b = subvention_minimale(scenario_depuis_dict(doc, "foyer"))
    assert b.subvention_minimale == pytest.approx(10000, abs=0.01)
    assert b.subvention_plai_ordinaire == pytest.approx(0, abs=0.01)
    assert b.contreparties == pytest.approx({"loyers": 6000, "gla": 4000, "accompagnement": 0,
                                             "subventions_plai_adapte": 0}, abs=0.01)
    assert b.subvention_justifiable == pytest.approx(10000, abs=0.01)


@pytest.mark.parametrize(("demande", "verdict", "statut", "montants"), [
    # Au-dessus de C et sous S* : excessive, la borne est le coût des contreparties.
    (20000, "excessive", 1, {"excedent": 9000}),
    (12000, "excessive", 1, {"excedent": 1000}),
    # Égale à C : le plan laisse 14 000 € à d'autres financeurs (G).
    (11000, "plan_non_equilibre", 3, {"manque": 14000, "manque_dans_contreparties": 0,
                                      "manque_hors_contreparties": 14000}),
    # Sous C : 2 000 € relèvent encore des contreparties, 14 000 € d'autres financeurs.
    (9000, "plan_non_equilibre", 3, {"manque": 16000, "manque_dans_contreparties": 2000,
                                     "manque_hors_contreparties": 14000}),
    # La valeur de référence FNAP (13 980 €, 1 à 3 PLAI adaptés hors IdF et PACA) dépasse C.
    ("reference", "excessive", 1, {"excedent": 2980}),
])
def test_verdicts_sans_cofinancement(demande, verdict, statut, montants):
    v = instruire(operation(demande))
    assert (v.verdict, v.statut_sortie, v.borne) == (verdict, statut, "contreparties")
    for cle, attendu in montants.items():
        assert getattr(v, cle) == pytest.approx(attendu, abs=0.01), cle
    if verdict == "excessive":
        assert "coût des contreparties sociales" in v.raison


def avec_cofinancement(demande):
    """La collectivité apporte G = 14 000 € : prêt 26 000 €, S* = 11 000 € = C, G = 0 : J = 11 000 €."""
    doc = copy.deepcopy(BASE)
    doc["subventions"][1]["montant"] = demande
    doc["subventions"].insert(1, {"financeur": "Département", "nature": "collectivite", "montant": 14000})
    return scenario_depuis_dict(doc, "cofinance")


@pytest.mark.parametrize(("demande", "verdict"), [(11000, "justifiee"), (11000.5, "justifiee"),
                                                  (11001.11, "excessive"), (10998.99, "plan_non_equilibre")])
def test_verdicts_avec_cofinancement_et_tolerance(demande, verdict):
    v = instruire(avec_cofinancement(demande))
    assert v.bilan.subvention_minimale == pytest.approx(11000, abs=0.01)
    assert v.bilan.subvention_plai_ordinaire == pytest.approx(0, abs=0.01)
    assert v.verdict == verdict
    if verdict == "excessive":
        assert v.borne == "equilibre"  # S* = C : l'équilibre borne aussi
        assert "1,11 €" in v.raison  # le montant affiché est celui que la règle refuse, au centime


def test_tolerance_en_option():
    assert instruire(avec_cofinancement(11005), tolerance=10).verdict == "justifiee"
    assert instruire(avec_cofinancement(11005), tolerance=1).verdict == "excessive"


def test_critere_bloquant_donne_non_eligible():
    v = instruire(operation(11000, operation__anru=True))
    assert (v.verdict, v.statut_sortie) == ("non_eligible", 4)
    assert "anru" in v.raison


def test_gla_plus_courte_que_l_operation_n_est_pas_eligible():
    v = instruire(operation(11000, exploitation__gla={"montant": 500, "duree": 5}))
    assert v.verdict == "non_eligible"
    assert [c.code for c in v.criteres_non_conformes] == ["3"]


def lancer(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_statuts_de_sortie_et_json(tmp_path):
    import tomllib  # noqa: F401  (le scénario est écrit en TOML pour la commande)

    for demande, statut in ((11000, 0), (12000, 1), (9000, 3)):
        f = tmp_path / f"d{demande}.toml"
        f.write_text(_toml(avec_cofinancement(demande) if demande == 11000 else operation(demande)), encoding="utf-8")
        r = lancer("instruire", f, "--format", "json")
        assert r.exit_code == statut, r.output
        d = json.loads(r.stdout)
        assert d["statut_sortie"] == statut and d["subvention_justifiable"] == 11000.0


def test_montreuil_400000_n_est_pas_justifiee_et_la_raison_nomme_les_contreparties(tmp_path):
    from conftest import RACINE

    texte = (RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml").read_text(encoding="utf-8")
    f = tmp_path / "montreuil.toml"
    f.write_text(texte.replace('montant = "a_calculer"', "montant = 400000"), encoding="utf-8")
    r = lancer("instruire", f, "--format", "json", "--avis", tmp_path / "avis.pdf")
    assert r.exit_code == 1
    d = json.loads(r.stdout)
    assert d["verdict"] == "excessive" and d["borne"] == "contreparties"
    assert "coût des contreparties sociales" in d["raison"]
    assert d["excedent"] == pytest.approx(400000 - d["cout_contreparties"], abs=0.01)
    assert (tmp_path / "avis.pdf").read_bytes().startswith(b"%PDF")


def _toml(sc) -> str:
    """Réécrit un scénario construit par dictionnaire en TOML (le sous-ensemble de ce module)."""
    doc = copy.deepcopy(BASE)
    doc["subventions"] = [
        {k: v for k, v in (("financeur", s.financeur), ("nature", s.nature),
                           ("montant", s.montant if s.montant is not None else None),
                           ("montant_par_plai_adapte", s.montant_par_plai_adapte)) if v is not None}
        for s in sc.subventions]
    lignes = []

    def valeur(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return v if v[:4].isdigit() and v.count("-") == 2 else json.dumps(v, ensure_ascii=False)
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {valeur(x)}" for k, x in v.items()) + " }"
        return repr(v)

    for section, contenu in doc.items():
        if isinstance(contenu, list):
            for element in contenu:
                lignes.append(f"[[{section}]]")
                lignes += [f"{k} = {valeur(v)}" for k, v in element.items()]
        else:
            lignes.append(f"[{section}]")
            lignes += [f"{k} = {valeur(v)}" for k, v in contenu.items()]
    return "\n".join(lignes) + "\n"


def test_le_levier_d_un_pret_fixe_equilibre_vraiment_l_operation():
    """Montreuil avec un foncier de 900 000 € est infaisable. Le diagnostic dit quelle subvention équilibrerait
    l'opération si elle remplaçait aussi une part du foncier : on la met dans le plan (prêt d'équilibre à 0,
    foncier diminué d'autant) et on simule. Le critère tient au centime, et échoue avec 10 € de moins."""
    import tomllib

    from conftest import RACINE

    from plai_bilan import simuler

    with (RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml").open("rb") as f:
        doc = tomllib.load(f)
    doc["prets"][0]["montant"] = 900000
    b = subvention_minimale(scenario_depuis_dict(copy.deepcopy(doc), "m900"))
    assert not b.faisable and b.diagnostic.manque > 0
    nom, capital, besoin, suffit = b.diagnostic.prets[0]
    assert nom == "CDC PLAI foncier" and suffit
    part = besoin - b.pret_equilibre_initial

    def tresorerie_min(manque: float) -> float:
        # La subvention remplace le prêt d'équilibre entier (il vaut 0) et la part du foncier, moins « manque » que
        # le foncier garde.
        d = copy.deepcopy(doc)
        d["subventions"][-1]["montant"] = round(besoin - manque, 2)
        d["prets"][0]["montant"] = round(capital - part + manque, 2)
        sim = simuler(scenario_depuis_dict(d, "levier"))
        assert sim.principaux[1] == pytest.approx(0.0, abs=0.01)
        return float(sim.compte.tresorerie.min())

    assert tresorerie_min(0.0) >= -0.01
    assert tresorerie_min(10.0) < -0.01


@pytest.mark.parametrize("chemin", __import__("conftest").A_INSTRUIRE, ids=lambda p: p.stem)
def test_l_exemple_livre_de_demande_justifiee(chemin):
    """L'exemple du guide : G couvert par la Métropole, la demande égale au coût des contreparties."""
    r = lancer("instruire", chemin, "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["verdict"] == "justifiee"
    assert d["subvention_plai_ordinaire"] == 0.0
    assert d["montant_demande"] == pytest.approx(d["subvention_justifiable"], abs=1.0)


@pytest.mark.parametrize(("menage", "ressources", "statut"), [
    # Arrêté du 29/07/1987 au 01/01/2021, autres régions : catégorie 1 (personne seule) 11 531 € ;
    # catégorie 3 (personne seule avec une personne à charge) 20 203 €.
    ({"couple": False, "personnes_a_charge": 0}, 11500, "conforme"),
    ({"couple": False, "personnes_a_charge": 0}, 11600, "non conforme"),
    ({"couple": False, "personnes_a_charge": 1}, 20203, "conforme"),
    ({"couple": False, "personnes_a_charge": 1}, 20204, "non conforme"),
])
def test_critere_1_ressources_sous_le_plafond_plai(menage, ressources, statut):
    doc = copy.deepcopy(BASE)
    doc["operation"].update(date_agrement="2021-06-01", mise_en_service=2022)
    doc["logements"][0]["menage"] = {**menage, "ressources": ressources}
    doc["subventions"][1]["montant"] = 11000
    v = instruire(scenario_depuis_dict(doc, "ressources"))
    [c] = [c for c in v.bilan.controles if c.code == "1"]
    assert c.statut == statut
    assert (v.verdict == "non_eligible") is (statut == "non conforme")


def _demande(chemin, montant, tmp_path):
    """L'exemple dont la subvention à calculer devient une demande PLAI adapté de ``montant``."""
    import tomllib

    from plai_bilan.scenario import lire_document

    doc = tomllib.loads(chemin.read_text(encoding="utf-8"))
    for s in doc["subventions"]:
        if s.get("montant") == "a_calculer":
            s["montant"] = float(montant)
            s["nature"] = "fnap_plai_adapte"
    for s in doc["subventions"]:
        if s.get("nature") == "fnap_plai_adapte" and s.get("montant") != float(montant):
            s["nature"] = "autre"
    return lire_document(doc, str(chemin))


def test_jamais_justifiee_au_dessus_du_maximum_sieg(tmp_path):
    """Sur chaque exemple : une demande au-dessus de sa subvention maximale sans surcompensation n'est jamais
    justifiée ; le verdict nomme la borne la plus basse dépassée (surcompensation si le maximum est sous J)."""
    from conftest import A_CALCULER

    for chemin in A_CALCULER:
        b = subvention_minimale(_demande(chemin, 0, tmp_path))
        maximum = b.sieg.corridor.maximum
        v = instruire(_demande(chemin, round(maximum) + 100, tmp_path))
        assert not v.justifiee, chemin.name
        j = v.justifiable
        assert v.verdict == ("surcompensation" if maximum < j else "excessive"), chemin.name
        if v.verdict == "surcompensation":
            assert v.statut_sortie == 5 and "sans surcompensation" in v.raison and v.borne == "surcompensation"


def test_demande_qui_sur_finance_l_operation_est_excessive(tmp_path):
    """Une demande qui dépasse le prêt d'équilibre sur-finance le plan : verdict « excessive » qui le dit, pas une
    erreur de saisie."""
    from conftest import SCENARIOS

    chemin = next(c for c in SCENARIOS if c.name.startswith("aa-villeurbanne"))
    b = subvention_minimale(_demande(chemin, 0, tmp_path))
    k = b.pret_equilibre_initial
    v = instruire(_demande(chemin, k + 10_000, tmp_path))
    assert v.verdict == "excessive" and v.statut_sortie == 1
    assert "sur-finance l'opération" in v.raison and v.excedent == pytest.approx(10_000, abs=0.01)


def test_lacunes_de_l_instruction_signalees(tmp_path):
    """Critère 1 non démontré sans ressources déclarées ; absence de subvention PLAI de l'État signalée ; un
    montant par logement refusé sur la subvention FNAP ; un prêt hors des bornes CDC averti ; les cofinancements
    en nature listés."""
    import tomllib

    from conftest import SCENARIOS
    from plai_bilan.erreurs import ScenarioInvalide
    from plai_bilan.scenario import lire_document

    chemin = next(c for c in SCENARIOS if c.name.startswith("cn-montreuil"))
    doc = tomllib.loads(chemin.read_text(encoding="utf-8"))
    doc["subventions"] = [s for s in doc["subventions"] if s.get("nature") != "etat_plai"]
    doc["prets"][1]["prefinancement"] = 5
    doc["sieg"] = {"garanties": 12000.0}
    b = subvention_minimale(lire_document(doc, "m.toml"))
    codes = {(c.code, c.statut) for c in b.controles}
    assert ("etat_plai", "non vérifiable") in codes
    assert any(c.code == "1" and "non démontré" in c.detail for c in b.controles)  # aucune ressource déclarée
    assert any("règles des fiches CDC" in a and "préfinancement 5 ans" in a for a in b.avertissements)
    assert any(c.code == "cofinancements" and "garanties d'emprunt gratuites" in c.detail for c in b.controles)
    fnap = next(s for s in doc["subventions"] if s.get("nature") == "fnap_plai_adapte")
    fnap.pop("montant")
    fnap["montant_par_logement"] = 13980
    with pytest.raises(ScenarioInvalide, match="montant_par_plai_adapte"):
        lire_document(doc, "m.toml")


def test_texte_sans_identifiants_ni_statut_de_sortie(tmp_path):
    """Ce que lit l'instructeur : le critère en français, le financeur sans sa clé, pas de statut de sortie, le
    fait qui manque dit comme un fait, pas de reste nul."""
    from conftest import RACINE

    texte = (RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml").read_text(encoding="utf-8")
    f = tmp_path / "anru.toml"
    f.write_text(texte.replace("[operation]\n", "[operation]\nanru = true\n", 1)
                 .replace('montant = "a_calculer"', "montant = 50000", 1), encoding="utf-8")
    r = lancer("instruire", f)
    assert r.exit_code == 4
    sortie = " ".join(r.stdout.split())
    assert "statut 4" not in sortie and "(subventions[" not in sortie and "tresorerie_cumulee" not in sortie
    assert "trésorerie cumulée jamais négative" in sortie
    d = json.loads(lancer("instruire", f, "--format", "json").stdout)
    assert any(m.startswith("critère anru non conforme") and "déclaré dans un quartier ANRU" in m for m in d["motifs"])
    # Une demande excessive d'un peu sur le coût des contreparties quand S* = C : aucune phrase sur un reste nul.
    demande = (RACINE / "scenarios" / "instruction-villeurbanne-demande-justifiee.toml").read_text(encoding="utf-8")
    g = tmp_path / "excessive.toml"
    g.write_text(demande.replace("montant = 67988 ", "montant = 67990.77 ", 1), encoding="utf-8")
    d = json.loads(lancer("instruire", g, "--format", "json").stdout)
    assert d["verdict"] == "excessive" and d["subvention_minimale"] == pytest.approx(d["subvention_justifiable"])
    assert "le reste du besoin" not in d["raison"] and "0,00 €" not in d["raison"]


def test_comparer_dit_la_nature_en_francais():
    from conftest import RACINE

    r = lancer("comparer", RACINE / "scenarios" / "programme-grenoble-6-plai-adaptes-aa.toml",
               RACINE / "scenarios" / "programme-grenoble-6-plai-adaptes-cn.toml")
    assert "acquisition-amélioration" in r.stdout and "construction neuve" in r.stdout
    assert "acquisition-amelioration" not in r.stdout


def test_avis_porte_le_service_l_instructeur_la_date_et_la_signature(tmp_path):
    import shutil
    import subprocess

    from conftest import RACINE

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) absent")
    demande = RACINE / "scenarios" / "instruction-villeurbanne-demande-justifiee.toml"
    avis = tmp_path / "avis.pdf"
    r = lancer("instruire", demande, "--avis", avis, "--service", "DDT du Rhône, service habitat", "--instructeur",
               "Claire Martin", "--date-avis", "02/12/2026")
    assert r.exit_code == 0
    texte = subprocess.run(["pdftotext", "-layout", str(avis), "-"], capture_output=True, text=True,
                           check=True).stdout
    for attendu in ("Service instructeur : DDT du Rhône, service habitat", "Instruit par : Claire Martin",
                    "Le : 02/12/2026", "Signature :", "VERDICT : DEMANDE JUSTIFIÉE", "de subvention évitable"):
        assert attendu in texte, attendu
    # Sans eux, des lignes à remplir à la main.
    assert lancer("instruire", demande, "--avis", tmp_path / "vierge.pdf").exit_code == 0
    vierge = subprocess.run(["pdftotext", "-layout", str(tmp_path / "vierge.pdf"), "-"], capture_output=True,
                            text=True, check=True).stdout
    assert "Service instructeur : ....." in vierge and "Instruit par : ....." in vierge
