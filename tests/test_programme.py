"""Grands volumes : trajectoires par paquets (mêmes résultats, mémoire bornée), barre de progression."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from plai_bilan.preparation import preparer
from plai_bilan.progression import Progression
from plai_bilan.scenario import charger_scenario

AA = Path(__file__).resolve().parent.parent / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"


def test_paquets_de_trajectoires_identiques_a_un_seul_bloc(monkeypatch):
    import plai_bilan.risque as r

    e = preparer(charger_scenario(AA))
    vus = []
    d1 = r.distribution(e, 2_500, 7, progression=lambda fait, total: vus.append(fait))
    monkeypatch.setattr(r, "PAQUET", 1_000)
    d2 = r.distribution(e, 2_500, 7, progression=lambda fait, total: vus.append(fait))
    np.testing.assert_array_equal(d1.subventions, d2.subventions)
    assert vus == [2_500, 1_000, 2_000, 2_500]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_barre_de_progression_seulement_sur_un_terminal():
    t = _Terminal()
    p = Progression("Trajectoires", flux=t)
    p(5, 10)
    p(10, 10)
    assert "Trajectoires [###############...............] 5/10" in t.getvalue()
    assert t.getvalue().endswith("10/10 (0 s, reste ~0 s)\n")
    f = io.StringIO()
    Progression("Trajectoires", flux=f)(10, 10)
    assert f.getvalue() == ""
    t2 = _Terminal()
    Progression("Trajectoires", actif=False, flux=t2)(10, 10)  # JSON demandé : rien
    assert t2.getvalue() == ""


# ------------------------------------------------------------------ plai-bilan lot
import dataclasses  # noqa: E402
import json  # noqa: E402

import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from plai_bilan.calcul import subvention_minimale  # noqa: E402
from plai_bilan.cli import main  # noqa: E402

RACINE = AA.parent.parent
EXEMPLE = RACINE / "scenarios" / "programme" / "programme-exemple.csv"


def lancer(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_chaque_ligne_de_la_table_egale_le_moteur_sur_le_scenario_modifie_a_la_main(tmp_path):
    r = lancer("lot", EXEMPLE, "--format", "json", "-o", tmp_path / "p.xlsx")
    assert r.exit_code == 0, r.output
    from plai_bilan.programme import resoudre_programme

    lignes = resoudre_programme(EXEMPLE)
    # Ligne 3 : Vaulx-en-Velin, le modèle de Villeurbanne modifié.
    sc = charger_scenario(AA)
    from datetime import date

    sc = dataclasses.replace(
        sc, operation=dataclasses.replace(sc.operation, nom="Vaulx-en-Velin - AA 4 PLAI adaptés",
                                          date_agrement=date(2026, 5, 12)),
        prix_de_revient=dataclasses.replace(sc.prix_de_revient, charge_fonciere=170000.0, travaux=140000.0),
        logements=(dataclasses.replace(sc.logements[0], nombre=3), dataclasses.replace(sc.logements[1], nombre=1)),
        exploitation=dataclasses.replace(sc.exploitation, vacance_pct=2.5))
    b = subvention_minimale(sc)
    l = lignes[1].resultats
    assert l["nom"] == "Vaulx-en-Velin - AA 4 PLAI adaptés"
    assert l["subvention_minimale"] == pytest.approx(b.subvention_minimale, abs=1e-6)
    assert l["subvention_justifiable"] == pytest.approx(b.subvention_justifiable, abs=1e-6)
    assert l["subvention_maximale"] == pytest.approx(b.sieg.corridor.maximum, abs=1e-6)
    # Les lignes sans modification : le scénario modèle lui-même.
    assert lignes[0].resultats["subvention_minimale"] == pytest.approx(
        subvention_minimale(charger_scenario(AA)).subvention_minimale, abs=1e-6)


def test_paquets_d_operations_memes_resultats(monkeypatch):
    import plai_bilan.programme as p

    a = [l.resultats for l in p.resoudre_programme(EXEMPLE)]
    monkeypatch.setattr(p, "PAQUET", 2)
    vus = []
    b = [l.resultats for l in p.resoudre_programme(EXEMPLE, progression=lambda f, t: vus.append((f, t)))]
    assert a == b and vus == [(2, 6), (4, 6), (6, 6)]


def test_ligne_fautive_signalee_les_autres_resolues(tmp_path):
    texte = EXEMPLE.read_text(encoding="utf-8").replace(";170000;140000;", ";170000;cent mille;", 1)
    table = tmp_path / "programme.csv"
    table.write_text(texte.replace("../", str(RACINE / "scenarios") + "/"), encoding="utf-8")
    sortie = tmp_path / "p.csv"
    r = lancer("lot", table, "-o", sortie)
    assert r.exit_code == 1
    assert "programme.csv, ligne 3 : clé « prix_de_revient.travaux » : un nombre est attendu, pas un texte" in r.stdout
    assert "6 opérations, 5 résolues, 1 en erreur" in r.stdout
    lignes = sortie.read_text(encoding="utf-8-sig").splitlines()
    assert lignes[0].startswith("Source;Nom;")  # en-têtes courts ; leurs définitions dans la légende
    assert len(lignes) == 7 and lignes[2].endswith("un nombre est attendu, pas un texte")


def test_dossier_de_scenarios_avec_un_fichier_casse(tmp_path):
    for f in ("aa-villeurbanne-3-plai-adaptes.toml", "cn-montreuil-12-plai-dont-4-adaptes.toml"):
        (tmp_path / f).write_bytes((RACINE / "scenarios" / f).read_bytes())
    (tmp_path / "casse.toml").write_text("x = \n", encoding="utf-8")
    r = lancer("lot", tmp_path, "--format", "json")
    assert r.exit_code == 1
    d = json.loads(r.stdout)
    assert d["programme"]["operations_resolues"] == 2 and d["erreurs"][0].startswith(f"{tmp_path / 'casse.toml'}")


def test_budget_fnap_reparti_selon_la_regle_documentee():
    from plai_bilan.programme import allouer_budget, resoudre_programme

    lignes = resoudre_programme(EXEMPLE)
    budget = 250_000.0
    # La règle refaite ici : justifiable par PLAI adapté croissant, financée entière si le reste la couvre.
    candidates = sorted((l for l in lignes if l.resultats.get("justifiable_par_plai_adapte")),
                        key=lambda l: l.resultats["justifiable_par_plai_adapte"])
    reste, attendu = budget, []
    for l in candidates:
        if l.resultats["subvention_justifiable"] <= reste:
            reste -= l.resultats["subvention_justifiable"]
            attendu.append(l.source)
    obtenu = [l.source for l, financee, _ in allouer_budget(lignes, budget) if financee]
    assert obtenu == attendu and 0 < len(obtenu) < len(candidates)


def test_sorties_classeur_et_parquet(tmp_path):
    import openpyxl

    r = lancer("lot", EXEMPLE, "-o", tmp_path / "p.xlsx", "--budget-fnap", "250000")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert wb.sheetnames == ["Programme", "Opérations", "Légende", "Distribution"]
    assert wb["Programme"]._charts and wb["Opérations"].max_row == 7
    # La légende : chaque en-tête court de la feuille Opérations, sa définition et sa clé.
    entetes = [c.value for c in wb["Opérations"][1]]
    legende = [[c.value for c in ligne] for ligne in wb["Légende"].iter_rows(min_row=2)]
    assert [l[0] for l in legende] == entetes and all(len(h) <= 45 for h in entetes)
    assert ["S* : subvention d'équilibre (€)", "subvention_minimale"] == [legende[7][0], legende[7][2]]
    assert legende[7][1].startswith("Subvention d'équilibre")
    pytest.importorskip("pyarrow")
    import pandas as pd

    assert lancer("lot", EXEMPLE, "-o", tmp_path / "p.parquet").exit_code == 0
    df = pd.read_parquet(tmp_path / "p.parquet")
    assert len(df) == 6 and list(df.columns[:3]) == ["source", "nom", "nature"]


def test_comparer_ecarte_un_fichier_fautif(tmp_path):
    casse = tmp_path / "casse.toml"
    casse.write_text("x = \n", encoding="utf-8")
    r = lancer("comparer", AA, casse, RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml",
               "--format", "json")
    assert r.exit_code == 1
    assert len(json.loads(r.stdout)["operations"]) == 2
    assert f"{casse} : syntaxe TOML invalide" in r.stderr and "écarté de la comparaison" in r.stderr


@pytest.mark.integration
def test_dask_local_memes_resultats(monkeypatch):
    """Les paquets résolus par un LocalCluster dask.distributed donnent exactement les mêmes résultats."""
    pytest.importorskip("dask.distributed")
    import plai_bilan.programme as p

    monkeypatch.setattr(p, "PAQUET", 2)  # trois paquets, répartis entre les travailleurs
    attendu = [(l.source, l.resultats, l.erreur) for l in p.resoudre_programme(EXEMPLE)]
    client = p.client_dask("local")
    try:
        obtenu = [(l.source, l.resultats, l.erreur) for l in p.resoudre_programme(EXEMPLE, client=client)]
        assert len(client.scheduler_info()["workers"]) == 2
    finally:
        client.close()
    assert obtenu == attendu


@pytest.mark.integration
def test_dask_injoignable_une_ligne_francaise():
    pytest.importorskip("dask.distributed")
    r = lancer("lot", EXEMPLE, "--dask", "tcp://127.0.0.1:9")
    assert r.exit_code == 2 and r.stderr.startswith("Erreur : --dask tcp://127.0.0.1:9 : planificateur injoignable")


def test_paquet_adapte_au_nombre_de_prets(monkeypatch):
    """Beaucoup de prêts : des paquets plus petits (mémoire bornée), mêmes résultats."""
    import plai_bilan.risque as r

    e = preparer(charger_scenario(AA))
    d1 = r.distribution(e, 600, 3)
    vus = []
    monkeypatch.setattr(r, "ELEMENTS_MAX", 50 * e.horizon * len(e.prets))  # 50 trajectoires par paquet
    d2 = r.distribution(e, 600, 3, progression=lambda f, t: vus.append(f))
    np.testing.assert_array_equal(d1.subventions, d2.subventions)
    assert vus[:2] == [50, 100] and len(vus) == 12


def test_trajectoires_de_resistance_rangees_dans_le_modele_aleatoire():
    import json as _json

    r = CliRunner().invoke(main, ["risque", str(RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml"),
                                  "-n", "500", "--format", "json"])
    d = _json.loads(r.stdout)
    for t in d["trajectoires"]:
        if not t["faisable"]:  # infaisable : plus sévère que toutes les trajectoires aléatoires faisables
            assert t["plus_severe_que"] == pytest.approx(1 - d["aleatoire"]["part_infaisable"])
    base = next(t for t in d["trajectoires"] if t["nom"] == "scenario")
    assert 0.3 < base["plus_severe_que"] < 0.7  # la trajectoire du scénario est au milieu de la distribution


def test_sensibilite_progresse_et_donne_les_memes_resultats():
    from plai_bilan.sensibilite import sensibilite

    sc = charger_scenario(AA)
    vus = []
    avec = sensibilite(sc, progression=lambda f, t: vus.append((f, t)))
    sans = sensibilite(sc)
    assert avec == sans
    total = vus[-1][1]
    assert vus[-1] == (total, total) and [f for f, _ in vus] == sorted(f for f, _ in vus) and len(vus) >= 3


# ------------------------------------------------------------------ grands scénarios
def _avec_prets(tmp_path, n: int) -> Path:
    """Villeurbanne dont le prêt foncier est remplacé par ``n`` petits prêts."""
    texte = AA.read_text(encoding="utf-8")
    debut = texte.index('[[prets]]\nnom = "CDC PLAI foncier"')
    fin = texte.index('[[prets]]\nnom = "CDC PLAI construction"')
    prets = "".join(f'[[prets]]\nnom = "Prêt {i}"\nindex = "livret_a"\nmarge_pct = -0.20\nduree = {30 + i % 20}\n'
                    f'montant = {80_000 // n}\n\n' for i in range(n))
    chemin = tmp_path / "prets.toml"
    chemin.write_text(texte[:debut] + prets + texte[fin:], encoding="utf-8")
    return chemin


@pytest.mark.integration
def test_exporter_montre_sa_progression_sur_un_vrai_terminal_et_rien_hors_terminal(tmp_path):
    import os
    import pty
    import shutil
    import subprocess

    commande = shutil.which("plai-bilan")
    assert commande, "plai-bilan installé"
    scenario = _avec_prets(tmp_path, 40)
    maitre, esclave = pty.openpty()
    p = subprocess.Popen([commande, "exporter", str(scenario), "-o", str(tmp_path / "a.xlsx")], stdin=esclave,
                         stdout=esclave, stderr=esclave, cwd=tmp_path)
    os.close(esclave)
    lu = b""
    while True:
        try:
            morceau = os.read(maitre, 4096)
        except OSError:  # le processus a fermé le terminal
            break
        if not morceau:
            break
        lu += morceau
    assert p.wait(timeout=120) == 0
    texte = lu.decode("utf-8")
    total = 41 + 10  # 41 prêts, 9 feuilles, l'assemblage
    assert "Classeur [" in texte and f"{total}/{total}" in texte
    assert (tmp_path / "a.xlsx").stat().st_size > 0
    hors = subprocess.run([commande, "exporter", str(scenario), "-o", str(tmp_path / "b.xlsx")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert hors.returncode == 0 and "Classeur [" not in hors.stderr
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_formules_ecrites_a_l_octet_pres_comme_par_xlsxwriter(tmp_path, monkeypatch):
    """Le chemin rapide des formules donne le même classeur que le chemin complet de xlsxwriter."""
    import xlsxwriter

    import plai_bilan.export.classeur as classeur
    from plai_bilan.calcul import bilan_etude
    from plai_bilan.export.excel import exporter

    b = bilan_etude(charger_scenario(_avec_prets(tmp_path, 3)))
    exporter(b, tmp_path / "rapide.xlsx")
    monkeypatch.setattr(classeur, "_classes_feuilles", lambda: xlsxwriter.Workbook)
    exporter(b, tmp_path / "complet.xlsx")
    assert (tmp_path / "rapide.xlsx").read_bytes() == (tmp_path / "complet.xlsx").read_bytes()
    # Une fonction de tableau dynamique garde le préfixe que lui donne xlsxwriter.
    livre = classeur._classes_feuilles()(str(tmp_path / "d.xlsx"))
    feuille = livre.add_worksheet()
    assert feuille._prepare_formula("=FILTER(A1:A3,B1:B3)") == "_xlfn._xlws.FILTER(A1:A3,B1:B3)"
    assert feuille._prepare_formula("=SUM(A1:A3)") == "SUM(A1:A3)"
    livre.close()


def _beaucoup_de_lignes(tmp_path, n: int) -> Path:
    """Villeurbanne avec ``n`` lignes de logements, un tiers répétées à l'identique."""
    texte = AA.read_text(encoding="utf-8")
    d, f = texte.index("[[logements]]"), texte.index("[prix_de_revient]")
    lignes = "".join(
        f'[[logements]]\ntypologie = "T{2 + i % 3}"\nnombre = 1\nsurface_habitable = {40 + (i % 3 if i % 3 else i)}.5\n'
        f'plai_adapte = {"true" if i % 2 else "false"}\nmenage = {{ couple = {"true" if i % 5 == 0 else "false"}, '
        f'personnes_a_charge = {i % 4} }}\n\n' for i in range(n))
    texte = texte[:d] + lignes + texte[f:]
    texte = texte.replace("charge_fonciere = 180000", f"charge_fonciere = {60_000 * n}")
    chemin = tmp_path / "lignes.toml"
    chemin.write_text(texte, encoding="utf-8")
    return chemin


def test_lignes_gardees_entre_variantes_memes_resultats_que_recalculees(tmp_path, monkeypatch):
    import plai_bilan.preparation as prep
    from plai_bilan.sensibilite import sensibilite

    sc = charger_scenario(_beaucoup_de_lignes(tmp_path, 60))
    avec = sensibilite(sc)
    e1, e2 = prep.preparer(sc), prep.preparer(sc)  # la seconde reprend les lignes gardées
    assert e2.lignes is e1.lignes
    assert e2.parametres_utilises == e1.parametres_utilises and e2.parametres_perimes == e1.parametres_perimes
    # Sans rien garder : chaque préparation recalcule ses lignes.
    for nom in ("_LIGNES", "_SURFACES", "_SOMMES"):
        monkeypatch.setattr(prep, nom, _Oubli())
    sans = sensibilite(sc)
    e3 = prep.preparer(sc)
    assert e3.lignes is not e1.lignes and e3.lignes == e1.lignes
    assert e3.parametres_utilises == e1.parametres_utilises
    assert avec == sans


class _Oubli:
    """Ne garde rien."""

    def lire(self, objets, *cle):
        return None

    def garder(self, objets, cle, resultat):
        return resultat


def test_resultats_gardes_reconnus_a_l_identite_et_bornes():
    from plai_bilan.preparation import _Retenus

    r = _Retenus(nombre=3, lignes=10)
    a, b = tuple(range(4)), tuple(range(4))
    r.garder(a, ("x",), "A")
    assert r.lire(a, "x") == "A" and r.lire(b, "x") is None and r.lire(a, "y") is None  # égal n'est pas identique
    gros = tuple(range(8))
    r.garder(gros, (), "G")  # 4 + 8 lignes > 10 : le plus ancien part
    assert r.lire(a, "x") is None and r.lire(gros) == "G"
    petits = [tuple(range(1)) + (i,) for i in range(4)]
    for i, t in enumerate(petits):
        r.garder(t, (), i)
    assert sum(r.lire(t) is not None for t in petits) == 3 and r.lire(gros) is None  # 3 entrées au plus
    enorme = tuple(range(50))
    r.garder(enorme, (), "E")  # plus grand que le budget : gardé seul
    assert r.lire(enorme) == "E" and all(r.lire(t) is None for t in petits)


@pytest.mark.integration
@pytest.mark.parametrize("signal_envoye", ["SIGINT", "SIGTERM"])
def test_lot_interrompu_ne_laisse_rien(tmp_path, signal_envoye):
    """Un programme long arrêté en cours (Ctrl-C, arrêt du système) : statut non nul, un mot, aucun fichier."""
    import signal
    import subprocess
    import sys
    import time

    modele = str(AA)
    lignes = ["modele;operation.nom;prix_de_revient.travaux"]
    # 200 000 lignes : bien plus de 3 s de calcul, même en colonnes (environ 125 µs par ligne)
    lignes += [f"{modele};Opération {i};{100_000 + i}" for i in range(200_000)]
    table = tmp_path / "programme.csv"
    table.write_text("\n".join(lignes) + "\n", encoding="utf-8")
    sortie = tmp_path / "resultats.csv"
    p = subprocess.Popen([sys.executable, "-m", "plai_bilan.cli", "lot", str(table), "-o", str(sortie)],
                         stderr=subprocess.PIPE, stdout=subprocess.PIPE, cwd=tmp_path)
    time.sleep(3.0)
    assert p.poll() is None, "le programme a fini avant le signal"
    p.send_signal(getattr(signal, signal_envoye))
    _, erreur = p.communicate(timeout=60)
    assert p.returncode != 0
    texte = erreur.decode()
    assert "Traceback" not in texte and "Interrompu" in texte
    assert sorted(x.name for x in tmp_path.iterdir()) == ["programme.csv"]


def test_table_lue_au_fil_de_la_resolution(monkeypatch):
    """Seuls les paquets en cours sont en mémoire : jamais plus d'un paquet de scénarios lus et pas encore résolus."""
    import plai_bilan.programme as p
    import plai_bilan.scenario as s

    lus, resolus, ecart = [0], [0], []
    lire = s.lire_document

    def lire_espion(*args, **kwargs):
        lus[0] += 1
        ecart.append(lus[0] - resolus[0])
        return lire(*args, **kwargs)

    resoudre = p._resoudre_paquet

    def resoudre_espion(paquet, parametres=None, optimiser=False):
        resolus[0] += len(paquet)
        return resoudre(paquet, parametres, optimiser)

    monkeypatch.setattr(s, "lire_document", lire_espion)
    monkeypatch.setattr(p, "_resoudre_paquet", resoudre_espion)
    monkeypatch.setattr(p, "PAQUET", 2)
    lignes = p.resoudre_programme(EXEMPLE)
    assert lus[0] == len(lignes) == 6 and max(ecart) <= 2


def test_lot_trop_grand_pour_un_classeur_refuse_avant_le_calcul(tmp_path, monkeypatch):
    import plai_bilan.sorties.programme as sp

    monkeypatch.setattr(sp, "LIGNES_MAX_CLASSEUR", 3)
    r = lancer("lot", EXEMPLE, "-o", tmp_path / "p.xlsx")
    assert r.exit_code == 2
    assert "ne tiennent pas dans une feuille de classeur" in r.output and ".csv ou .parquet" in r.output
    assert not list(tmp_path.iterdir())


def test_cellules_typees_par_leur_cle_au_catalogue(tmp_path):
    """Une opération nommée « non » ou « 2024 » reste un nom (clé texte) ; « non » d'une clé booléenne est faux ;
    « 420 000 » d'une clé nombre est un nombre."""
    import shutil

    from conftest import RACINE

    shutil.copy(RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml", tmp_path / "aa.toml")
    (tmp_path / "t.csv").write_text("modele;operation.nom;prix_de_revient.travaux;operation.rls\n"
                                    "aa.toml;non;420 000;non\naa.toml;2024;420000;faux\n", encoding="utf-8")
    from plai_bilan.programme import operations

    sources = operations(tmp_path / "t.csv")
    assert [sc.operation.nom for _, sc in sources] == ["non", "2024"]
    assert [sc.prix_de_revient.travaux for _, sc in sources] == [420000.0, 420000.0]
    assert [sc.operation.rls for _, sc in sources] == [False, False]


def test_lot_instruit_un_fichier_de_demande_et_finance_le_montant_demande(tmp_path):
    """Un fichier qui chiffre sa demande au FNAP est instruit (verdict et demande dans sa ligne) ; le budget
    finance le montant demandé d'une demande justifiée, jamais une demande excessive."""
    import csv as module_csv

    demande = RACINE / "scenarios" / "instruction-villeurbanne-demande-justifiee.toml"
    (tmp_path / "justifiee.toml").write_bytes(demande.read_bytes())
    (tmp_path / "excessive.toml").write_text(demande.read_text(encoding="utf-8").replace(
        "montant = 67988 ", "montant = 90000 ", 1), encoding="utf-8")
    r = lancer("lot", tmp_path, "--budget-fnap", "1000000", "-o", tmp_path / "p.csv", "--cles")
    assert r.exit_code == 0, r.output
    with open(tmp_path / "p.csv", encoding="utf-8-sig", newline="") as f:
        lignes = {l["source"]: l for l in module_csv.DictReader(f, delimiter=";")}
    assert lignes["justifiee.toml"]["montant_demande"] == "67988,00"
    assert lignes["justifiee.toml"]["verdict"] == "demande justifiée"
    assert lignes["excessive.toml"]["verdict"] == "demande excessive"
    assert lignes["justifiee.toml"]["financee_par_le_budget"] == "oui"
    assert lignes["excessive.toml"]["financee_par_le_budget"] == "non"
    # Le budget engagé est la demande financée, pas le 0,40 € d'une demande résolue comme une opération.
    assert lignes["justifiee.toml"]["budget_restant"] == "932012,00"
    assert "Demandes instruites" in r.stdout and "demande non justifiée" in " ".join(r.stdout.split())


def test_une_operation_infaisable_porte_son_motif(tmp_path):
    texte = (RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml").read_text(encoding="utf-8")
    (tmp_path / "m900.toml").write_text(texte.replace("montant = 500000 ", "montant = 900000 "), encoding="utf-8")
    r = lancer("lot", tmp_path, "-o", tmp_path / "p.csv", "--cles")
    assert r.exit_code == 0
    import csv as module_csv

    with open(tmp_path / "p.csv", encoding="utf-8-sig", newline="") as f:
        ligne = next(module_csv.DictReader(f, delimiter=";"))
    assert ligne["faisable"] == "non" and ligne["motif"] in __import__("plai_bilan.catalogue").catalogue.catalogue().valeurs["motif"].values()
    assert f"({ligne['motif']})" in " ".join(r.stdout.split())
