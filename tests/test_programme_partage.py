"""Le chemin partagé de `lot` (préparations gardées par structure, sections de montants relues) contre le chemin
opération par opération : chaque ligne lue entière, préparée seule, ses variantes préparées à nouveau."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plai_bilan import programme as p
from plai_bilan.calcul import resoudre
from plai_bilan.erreurs import ErreurPlaiBilan
from plai_bilan.preparation import preparer
from plai_bilan.scenario import lire_document, lire_toml
from plai_bilan.sorties.programme import COLONNES

RACINE = Path(__file__).resolve().parent.parent
MODELES = ["aa-villeurbanne-3-plai-adaptes.toml", "cn-montreuil-12-plai-dont-4-adaptes.toml",
           "cn-lyon-30-plus-plai-dont-3-adaptes.toml", "programme-grenoble-6-plai-adaptes-aa.toml",
           "rs-rennes-30-logements.toml", "pf-angers-25-places.toml"]
CLES = ["operation.nom", "logements[0].nombre", "prix_de_revient.travaux", "prix_de_revient.charge_fonciere",
        "prix_de_revient.honoraires", "exploitation.vacance_pct", "exploitation.impayes_pct", "prets[0].montant",
        "prets[1].montant", "analyse.critere"]


def par_operation(table: Path) -> list[tuple[str, dict | None, str | None]]:
    """La référence : la ligne appliquée à une copie entière du modèle, lue entière, préparée seule."""
    _, lignes = p._lire_table(table)
    sortie = []
    for n, ligne in enumerate(lignes, start=2):
        ou = f"{table.name}, ligne {n}"
        try:
            doc = copy.deepcopy(lire_toml(table.parent / ligne["modele"], str(table.parent / ligne["modele"]))[0])
            for cle, brute in ligne.items():
                if cle != "modele":
                    v = p._valeur_cellule(brute or "", cle)
                    if v is not None:
                        p._placer(doc, cle, v, ou)
            sc = lire_document(doc, ou, hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode())
                               .hexdigest())
            if not any(x.est_solde for x in sc.prets):
                sortie.append((ou, None, f"{ou} : aucun prêt d'équilibre (montant = \"solde\") : rien à résoudre"))
                continue
            b = resoudre([preparer(sc)])[0]
            sortie.append((ou, p.resultats(b), None))
        except ErreurPlaiBilan as exc:
            sortie.append((ou, None, str(exc)))
    return sortie


def egaux(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


def comparer(table: Path) -> None:
    attendu = par_operation(table)
    obtenu = [(l.source, l.resultats or None, l.erreur) for l in p.resoudre_programme(table)]
    assert len(obtenu) == len(attendu)
    for (s1, r1, e1), (s2, r2, e2) in zip(obtenu, attendu):
        assert (s1, e1) == (s2, e2)
        if r2 is not None:
            assert set(COLONNES) <= set(r1)
            ecarts = {k: (r1[k], r2[k]) for k in r2 if not egaux(r1[k], r2[k])}
            assert not ecarts, f"{s1} : {ecarts}"


def ecrire(tmp_path: Path, lignes: list[dict[str, str]]) -> Path:
    table = tmp_path / "programme.csv"
    entete = ["modele", *CLES]
    texte = [";".join(entete)] + [";".join(l.get(c, "") for c in entete) for l in lignes]
    table.write_text("\n".join(texte) + "\n", encoding="utf-8")
    return table


def nombre(mini: float, maxi: float) -> st.SearchStrategy[str]:
    return st.floats(mini, maxi).map(lambda x: f"{x:.2f}".replace(".", ","))


CELLULES = {
    "operation.nom": st.sampled_from(["Rue des Lilas", "Opération « Gare »", "42", ""]),
    "logements[0].nombre": st.sampled_from(["", "1", "2", "3", "0", "deux"]),
    "prix_de_revient.travaux": st.one_of(st.just(""), nombre(0, 3_000_000), st.just("-5"), st.just("beaucoup")),
    "prix_de_revient.charge_fonciere": st.one_of(st.just(""), nombre(0, 2_000_000)),
    "prix_de_revient.honoraires": st.one_of(st.just(""), nombre(0, 200_000)),
    "exploitation.vacance_pct": st.one_of(st.just(""), nombre(0, 8), st.just("100"), st.just("0,5")),
    "exploitation.impayes_pct": st.one_of(st.just(""), nombre(0, 3)),
    "prets[0].montant": st.one_of(st.just(""), nombre(0, 900_000), st.just("solde")),
    "prets[1].montant": st.one_of(st.just(""), nombre(0, 900_000), st.just("solde")),
    "analyse.critere": st.sampled_from(["", "", "", "annuel"]),
}


@st.composite
def tables(draw, cellules: dict, lignes: tuple[int, int], cles_au_plus: int, fixes: dict | None = None):
    """Une table tirée au hasard : ``lignes`` (au moins, au plus) lignes d'un modèle livré, chacune avec les
    colonnes ``fixes`` et au plus ``cles_au_plus`` autres colonnes de ``cellules`` (clé -> stratégie)."""
    sortie = []
    for _ in range(draw(st.integers(*lignes))):
        ligne = {"modele": str(RACINE / "scenarios" / draw(st.sampled_from(MODELES))),
                 **{cle: draw(valeurs) for cle, valeurs in (fixes or {}).items()}}
        for cle in draw(st.sets(st.sampled_from(list(cellules)), max_size=cles_au_plus)):
            ligne[cle] = draw(cellules[cle])
        sortie.append(ligne)
    return sortie


def comparer_tiree(tmp_path_factory, lignes) -> None:
    dossier = tmp_path_factory.mktemp("t") / "d"
    dossier.mkdir()
    comparer(ecrire(dossier, lignes))


@settings(max_examples=int(os.environ.get("PARTAGE_EXEMPLES", 30)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables(CELLULES, (1, 8), 6))
def test_tables_au_hasard_memes_colonnes_et_memes_erreurs_que_le_chemin_par_operation(tmp_path_factory, lignes):
    comparer_tiree(tmp_path_factory, lignes)


def test_montants_varies_deduits_de_la_structure_gardee(tmp_path, monkeypatch):
    """Cinquante opérations de deux structures : deux préparations, le reste déduit, toutes égales à la référence
    (chemin partagé seul, sans le chemin en colonnes)."""
    monkeypatch.setenv("PLAI_BILAN_LOT_COLONNES", "0")
    (tmp_path / "t").mkdir()
    lignes = [{"modele": str(RACINE / "scenarios" / MODELES[k % 2]), "operation.nom": f"Opération {k}",
               "prix_de_revient.travaux": str((100_000 if k % 2 == 0 else 1_500_000) + 7_919 * k),
               "exploitation.vacance_pct": f"{k % 5},5",
               "prets[0].montant": str(40_000 + 1_000 * k)} for k in range(50)]
    table = ecrire(tmp_path / "t", lignes)
    partage = p.preparations(neuves=True)
    comparer(table)
    assert all(l.erreur is None for l in p.resoudre_programme(table))
    partage = p.preparations(neuves=True)
    p.resoudre_programme(table)
    assert partage.preparees == 2 and partage.deduites == 48


def test_exemple_livre_egal_au_chemin_par_operation():
    comparer(RACINE / "scenarios" / "programme" / "programme-exemple.csv")


@pytest.mark.parametrize("cellule, attendu", [
    ({"prix_de_revient.travaux": "-5"}, "prix_de_revient.travaux"),
    ({"exploitation.vacance_pct": "100"}, "impayes_pct"),
    ({"prets[0].montant": "9000000"}, "sur-financé"),
])
def test_montant_fautif_meme_message_que_la_lecture_entiere(tmp_path, cellule, attendu):
    (tmp_path / "t").mkdir()
    table = ecrire(tmp_path / "t", [{"modele": str(RACINE / "scenarios" / MODELES[0])},
                                    {"modele": str(RACINE / "scenarios" / MODELES[0]), **cellule}])
    comparer(table)
    lignes = p.resoudre_programme(table)
    assert lignes[0].erreur is None and attendu in lignes[1].erreur


def test_lecture_par_operation_sur_demande_memes_resultats(tmp_path, monkeypatch):
    (tmp_path / "t").mkdir()
    lignes = [{"modele": str(RACINE / "scenarios" / MODELES[0]), "prix_de_revient.travaux": str(90_000 + 1_000 * k)}
              for k in range(5)]
    table = ecrire(tmp_path / "t", lignes)
    partage = [(l.source, l.resultats, l.erreur) for l in p.resoudre_programme(table)]
    monkeypatch.setenv("PLAI_BILAN_LOT_PAR_OPERATION", "1")
    avant = p.preparations(neuves=True)
    assert [(l.source, l.resultats, l.erreur) for l in p.resoudre_programme(table)] == partage
    assert avant.preparees == avant.deduites == 0


def test_preparations_gardees_bornees_en_nombre_et_en_lignes():
    from plai_bilan.preparation import Preparations
    from plai_bilan.scenario import charger_scenario

    sc = charger_scenario(RACINE / "scenarios" / MODELES[0])
    gardees = Preparations(nombre=3, lignes=len(sc.logements) * 2)
    import dataclasses

    for k in range(5):  # cinq structures (le critère change), deux gardées au plus (les lignes)
        x = dataclasses.replace(sc, analyse=dataclasses.replace(sc.analyse, tresorerie_initiale=float(k)))
        gardees.avec_variantes(x)
    assert gardees.preparees == 5 and len(gardees._gardees) == 2
    gardees.avec_variantes(x)
    assert gardees.deduites == 1


@pytest.mark.integration
def test_dask_lit_les_lignes_chez_les_travailleurs_memes_resultats(tmp_path, monkeypatch):
    """Sur un LocalCluster, les lignes brutes et leurs modèles partent aux travailleurs, qui les lisent : mêmes
    résultats et mêmes erreurs qu'en local (modèle absent, valeur fautive, prêt rendu « solde »...)."""
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr(p, "PAQUET", 3)
    (tmp_path / "t").mkdir()
    lignes = [{"modele": str(RACINE / "scenarios" / MODELES[k % 3]), "prix_de_revient.travaux": str(900_000 + k)}
              for k in range(30)]
    lignes += [{"modele": "absent.toml"}, {"modele": str(RACINE / "scenarios" / MODELES[0]),
                                          "prix_de_revient.travaux": "beaucoup"},
               {"modele": str(RACINE / "scenarios" / MODELES[0]), "prets[0].montant": "solde"},
               {"modele": str(RACINE / "scenarios" / MODELES[1]), "logements[0].nombre": "2"}]
    table = ecrire(tmp_path / "t", lignes)
    attendu = [(l.source, l.resultats, l.erreur) for l in p.resoudre_programme(table)]
    client = p.client_dask("local")
    try:
        obtenu = [(l.source, l.resultats, l.erreur) for l in p.resoudre_programme(table, client=client)]
        lus = client.run(lambda: sum(1 for _ in __import__("plai_bilan.programme").programme._LECTEURS))
        prises = client.run(lambda: sum(c.prises for c in __import__("plai_bilan.programme").programme
                                        ._COLONNES.values()))
    finally:
        client.close()
    assert obtenu == attendu
    assert sum(lus.values()) >= 1  # les travailleurs ont lu les lignes
    assert sum(prises.values()) >= 10  # et en ont résolu en colonnes
    assert sum(e is not None for _, _, e in obtenu) >= 3


def test_lectures_gardees_bornees_en_lignes(tmp_path, monkeypatch):
    monkeypatch.setattr(p, "LIGNES_GARDEES", 3)
    (tmp_path / "t").mkdir()
    lignes = [{"modele": str(RACINE / "scenarios" / MODELES[0]), "logements[0].nombre": str(k)} for k in (1, 2, 3)]
    table = ecrire(tmp_path / "t", lignes)
    _, flux = p.flux_operations(table)
    list(flux)
    assert len(flux.lecteur.gardees) == 1  # trois structures de deux lignes : une seule gardée sous 3 lignes
    comparer(table)


def test_lignes_sans_bilan_entier_egales_a_celles_des_bilans():
    """calcul.resoudre_leger (ni compte après subvention, ni contrôle SIEG entier) : chaque colonne égale, au bit
    près, à celle du bilan entier (programme.resultats), sur les exemples livrés et les cas de référence résolus
    ensemble dans un lot (horizons, critères, produits et options SIEG mêlés)."""
    import tomllib

    from plai_bilan.calcul import resoudre_leger
    from plai_bilan.scenario import charger_scenario, scenario_depuis_dict

    scenarios = [charger_scenario(f) for f in sorted((RACINE / "scenarios").glob("*.toml"))
                 if '"a_calculer"' in f.read_text(encoding="utf-8")]
    for f in sorted((RACINE / "tests" / "cas").glob("*.toml")) + sorted((RACINE / "tests" / "cas_sieg").glob("*.toml")):
        doc = tomllib.loads(f.read_text(encoding="utf-8"))
        if doc.get("attendu", {}).get("commande", "subvention") == "subvention":
            scenarios.append(scenario_depuis_dict(doc.get("scenario", doc), f.name))
    entrees = [preparer(sc) for sc in scenarios if any(x.est_solde for x in sc.prets)]
    assert len(entrees) >= 12
    obtenu = [p.resultats(*x) for x in resoudre_leger(entrees)]
    attendu = [p.resultats(b) for b in resoudre(entrees)]
    assert obtenu == attendu
    assert sum(r["subvention_maximale"] is not None for r in obtenu) >= 10
    assert any(r["besoin_propre_plus"] is not None for r in obtenu)  # une opération mixte au moins


def test_empreinte_des_lignes_celle_du_document_entier(tmp_path):
    """L'empreinte SHA-256 d'une ligne, lectures gardées ou non : celle du JSON canonique du document entier (le
    modèle et les cellules de la ligne)."""
    table = ecrire(tmp_path, [{"modele": str(RACINE / "scenarios" / m), "operation.nom": f"Op {k}",
                               "prix_de_revient.travaux": str(100_000 + k), "logements[0].nombre": str(1 + k % 2)}
                              for k, m in enumerate(MODELES * 2)])
    flux = p._FluxTable(table, p._lire_table(table)[1])
    for (_, sc), (n, ligne) in zip(flux, enumerate(p._lire_table(table)[1], start=2)):
        doc = copy.deepcopy(lire_toml(Path(ligne["modele"]), ligne["modele"])[0])
        for cle, brute in ligne.items():
            valeur = p._valeur_cellule(brute or "", cle)
            if cle != "modele" and valeur is not None:
                p._placer(doc, cle, valeur, "")
        assert sc.sha256 == hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _prises(table: Path) -> int:
    """Les lignes que le chemin en colonnes a résolues (les autres : chemin partagé)."""
    from plai_bilan import colonnes

    vus = []
    init = colonnes.CheminColonnes.__init__

    def garder(self, *args, **kwargs):
        init(self, *args, **kwargs)
        vus.append(self)

    colonnes.CheminColonnes.__init__ = garder
    try:
        p.resoudre_programme(table)
    finally:
        colonnes.CheminColonnes.__init__ = init
    return sum(c.prises for c in vus)


def test_chemin_en_colonnes_operations_mixtes(tmp_path):
    """Une opération mixte PLUS-PLAI sous ses trois critères : ses lignes de montants passent en colonnes (comptes
    par produit sur des tableaux), besoins propres et part PLAI égaux au chemin par opération."""
    (tmp_path / "t").mkdir()
    criteres = ["tresorerie_cumulee", "annuel", "van"]
    lignes = [{"modele": str(RACINE / "scenarios" / MODELES[2]), "operation.nom": f"Mixte {k}",
               "analyse.critere": criteres[k % 3],
               "prix_de_revient.travaux": str(2_000_000 + 37_919 * k),
               "prix_de_revient.charge_fonciere": str(600_000 + 11_000 * (k % 7)),
               "exploitation.vacance_pct": f"{k % 4},5",
               "prets[1].montant": str(500_000 + 9_000 * k)} for k in range(30)]
    table = ecrire(tmp_path / "t", lignes)
    comparer(table)
    assert _prises(table) == 30 - 3
    resultats = [l.resultats for l in p.resoudre_programme(table)]
    assert sum(r["besoin_propre_plus"] is not None or r["besoin_propre_plai"] is not None for r in resultats) >= 15
    assert sum(r["justifiable_part_plai"] is not None for r in resultats) >= 10


# Des montants seuls qui varient autour de quelques structures : le chemin en colonnes prend les lignes dont les
# montants passent la lecture, rend les autres (hors bornes, texte, fraction, plan sur-financé, prix nul).
MONTANTS = {
    "operation.nom": st.sampled_from(["Rue des Lilas", "Opération « Gare »", "42", ""]),
    "prix_de_revient.travaux": st.one_of(nombre(0, 4_000_000), st.just("-5"), st.just("beaucoup"), st.just("")),
    "prix_de_revient.charge_fonciere": st.one_of(nombre(0, 2_000_000), st.just("0"), st.just("")),
    "prix_de_revient.honoraires": st.one_of(nombre(0, 200_000), st.just("")),
    "exploitation.vacance_pct": st.one_of(nombre(0, 12), st.just("0,01"), st.just("99"), st.just("")),
    "exploitation.impayes_pct": st.one_of(nombre(0, 3), st.just("2")),
    "prets[0].montant": st.one_of(nombre(0, 2_500_000), st.just("")),
    "prets[1].montant": st.one_of(nombre(0, 900_000), st.just("")),
}


STRUCTURES = {"logements[0].nombre": st.sampled_from(["", "2"]),  # peu de structures : des montants autour
              "analyse.critere": st.sampled_from(["", "", "annuel", "van"])}


@settings(max_examples=int(os.environ.get("PARTAGE_EXEMPLES", 30)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables(MONTANTS, (3, 14), 7, STRUCTURES))
def test_chemin_en_colonnes_memes_colonnes_et_memes_erreurs(tmp_path_factory, lignes):
    comparer_tiree(tmp_path_factory, lignes)


def test_chemin_en_colonnes_prend_les_montants_et_rend_le_reste(tmp_path):
    """Quarante lignes de deux structures d'un seul produit : la première de chacune ouvre sa structure, les
    autres passent en colonnes, sauf celles que la lecture ou la préparation refuseraient (même message)."""
    (tmp_path / "t").mkdir()
    lignes = [{"modele": str(RACINE / "scenarios" / MODELES[k % 2]), "operation.nom": f"Opération {k}",
               "prix_de_revient.travaux": str((100_000 if k % 2 == 0 else 1_500_000) + 7_919 * k),
               "exploitation.vacance_pct": f"{k % 5},5",
               "prets[0].montant": str(40_000 + 1_000 * k)} for k in range(40)]
    lignes[10]["exploitation.vacance_pct"] = "0,01"  # ressemble à une fraction : avertissement, lecture entière
    lignes[11]["prix_de_revient.travaux"] = "-3"  # refusé par le lecteur
    lignes[12]["prets[0].montant"] = "90000000"  # plan sur-financé : refusé par la préparation
    lignes[13]["prix_de_revient.travaux"] = "900000000"  # sans équilibre : motif du solveur
    table = ecrire(tmp_path / "t", lignes)
    comparer(table)
    assert _prises(table) == 40 - 2 - 2  # la ligne sur-financée prise, puis rendue
    erreurs = {l.source: l.erreur for l in p.resoudre_programme(table) if l.erreur}
    assert set(erreurs) == {"programme.csv, ligne 13", "programme.csv, ligne 14"}
    assert "sur-financé" in erreurs["programme.csv, ligne 14"]


CELLULE_CSV = st.one_of(st.sampled_from(["", " ", "12", "1 500,5", "é", "a;b", "a,b", "x\ny", '"q"', "Opération"]),
                        st.text(alphabet="abé ;,\n\"", max_size=6))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(CELLULE_CSV, min_size=1, max_size=4), min_size=1, max_size=8), st.booleans(),
       st.sampled_from(["\n", "\r\n"]), st.sampled_from([";", ","]))
def test_table_csv_lue_au_fil_du_fichier_comme_entiere(tmp_path_factory, rangs, bom, fin, separateur):
    """Une table CSV en UTF-8 lue au fil du fichier (jamais entière en mémoire) : les mêmes lignes, le même compte
    et les mêmes erreurs que lue entière (le chemin des autres encodages)."""
    import csv
    import io

    tampon = io.StringIO()
    csv.writer(tampon, delimiter=separateur, lineterminator=fin).writerows([["modele", "operation.nom", "x"]] + rangs)
    f = tmp_path_factory.mktemp("csv") / "t.csv"
    f.write_bytes((b"\xef\xbb\xbf" if bom else b"") + tampon.getvalue().encode("utf-8"))

    def lire():
        try:
            n, lignes = p._lire_table(f)
            return n, list(lignes)
        except Exception as exc:  # noqa: BLE001 - le message comparé
            return type(exc).__name__, str(exc)

    en_flux = lire()
    flux = p._csv_en_flux
    p._csv_en_flux = lambda *a: None
    try:
        entiere = lire()
    finally:
        p._csv_en_flux = flux
    assert en_flux == entiere


def test_table_csv_utf8_lue_au_fil_du_fichier(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes(b"\xef\xbb\xbfmodele;operation.nom\r\na.toml;Op\xc3\xa9ration 1\r\n\r\nb.toml;\"x;y\"\r\n")
    n, lignes = p._csv_en_flux(f, str(f))
    assert n == 2 and list(lignes) == [{"modele": "a.toml", "operation.nom": "Opération 1"},
                                       {"modele": "b.toml", "operation.nom": "x;y"}]
    f.write_bytes(b"modele;operation.nom\na.toml;Op\xe9ration\n")  # Windows-1252 : le texte entier, et l'avertissement
    assert p._csv_en_flux(f, str(f)) is None
