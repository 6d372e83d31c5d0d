"""Ligne de commande ``plai-bilan`` : mince, en français ; les erreurs du domaine deviennent un message.

Statuts de sortie : 0 succès ; 2 entrée invalide (scénario, paramètre, fichier de sortie) ou usage incorrect.
"""

from __future__ import annotations

import functools
import sys

import click

from plai_bilan import __version__
from plai_bilan.erreurs import ErreurPlaiBilan

CONTEXTE = {"help_option_names": [], "max_content_width": 100}
FORMATS = click.Choice(["texte", "json"])


def _erreurs_en_message(fonction):
    """Traduit toute erreur du domaine en un message français sur stderr, statut 2, sans trace."""

    @functools.wraps(fonction)
    def enveloppe(*args, **kwargs):
        try:
            return fonction(*args, **kwargs)
        except ErreurPlaiBilan as exc:
            click.echo(f"Erreur : {exc}", err=True)
            sys.exit(2)

    return enveloppe


def _avertir(messages) -> None:
    for m in messages:
        click.echo(f"Avertissement : {m}", err=True)


def _emettre(texte: str, sortie: str | None) -> None:
    if sortie:
        from plai_bilan.sortie import ecrire_texte

        ecrire_texte(sortie, texte)
        click.echo(f"Résultat écrit dans {sortie}", err=True)
    else:
        click.echo(texte, nl=False)


def _aide(f):
    return click.help_option("-h", "--aide", "--help", help="Affiche cette aide et quitte.")(f)


def _commande_sur_scenario(f):
    """Argument FICHIER, options --format et -o, aide, et erreurs traduites : communs aux commandes."""
    f = _erreurs_en_message(f)
    f = _aide(f)
    f = click.option("-o", "--sortie", type=click.Path(path_type=str), default=None, metavar="FICHIER",
                     help="Écrit le résultat dans ce fichier (écriture atomique) au lieu de l'afficher.")(f)
    f = click.option("--format", "format_", type=FORMATS, default="texte",
                     help="texte lisible (par défaut) ou JSON (contrat documenté dans docs/cli.md).")(f)
    return click.argument("fichier", type=click.Path(dir_okay=True, path_type=str))(f)


@click.group(context_settings=CONTEXTE)
@click.version_option(__version__, "--version", message="plai-bilan %(version)s", help="Affiche la version et quitte.")
@_aide
def main() -> None:
    """Équilibre financier des opérations PLAI et PLAI adapté.

    Projette le compte d'exploitation d'une opération décrite par un scénario TOML, calcule exactement la
    subvention minimale qui l'équilibre et contrôle les critères du FNAP.
    """


@main.command()
@_commande_sur_scenario
def simuler(fichier: str, format_: str, sortie: str | None) -> None:
    """Compte d'exploitation année par année, emprunts et contrôles.

    La subvention « a_calculer » est comptée pour 0.
    """
    from plai_bilan.bilan import simuler as _simuler
    from plai_bilan.resultats import en_json, simulation_json, simulation_texte
    from plai_bilan.scenario import charger_scenario

    sim = _simuler(charger_scenario(fichier))
    _avertir(sim.entrees.avertissements)
    _emettre(en_json(simulation_json(sim)) if format_ == "json" else simulation_texte(sim), sortie)


def _option_xlsx(f):
    return click.option("--xlsx", type=click.Path(dir_okay=False, path_type=str), default=None, metavar="CLASSEUR",
                        help="Écrit aussi le classeur d'étude d'équilibre (.xlsx, formules vivantes).")(f)


def _verifier_xlsx(chemin: str | None, option: str) -> None:
    from plai_bilan.erreurs import SortieImpossible
    from plai_bilan.sortie import verifier_cible

    if chemin is None:
        return
    verifier_cible(chemin)
    if not chemin.lower().endswith(".xlsx"):
        raise SortieImpossible(f"{chemin} (option {option}) : le classeur doit porter l'extension .xlsx")


@main.command()
@_option_xlsx
@_commande_sur_scenario
def subvention(fichier: str, format_: str, sortie: str | None, xlsx: str | None) -> None:
    """Subvention minimale qui équilibre l'opération selon son critère.

    Donne le montant total, par logement et par logement PLAI adapté, l'année critique, le loyer d'équilibre,
    le coût des contreparties sociales face à la référence FNAP, la trésorerie la plus basse et les contrôles.
    """
    from plai_bilan.bilan import subvention_minimale
    from plai_bilan.resultats import en_json, subvention_json, subvention_texte
    from plai_bilan.scenario import charger_scenario

    _verifier_xlsx(xlsx, "--xlsx")
    r = subvention_minimale(charger_scenario(fichier))
    _avertir(r.avertissements)
    if xlsx:
        from plai_bilan.export.excel import exporter as _exporter

        _exporter(r.scenario, xlsx, resultat=r)
    _emettre(en_json(subvention_json(r)) if format_ == "json" else subvention_texte(r), sortie)
    if xlsx:
        click.echo(f"Classeur écrit dans {xlsx}", err=True)


@main.command()
@_aide
@click.option("-o", "--sortie", type=click.Path(path_type=str), default=None, metavar="CLASSEUR",
              help="Le classeur à écrire (.xlsx ; par défaut, le nom du scénario dans le dossier courant) ; "
                   "écriture atomique : un échec laisse l'ancien fichier intact.")
@click.argument("fichier", type=click.Path(dir_okay=True, path_type=str))
@_erreurs_en_message
def exporter(fichier: str, sortie: str | None) -> None:
    """Classeur Excel de l'étude d'équilibre, en formules vivantes.

    Feuilles Synthèse, Hypothèses (cellules jaunes modifiables), Loyers, Prix de revient et financement,
    Emprunts, Exploitation, Équilibre et Paramètres. Modifier une hypothèse dans Excel ou LibreOffice recalcule
    le compte, la subvention minimale et le loyer d'équilibre.
    """
    from plai_bilan.export.excel import exporter as _exporter
    from plai_bilan.scenario import charger_scenario

    from pathlib import Path

    sortie = sortie or Path(fichier).with_suffix(".xlsx").name
    _verifier_xlsx(sortie, "-o")
    sc = charger_scenario(fichier)
    r = _exporter(sc, sortie)
    _avertir(r.avertissements if r is not None else sc.avertissements)
    click.echo(f"Classeur écrit dans {sortie}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
