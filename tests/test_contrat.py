"""Le catalogue est la vérité des noms : chaque commande écrit exactement les clés de son document, dans l'ordre,
et le lecteur de scénarios lit exactement les clés du catalogue."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from plai_bilan import scenario as module_scenario
from plai_bilan.catalogue import catalogue
from plai_bilan.cli import main

C = catalogue()


def lancer(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.stdout)


def verifier(objet, document: str) -> int:
    """Les clés de ``objet`` sont celles du document, dans l'ordre ; les sous-documents aussi. Renvoie le nombre
    de clés vérifiées."""
    attendues = list(C.document(document))
    assert list(objet) == attendues, f"{document} : clés {list(objet)} au lieu de {attendues}"
    n = len(attendues)
    for cle, valeur in objet.items():
        if valeur is None:  # un sous-objet absent (diagnostic d'une opération faisable...) : null
            continue
        for sous in (f"{document}.{cle}[]", f"{document}.{cle}", f"provenance.{cle}"):
            if sous in C.documents:
                for x in valeur if sous.endswith("[]") else [valeur]:
                    n += verifier(x, sous)
                break
    return n


@pytest.mark.parametrize("commande", ["simuler", "subvention", "sensibilite", "risque", "sieg", "optimiser"])
def test_cles_json_egales_au_catalogue(chemin_scenario, commande):
    extra = ["-n", "50"] if commande == "risque" else []
    assert verifier(lancer(commande, chemin_scenario, "--format", "json", *extra), commande) > 10


def test_cles_json_d_une_operation_infaisable(tmp_path):
    from conftest import RACINE

    texte = (RACINE / "scenarios" / "cn-montreuil-12-plai-dont-4-adaptes.toml").read_text(encoding="utf-8")
    f = tmp_path / "m900.toml"
    f.write_text(texte.replace("montant = 500000 ", "montant = 900000 "), encoding="utf-8")
    d = lancer("subvention", f, "--format", "json")
    assert d["faisable"] is False and d["diagnostic"] is not None
    verifier(d, "subvention")


def test_cles_json_de_comparer_et_instruire(tmp_path):
    from conftest import SCENARIOS

    verifier(lancer("comparer", *SCENARIOS, "--format", "json"), "comparer")
    aa = SCENARIOS[0].read_text(encoding="utf-8").replace('montant = "a_calculer"', "montant = 90000", 1)
    (tmp_path / "demande.toml").write_text(aa, encoding="utf-8")
    verifier(lancer("instruire", tmp_path / "demande.toml", "--format", "json"), "instruire")


def test_cles_json_de_lot(tmp_path):
    from conftest import RACINE

    (tmp_path / "casse.toml").write_text("[operation\n", encoding="utf-8")
    for f in (RACINE / "scenarios").glob("*.toml"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    d = lancer("lot", tmp_path, "--format", "json")
    assert verifier(d, "lot") > 10 and len(d["erreurs"]) == 1
    assert verifier(lancer("lot", tmp_path, "--format", "json", "--budget-fnap", "200000"), "lot") > 10


def test_chaque_commande_json_a_son_document_et_sa_page():
    """Chaque commande qui écrit du JSON (lue dans la ligne de commande) a son document au catalogue, et la page
    docs/contrat-json.md la décrit."""
    from conftest import RACINE
    from plai_bilan.documentation import commandes_json

    commandes = commandes_json()
    assert {"simuler", "subvention", "instruire", "comparer", "sensibilite", "risque", "sieg", "lot"} <= set(commandes)
    page = (RACINE / "docs" / "contrat-json.md").read_text(encoding="utf-8")
    for nom, utilisation in commandes.items():
        assert nom in C.documents, nom
        assert f"## `{utilisation}`" in page, nom


def test_chaque_grandeur_des_documents_a_un_libelle():
    for document in C.documents:
        for cle in C.document(document):
            assert C[cle].libelle, cle


# ----------------------------------------------------------------------------------------------- scénario


def _cle_generique(cle: str) -> str:
    return re.sub(r"\[\d+\]", "", cle)


def test_le_lecteur_lit_exactement_les_cles_du_catalogue(monkeypatch, tmp_path):
    """Chaque clé lue par le lecteur (sur les exemples livrés et des variantes qui empruntent les autres
    branches) est au catalogue, et chaque clé du catalogue est lue."""
    lues: set[str] = set()
    brute = module_scenario._Table.brute

    def espion(self, nom, *args, **kwargs):
        lues.add(_cle_generique(self.cle(nom)))
        return brute(self, nom, *args, **kwargs)

    monkeypatch.setattr(module_scenario._Table, "brute", espion)
    from conftest import SCENARIOS

    for f in SCENARIOS:
        module_scenario.charger_scenario(f)
    aa = SCENARIOS[0].read_text(encoding="utf-8")
    variantes = [
        aa.replace("surface_habitable = 46.0", "surface_utile = 48.0\nsurface_habitable = 46.0", 1)
          .replace("trajectoire = \"constante\"", "trajectoire = \"constante\"\ndate_valeur = 2026-02-01")
          .replace("[fonds_propres]\nmontant = 30000", "[fonds_propres]\nmontant = 30000\nremuneration = { taux_pct = "
                   "1.5, duree = 30 }")
          .replace("[analyse]", "[analyse]\nduree = 45")
          .replace("[prix_de_revient]", "[prix_de_revient]\nautres = { \"frais financiers\" = 4000 }"),
        aa.replace("index = \"livret_a\"\nmarge_pct = -0.20\nduree = 50", "taux_pct = 1.0\nduree = 50", 1)
          .replace("montant_par_logement = 9000", "montant_par_plai_adapte = 9000", 1)
          .replace("financement_accompagnement = { montant = 900, duree = 3 }",
                   "financement_accompagnement = { montant = 900, duree = 3, contrepartie = true }"),
        aa.replace("[prix_de_revient]", "[prix_de_revient]\ntaux_tva_pct = { charge_fonciere = 0, travaux = 5.5, "
                   "honoraires = 20, autres = 5.5 }")
        + "\n[sieg]\nduree = 40\ntaux_swap_pct = 2.8\ntaux_marche_pct = 3.9\ntaux_actualisation_pct = 3.0\n"
          "duree_amortissement = 60\nrabais_foncier = 10000\ngaranties = 2000\nindividualisation = false\n",
    ]
    for i, texte in enumerate(variantes):
        f = tmp_path / f"v{i}.toml"
        f.write_text(texte, encoding="utf-8")
        module_scenario.charger_scenario(f)
    sections = {k.split(".")[0] for k in C.scenario}
    lues |= sections  # les sections sont lues par leur table
    lues = {k for k in lues if not k.startswith("prix_de_revient.autres.")}
    assert lues == set(C.scenario), (f"lues et absentes du catalogue : {sorted(lues - set(C.scenario))} ; au "
                                     f"catalogue et jamais lues : {sorted(set(C.scenario) - lues)}")


def test_choix_du_catalogue_sont_des_constantes_du_lecteur():
    for cle, e in C.scenario.items():
        if "choix" in e:
            assert isinstance(getattr(module_scenario, e["choix"]), tuple), cle
