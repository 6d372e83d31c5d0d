"""Catalogue des entrées invalides : chaque cas donne un seul message français, exact, qui nomme le fichier et la
clé, avec le statut de sortie 2, sans trace, et n'écrit rien (le fichier de sortie précédent reste intact).

Chaque cas modifie l'exemple de Villeurbanne : « remplacer » -> « par » (première occurrence), ou coupe le texte
entre deux repères. Les messages attendus sont la spécification : ce que l'utilisateur doit lire.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner

from plai_bilan.cli import main

AA = Path(__file__).resolve().parent.parent / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"
TEXTE = AA.read_text(encoding="utf-8")


class Cas(NamedTuple):
    nom: str
    commande: str
    remplacer: str | tuple
    par: str | None
    cle: str
    message: str


CATALOGUE = [
    Cas('syntaxe', 'subvention', 'nombre = 2\n', 'nombre = = 2\n', '', 'syntaxe TOML invalide : valeur invalide (ligne 22, colonne 10)'),
    Cas('syntaxe-texte-non-ferme', 'subvention', 'typologie = "T3"', 'typologie = "T3', '', 'syntaxe TOML invalide : fin de ligne dans un texte (guillemet fermant manquant ?) (ligne 30, colonne 16)'),
    Cas('section-manquante', 'subvention', ('couper', '[prix_de_revient]', '[[subventions]]'), None, 'prix_de_revient', 'clé obligatoire manquante'),
    Cas('cle-manquante', 'subvention', 'nom = "Villeurbanne - rue des Tilleuls - AA 3 PLAI adaptés"\n', '', 'operation.nom', 'clé obligatoire manquante'),
    Cas('type-nombre-texte', 'subvention', 'nombre = 2\n', 'nombre = "deux"\n', 'logements[0].nombre', "un nombre entier est attendu, pas un texte ('deux')"),
    Cas('type-booleen', 'subvention', 'rls = false ', 'rls = 0 ', 'operation.rls', 'true ou false est attendu, pas un nombre'),
    Cas('type-montant-texte', 'subvention', 'travaux = 105000 ', 'travaux = "beaucoup" ', 'prix_de_revient.travaux', 'un nombre est attendu, pas un texte'),
    Cas('type-table', 'subvention', 'indexation = { loyers_pct = 1.0, charges_pct = 1.6 }', 'indexation = 1.0', 'exploitation.indexation', 'une table est attendue, pas un nombre'),
    Cas('cle-inconnue-operation', 'subvention', 'nom = "Villeurbanne', 'nomm = "Villeurbanne', 'operation.nomm', 'clé inconnue ; vouliez-vous dire « nom » ?'),
    Cas('cle-inconnue-exploitation', 'subvention', 'vacance_pct = 2.0', 'vacance = 2.0', 'exploitation.vacance', 'clé inconnue ; vouliez-vous dire « vacance_pct » ?'),
    Cas('section-inconnue', 'subvention', '[exploitation]', '[exploitations]', 'exploitations', 'clé inconnue ; vouliez-vous dire « exploitation » ?'),
    Cas('cle-inconnue-menage', 'subvention', 'menage = { couple = true, personnes_a_charge = 2 }', 'menage = { couple = true, personnes_a_charges = 2 }', 'logements[1].menage.personnes_a_charges', 'clé inconnue ; vouliez-vous dire « personnes_a_charge » ?'),
    Cas('nombre-nul', 'subvention', 'nombre = 2\n', 'nombre = 0\n', 'logements[0].nombre', 'un entier >= 1 est attendu, pas 0'),
    Cas('surface-negative', 'subvention', 'surface_habitable = 46.0', 'surface_habitable = -46.0', 'logements[0].surface_habitable', 'un nombre > 0 est attendu, pas -46'),
    Cas('surface-nulle', 'subvention', 'surface_habitable = 62.0', 'surface_habitable = 0.0', 'logements[1].surface_habitable', 'un nombre > 0 est attendu, pas 0'),
    Cas('annexes-negatives', 'subvention', 'surface_annexes = 4.0 ', 'surface_annexes = -4.0 ', 'logements[0].surface_annexes', 'un nombre >= 0 est attendu, pas -4'),
    Cas('zone-loyer-inconnue', 'subvention', 'zone_loyer = "2"', 'zone_loyer = "2b"', 'operation.zone_loyer', "« 2b » n'est pas une valeur permise ; valeurs permises : 1bis, 1, 2, 3 (vouliez-vous dire « 2 » ?)"),
    Cas('zone-apl-inconnue', 'subvention', 'zone_apl = "2"', 'zone_apl = "4"', 'operation.zone_apl', "« 4 » n'est pas une valeur permise ; valeurs permises : 1, 2, 3"),
    Cas('produit-inconnu', 'subvention', 'produit = "ordinaire"', 'produit = "logement"', 'operation.produit', "« logement » n'est pas une valeur permise ; valeurs permises : ordinaire, foyer"),
    Cas('nature-inconnue', 'subvention', 'nature = "acquisition-amelioration"', 'nature = "rehabilitation"', 'operation.nature', "« rehabilitation » n'est pas une valeur permise ; valeurs permises : construction-neuve, acquisition-amelioration, vefa, acquisition"),
    Cas('critere-inconnu', 'subvention', 'critere = "tresorerie_cumulee"', 'critere = "cumul"', 'analyse.critere', "« cumul » n'est pas une valeur permise ; valeurs permises : annuel, tresorerie_cumulee, van"),
    Cas('date-hors-tables', 'subvention', 'date_agrement = 2026-03-01', 'date_agrement = 2016-03-01', 'operation.date_agrement', 'Loyers maximaux PLAI par zone (LMzone) : aucune valeur en vigueur au 2016-03-01 (première valeur connue au 2019-01-01)'),
    Cas('date-texte', 'subvention', 'date_agrement = 2026-03-01', 'date_agrement = "1er mars"', 'operation.date_agrement', 'une date AAAA-MM-JJ est attendue, pas « 1er mars »'),
    Cas('mise-en-service-avant-agrement', 'subvention', 'mise_en_service = 2027', 'mise_en_service = 2025', 'operation.mise_en_service', "l'année de mise en service (2025) précède l'année de l'agrément (2026)"),
    Cas('deux-subventions-inconnues', 'subvention', 'montant = 36000', 'montant = "a_calculer"', 'subventions[3].montant', 'une seule subvention peut valoir "a_calculer"'),
    Cas('deux-prets-solde', 'subvention', 'duree = 50\nmontant = 80000', 'duree = 50\nmontant = "solde"', 'prets[1].montant', 'un seul prêt peut valoir "solde"'),
    Cas('plan-sur-finance', 'subvention', 'montant = 36000', 'montant = 360000', 'prets[1].montant', "plan de financement sur-financé : les autres ressources (512\u202f000,00 €) dépassent le prix de revient (306\u202f000,00 €) de 206\u202f000,00 € ; le prêt d'équilibre serait négatif"),
    Cas('plan-desequilibre-sans-solde', 'simuler', 'montant = "solde"', 'montant = 100000', 'prets', 'le plan de financement ne s\'équilibre pas : ressources 288\u202f000,00 €, prix de revient 306\u202f000,00 €, écart -18\u202f000,00 € ; ajustez un montant ou déclarez un prêt montant = "solde"'),
    Cas('subvention-sans-pret-solde', 'subvention', 'montant = "solde"', 'montant = 118000', 'prets', 'le calcul de la subvention d\'équilibre exige un prêt d\'équilibre (montant = "solde")'),
    Cas('duree-nulle', 'subvention', 'marge_pct = -0.20\nduree = 50', 'marge_pct = -0.20\nduree = 0', 'prets[0].duree', 'un entier >= 1 est attendu, pas 0'),
    Cas('duree-101', 'subvention', 'duree = 40\nmontant = "solde"', 'duree = 101\nmontant = "solde"', 'prets[1].duree', 'un entier <= 100 est attendu, pas 101'),
    Cas('differe-trop-long', 'subvention', 'duree = 40\nmontant = "solde"', 'duree = 40\ndiffere_amortissement = 40\nmontant = "solde"', 'prets[1].differe_amortissement', 'le différé (40 ans) doit être plus court que la durée du prêt (40 ans)'),
    Cas('progressivite-negative-double-limitee', 'subvention', 'progressivite_pct = 0.0', 'progressivite_pct = -0.5', 'prets[1].progressivite_pct', 'la double révisabilité limitée exige une progressivité >= 0 ; choisissez revisabilite = "double" ou "simple" pour une progressivité négative'),
    Cas('revisabilite-inconnue', 'subvention', 'revisabilite = "double_limitee"', 'revisabilite = "triple"', 'prets[1].revisabilite', "« triple » n'est pas une valeur permise ; valeurs permises : simple, double, double_limitee (vouliez-vous dire « simple » ?)"),
    Cas('nan', 'subvention', 'impayes_pct = 2.5', 'impayes_pct = nan', 'exploitation.impayes_pct', 'un nombre fini est attendu (nan et inf sont refusés)'),
    Cas('inf', 'subvention', 'travaux = 105000 ', 'travaux = inf ', 'prix_de_revient.travaux', 'un nombre fini est attendu (nan et inf sont refusés)'),
    Cas('montant-demesure', 'subvention', 'travaux = 105000 ', 'travaux = 1e308 ', 'prix_de_revient.travaux', 'un nombre <= 1e+12 est attendu, pas 1e+308'),
    Cas('subvention-negative', 'subvention', 'montant = 15000', 'montant = -15000', 'subventions[2].montant', 'un nombre >= 0 est attendu, pas -15000'),
    Cas('subvention-mot-inconnu', 'subvention', 'montant = 15000', 'montant = "reste"', 'subventions[2].montant', "« reste » n'est pas une valeur permise ; valeurs permises : a_calculer, reference, bareme"),
    Cas('subvention-deux-montants', 'subvention', 'montant_par_logement = 9000', 'montant_par_logement = 9000\nmontant = 27000', 'subventions[0].montant', 'donnez un seul de montant, montant_par_logement et montant_par_plai_adapte'),
    Cas('loyers-saisis-deux-fois', 'subvention', 'loyer_accessoire = 0.0', 'loyer_accessoire = 0.0\nloyer_m2 = 5.0\nloyer_mensuel = 250.0', 'logements[0].loyer_m2', 'donnez loyer_m2 ou loyer_mensuel, pas les deux'),
    Cas('redevance-hors-foyer', 'subvention', 'loyer_accessoire = 0.0', 'loyer_accessoire = 0.0\nredevance_max = 400.0', 'logements[0].redevance_max', 'réservée aux foyers (operation.produit = "foyer")'),
    Cas('loyer-accessoire-au-dela-apl', 'subvention', 'loyer_accessoire = 0.0', 'loyer_accessoire = 500.0', 'logements[0].loyer_accessoire', 'le loyer accessoire (500,00 €) dépasse le plafond APL du ménage (404,49 €) : le loyer principal serait négatif'),
    Cas('menage-manquant', 'subvention', 'plai_adapte = true\nmenage = { couple = false, personnes_a_charge = 1 }', 'plai_adapte = true', 'logements[0].menage', 'clé obligatoire pour un logement PLAI adapté ou soumis à la RLS : menage = { couple = false, personnes_a_charge = 0 }'),
    Cas('personnes-a-charge-negatives', 'subvention', 'personnes_a_charge = 2', 'personnes_a_charge = -1', 'logements[1].menage.personnes_a_charge', 'un entier >= 0 est attendu, pas -1'),
    Cas('gros-entretien-deux-fois', 'subvention', 'gros_entretien = 450', 'gros_entretien = 450\ngros_entretien_pct_travaux = 0.5', 'exploitation.gros_entretien_pct_travaux', 'donnez gros_entretien (par logement) ou gros_entretien_pct_travaux, pas les deux'),
    Cas('vacance-et-impayes-100', 'subvention', 'vacance_pct = 2.0', 'vacance_pct = 98.0', 'exploitation.impayes_pct', 'vacance_pct + impayes_pct doit rester sous 100 %'),
    Cas('van-sans-taux', 'subvention', 'critere = "tresorerie_cumulee"\ntaux_actualisation_pct = 2.5', 'critere = "van"', 'analyse.taux_actualisation_pct', 'clé obligatoire quand critere = "van"'),
    Cas('trajectoire-vide', 'subvention', 'trajectoire = "constante"', 'trajectoire = []', 'livret_a.trajectoire', 'la liste des taux ne peut être vide'),
    Cas('trajectoire-nombre', 'subvention', 'trajectoire = "constante"', 'trajectoire = 1.5', 'livret_a.trajectoire', '"constante" ou une liste de taux en pour cent est attendue, pas un nombre'),
    Cas('trajectoire-nan', 'subvention', 'trajectoire = "constante"', 'trajectoire = [1.5, nan]', 'livret_a.trajectoire[1]', 'un nombre fini est attendu (nan et inf sont refusés)'),
    Cas('date-valeur-avec-liste', 'subvention', 'trajectoire = "constante"', 'trajectoire = [1.5]\ndate_valeur = 2026-02-01', 'livret_a.date_valeur', 'date_valeur ne sert qu\'avec trajectoire = "constante"'),
    Cas('date-valeur-hors-table', 'subvention', 'trajectoire = "constante"', 'trajectoire = "constante"\ndate_valeur = 1990-01-01', 'livret_a.date_valeur', 'Taux du livret A : aucune valeur en vigueur au 1990-01-01 (première valeur connue au 2007-08-01)'),
    Cas('horizon-nul', 'subvention', 'tresorerie_initiale = 0.0', 'tresorerie_initiale = 0.0\nduree = 0', 'analyse.duree', 'un entier >= 1 est attendu, pas 0'),
    Cas('prets-meme-nom', 'subvention', 'nom = "CDC PLAI construction"', 'nom = "CDC PLAI foncier"', 'prets[1].nom', 'le nom « CDC PLAI foncier » est déjà pris par un autre prêt'),
    Cas('taux-fixe-et-index', 'subvention', 'marge_pct = -0.20\nduree = 50', 'marge_pct = -0.20\ntaux_pct = 1.0\nduree = 50', 'prets[0].taux_pct', "un prêt à taux fixe n'a pas d'index : retirez index ou taux_pct"),
    Cas('index-fixe-sans-taux', 'subvention', 'index = "livret_a"\nmarge_pct = -0.20\nduree = 50', 'index = "fixe"\nduree = 50', 'prets[0].taux_pct', 'clé obligatoire pour un prêt à taux fixe'),
    Cas('prefinancement-11', 'subvention', 'revisabilite = "double_limitee"', 'revisabilite = "double_limitee"\nprefinancement = 11', 'prets[1].prefinancement', 'un entier <= 10 est attendu, pas 11'),
    Cas('logements-vide', 'subvention', ('couper', '[[logements]]', '[prix_de_revient]'), None, 'logements', 'clé obligatoire manquante'),
    Cas('prix-de-revient-trop-bas', 'subvention', 'charge_fonciere = 180000 ', 'charge_fonciere = 0 ', 'prets[1].montant', "plan de financement sur-financé : les autres ressources (188\u202f000,00 €) dépassent le prix de revient (126\u202f000,00 €) de 62\u202f000,00 € ; le prêt d'équilibre serait négatif"),
    Cas('logements-liste-vide', 'subvention', ('prefixer', 'logements = []\n', '[[logements]]', '[prix_de_revient]'), '', 'logements', 'au moins 1 élément(s) attendu(s)'),
    Cas('prix-de-revient-tout-nul', 'subvention', ('couper', 'charge_fonciere = 180000', '[[subventions]]'), 'charge_fonciere = 0\n\n', 'prix_de_revient', 'le prix de revient doit être positif : donnez au moins charge_fonciere, travaux ou honoraires'),
]


def appliquer(cas: Cas) -> str:
    if isinstance(cas.remplacer, tuple):
        if cas.remplacer[0] == "prefixer":
            _, prefixe, debut, fin = cas.remplacer
            return prefixe + TEXTE[:TEXTE.index(debut)] + TEXTE[TEXTE.index(fin):]
        _, debut, fin = cas.remplacer
        return TEXTE[:TEXTE.index(debut)] + (cas.par or "") + TEXTE[TEXTE.index(fin):]
    assert cas.remplacer in TEXTE, cas.nom
    return TEXTE.replace(cas.remplacer, cas.par, 1)


def lancer(*args: str):
    return CliRunner().invoke(main, list(args))


def attendu(fichier: Path | str, cle: str, message: str) -> str:
    return f"Erreur : {fichier} : clé « {cle} » : {message}\n" if cle else f"Erreur : {fichier} : {message}\n"


def test_le_catalogue_compte_au_moins_quarante_cas():
    assert len(CATALOGUE) + len(CAS_FICHIERS) + len(CAS_SORTIES) + len(CAS_USAGE) >= 40
    assert len({c.nom for c in CATALOGUE}) == len(CATALOGUE)


@pytest.mark.parametrize("cas", CATALOGUE, ids=[c.nom for c in CATALOGUE])
def test_scenario_invalide(cas: Cas, tmp_path):
    f = tmp_path / "operation.toml"
    f.write_text(appliquer(cas), encoding="utf-8")
    sortie = tmp_path / "resultat.json"
    sortie.write_text("ancien", encoding="utf-8")
    r = lancer(cas.commande, str(f), "--format", "json", "-o", str(sortie))
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    assert r.stderr == attendu(f, cas.cle, cas.message)
    assert sortie.read_text(encoding="utf-8") == "ancien"
    assert sorted(os.listdir(tmp_path)) == ["operation.toml", "resultat.json"]


@pytest.mark.parametrize("cas", [c for c in CATALOGUE if c.commande == "subvention"][:12],
                         ids=lambda c: c.nom)
def test_scenario_invalide_n_ecrit_aucun_classeur(cas: Cas, tmp_path):
    f = tmp_path / "operation.toml"
    f.write_text(appliquer(cas), encoding="utf-8")
    r = lancer("exporter", str(f), "-o", str(tmp_path / "etude.xlsx"))
    assert r.exit_code == 2
    assert r.stderr == attendu(f, cas.cle, cas.message)
    assert os.listdir(tmp_path) == ["operation.toml"]


def _non_utf8(d: Path) -> Path:
    f = d / "latin1.toml"
    f.write_bytes(TEXTE.encode("latin-1", errors="replace"))
    return f


def _vide(d: Path) -> Path:
    f = d / "vide.toml"
    f.write_text("  \n", encoding="utf-8")
    return f


CAS_FICHIERS = [
    ("fichier-introuvable", lambda d: d / "nulle-part.toml", "fichier introuvable"),
    ("dossier", lambda d: d, "c'est un dossier ; donnez le chemin d'un fichier de scénario .toml"),
    ("fichier-vide", _vide, "le fichier est vide"),
    ("non-utf8", _non_utf8, "le fichier n'est pas encodé en UTF-8 (octet invalide ligne 1) ; enregistrez-le en UTF-8"),
]


@pytest.mark.parametrize(("nom", "fabrique", "message"), CAS_FICHIERS, ids=[c[0] for c in CAS_FICHIERS])
def test_fichier_de_scenario_illisible(nom, fabrique, message, tmp_path):
    f = fabrique(tmp_path)
    r = lancer("subvention", str(f))
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr == f"Erreur : {f} : {message}\n"


def _verrou_libreoffice(d: Path) -> str:
    (d / "etude.xlsx").write_bytes(b"ancien")
    (d / ".~lock.etude.xlsx#").write_text(",utilisateur,poste,23.11.2026 08:00,", encoding="utf-8")
    return "etude.xlsx"


def _verrou_excel(d: Path) -> str:
    (d / "etude.xlsx").write_bytes(b"ancien")
    (d / "~$etude.xlsx").write_bytes(b"verrou")
    return "etude.xlsx"


CAS_SORTIES = [
    ("dossier-absent", lambda d: "absent/etude.xlsx", "absent/etude.xlsx : le dossier absent n'existe pas"),
    ("sortie-dossier", lambda d: (d / "sous").mkdir() or "sous",
     "sous : c'est un dossier ; donnez un nom de fichier de sortie"),
    ("mauvaise-extension", lambda d: "etude.xls", "etude.xls (option -o) : le classeur doit porter l'extension .xlsx"),
    ("ouvert-dans-libreoffice", _verrou_libreoffice,
     "etude.xlsx : le fichier est ouvert dans un tableur (verrou .~lock.etude.xlsx#) ; fermez-le ou choisissez un "
     "autre nom de sortie"),
    ("ouvert-dans-excel", _verrou_excel,
     "etude.xlsx : le fichier est ouvert dans un tableur (verrou ~$etude.xlsx) ; fermez-le ou choisissez un autre "
     "nom de sortie"),
]


@pytest.mark.parametrize(("nom", "fabrique", "message"), CAS_SORTIES, ids=[c[0] for c in CAS_SORTIES])
def test_sortie_impossible(nom, fabrique, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cible = fabrique(tmp_path)
    avant = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    r = lancer("exporter", str(AA), "-o", cible)
    assert r.exit_code == 2
    assert r.stderr == f"Erreur : {message}\n"
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == avant


def test_classeur_verrouille_par_le_systeme(tmp_path, monkeypatch):
    """Sous Windows, un classeur ouvert dans Excel refuse d'être remplacé : PermissionError au renommage."""
    cible = tmp_path / "etude.xlsx"
    cible.write_bytes(b"ancien")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    r = lancer("exporter", str(AA), "-o", str(cible))
    assert r.exit_code == 2
    assert r.stderr == (f"Erreur : {cible} : fichier verrouillé ou protégé en écriture (ouvert dans un tableur ?) "
                        "(permission refusée)\n")
    assert cible.read_bytes() == b"ancien"
    assert os.listdir(tmp_path) == ["etude.xlsx"]


def test_taux_ecrit_en_decimal_avertit_sans_bloquer(tmp_path):
    f = tmp_path / "operation.toml"
    f.write_text(TEXTE.replace("marge_pct = -0.20\nduree = 50", "marge_pct = -0.002\nduree = 50", 1), encoding="utf-8")
    r = lancer("subvention", str(f), "--format", "json")
    assert r.exit_code == 0
    # Après le résultat, sous « Avertissements », replié à la largeur : le texte est le même.
    assert r.stderr.lstrip().startswith("Avertissements\n==============\n")
    assert " ".join(r.stderr.split()).startswith(
        f"Avertissements ============== Avertissement : {f} : clé « prets[0].marge_pct » : -0.002 ressemble à une "
        "fraction décimale ; les taux s'écrivent en pour cent (écrivez -0.2 pour -0,2 %)")


CAS_USAGE = [
    (["subvention"], "argument FICHIER manquant (aide : plai-bilan subvention --aide)"),
    (["comparer"], "argument FICHIERS... manquant (aide : plai-bilan comparer --aide)"),
    (["subvention", str(AA), "--format", "xml"],
     "valeur « xml » invalide pour --format ; valeurs permises : texte, json (aide : plai-bilan subvention --aide)"),
    (["subvention", str(AA), "--formt", "json"],
     "option inconnue : --formt ; vouliez-vous dire --format, --sortie ? (aide : plai-bilan subvention --aide)"),
    (["calculer", str(AA)], "commande inconnue : calculer (aide : plai-bilan --aide)"),
    # Une seule suggestion : click l'écrit sans parenthèses (« Did you mean '--budget-fnap'? »).
    (["lot", str(AA), "--budget", "3"],
     "option inconnue : --budget ; vouliez-vous dire --budget-fnap ? (aide : plai-bilan lot --aide)"),
    (["instruire", str(AA), "--date-avis", "2026-13-45"],
     "valeur « 2026-13-45 » invalide pour --date-avis : une date est attendue (AAAA-MM-JJ ou JJ/MM/AAAA) (aide : "
     "plai-bilan instruire --aide)"),
    (["sensibilit", str(AA)], "commande inconnue : sensibilit ; vouliez-vous dire sensibilite ? (aide : plai-bilan "
     "--aide)"),
    (["risque", str(AA), "-n", "0"],
     "valeur 0 invalide pour -n / --trajectoires : hors de l'intervalle 1<=x<=1000000 (aide : plai-bilan risque --aide)"),
    (["risque", str(AA), "-n", "beaucoup"],
     "valeur « beaucoup » invalide pour -n / --trajectoires : un nombre entier est attendu (aide : plai-bilan risque "
     "--aide)"),
    (["subvention", str(AA), str(AA)], f"argument en trop : {AA} (aide : plai-bilan subvention --aide)"),
]


@pytest.mark.parametrize(("args", "message"), CAS_USAGE, ids=[" ".join(a[:1] + a[2:]) for a, _ in CAS_USAGE])
def test_usage_incorrect_en_francais(args, message):
    r = lancer(*args)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr == f"Erreur : {message}\n"


def test_comparer_nomme_le_fichier_fautif(tmp_path):
    f = tmp_path / "b.toml"
    f.write_text(TEXTE.replace("nombre = 2\n", "nombre = 0\n", 1), encoding="utf-8")
    r = lancer("comparer", str(AA), str(f), "--format", "csv", "-o", str(tmp_path / "c.csv"))
    # Le fichier fautif est nommé et écarté ; l'autre est comparé (statut 1).
    assert r.exit_code == 1
    assert r.stderr.startswith(f"Erreur : {f} : clé « logements[0].nombre » : un entier >= 1 est attendu, pas 0 ; "
                               "fichier écarté de la comparaison\n")
    assert sorted(os.listdir(tmp_path)) == ["b.toml", "c.csv"]
    # Tous fautifs : l'erreur, statut 2, rien d'écrit.
    r = lancer("comparer", str(f), "--format", "csv", "-o", str(tmp_path / "d.csv"))
    assert r.exit_code == 2 and not (tmp_path / "d.csv").exists()


@pytest.mark.parametrize("commande", ["sensibilite", "risque"])
def test_image_dans_un_dossier_absent(commande, tmp_path):
    cible = tmp_path / "absent" / "g.png"
    r = lancer(commande, str(AA), "--png", str(cible))
    assert r.exit_code == 2
    assert r.stderr == f"Erreur : {cible} : le dossier {cible.parent} n'existe pas\n"


@pytest.mark.parametrize("args", [["subvention", str(AA)], ["simuler", str(AA)], ["sensibilite", str(AA)],
                                  ["risque", str(AA), "-n", "200"]], ids=lambda a: a[0])
def test_json_identique_a_l_octet_et_trace(args):
    """Mêmes entrées, même JSON à l'octet ; il porte la version, l'empreinte du scénario et la date des paramètres."""
    import hashlib
    import json

    from plai_bilan import __version__
    from plai_bilan.parametres import charger_parametres

    a, b = lancer(*args, "--format", "json"), lancer(*args, "--format", "json")
    assert a.exit_code == 0 and a.stdout == b.stdout
    d = json.loads(a.stdout)
    assert d["plai_bilan_version"] == __version__
    assert d["scenario"]["sha256"] == hashlib.sha256(AA.read_bytes()).hexdigest()
    assert d["parametres_date"] == charger_parametres().date_jeu.isoformat()


def test_png_porte_la_tracabilite(tmp_path):
    import hashlib

    png = tmp_path / "tornade.png"
    assert lancer("sensibilite", str(AA), "--png", str(png)).exit_code == 0
    contenu = png.read_bytes()
    assert hashlib.sha256(AA.read_bytes()).hexdigest().encode() in contenu
    assert b"plai-bilan" in contenu


def test_dossier_de_sortie_protege_en_ecriture(tmp_path, monkeypatch):
    """Un dossier où l'on ne peut pas créer de fichier (droits) : message, statut 2, rien d'écrit."""
    from plai_bilan import sortie

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sortie, "_creer", refuse)
    cible = tmp_path / "resultat.json"
    r = lancer("subvention", str(AA), "--format", "json", "-o", str(cible))
    assert r.exit_code == 2
    assert r.stderr.endswith(f"Erreur : {cible} : écriture impossible dans {tmp_path} (permission refusée)\n")
    assert os.listdir(tmp_path) == []
