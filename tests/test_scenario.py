"""Lecture des scénarios : objets typés et messages d'erreur exacts (fichier, clé, attendu)."""

import pytest

from plai_bilan.calcul import simuler, subvention_minimale
from plai_bilan.erreurs import ScenarioInvalide
from plai_bilan.scenario import charger_scenario

AA = "scenarios/aa-villeurbanne-3-plai-adaptes.toml"
TEXTE = open(AA, encoding="utf-8").read()


def test_exemples_charges(chemin_scenario):
    sc = charger_scenario(chemin_scenario)
    assert sc.n_logements > 0 and sc.prix_de_revient.total > 0
    assert sc.avertissements == ()


def test_objets_figes():
    sc = charger_scenario(AA)
    with pytest.raises(AttributeError):
        sc.operation.nom = "x"
    assert (sc.logements[0].surface_habitable, sc.logements[0].surface_annexes) == (46.0, 4.0)
    assert sc.prets[1].est_solde and sc.prets[1].revisabilite == "double_limitee"


def _ecrire(tmp_path, texte, nom="s.toml"):
    f = tmp_path / nom
    f.write_text(texte, encoding="utf-8")
    return f


CAS = [
    ('zone_loyer = "2"', 'zone_loyer = "2b"', "operation.zone_loyer",
     "« 2b » n'est pas une valeur permise ; valeurs permises : 1bis, 1, 2, 3 (vouliez-vous dire « 2 » ?)"),
    ("nom = \"Villeurbanne", "nomm = \"Villeurbanne", "operation.nomm", "clé inconnue ; vouliez-vous dire « nom » ?"),
    ("vacance_pct = 2.0", "vacance = 2.0", "exploitation.vacance", "clé inconnue ; vouliez-vous dire « vacance_pct » ?"),
    ("nombre = 2\n", "nombre = \"deux\"\n", "logements[0].nombre", "un nombre entier est attendu, pas un texte ('deux')"),
    ("surface_habitable = 62.0", "surface_habitable = 0.0", "logements[1].surface_habitable",
     "un nombre > 0 est attendu, pas 0"),
    ("impayes_pct = 2.5", "impayes_pct = nan", "exploitation.impayes_pct",
     "un nombre fini est attendu (nan et inf sont refusés)"),
    ("travaux = 105000", "travaux = inf", "prix_de_revient.travaux", "un nombre fini est attendu (nan et inf sont refusés)"),
    ('montant = 36000', 'montant = "a_calculer"', "subventions[3].montant", 'une seule subvention peut valoir "a_calculer"'),
    ("duree = 50\nmontant = 80000", 'duree = 50\nmontant = "solde"', "prets[1].montant", 'un seul prêt peut valoir "solde"'),
    ("duree = 40\nmontant = \"solde\"", "duree = 40\ndifferee_amortissement = 1\nmontant = \"solde\"",
     "prets[1].differee_amortissement", "clé inconnue ; vouliez-vous dire « differe_amortissement » ?"),
    ("duree = 40\nmontant = \"solde\"", "duree = 40\ndiffere_amortissement = 40\nmontant = \"solde\"",
     "prets[1].differe_amortissement", "le différé (40 ans) doit être plus court que la durée du prêt (40 ans)"),
    ("duree = 40\nmontant = \"solde\"", "duree = 101\nmontant = \"solde\"", "prets[1].duree",
     "un entier <= 100 est attendu, pas 101"),
    ("progressivite_pct = 0.0", "progressivite_pct = -0.5", "prets[1].progressivite_pct",
     "la double révisabilité limitée exige une progressivité >= 0 ; choisissez revisabilite = \"double\" ou \"simple\" pour une progressivité négative"),
    ("gros_entretien = 450", "gros_entretien = 450\ngros_entretien_pct_travaux = 0.5",
     "exploitation.gros_entretien_pct_travaux",
     "donnez gros_entretien (par logement) ou gros_entretien_pct_travaux, pas les deux"),
    ('critere = "tresorerie_cumulee"\ntaux_actualisation_pct = 2.5', 'critere = "van"',
     "analyse.taux_actualisation_pct", 'clé obligatoire quand critere = "van"'),
    ("date_agrement = 2026-03-01", "date_agrement = \"1er mars\"", "operation.date_agrement",
     "une date AAAA-MM-JJ est attendue, pas « 1er mars »"),
    ("plai_adapte = true\nmenage = { couple = false, personnes_a_charge = 1 }", "plai_adapte = true",
     "logements[0].menage", "clé obligatoire pour un logement PLAI adapté ou soumis à la RLS : menage = { couple = false, personnes_a_charge = 0 }"),
    ("rls = false ", "rls = 0 ", "operation.rls", "true ou false est attendu, pas un nombre"),
    ('produit = "ordinaire"', 'produit = "foyer"', "logements[0].redevance_max",
     "clé obligatoire pour un foyer sans loyer_mensuel (redevance maximale de l'avis loyers pour ce type de logement, en euros par mois)"),
    ("[exploitation]", "[exploitations]", "exploitations", "clé inconnue ; vouliez-vous dire « exploitation » ?"),
]


@pytest.mark.parametrize(("remplacer", "par", "cle", "message"), CAS, ids=[c[2] + "-" + str(i) for i, c in enumerate(CAS)])
def test_messages_exacts(tmp_path, remplacer, par, cle, message):
    assert remplacer in TEXTE
    f = _ecrire(tmp_path, TEXTE.replace(remplacer, par, 1))
    with pytest.raises(ScenarioInvalide) as exc:
        subvention_minimale(charger_scenario(f))
    assert exc.value.fichier == str(f)
    assert exc.value.cle == cle
    assert exc.value.message == message
    assert str(exc.value) == f"{f} : clé « {cle} » : {message}"


def test_plan_sur_finance(tmp_path):
    f = _ecrire(tmp_path, TEXTE.replace("montant = 36000", "montant = 360000", 1))
    with pytest.raises(ScenarioInvalide) as exc:
        simuler(charger_scenario(f))
    assert exc.value.cle == "prets[1].montant"
    # 27 000 + 360 000 + 15 000 (subventions) + 30 000 (fonds propres) + 80 000 (prêt foncier) = 512 000.
    assert exc.value.message == ("plan de financement sur-financé : les autres ressources (512\u202f000,00 €) "
                                 "dépassent le prix de revient (306\u202f000,00 €) de 206\u202f000,00 € ; "
                                 "le prêt d'équilibre serait négatif")


def test_plan_qui_ne_s_equilibre_pas(tmp_path):
    f = _ecrire(tmp_path, TEXTE.replace('montant = "solde"', "montant = 100000", 1))
    with pytest.raises(ScenarioInvalide) as exc:
        simuler(charger_scenario(f))
    assert exc.value.cle == "prets"
    # 27 000 + 36 000 + 15 000 + 30 000 + 80 000 + 100 000 = 288 000 pour 306 000.
    assert "ressources 288\u202f000,00 €, prix de revient 306\u202f000,00 €, écart -18\u202f000,00 €" in exc.value.message


def test_subvention_sans_pret_solde(tmp_path):
    f = _ecrire(tmp_path, TEXTE.replace('montant = "solde"', "montant = 118000", 1))
    with pytest.raises(ScenarioInvalide, match="exige un prêt d'équilibre"):
        subvention_minimale(charger_scenario(f))


def test_syntaxe_toml_avec_ligne(tmp_path):
    f = _ecrire(tmp_path, TEXTE.replace("nombre = 2\n", "nombre = = 2\n", 1))
    with pytest.raises(ScenarioInvalide) as exc:
        charger_scenario(f)
    assert exc.value.message.startswith("syntaxe TOML invalide : valeur invalide (ligne 22, colonne")


def test_fichier_non_utf8(tmp_path):
    f = tmp_path / "latin1.toml"
    f.write_bytes(TEXTE.encode("latin-1", errors="replace"))
    with pytest.raises(ScenarioInvalide, match="n'est pas encodé en UTF-8 .octet invalide ligne 1.") as exc:
        charger_scenario(f)
    assert exc.value.cle == ""


def test_dossier_et_fichier_vide(tmp_path):
    with pytest.raises(ScenarioInvalide, match="c'est un dossier"):
        charger_scenario(tmp_path)
    with pytest.raises(ScenarioInvalide, match="le fichier est vide"):
        charger_scenario(_ecrire(tmp_path, "  \n"))


def test_section_manquante(tmp_path):
    debut = TEXTE.index("[prix_de_revient]")
    fin = TEXTE.index("[[subventions]]")
    f = _ecrire(tmp_path, TEXTE[:debut] + TEXTE[fin:])
    with pytest.raises(ScenarioInvalide) as exc:
        charger_scenario(f)
    assert (exc.value.cle, exc.value.message) == ("prix_de_revient", "clé obligatoire manquante")


def test_taux_ecrit_en_decimal_avertit(tmp_path):
    f = _ecrire(tmp_path, TEXTE.replace("marge_pct = -0.20\nduree = 50", "marge_pct = -0.002\nduree = 50", 1))
    sc = charger_scenario(f)
    assert sc.avertissements == (f"{f} : clé « prets[0].marge_pct » : -0.002 ressemble à une fraction décimale ; "
                                 "les taux s'écrivent en pour cent (écrivez -0.2 pour -0,2 %)",)
