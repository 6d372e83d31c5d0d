"""Génère les pages de docs/ qui ne doivent pas dériver : la référence CLI, les tables de paramètres, le contrat
JSON et le format des scénarios (ces deux derniers depuis le catalogue).

``python -m plai_bilan.documentation`` réécrit ces pages ; un test vérifie qu'elles sont à jour.
"""

from __future__ import annotations

from pathlib import Path

import click

from plai_bilan.catalogue import catalogue
from plai_bilan.cli import main
from plai_bilan.parametres import charger_parametres

RACINE = Path(__file__).resolve().parent.parent
DOCS = RACINE / "docs"
STATUTS = {"V": "vérifié", "V2": "source secondaire", "D": "dérivé", "E": "ESTIMATION"}


def _aide(commande: click.Command, nom: str, parent: click.Context | None = None) -> str:
    ctx = click.Context(commande, info_name=nom, parent=parent, terminal_width=100, max_content_width=100)
    return commande.get_help(ctx)


def reference_cli() -> str:
    racine = click.Context(main, info_name="plai-bilan", terminal_width=100, max_content_width=100)
    morceaux = [
        "# Référence de la ligne de commande",
        "",
        "Page générée depuis le code par `python -m plai_bilan.documentation` ; ne pas la modifier à la main.",
        "",
        "Statuts de sortie : 0 succès ; 2 entrée invalide (scénario, paramètre, fichier de sortie) ou usage "
        "incorrect. Les erreurs s'affichent sur la sortie d'erreur, en une ligne : `Erreur : FICHIER : clé « CLÉ » : "
        "attendu`. Les avertissements commencent par `Avertissement :`.",
        "",
        "## plai-bilan",
        "",
        "```text",
        _aide(main, "plai-bilan"),
        "```",
    ]
    for nom in sorted(main.commands):
        morceaux += ["", f"## plai-bilan {nom}", "", "```text", _aide(main.commands[nom], nom, racine), "```"]
    morceaux += ["", CONTRAT_JSON]
    return "\n".join(morceaux) + "\n"


CONTRAT_JSON = """## Sorties JSON

Le contrat des sorties `--format json` (clés, sens, unités, version) est dans
[contrat-json.md](contrat-json.md), généré depuis le catalogue des grandeurs."""

def commandes_json() -> dict[str, str]:
    """Les commandes qui écrivent du JSON (option ``--format`` au choix ``json``), lues dans la ligne de commande
    elle-même : nom -> utilisation (« plai-bilan lot ENTREE --format json »)."""
    from plai_bilan.cli import main

    sortie = {}
    for nom, commande in main.commands.items():
        formats = [p for p in commande.params if p.name == "format_" and isinstance(p.type, click.Choice)]
        if formats and "json" in formats[0].type.choices:
            arguments = " ".join(p.human_readable_name + (" ..." if p.nargs == -1 else "")
                                 for p in commande.params if isinstance(p, click.Argument))
            sortie[nom] = f"plai-bilan {nom} {arguments} --format json"
    return sortie


def _ligne_grandeur(c, cle: str) -> str:
    g = c[cle]
    unite = "" if g.unite in ("texte", "objet", "liste", "nombre", "booléen", "date") else g.unite
    return f"| `{cle}` | {g.libelle} | {unite} |"


def contrat_json() -> str:
    """Le contrat JSON de chaque commande : ses clés dans l'ordre d'écriture, leur libellé et leur unité."""
    c = catalogue()
    m = ["# Contrat des sorties JSON", "",
         "Page générée depuis `plai_bilan/catalogue.toml` par `python -m plai_bilan.documentation` ; ne pas la "
         "modifier à la main. Un test vérifie que chaque commande écrit exactement ces clés, dans cet ordre.", "",
         f"Version du contrat : **{c.version_contrat}** (clé `version_contrat` de chaque objet ; les changements "
         "sont listés dans CHANGELOG.md). Montants en euros arrondis au centime ; taux en pour cent (clés `_pct`) ; "
         "`null` quand une valeur n'existe pas (par exemple la subvention d'une opération infaisable). Les mêmes "
         "entrées donnent un JSON identique à l'octet.", "",
         "Chaque objet commence par sa provenance :", "", "| clé | sens | unité |", "|---|---|---|"]
    m += [_ligne_grandeur(c, k) for k in c.documents["provenance"]]
    m += ["", "`scenario` : " + ", ".join(f"`{k}` ({c.libelle(k)})" for k in c.documents["provenance.scenario"])
          + "."]
    for nom, commande in commandes_json().items():
        m += ["", f"## `{commande}`", "", "| clé | sens | unité |", "|---|---|---|"]
        m += [_ligne_grandeur(c, k) for k in c.document(nom) if k not in c.documents["provenance"]]
        if nom == "lot":
            m += ["", "`erreurs` : une chaîne par opération non résolue (fichier ou ligne de la table, clé, message)."]
        for sous in sorted(k for k in c.documents if k.startswith(nom + ".")):
            champ = sous.split(".", 1)[1]
            m += ["", f"`{champ}` : une entrée par élément, clés :" if champ.endswith("[]") else f"`{champ}` :", "",
                  "| clé | sens | unité |", "|---|---|---|"]
            m += [_ligne_grandeur(c, k) for k in c.document(sous) if k not in c.documents["provenance"]]
    valeurs = c.valeurs
    m += ["", "## Valeurs fermées", "",
          "`critere` : " + " ; ".join(f"`{k}` ({v})" for k, v in valeurs["critere"].items()) + ".", "",
          "`controles[].statut` : " + ", ".join(f"`{k}`" for k in valeurs["statut"]) + ".", "",
          "`controles[].code` : " + " ; ".join(f"`{k}` ({v})" for k, v in valeurs["controle"].items()) + ".", "",
          "`motif` (infaisable) : " + " ; ".join(f"« {v} »" for v in valeurs["motif"].values()) + "."]
    return "\n".join(m) + "\n"


def format_scenario() -> str:
    """Le format des scénarios : un exemple livré, puis chaque clé (type, défaut, unité, sens, valeurs permises)."""
    from plai_bilan import scenario as module

    c = catalogue()
    exemple = (RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml").read_text(encoding="utf-8")
    m = ["# Format des fichiers de scénario (TOML, version 1)", "",
         "Page générée depuis `plai_bilan/catalogue.toml` par `python -m plai_bilan.documentation` ; ne pas la "
         "modifier à la main. Un test vérifie que le lecteur de scénarios lit exactement ces clés.", "",
         "Un fichier décrit une opération. Il est validé entièrement avant tout calcul : chaque erreur nomme le "
         "fichier, la clé (par exemple `logements[1].surface_habitable`) et ce qui était attendu. Les clés sont en "
         "français ; les taux sont en pour cent et leurs clés finissent par `_pct` ; les montants sont en euros TTC ; "
         "les charges d'exploitation sont par logement et par an, aux prix de l'année 1. Le même document peut être "
         "donné à Python sous forme de dictionnaire (`plai_bilan.scenario_depuis_dict`), avec la même validation.", "",
         "Exemple livré (`scenarios/aa-villeurbanne-3-plai-adaptes.toml`) :", "", "```toml", exemple.rstrip(), "```"]
    sections: dict[str, list[str]] = {}
    for cle in c.scenario:
        sections.setdefault(cle.split(".")[0], []).append(cle)
    for section, cles in sections.items():
        d = c.scenario[section]
        forme = f"[[{section}]]" if d["type"] == "liste" else f"[{section}]"
        m += ["", f"## `{forme}` : {d['libelle']} ({d['defaut']})", "",
              "| clé | type | défaut | unité | sens |", "|---|---|---|---|---|"]
        for cle in cles[1:]:
            e = c.scenario[cle]
            sens = e["libelle"]
            if "choix" in e:
                sens += " : " + ", ".join(f"`{v}`" for v in getattr(module, e["choix"]))
            m.append(f"| `{cle.split('.', 1)[1]}` | {e['type']} | {e['defaut']} | {e.get('unite', '')} | {sens} |")
    m += ["", "## Règles", "",
          f"Bornes : durées de prêt de 1 à {module.DUREE_MAX} ans, différé plus court que la durée, surfaces et "
          "nombres de logements strictement positifs, vacance + impayés sous 100 %, nombres finis (nan et inf "
          f"refusés), montants d'au plus {module.MONTANT_MAX:g} € en valeur absolue (au-delà, c'est une faute de "
          "frappe). Une seule subvention `a_calculer`, un seul prêt `solde`, des noms de prêts distincts. Une clé "
          "inconnue est refusée avec la clé valide la plus proche.", "",
          "Pour `plai-bilan instruire`, la subvention instruite porte le **montant demandé** (un nombre, "
          "`montant_par_logement` ou `\"reference\"`) au lieu de `\"a_calculer\"` ; aucune autre subvention ne peut "
          "être `a_calculer`."]
    return "\n".join(m) + "\n"


def _cellule(valeur) -> str:
    if isinstance(valeur, dict):
        return ", ".join(f"{k} {v}" for k, v in valeur.items())
    return str(valeur)


def table_parametres() -> str:
    p = charger_parametres()
    morceaux = [
        "# Paramètres réglementaires et leurs sources",
        "",
        "Page générée depuis les fichiers de `plai_bilan/parametres/` par `python -m plai_bilan.documentation` ; "
        "ne pas la modifier à la main.",
        "",
        "La valeur en vigueur à une date est la dernière valeur datée au plus tard ce jour-là ; une date antérieure "
        "à la première valeur d'un barème est une erreur. Statuts : V vérifié dans un texte officiel ou "
        "openfisca-france ; V2 source secondaire ; D dérivé ; E **estimation à vérifier**.",
        f"Date du jeu de paramètres (valeur la plus récente) : {p.date_jeu.isoformat()}.",
    ]
    for nom in sorted(p.baremes):
        b = p[nom]
        morceaux += ["", f"## {b.description} (`{nom}.toml`)", "", f"- Unité : {b.unite}",
                     f"- Référence : {b.reference}", f"- Prolongation : {b.prolongation}"]
        if b.estimation:
            morceaux.append("- **Ces valeurs sont des estimations** : remplacez-les par les valeurs officielles, "
                            "ou donnez `operation.loyer_plafond_m2` dans le scénario.")
        morceaux += ["", "| en vigueur le | statut | valeurs | référence |", "|---|---|---|---|"]
        for v in b.valeurs:
            valeurs = " ; ".join(f"{k} : {_cellule(x)}" for k, x in v.donnees.items())
            morceaux.append(f"| {v.date.isoformat()} | {STATUTS[v.statut]} | {valeurs} | {v.reference} |")
    morceaux += _hypotheses()
    return "\n".join(morceaux) + "\n"


def _hypotheses() -> list[str]:
    """Les hypothèses de projection du livret A (tests de résistance), qui ne sont pas des paramètres légaux."""
    from plai_bilan.hypotheses import hypotheses_livret_a

    h = hypotheses_livret_a()
    m = h["modele_aleatoire"]
    lignes = ["", "# Hypothèses de projection du livret A (`plai_bilan/hypotheses/livret_a_risque.toml`)", "",
              f"{h['description']}. Ce ne sont pas des valeurs réglementaires : elles servent à `plai-bilan risque`.",
              "", "| trajectoire | description |", "|---|---|"]
    lignes += [f"| `{t['nom']}` | {t['libelle']} |" for t in h["trajectoires"]]
    lignes += ["", "Modèle aléatoire à retour vers la moyenne : x_1 = taux de l'année 1 du scénario ; "
               "x_t = x_(t-1) + vitesse (moyenne - x_(t-1)) + volatilité e_t, e_t ~ N(0, 1), borné à [plancher ; "
               "plafond].", "",
               f"- moyenne {m['moyenne_pct']} %, vitesse {m['vitesse']}, volatilité {m['volatilite_points']} point : "
               f"régression sur les moyennes annuelles {m['calibrage_debut']}-{m['calibrage_fin']} du barème du "
               "livret A (**estimation** : 17 observations) ;",
               f"- plancher {m['plancher_pct']} %, plafond {m['plafond_pct']} % (**estimation**), graine par défaut "
               f"{m['graine']}."]
    return lignes


PAGES = {"cli.md": reference_cli, "parametres.md": table_parametres, "contrat-json.md": contrat_json,
         "format-scenario.md": format_scenario}


# Les chiffres cités par le guide et le README, calculés depuis les exemples livrés et la dernière mesure :
# <!--c:COMMANDE:EXEMPLE:CLE-->valeur<!--/c--> (COMMANDE : subvention, instruire, optimiser ; EXEMPLE : nom d'un scénario livré ;
# CLE : clé de son JSON) et <!--m:CLE-->valeur<!--/m--> (CLE : une mesure de benchmarks/mesures.json).
TEXTES_CHIFFRES = (RACINE / "README.md", DOCS / "guide.md")
MESURES = RACINE / "benchmarks" / "mesures.json"
_MARQUE = __import__("re").compile(r"<!--(c|m):([^>]*?)-->(.*?)<!--/\1-->", __import__("re").S)


def _valeur_chiffre(genre: str, cle: str, cache: dict) -> str:
    import json

    from plai_bilan.format import euros

    if genre == "m":
        mesures = cache.setdefault("__mesures", json.loads(MESURES.read_text(encoding="utf-8")))
        v = mesures[cle]
        return f"{v['valeur']:g}".replace(".", ",") + f" {v['unite']}"
    commande, exemple, champ = cle.split(":")
    if (commande, exemple) not in cache:
        from plai_bilan.scenario import charger_scenario
        from plai_bilan.sorties import json as sorties_json

        sc = charger_scenario(RACINE / "scenarios" / f"{exemple}.toml")
        if commande == "subvention":
            from plai_bilan.calcul import subvention_minimale

            cache[(commande, exemple)] = sorties_json.subvention(subvention_minimale(sc), None)
        elif commande == "instruire":
            from plai_bilan.instruction import instruire

            cache[(commande, exemple)] = sorties_json.verdict(instruire(sc), None)
        elif commande == "optimiser":
            from plai_bilan.instruction import avec_inconnue
            from plai_bilan.optimisation import optimiser

            sc, i = avec_inconnue(sc)
            cache[(commande, exemple)] = sorties_json.optimisation(optimiser(sc, inconnue=i))
        else:
            raise ValueError(f"commande de chiffre inconnue : {commande}")
    return euros(cache[(commande, exemple)][champ])


def chiffres_a_jour(texte: str, cache: dict | None = None) -> str:
    """Le texte avec chaque chiffre marqué recalculé."""
    cache = {} if cache is None else cache
    return _MARQUE.sub(lambda m: f"<!--{m.group(1)}:{m.group(2)}-->{_valeur_chiffre(m.group(1), m.group(2), cache)}"
                                 f"<!--/{m.group(1)}-->", texte)


def ecrire(dossier: Path = DOCS) -> None:
    for nom, fabrique in PAGES.items():
        (dossier / nom).write_text(fabrique(), encoding="utf-8")
    cache: dict = {}
    for chemin in TEXTES_CHIFFRES:
        texte = chemin.read_text(encoding="utf-8")
        chemin.write_text(chiffres_a_jour(texte, cache), encoding="utf-8")


if __name__ == "__main__":
    ecrire()
