"""Le classeur : ses formules, recalculées par LibreOffice, redonnent les résultats du moteur.

Les formules Excel du classeur sont une seconde implémentation du modèle (écrite cellule par cellule) ; le moteur
vectorisé est la première. LibreOffice recalcule tout au chargement, sans tenir compte des valeurs en cache.
"""

from __future__ import annotations

import dataclasses
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from plai_bilan.calcul import subvention_minimale
from plai_bilan.cli import main
from plai_bilan.export import excel
from plai_bilan.api import exporter
from plai_bilan.export.excel import EMPRUNTS, EQUI, EXPL, HYP
from plai_bilan.scenario import LivretA, charger_scenario
from tableur import convertir, soffice, valeurs

AA = Path(__file__).resolve().parent.parent / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"
CENT = 0.005


@pytest.fixture(scope="module")
def profil(tmp_path_factory):
    soffice()
    return tmp_path_factory.mktemp("profil-libreoffice")


def nomme(wb, nom: str):
    """La valeur de la cellule d'un nom défini."""
    feuille, cellule = next(iter(wb.defined_names[nom].destinations))
    return wb[feuille][cellule.replace("$", "")].value


def colonnes(ws, ligne_entete: int) -> dict[str, int]:
    return {c.value: c.column for c in ws[ligne_entete] if c.value}


def compte_du_classeur(wb, h: int) -> dict[str, np.ndarray]:
    """Les colonnes de la feuille Exploitation (clés du moteur), années 1..h."""
    from plai_bilan.catalogue import LIGNES_COMPTE, libelle

    ws = wb[EXPL]
    cols = colonnes(ws, 3)
    libelles = {libelle(k): k for k in LIGNES_COMPTE}
    libelles.update({"Annuités avec la subvention d'équilibre": "annuites_s",
                     "Autofinancement avec la subvention d'équilibre": "autofinancement_s",
                     "Trésorerie cumulée avec la subvention d'équilibre": "tresorerie_s"})
    assert [ws.cell(row=4 + j, column=1).value for j in range(h)] == list(range(1, h + 1))
    return {libelles[lib]: np.array([ws.cell(row=4 + j, column=c).value for j in range(h)], float)
            for lib, c in cols.items()}


def prets_du_classeur(wb, n_prets: int, h: int) -> list[dict[str, np.ndarray]]:
    """Les tableaux d'amortissement de la feuille Emprunts, dans l'ordre des prêts."""
    ws = wb[EMPRUNTS]
    debuts = [c.row + 1 for c in ws["A"] if c.value == "Année"]
    assert len(debuts) == n_prets
    noms = {"echeances": 8, "interets": 9, "amortissements": 10, "capital_restant_du": 11, "taux": 4}
    return [{k: np.array([ws.cell(row=d + j, column=c).value for j in range(h)], float) for k, c in noms.items()}
            for d in debuts]


def verifier_contre_le_moteur(wb, r) -> None:
    """Compte sans et avec subvention au centime, prêts au centime, subvention d'équilibre à l'euro."""
    h = r.horizon
    c = compte_du_classeur(wb, h)
    zero = r.compte_zero.colonnes()
    for cle, v in zero.items():
        np.testing.assert_allclose(c[cle], v, atol=CENT, rtol=0, err_msg=cle)
    np.testing.assert_allclose(c["annuites_s"], r.compte["annuites"], atol=CENT, rtol=0)
    np.testing.assert_allclose(c["autofinancement_s"], r.compte.autofinancement, atol=CENT, rtol=0)
    np.testing.assert_allclose(c["tresorerie_s"], r.compte.tresorerie, atol=CENT, rtol=0)
    ech = r.compte_zero.prets
    for i, p in enumerate(prets_du_classeur(wb, len(r.scenario.prets), h)):
        for cle in ("echeances", "interets", "amortissements", "capital_restant_du"):
            np.testing.assert_allclose(p[cle], getattr(ech[i], cle), atol=CENT, rtol=0, err_msg=cle)
        np.testing.assert_allclose(p["taux"], ech[i].taux, atol=1e-12, rtol=0)
    assert nomme(wb, "faisable") == ("oui" if r.faisable else "non")
    if r.faisable:
        assert nomme(wb, "subvention_minimale") == pytest.approx(r.subvention_minimale, abs=0.5)
    assert (nomme(wb, "annee_critique") or None) == r.annee_critique
    assert nomme(wb, "loyer_equilibre_m2") == pytest.approx(r.loyer_equilibre_m2, abs=1e-6)
    if r.cout_contreparties is not None:
        assert nomme(wb, "cout_contreparties") == pytest.approx(r.cout_contreparties, abs=0.5)
        assert nomme(wb, "subvention_plai_ordinaire") == pytest.approx(r.subvention_plai_ordinaire, abs=0.5)
    assert nomme(wb, "prix_de_revient") == pytest.approx(r.prix_de_revient, abs=CENT)
    assert nomme(wb, "pret_equilibre_initial") == pytest.approx(r.pret_equilibre_initial, abs=CENT)


def test_recalcul_libreoffice_egal_au_moteur(chemin_scenario, tmp_path, profil):
    sc = charger_scenario(chemin_scenario)
    r = subvention_minimale(sc)
    classeur = tmp_path / "etude.xlsx"
    exporter(sc, classeur)
    verifier_contre_le_moteur(valeurs(convertir(classeur, tmp_path / "recalcul", profil)), r)


def test_valeurs_en_cache_sont_celles_du_moteur(tmp_path):
    """Un lecteur qui ne recalcule pas lit les valeurs du moteur."""
    sc = charger_scenario(AA)
    classeur = tmp_path / "etude.xlsx"
    exporter(sc, classeur)
    verifier_contre_le_moteur(valeurs(classeur), subvention_minimale(sc))


def _modifier(chemin: Path, changements: dict[tuple[str, str], float]) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(chemin)
    for (feuille, cellule), v in changements.items():
        wb[feuille][cellule] = v
    wb.save(chemin)


def _cellule_nommee(chemin: Path, nom: str) -> tuple[str, str]:
    import openpyxl

    feuille, cellule = next(iter(openpyxl.load_workbook(chemin).defined_names[nom].destinations))
    return feuille, cellule.replace("$", "")


def _cellule_livret_a_annee_1(chemin: Path) -> tuple[str, str]:
    import openpyxl

    ws = openpyxl.load_workbook(chemin)[HYP]
    ligne = next(c.row for c in ws["A"] if c.value == "Année d'exploitation") + 1
    assert ws.cell(row=ligne, column=1).value == 1
    return HYP, f"C{ligne}"


def _cellule_loyer_mensuel(chemin: Path, i: int) -> tuple[str, str]:
    import openpyxl

    ws = openpyxl.load_workbook(chemin)[HYP]
    ligne = next(c.row for c in ws["A"] if c.value == "Typologie") + 1 + i
    assert ws.cell(row=ligne - 1 - i, column=9).value == "Loyer saisi (€/mois)"
    return HYP, f"I{ligne}"


@pytest.mark.parametrize("changement", ["travaux", "livret_a", "loyer", "tout", "critere"])
def test_modifier_une_hypothese_dans_le_classeur(changement, tmp_path, profil):
    """Changer une cellule jaune et recalculer donne le résultat du moteur sur le scénario modifié."""
    sc = charger_scenario(AA)
    classeur = tmp_path / "etude.xlsx"
    exporter(sc, classeur)
    cellules: dict[tuple[str, str], float] = {}
    modifie = sc
    if changement in ("travaux", "tout"):
        cellules[_cellule_nommee(classeur, "travaux")] = 140000.0
        modifie = dataclasses.replace(modifie, prix_de_revient=dataclasses.replace(modifie.prix_de_revient,
                                                                                   travaux=140000.0))
    if changement in ("livret_a", "tout"):
        cellules[_cellule_livret_a_annee_1(classeur)] = 0.03  # 3 % reportés sur toutes les années
        modifie = dataclasses.replace(modifie, livret_a=LivretA((3.0,), None))
    if changement in ("loyer", "tout"):
        cellules[_cellule_loyer_mensuel(classeur, 0)] = 280.0
        logements = (dataclasses.replace(modifie.logements[0], loyer_mensuel=280.0),) + modifie.logements[1:]
        modifie = dataclasses.replace(modifie, logements=logements)
    if changement == "critere":
        cellules[_cellule_nommee(classeur, "critere")] = "annuel"
        modifie = dataclasses.replace(modifie, analyse=dataclasses.replace(modifie.analyse, critere="annuel"))
    _modifier(classeur, cellules)
    r = subvention_minimale(modifie)
    assert r.subvention_minimale != pytest.approx(subvention_minimale(sc).subvention_minimale, abs=1.0)
    verifier_contre_le_moteur(valeurs(convertir(classeur, tmp_path / "recalcul", profil)), r)


def test_texte_du_scenario_reste_du_texte(tmp_path, profil):
    """Un nom qui commence par = + - @ est écrit comme texte, jamais comme formule."""
    import openpyxl

    sc = charger_scenario(AA)
    pieges = {"nom": "=HYPERLINK(\"http://exemple.invalid\",\"clic\")", "financeur": "@SUM(A1:A9)",
              "typologie": "-2+3", "pret": "+33 prêt"}
    sc = dataclasses.replace(
        sc, operation=dataclasses.replace(sc.operation, nom=pieges["nom"]),
        subventions=(dataclasses.replace(sc.subventions[0], financeur=pieges["financeur"]),) + sc.subventions[1:],
        logements=(dataclasses.replace(sc.logements[0], typologie=pieges["typologie"]),) + sc.logements[1:],
        prets=(dataclasses.replace(sc.prets[0], nom=pieges["pret"]),) + sc.prets[1:])
    classeur = tmp_path / "etude.xlsx"
    exporter(sc, classeur)
    for chemin in (classeur, convertir(classeur, tmp_path / "recalcul", profil)):
        wb = openpyxl.load_workbook(chemin)
        trouves = {c.value: c.data_type for ws in wb.worksheets for ligne in ws.iter_rows() for c in ligne
                   if c.value in pieges.values()}
        assert set(trouves) == set(pieges.values()), chemin
        assert set(trouves.values()) == {"s"}, trouves


def test_echec_pendant_l_ecriture_garde_l_ancien_classeur(tmp_path, monkeypatch):
    cible = tmp_path / "etude.xlsx"
    cible.write_bytes(b"ancien classeur")

    def panne(self):
        raise RuntimeError("panne au milieu de l'écriture")

    monkeypatch.setattr(excel._Export, "synthese", panne)
    with pytest.raises(RuntimeError):
        exporter(charger_scenario(AA), cible)
    assert cible.read_bytes() == b"ancien classeur"
    assert os.listdir(tmp_path) == ["etude.xlsx"]


def test_commande_exporter(tmp_path):
    cible = tmp_path / "etude.xlsx"
    r = CliRunner().invoke(main, ["exporter", str(AA), "-o", str(cible)])
    assert r.exit_code == 0, r.output
    assert f"Classeur écrit dans {cible}" in r.stderr
    with zipfile.ZipFile(cible) as z:
        noms = z.namelist()
    assert "xl/workbook.xml" in noms and any(n.startswith("xl/charts/chart") for n in noms)


def test_commande_exporter_sans_o_ecrit_a_cote_du_dossier_courant(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["exporter", str(AA)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "aa-villeurbanne-3-plai-adaptes.xlsx").exists()


def test_subvention_avec_xlsx(tmp_path):
    cible = tmp_path / "etude.xlsx"
    r = CliRunner().invoke(main, ["subvention", str(AA), "--format", "json", "--xlsx", str(cible)])
    assert r.exit_code == 0, r.output
    assert cible.exists()


@pytest.mark.parametrize("args, attendu", [
    (["-o", "etude.xls"], "etude.xls (option -o) : le classeur doit porter l'extension .xlsx"),
    (["-o", "absent/etude.xlsx"], "absent/etude.xlsx : le dossier absent n'existe pas"),
])
def test_commande_exporter_sortie_invalide(args, attendu, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["exporter", str(AA), *args])
    assert r.exit_code == 2
    assert r.stderr == f"Erreur : {attendu}\n"
    assert os.listdir(tmp_path) == []


def test_classeur_trace_version_empreinte_et_parametres(tmp_path):
    """Reproductibilité : la Synthèse et les propriétés du fichier portent la version, l'empreinte du scénario
    et la date du jeu de paramètres."""
    import hashlib

    import openpyxl

    from plai_bilan import __version__
    from plai_bilan.parametres import charger_parametres

    classeur = tmp_path / "etude.xlsx"
    exporter(charger_scenario(AA), classeur)
    wb = openpyxl.load_workbook(classeur)
    empreinte = hashlib.sha256(AA.read_bytes()).hexdigest()
    ligne = wb["Synthèse"]["A3"].value
    assert f"plai-bilan {__version__}" in ligne and empreinte in ligne
    assert charger_parametres().date_jeu.strftime("%d/%m/%Y") in ligne
    assert wb.properties.creator == f"plai-bilan {__version__}"


def _variante_prets(revisabilite: str, critere: str):
    """Le scénario de Montreuil avec un différé, une progressivité révisée, un livret A qui varie et un autre
    critère : toutes les branches des formules d'emprunt du classeur travaillent."""
    from plai_bilan.scenario import Analyse

    sc = charger_scenario(AA.parent / "cn-montreuil-12-plai-dont-4-adaptes.toml")
    prets = list(sc.prets)
    prets[0] = dataclasses.replace(prets[0], differe_amortissement=3, progressivite_pct=0.5,
                                   revisabilite=revisabilite)
    prets[1] = dataclasses.replace(prets[1], progressivite_pct=1.0, revisabilite=revisabilite, differe_amortissement=1)
    analyse = Analyse(critere, 2.5, -5000.0, None)
    return dataclasses.replace(sc, prets=tuple(prets), livret_a=LivretA((1.5, 2.4, 3.0, 0.1, 0.5, 1.7), None),
                               analyse=analyse)


@pytest.mark.parametrize(("revisabilite", "critere"), [("double_limitee", "annuel"), ("double", "van"),
                                                       ("simple", "tresorerie_cumulee")])
def test_recalcul_differe_progressivite_et_criteres(revisabilite, critere, tmp_path, profil):
    sc = _variante_prets(revisabilite, critere)
    r = subvention_minimale(sc)
    classeur = tmp_path / "etude.xlsx"
    exporter(sc, classeur)
    verifier_contre_le_moteur(valeurs(convertir(classeur, tmp_path / "recalcul", profil)), r)


def test_classeur_sans_pret_d_equilibre(tmp_path, profil):
    """Sans prêt « solde », le classeur donne le compte (recalculé égal à simuler) et dit pourquoi il n'y a pas de
    subvention d'équilibre."""
    from plai_bilan.calcul import simuler

    texte = AA.read_text(encoding="utf-8").replace('montant = "solde"', "montant = 118000", 1)
    f = tmp_path / "sans-solde.toml"
    f.write_text(texte, encoding="utf-8")
    sc = charger_scenario(f)
    sim = simuler(sc)
    classeur = tmp_path / "etude.xlsx"
    assert not exporter(sc, classeur).resolu
    wb = valeurs(convertir(classeur, tmp_path / "recalcul", profil))
    c = compte_du_classeur(wb, sim.horizon)
    assert "autofinancement_s" not in c
    for cle, v in sim.compte.colonnes().items():
        np.testing.assert_allclose(c[cle], v, atol=CENT, rtol=0, err_msg=cle)
    assert wb[EQUI]["A3"].value.startswith("Aucun prêt d'équilibre")


def test_recalcul_saisies_particulieres(tmp_path, profil):
    """Plafond de l'avis loyers saisi, loyer au m2 saisi, autre poste de coût, fonds propres rémunérés, subvention
    de référence FNAP : les branches correspondantes des formules redonnent le moteur."""
    from plai_bilan.scenario import Remuneration

    sc = charger_scenario(AA.parent / "cn-montreuil-12-plai-dont-4-adaptes.toml")
    op = dataclasses.replace(sc.operation, loyer_plafond_m2=7.2)
    logements = (dataclasses.replace(sc.logements[0], loyer_m2=5.0),) + sc.logements[1:]
    pr = dataclasses.replace(sc.prix_de_revient, autres=(("frais financiers", 12000.0),))
    fp = dataclasses.replace(sc.fonds_propres, remuneration=Remuneration(1.5, 30))
    # Une aide par PLAI adapté (4 x 5 000 €) et une valeur de référence FNAP : propres au PLAI adapté, elles
    # disparaissent de la variante PLAI ordinaire (le prêt d'équilibre les remplace).
    subventions = (sc.subventions[:1]
                   + (dataclasses.replace(sc.subventions[1], montant=None, montant_par_plai_adapte=5000.0),)
                   + sc.subventions[2:-2] + (dataclasses.replace(sc.subventions[-2], financeur="Ville - PLAI adapté",
                                                                 montant="reference"),) + sc.subventions[-1:])
    sc = dataclasses.replace(sc, operation=op, logements=logements, prix_de_revient=pr, fonds_propres=fp,
                             subventions=subventions)
    r = subvention_minimale(sc)
    assert r.loyers_par_logement[0].origine == "saisi (loyer_m2 x SU)"
    classeur = tmp_path / "etude.xlsx"
    exporter(sc, classeur)
    wb = valeurs(convertir(classeur, tmp_path / "recalcul", profil))
    verifier_contre_le_moteur(wb, r)
    # La valeur de l'avis à l'agrément (06/2026), revalorisée jusqu'à 2029 : IRL T2 2026 (+1,15 %) puis +1 % par an.
    assert nomme(wb, "plafond_plai_m2") == pytest.approx(7.2 * 1.0115 * 1.01 ** 2, abs=1e-9)


def test_chaque_nom_defini_est_une_cle_du_catalogue(tmp_path):
    """Un nom par grandeur : chaque nom défini du classeur d'étude (chaque exemple, avec la feuille d'instruction)
    et du classeur de saisie est une clé du catalogue."""
    import openpyxl

    from conftest import SCENARIOS
    from plai_bilan.api import instruire
    from plai_bilan.catalogue import catalogue
    from plai_bilan.export.analyses import FeuilleInstruction

    classeurs = []
    for chemin in SCENARIOS:
        sc = charger_scenario(chemin)
        f = tmp_path / f"{chemin.stem}.xlsx"
        if "instruction" in chemin.stem:
            v = instruire(sc)
            excel.exporter(v.bilan, f, supplements=(FeuilleInstruction(v),))
        else:
            exporter(sc, f)
        classeurs.append(f)
    r = CliRunner().invoke(main, ["modele", "-o", str(tmp_path / "saisie.xlsx")])
    assert r.exit_code == 0, r.output
    classeurs.append(tmp_path / "saisie.xlsx")
    cles = catalogue().grandeurs
    for f in classeurs:
        noms = [n for n in openpyxl.load_workbook(f).defined_names if not n.startswith("_xlnm")]
        assert noms and [n for n in noms if n not in cles] == [], f.name


def test_un_logement_au_singulier_et_van_sans_taux_qui_se_dit(tmp_path):
    """« 1 logement dont 1 PLAI adapté » (le français met 0 et 1 au singulier) dans la Synthèse et le texte ; sans
    taux d'actualisation, la VAN de la Synthèse dit pourquoi elle manque au lieu d'une cellule vide."""
    import tomllib

    import openpyxl
    import tomli_w

    from plai_bilan.scenario import scenario_depuis_dict

    doc = tomllib.loads(AA.read_text(encoding="utf-8"))
    doc["logements"] = doc["logements"][:1]
    doc["logements"][0]["nombre"] = 1
    doc["logements"][0]["plai_adapte"] = True
    doc.get("analyse", {}).pop("taux_actualisation_pct", None)
    sc = scenario_depuis_dict(doc, "un-logement.toml")
    etude = tmp_path / "etude.xlsx"
    exporter(sc, etude)
    ws = openpyxl.load_workbook(etude, data_only=True)["Synthèse"]
    assert " ; 1 logement dont 1 PLAI adapté ; " in ws["A2"].value
    van = next(r for r in ws.iter_rows(min_row=5) if r[0].value == "VAN avec la subvention d'équilibre")
    assert "pas de taux d'actualisation" in van[1].value
    (tmp_path / "un.toml").write_text(tomli_w.dumps(doc), encoding="utf-8")
    r = CliRunner().invoke(main, ["subvention", str(tmp_path / "un.toml")])
    assert "1 logement dont 1 PLAI adapté" in r.output and "1 logements" not in r.output
