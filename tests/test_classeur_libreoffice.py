"""Le classeur dans LibreOffice réglé par défaut : pas de recalcul au chargement, recalcul de ce qui dépend d'une
saisie seulement.

LibreOffice affiche alors les valeurs en cache : chacune doit être celle que la formule recalcule (comparée au
recalcul complet de LibreOffice, cellule par cellule, toutes feuilles). Une saisie faite dans LibreOffice (comme
un utilisateur) recalcule ses dépendances : elles doivent redonner le moteur sur le scénario modifié de même.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest

from plai_bilan.api import exporter
from plai_bilan.calcul import subvention_minimale
from plai_bilan.export.excel import HYP, LOYERS
from plai_bilan.scenario import Analyse, LivretA, charger_scenario, scenario_depuis_dict
from conftest import SCENARIOS
from tableur import ecarts, libreoffice, valeurs
from test_classeur import _variante_prets, nomme, verifier_contre_le_moteur

pytestmark = pytest.mark.tableur

MONTREUIL = Path(__file__).resolve().parent.parent / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml"


def _exporter(sc, chemin: Path, instruction: bool = False) -> Path:
    if instruction:
        from plai_bilan.api import instruire
        from plai_bilan.export.analyses import FeuilleInstruction

        v = instruire(sc)
        exporter(v.bilan, chemin, supplements=(FeuilleInstruction(v),))
    else:
        exporter(sc, chemin)
    return chemin


@pytest.mark.parametrize("chemin", SCENARIOS, ids=lambda p: p.stem)
def test_valeurs_en_cache_egales_au_recalcul_complet(chemin, tmp_path):
    """Ouvert sans recalcul, chaque cellule de chaque feuille montre ce que LibreOffice recalcule."""
    sc = charger_scenario(chemin)
    classeur = _exporter(sc, tmp_path / "etude.xlsx", instruction="instruction" in chemin.stem)
    enregistre = tmp_path / "ouvert.xlsx"
    r = libreoffice(classeur, tmp_path / "profil", recalcul_complet=True, enregistrer=enregistre)
    assert ecarts(r["ouverture"], r["complet"]) == []
    # Ce que LibreOffice montre à l'ouverture (enregistré sans recalcul) : le compte, les prêts et les résultats du
    # moteur.
    if "instruction" not in chemin.stem:
        verifier_contre_le_moteur(valeurs(enregistre), subvention_minimale(sc))
    erreurs = [(f, c, v) for f, cellules in r["ouverture"].items() for c, v in cellules.items()
               if isinstance(v, dict)]
    assert erreurs == []


def test_cas_ou_chaque_ligne_est_non_nulle_recalcule_comme_le_moteur(tmp_path):
    """Chaque ligne du compte non nulle (provision pour gros travaux comprise) : les formules de chaque ligne simple,
    recalculées par LibreOffice, donnent le cache et le moteur."""
    import tomllib

    cas = Path(__file__).resolve().parent / "cas" / "toutes-les-lignes-non-nulles.toml"
    with cas.open("rb") as f:
        sc = scenario_depuis_dict(tomllib.load(f)["scenario"], cas.name)
    classeur = _exporter(sc, tmp_path / "etude.xlsx")
    enregistre = tmp_path / "ouvert.xlsx"
    r = libreoffice(classeur, tmp_path / "profil", recalcul_complet=True, enregistrer=enregistre)
    assert ecarts(r["ouverture"], r["complet"]) == []
    verifier_contre_le_moteur(valeurs(enregistre), subvention_minimale(sc))


@pytest.mark.parametrize(("revisabilite", "critere"), [("double", "van"), ("simple", "tresorerie_cumulee")])
def test_valeurs_en_cache_variantes_de_prets(revisabilite, critere, tmp_path):
    classeur = _exporter(_variante_prets(revisabilite, critere), tmp_path / "etude.xlsx")
    r = libreoffice(classeur, tmp_path / "profil", recalcul_complet=True)
    assert ecarts(r["ouverture"], r["complet"]) == []


@pytest.mark.parametrize("commande", ["sensibilite", "comparer"])
def test_valeurs_en_cache_des_classeurs_d_analyse(commande, tmp_path):
    from click.testing import CliRunner

    from plai_bilan.cli import main

    racine = MONTREUIL.parent
    classeur = tmp_path / "analyse.xlsx"
    args = ([commande, str(racine / "aa-villeurbanne-3-plai-adaptes.toml"), "--xlsx", str(classeur)]
            if commande == "sensibilite" else
            [commande, str(racine / "programme-grenoble-6-plai-adaptes-aa.toml"),
             str(racine / "programme-grenoble-6-plai-adaptes-cn.toml"), "--xlsx", str(classeur)])
    resultat = CliRunner().invoke(main, args)
    assert resultat.exit_code == 0, resultat.output
    r = libreoffice(classeur, tmp_path / "profil", recalcul_complet=True)
    assert ecarts(r["ouverture"], r["complet"]) == []


# ------------------------------------------------------------------ saisies faites dans LibreOffice
def _cellule_cle(chemin: Path, cle: str) -> str:
    """La cellule de valeur de la ligne de Hypothèses qui porte la clé du scénario ``cle`` (colonne D)."""
    ws = openpyxl.load_workbook(chemin)[HYP]
    ligne = next(c.row for c in ws["D"] if c.value == cle)
    return f"B{ligne}"


def _cellule_tableau(chemin: Path, entete_a: str, colonne: str, i: int) -> str:
    """La cellule de la colonne ``colonne`` (libellé d'en-tête) de la ligne i du tableau dont la colonne A porte
    l'en-tête ``entete_a``."""
    ws = openpyxl.load_workbook(chemin)[HYP]
    ligne, c = next((c.row, x.column_letter) for c in ws["A"] if c.value == entete_a for x in ws[c.row]
                    if x.value == colonne)
    return f"{c}{ligne + 1 + i}"


def _remplacer(seq: tuple, i: int, **changements) -> tuple:
    return seq[:i] + (dataclasses.replace(seq[i], **changements),) + seq[i + 1:]


def _saisie(sorte: str, classeur: Path, sc):
    """(modifications LibreOffice, scénario modifié de même) pour une sorte de saisie."""
    if sorte == "drapeau":  # un PLAI adapté devient PLAI ordinaire, un PLAI ordinaire devient adapté
        mods = [(HYP, _cellule_tableau(classeur, "Typologie", "PLAI adapté", 0), False),
                (HYP, _cellule_tableau(classeur, "Typologie", "PLAI adapté", 2), True)]
        lg = _remplacer(_remplacer(sc.logements, 0, plai_adapte=False), 2, plai_adapte=True)
        return mods, dataclasses.replace(sc, logements=lg)
    if sorte == "nombre":
        mods = [(HYP, _cellule_tableau(classeur, "Typologie", "Nombre", 2), 6)]
        return mods, dataclasses.replace(sc, logements=_remplacer(sc.logements, 2, nombre=6))
    if sorte == "taux":  # vacance 2 % -> 3 %, livret A de l'année 1 (reporté) 1,70 % -> 2,5 %
        ws = openpyxl.load_workbook(classeur)[HYP]
        l = next(c.row for c in ws["A"] if c.value == "Année d'exploitation") + 1
        mods = [(HYP, _cellule_cle(classeur, "exploitation.vacance_pct"), 0.03), (HYP, f"C{l}", 0.025)]
        ex = dataclasses.replace(sc.exploitation, vacance_pct=3.0)
        return mods, dataclasses.replace(sc, exploitation=ex, livret_a=LivretA((2.5,), None))
    if sorte == "cout":
        mods = [(HYP, _cellule_cle(classeur, "prix_de_revient.travaux"), 1_800_000)]
        pr = dataclasses.replace(sc.prix_de_revient, travaux=1_800_000.0)
        return mods, dataclasses.replace(sc, prix_de_revient=pr)
    if sorte == "critere":
        mods = [(HYP, _cellule_cle(classeur, "analyse.critere"), "annuel")]
        return mods, dataclasses.replace(sc, analyse=dataclasses.replace(sc.analyse, critere="annuel"))
    if sorte == "duree_pret":  # le prêt Action Logement : 40 -> 30 échéances
        mods = [(HYP, _cellule_tableau(classeur, "Nom", "Durée (échéances)", 2), 30)]
        return mods, dataclasses.replace(sc, prets=_remplacer(sc.prets, 2, duree=30))
    if sorte == "rls":  # l'opération n'est plus soumise à la RLS
        mods = [(HYP, _cellule_cle(classeur, "operation.rls"), False)]
        return mods, dataclasses.replace(sc, operation=dataclasses.replace(sc.operation, rls=False))
    if sorte == "produit":  # les 4 T3 PLAI deviennent PLUS : plafond PLUS, subvention PLAI de l'État sur 8 PLAI
        mods = [(HYP, _cellule_tableau(classeur, "Typologie", "Produit (PLAI, PLUS, PLS)", 3), "PLUS")]
        return mods, dataclasses.replace(sc, logements=_remplacer(sc.logements, 3, produit="PLUS"))
    if sorte == "meme_adresse":  # 10 PLAI adaptés voisins : la tranche FNAP passe de « 4 à 8 » à « 9 et plus »
        mods = [(HYP, _cellule_cle(classeur, "operation.plai_adaptes_meme_adresse"), 10)]
        return mods, dataclasses.replace(sc, operation=dataclasses.replace(sc.operation, plai_adaptes_meme_adresse=10))
    if sorte == "menage":  # le T1 PLAI adapté : une personne seule devient un parent de deux enfants (plafond APL)
        mods = [(HYP, _cellule_tableau(classeur, "Typologie", "Ménage : personnes à charge", 0), 2)]
        menage = dataclasses.replace(sc.logements[0].menage, personnes_a_charge=2)
        return mods, dataclasses.replace(sc, logements=_remplacer(sc.logements, 0, menage=menage))
    if sorte == "ressources":  # le T3 ordinaire : ressources au-dessus du plafond de la RLS, la ligne n'y est plus
        mods = [(HYP, _cellule_tableau(classeur, "Typologie", "Ménage : ressources annuelles (€)", 3), 60000)]
        menage = dataclasses.replace(sc.logements[3].menage, ressources=60000.0)
        return mods, dataclasses.replace(sc, logements=_remplacer(sc.logements, 3, menage=menage))
    raise AssertionError(sorte)


SORTES = ["drapeau", "nombre", "taux", "cout", "critere", "duree_pret", "rls", "meme_adresse", "produit", "menage",
          "ressources"]


@pytest.mark.parametrize("sorte", SORTES)
def test_saisie_dans_libreoffice_recalcule_comme_le_moteur(sorte, tmp_path):
    sc = charger_scenario(MONTREUIL)
    classeur = _exporter(sc, tmp_path / "etude.xlsx")
    mods, modifie = _saisie(sorte, classeur, sc)
    r_modifie = subvention_minimale(modifie)
    if sorte == "meme_adresse":
        assert r_modifie.reference_fnap_par_logement != subvention_minimale(sc).reference_fnap_par_logement
    else:
        assert r_modifie.subvention_minimale != pytest.approx(subvention_minimale(sc).subvention_minimale, abs=1.0)
    enregistre = tmp_path / "apres.xlsx"
    r = libreoffice(classeur, tmp_path / "profil", mods, recalcul_complet=True, enregistrer=enregistre)
    # LibreOffice n'a recalculé que ce qui dépend des saisies : c'est tout ce qu'un recalcul complet change.
    assert ecarts(r["apres"], r["complet"]) == []
    wb = valeurs(enregistre)
    verifier_contre_le_moteur(wb, r_modifie)
    assert nomme(wb, "n_plai_adapte") == r_modifie.n_plai_adapte
    assert nomme(wb, "reference_fnap_par_logement") == r_modifie.reference_fnap_par_logement
    assert not nomme(wb, "alerte_saisie")
    # Une seule réponse : l'étude enregistrée, relue en scénario, donne la subvention que le classeur affiche.
    relue = subvention_minimale(charger_scenario(enregistre))
    if relue.faisable:
        assert relue.subvention_minimale == pytest.approx(nomme(wb, "subvention_minimale"), abs=0.01)
    else:
        assert nomme(wb, "subvention_minimale") == "aucune"


def test_toutes_les_saisies_ensemble(tmp_path):
    sc = charger_scenario(MONTREUIL)
    classeur = _exporter(sc, tmp_path / "etude.xlsx")
    mods, modifie = [], sc
    for sorte in SORTES:
        m, s2 = _saisie(sorte, classeur, modifie)
        mods += m
        modifie = s2
    enregistre = tmp_path / "apres.xlsx"
    r = libreoffice(classeur, tmp_path / "profil", mods, recalcul_complet=True, enregistrer=enregistre)
    assert ecarts(r["apres"], r["complet"]) == []
    verifier_contre_le_moteur(valeurs(enregistre), subvention_minimale(modifie))


@pytest.mark.parametrize("cas", ["pret_trop_long", "van_sans_taux", "plai_adapte_sans_menage", "critere_inconnu"])
def test_saisie_incalculable_signalee_dans_le_classeur(cas, tmp_path):
    """Ce que le classeur ne peut pas calculer est dit en haut de Hypothèses et de la Synthèse ; la subvention
    affiche « saisie à corriger » au lieu d'un nombre faux."""
    sc = charger_scenario(MONTREUIL)
    if cas == "plai_adapte_sans_menage":  # une ligne ordinaire sans ménage (opération hors RLS)
        sc = dataclasses.replace(sc, operation=dataclasses.replace(sc.operation, rls=False),
                                 logements=_remplacer(sc.logements, 3, menage=None))
    classeur = _exporter(sc, tmp_path / "etude.xlsx")
    mods = {"pret_trop_long": [(HYP, _cellule_tableau(classeur, "Nom", "Durée (échéances)", 0), 60)],
            "van_sans_taux": [(HYP, _cellule_cle(classeur, "analyse.critere"), "van"),
                              (HYP, _cellule_cle(classeur, "analyse.taux_actualisation_pct"), "")],
            "plai_adapte_sans_menage": [(HYP, _cellule_tableau(classeur, "Typologie", "PLAI adapté", 3), True)],
            "critere_inconnu": [(HYP, _cellule_cle(classeur, "analyse.critere"), "annuelle")]}[cas]
    attendu = {"pret_trop_long": "Un prêt a plus de 50 échéances", "van_sans_taux": "Critère van : saisissez le taux",
               "plai_adapte_sans_menage": "Un logement PLAI adapté demande un ménage",
               "critere_inconnu": "Critère : annuel, tresorerie_cumulee ou van"}[cas]
    enregistre = tmp_path / "apres.xlsx"
    r = libreoffice(classeur, tmp_path / "profil", mods, recalcul_complet=True, enregistrer=enregistre)
    assert ecarts(r["apres"], r["complet"]) == []
    assert attendu in r["apres"][HYP]["A4"] and r["apres"]["Synthèse"]["A4"] == r["apres"][HYP]["A4"]
    wb = valeurs(enregistre)
    assert nomme(wb, "subvention_minimale") == "saisie à corriger"
    if cas == "plai_adapte_sans_menage":  # le loyer n'est plus un nombre, ni dit conforme au plafond APL
        ws = wb[LOYERS]
        ligne = next(c.row for c in ws["A"] if c.value == "Typologie") + 4
        assert not isinstance(ws.cell(row=ligne, column=11).value, float)
        assert ws.cell(row=ligne, column=16).value != "oui"


# ------------------------------------------------------------------ mise en page
def test_impression_un_pret_par_page_et_en_tetes_entiers(tmp_path):
    """Imprimé par LibreOffice : chaque tableau d'amortissement tient sur sa page (pas de lignes orphelines), le
    tableau de traçabilité d'une comparaison sur une page de large ; aucun mot d'en-tête coupé en deux."""
    import shutil
    import subprocess

    from tableur import convertir

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) absent")
    sc = charger_scenario(MONTREUIL)
    classeur = _exporter(sc, tmp_path / "etude.xlsx")
    pdf = convertir(classeur, tmp_path / "pdf", tmp_path / "profil", "pdf")
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    emprunts = [p for p in pages if p.strip() and "Emprunts" in p.strip().splitlines()[-1]]  # pied de page
    assert len(emprunts) == len(sc.prets)
    for page, pret in zip(emprunts, sc.prets):
        assert f"Prêt : {pret.nom}" in page
        annees = [int(l.split()[0]) for l in page.splitlines() if l.strip() and l.split()[0].isdigit()
                  and len(l.split()) > 8]
        assert annees == list(range(1, subvention_minimale(sc).horizon + 1))
    # Les en-têtes de l'exploitation : aucun mot coupé (« Accompagneme / nt »).
    exploitation = next(p for p in pages if p.lstrip().startswith("Compte d'exploitation"))
    for mot in ("Accompagnement", "Autofinancement", "d'exploitation"):
        assert mot in exploitation



# ------------------------------------------------------------------ feuille SIEG
def _sieg_egale_au_moteur(wb, b) -> None:
    c = b.sieg
    for nom, valeur in (("cout_brut", c.cout_brut), ("recettes", c.poste("recettes")),
                        ("cout_net", c.cout_net), ("sieg_subventions", c.poste("subventions")),
                        ("sieg_avantage_prets", c.poste("avantage_prets")), ("sieg_avantage_tva", c.poste("avantage_tva")),
                        ("sieg_exoneration_tfpb", c.poste("exoneration_tfpb")), ("compensation", c.compensation),
                        ("benefice_raisonnable", c.benefice_raisonnable), ("marge_surcompensation", c.marge),
                        ("subvention_maximale", c.corridor.maximum), ("prix_de_revient_ht", b.prix_de_revient_ht)):
        assert nomme(wb, nom) == pytest.approx(valeur, abs=0.01), nom


def test_feuille_sieg_recalculee_egale_au_moteur_puis_apres_saisies(tmp_path):
    """Recalcul complet par LibreOffice, puis trois saisies faites dans LibreOffice (travaux, taux de swap, taux de
    TVA des travaux, dans Hypothèses) : la feuille SIEG égale le moteur au centime ; le classeur relu aussi."""
    from tableur import convertir

    sc = charger_scenario(MONTREUIL)
    classeur = _exporter(sc, tmp_path / "etude.xlsx")
    _sieg_egale_au_moteur(valeurs(convertir(classeur, tmp_path / "recalcul", tmp_path / "profil-force")),
                          subvention_minimale(sc))
    mods = [(HYP, _cellule_cle(classeur, "prix_de_revient.travaux"), 1_800_000),
            (HYP, _cellule_cle(classeur, "sieg.taux_swap_pct"), 0.03),
            (HYP, _cellule_cle(classeur, "prix_de_revient.taux_tva_pct.travaux"), 0.10)]
    pr = dataclasses.replace(sc.prix_de_revient, travaux=1_800_000.0,
                             taux_tva_pct=(("travaux", 10.0),))
    h = subvention_minimale(sc).hypotheses_sieg
    options = dataclasses.replace(sc.sieg, taux_swap_pct=3.0, taux_marche_pct=h.taux_marche * 100,
                                  taux_actualisation_pct=h.taux_actualisation * 100)
    modifie = dataclasses.replace(sc, prix_de_revient=pr, sieg=options)
    enregistre = tmp_path / "apres.xlsx"
    r = libreoffice(classeur, tmp_path / "profil", mods, recalcul_complet=True, enregistrer=enregistre)
    assert ecarts(r["apres"], r["complet"]) == []
    b = subvention_minimale(modifie)
    assert b.sieg.marge != pytest.approx(subvention_minimale(sc).sieg.marge, abs=1.0)
    _sieg_egale_au_moteur(valeurs(enregistre), b)
    relu = subvention_minimale(charger_scenario(enregistre))
    assert relu.sieg.marge == pytest.approx(b.sieg.marge, abs=0.01)
    assert relu.sieg.corridor.maximum == pytest.approx(b.sieg.corridor.maximum, abs=0.01)
