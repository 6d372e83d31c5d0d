"""Génère les pages de docs/ qui ne doivent pas dériver : la référence CLI et les tables de paramètres.

``python -m plai_bilan.documentation`` réécrit docs/cli.md et docs/parametres.md ; un test vérifie qu'elles sont
à jour.
"""

from __future__ import annotations

from pathlib import Path

import click

from plai_bilan.cli import main
from plai_bilan.parametres import charger_parametres

DOCS = Path(__file__).resolve().parent.parent / "docs"
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


CONTRAT_JSON = """## Sorties JSON (contrat stable)

Montants en euros arrondis au centime ; `null` quand une valeur n'existe pas. Chaque objet porte
`plai_bilan_version`, `scenario` (`fichier`, `sha256` du fichier, `nom`) et `parametres_date` (date du jeu de
paramètres) : les mêmes entrées donnent un JSON identique à l'octet.

`plai-bilan subvention FICHIER --format json` :

| clé | sens |
|---|---|
| `subvention_minimale` | subvention minimale S* (null si infaisable) |
| `subvention_minimale_par_logement`, `subvention_minimale_par_logement_plai_adapte` | S* divisée par le nombre de logements, de PLAI adaptés |
| `faisable` | vrai si une subvention équilibre l'opération |
| `critere` | `annuel`, `tresorerie_cumulee` ou `van` |
| `annee_critique` | année d'exploitation t qui fixe S* (null si S* = 0, critère VAN ou infaisable) |
| `motif`, `annees_deficit` | pourquoi c'est infaisable, et les années en déficit avec leur montant au critère |
| `prix_de_revient` | prix de revient de l'opération |
| `pret_equilibre`, `pret_equilibre_initial` | capital du prêt « solde » avec S*, et sans subvention |
| `loyer_equilibre_m2` | loyer d'équilibre, euros par m2 SU et par mois, sans la subvention inconnue |
| `cout_contreparties`, `subvention_plai_ordinaire` | S* moins S* de la même opération en PLAI ordinaire, et cette dernière |
| `reference_fnap`, `reference_fnap_par_logement` | valeur de référence FNAP de l'opération |
| `tresorerie_minimale`, `annee_tresorerie_minimale` | trésorerie cumulée la plus basse avec S*, et son année |
| `van`, `horizon`, `n_logements`, `n_plai_adapte` | VAN de l'autofinancement avec S*, horizon, effectifs |
| `controles` | constats : `code`, `libelle`, `statut` (conforme, non conforme, information, non vérifiable), `detail` |
| `parametres` | valeurs réglementaires utilisées : `bareme`, `date`, `statut`, `reference` |
| `avertissements` | messages d'avertissement |

`plai-bilan simuler FICHIER --format json` : `prix_de_revient`, `horizon`, `critere`, `van`,
`coefficient_structure`, `loyer_plafond_m2`, `loyers_par_logement` (plafonds et loyer appliqué par ligne),
`financement` (plan de financement), `annees` (une entrée par année d'exploitation : `annee`, `annee_civile`,
`loyers`, `charges`, `annuites`, `autofinancement`, `tresorerie` et chaque ligne du compte), `prets` (par prêt :
`nom`, `capital_initial`, `taux` en pour cent, `echeances`, `interets`, `amortissements`, `capital_restant_du`,
listes de longueur `horizon`), `controles`, `parametres`, `avertissements`. La subvention « a_calculer » y
compte pour 0.

`plai-bilan instruire FICHIER --format json` : `justifiee`, `financeur`, `indice_subvention`, `montant_demande`,
`subvention_minimale`, `faisable`, `motif`, `ecart` (demande - minimum), `ecart_pct`, `motifs` (pourquoi la demande
n'est pas justifiée), `cout_contreparties`, `reference_fnap`, `critere`, `annee_critique`, `controles`. Statut de
sortie : 0 justifiée, 1 non justifiée, 2 entrée invalide.

`plai-bilan comparer A B ... --format json` : `operations`, une entrée par scénario avec la traçabilité et les
indicateurs `prix_de_revient`, `prix_de_revient_par_logement`, `prix_de_revient_par_m2`, `faisable`,
`subvention_minimale`, `subvention_minimale_par_logement`, `subvention_minimale_par_m2`, `loyer_moyen_m2`,
`loyer_moyen_logement`, `loyer_equilibre_m2`, `autofinancement_annee_1`, `tresorerie_minimale`,
`annee_tresorerie_minimale`, `van`, `annee_critique`, `cout_contreparties`, `reference_fnap`. `--format csv` : les
mêmes colonnes, séparateur « ; », virgule décimale, UTF-8 avec BOM, et sur chaque ligne `plai_bilan_version`,
`scenario_sha256`, `parametres_date`.

`plai-bilan sensibilite FICHIER --format json` : `subvention_base`, `hypotheses` (par hypothèse : `cle`, `libelle`,
`unite`, `base`, `basse`, `haute`, `subvention_basse`, `subvention_haute` (null si infaisable), `bascule` (null hors
de `plage`)).

`plai-bilan risque FICHIER --format json` : `pret_equilibre_initial`, `trajectoires` (par trajectoire : `nom`,
`libelle`, `livret_a_pct`, `faisable`, `subvention_minimale`, `besoin_brut`), `aleatoire` (`n`, `graine`, `p50`,
`p90`, `p99`, `subvention_90_pct_trajectoires`, `part_infaisable` ; null : aucune subvention ne suffit à ce
quantile)."""


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


PAGES = {"cli.md": reference_cli, "parametres.md": table_parametres}


def ecrire(dossier: Path = DOCS) -> None:
    for nom, fabrique in PAGES.items():
        (dossier / nom).write_text(fabrique(), encoding="utf-8")


if __name__ == "__main__":
    ecrire()
