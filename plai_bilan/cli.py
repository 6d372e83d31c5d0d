"""Ligne de commande ``plai-bilan`` : mince, en français ; les erreurs du domaine deviennent un message.

Statuts de sortie : 0 succès ; 2 entrée invalide (scénario, paramètre, fichier de sortie) ou usage incorrect.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
from pathlib import Path

import click

from plai_bilan import __version__
from plai_bilan.erreurs import ErreurPlaiBilan
from plai_bilan.memoire import regler_allocateur

CONTEXTE = {"help_option_names": [], "max_content_width": 100}

# Messages d'usage de click traduits (motif anglais -> gabarit français).
_USAGE = (
    (r"Missing argument '(?P<a>[^']+)'\.", "argument {a} manquant"),
    (r"Missing option '(?P<a>[^']+)'\.", "option {a} manquante"),
    # Une suggestion : « Did you mean '--x'? » ; plusieurs : « (Did you mean one of: --x, --y?) ».
    (r"No such option '(?P<a>[^']+)'\.(?: \(Did you mean(?: one of)?: (?P<s>.+)\?\)| Did you mean (?P<s1>.+)\?)?",
     "option inconnue : {a}"),
    (r"No such command '(?P<a>[^']+)'\.(?: Did you mean (?P<s1>.+)\?)?", "commande inconnue : {a}"),
    (r"Option '(?P<a>[^']+)' requires an argument\.", "l'option {a} attend une valeur"),
    (r"Got unexpected extra arguments? \((?P<a>.+)\)", "argument en trop : {a}"),
    (r"Invalid value for (?P<a>.+?): '(?P<b>.*)' is not one of (?P<c>.+)\.", "valeur « {b} » invalide pour {a} ; "
     "valeurs permises : {c}"),
    (r"Invalid value for (?P<a>.+?): '?(?P<b>.*?)'? is not a valid integer(?: range)?\.",
     "valeur « {b} » invalide pour {a} : un nombre entier est attendu"),
    (r"Invalid value for (?P<a>.+?): (?P<b>.+) is not in the range (?P<c>.+)\.",
     "valeur {b} invalide pour {a} : hors de l'intervalle {c}"),
    (r"Invalid value for (?P<a>.+?): '?(?P<b>.*?)'? is not a valid float(?: range)?\.",
     "valeur « {b} » invalide pour {a} : un nombre est attendu"),
    (r"Invalid value for (?P<a>.+?): '(?P<b>.*)' does not match the formats? (?P<c>.+)\.",
     "valeur « {b} » invalide pour {a} : une date est attendue ({c})"),
    (r"Invalid value for (?P<a>.+?): (?P<m>« .+)", "valeur invalide pour {a} : {m}"),
)
_FORMATS_DATE = {"%Y-%m-%d": "AAAA-MM-JJ", "%d/%m/%Y": "JJ/MM/AAAA"}


def traduire_usage(message: str) -> str:
    """Le message d'une erreur d'usage de click, en français (le groupe « s » d'un motif est une suggestion)."""
    for motif, gabarit in _USAGE:
        m = re.fullmatch(motif, message)
        if m:
            champs = {k: (v or "").replace("'", "") for k, v in m.groupdict().items()}
            if "date" in gabarit:  # les formats de strptime en clair
                champs["c"] = " ou ".join(_FORMATS_DATE.get(f.strip(), f.strip()) for f in champs["c"].split(","))
            texte = gabarit.format(**champs)
            suggestion = champs.get("s") or champs.get("s1")
            return texte + (f" ; vouliez-vous dire {suggestion} ?" if suggestion else "")
    return f"usage incorrect : {message}"


def _nombre_aide(texte: str) -> str:
    """Un nombre de l'aide de click (« 1000000.0 ») écrit à la française (« 1 000 000 »)."""
    try:
        x = float(texte)
    except ValueError:
        return texte
    if x == int(x):
        return f"{int(x):,}".replace(",", "\u00a0")  # insécable : le nombre ne se coupe pas
    return f"{x:g}".replace(".", ",")


def _extras_en_francais(aide: str) -> str:
    """Le crochet final que click ajoute à l'aide d'une option (« [default: 1.0; 0<=x<=1000000.0] ») en français."""
    m = re.search(r"\s*\[([^\[\]]*)\]\s*$", aide)
    if m is None:
        return aide
    parties = []
    for partie in m.group(1).split("; "):
        if partie.startswith("default: "):
            parties.append("défaut : " + _nombre_aide(partie[len("default: "):]))
        elif partie == "required":
            parties.append("obligatoire")
        elif (r := re.fullmatch(r"(-?[\d.]+)(<=?)x(<=?)(-?[\d.e+]+)", partie)) is not None:
            parties.append(f"de {_nombre_aide(r.group(1))} à {_nombre_aide(r.group(4))}")
        elif (r := re.fullmatch(r"x>=?(-?[\d.]+)", partie)) is not None:
            parties.append(f"au moins {_nombre_aide(r.group(1))}")
        elif (r := re.fullmatch(r"x<=?(-?[\d.]+)", partie)) is not None:
            parties.append(f"au plus {_nombre_aide(r.group(1))}")
        else:
            parties.append(partie)
    return aide[:m.start()] + "  [" + " ; ".join(parties) + "]"


def _options_en_francais(commande, ctx, formatter) -> None:
    lignes = []
    for param in commande.get_params(ctx):
        rv = param.get_help_record(ctx)
        if rv is not None:
            lignes.append((rv[0], _extras_en_francais(rv[1])))
    if lignes:
        with formatter.section("Options "):
            formatter.write_dl(lignes)


class _Commande(click.Command):
    """Une commande dont l'aide est en français (« Utilisation : », « Options : », défauts et bornes)."""

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Utilisation : ")

    def format_options(self, ctx, formatter) -> None:
        _options_en_francais(self, ctx, formatter)


class _Groupe(click.Group):
    """Le groupe de commandes : aide en français ; une erreur d'usage donne une seule ligne en français, statut 2."""

    command_class = _Commande

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Utilisation : ")

    def collect_usage_pieces(self, ctx) -> list[str]:
        return ["[OPTIONS]", "COMMANDE", "[ARGUMENTS]..."]

    def format_options(self, ctx, formatter) -> None:
        _options_en_francais(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx, formatter) -> None:
        lignes = [(nom, self.commands[nom].get_short_help_str(limit=formatter.width - 6 - len(nom)))
                  for nom in self.list_commands(ctx)]
        if lignes:
            with formatter.section("Commandes "):
                formatter.write_dl(lignes)

    def main(self, *args, **kwargs):
        import signal
        import warnings

        kwargs["standalone_mode"] = False
        # Les calculs traitent eux-mêmes l'infini et l'indéfini (opération infaisable) : pas d'avertissement numpy.
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        regler_allocateur()
        # SIGTERM et SIGHUP interrompent proprement : les fichiers temporaires d'écriture sont effacés.
        for nom in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, nom):
                signal.signal(getattr(signal, nom), _interrompre)
        try:
            return super().main(*args, **kwargs)
        except click.UsageError as exc:
            commande = f"plai-bilan {exc.ctx.info_name} " if exc.ctx and exc.ctx.parent else "plai-bilan "
            click.echo(f"Erreur : {traduire_usage(exc.format_message())} (aide : {commande}--aide)", err=True)
            sys.exit(2)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("Interrompu.", err=True)
            sys.exit(130)
        except BrokenPipeError:  # sortie fermée (plai-bilan ... | head) : rien à dire
            try:
                sys.stdout = open(os.devnull, "w")
            except OSError:
                pass
            sys.exit(1)


def _interrompre(signum, _cadre) -> None:
    raise KeyboardInterrupt
FORMATS = click.Choice(["texte", "json"])


class _Fini(click.FloatRange):
    """Un nombre fini dans ses bornes : « nan » et « inf », que float() accepte, sont refusés."""

    def convert(self, value, param, ctx):
        import math

        x = super().convert(value, param, ctx)
        if not math.isfinite(x):
            self.fail(f"« {value} » : un nombre fini est attendu", param, ctx)
        return x


def _erreurs_en_message(fonction):
    """Traduit toute erreur du domaine en un message français sur stderr, statut 2, sans trace."""

    @functools.wraps(fonction)
    def enveloppe(*args, **kwargs):
        _encodage_sur()
        _regler_largeur()
        _AVERTISSEMENTS.clear()
        try:
            resultat = fonction(*args, **kwargs)
        except ErreurPlaiBilan as exc:
            _publier_avertissements()
            click.echo(_au_terminal(assaini(f"Erreur : {exc}")), err=True)
            sys.exit(2)
        except SystemExit:  # instruire, lot : leur statut de sortie
            _publier_avertissements()
            raise
        _publier_avertissements()
        return resultat

    return enveloppe


_CONTROLE = {c: "?" for c in range(32) if chr(c) not in "\n\t"} | {127: "?"}


def assaini(texte: str) -> str:
    """Le texte sans caractère de contrôle (séquences d'échappement ANSI d'un nom...) : le terminal n'exécute rien
    de ce qu'un scénario contient."""
    return texte.translate(_CONTROLE)


_AVERTISSEMENTS: list[str] = []


def _repli_caracteres(exc: UnicodeEncodeError):
    """Un terminal qui n'est pas en UTF-8 (Latin-1...) : espaces fines en espaces, euro en « EUR », le reste en
    « ? » ; jamais d'erreur d'encodage."""
    remplacements = {"\u202f": " ", "\u00a0": " ", "€": "EUR", "«": '"', "»": '"', "’": "'", "œ": "oe", "Œ": "OE",
                     "–": "-", "—": "-", "…": "..."}
    morceau = exc.object[exc.start:exc.end]
    return "".join(remplacements.get(c, "?") for c in morceau), exc.end


def _encodage_sur() -> None:
    import codecs

    try:
        codecs.lookup_error("plai_bilan")
    except LookupError:
        codecs.register_error("plai_bilan", _repli_caracteres)
    for flux in (sys.stdout, sys.stderr):
        try:
            if flux is not None and (flux.encoding or "").lower().replace("-", "") not in ("utf8", "utf8sig"):
                flux.reconfigure(errors="plai_bilan")
        except (AttributeError, ValueError, OSError):
            pass


def _regler_largeur() -> None:
    """La largeur des sorties texte : celle du terminal quand la sortie en est un (72 colonnes au moins), 100
    sinon."""
    from plai_bilan.sorties import texte

    largeur = 100
    try:
        if sys.stdout is not None and sys.stdout.isatty():
            largeur = max(72, shutil.get_terminal_size((100, 24)).columns)
    except (OSError, ValueError, AttributeError):  # sortie standard fermée
        pass
    texte.regler_largeur(largeur)


def _au_terminal(message: str) -> str:
    """Un message d'erreur replié à la largeur quand la sortie d'erreur est un terminal (tel quel sinon : une
    ligne par erreur pour les scripts)."""
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            from plai_bilan.sorties import texte

            return texte.paragraphe(message, "  ")
    except (OSError, ValueError, AttributeError):
        pass
    return message


def _avertir(messages) -> None:
    """Les avertissements, gardés pour après le résultat (sans doublon)."""
    for m in messages:
        if m not in _AVERTISSEMENTS:
            _AVERTISSEMENTS.append(m)


def _publier_avertissements() -> None:
    """Après le résultat, sur la sortie d'erreur : « Avertissements », chacun replié à la largeur."""
    if not _AVERTISSEMENTS:
        return
    from plai_bilan.sorties import texte

    lignes = ["", "Avertissements", "=============="]
    for m in _AVERTISSEMENTS:
        lignes.append(texte.paragraphe(assaini(f"Avertissement : {m}"), "  "))
    click.echo("\n".join(lignes), err=True)
    _AVERTISSEMENTS.clear()


def _json(objet: dict) -> str:
    """Le JSON d'une commande, ses avertissements compris (clé avertissements de chaque document)."""
    from plai_bilan.sorties import json

    objet.setdefault("avertissements", list(_AVERTISSEMENTS))
    return json.en_json(objet)


def _emettre(texte: str, sortie: str | None) -> None:
    """Le résultat sur la sortie standard (sans -o, ou -o -), sinon dans le fichier (écriture atomique)."""
    if sortie and sortie != "-":
        from plai_bilan.sortie import ecrire_texte

        ecrire_texte(sortie, texte)
        click.echo(f"Résultat écrit dans {sortie}", err=True)
    else:
        try:
            click.echo(assaini(texte) if not texte.lstrip().startswith(("{", "\ufeff")) else texte, nl=False)
            if sys.stdout is not None:
                sys.stdout.flush()
        except OSError as exc:  # sortie standard pleine (/dev/full), fermée en route
            from plai_bilan.erreurs import SortieImpossible, message_systeme

            raise SortieImpossible(f"sortie standard : écriture impossible ({message_systeme(exc)})") from None


def _aide(f):
    return click.help_option("-h", "--aide", "--help", help="Affiche cette aide et quitte.")(f)


def _option_parametres(f):
    return click.option("--parametres", "parametres_locaux", type=click.Path(path_type=str), default=None,
                        metavar="DOSSIER", help="Dossier de paramètres locaux qui complète les barèmes nationaux "
                        "(table FNAP régionale...) ; remplace la clé operation.parametres_locaux du scénario.")(f)


def _parametres(dossier: str | None):
    """Les paramètres nationaux complétés du dossier local donné, ou None (ceux du scénario)."""
    if dossier is None:
        return None
    from plai_bilan.parametres import charger_parametres

    return charger_parametres(locaux=(dossier,))


def _liste_ressources(ctx, param, valeur: str | None) -> tuple[float, ...]:
    """« 0,9000,15000 » -> (0.0, 9000.0, 15000.0) : ressources annuelles en euros."""
    if valeur is None:
        return None  # les ressources déclarées de chaque ligne, sinon 0
    try:
        niveaux = tuple(float(x.strip().replace(" ", "")) for x in valeur.replace(";", ",").split(",") if x.strip())
    except ValueError:
        raise click.BadParameter(f"« {valeur} » : des montants annuels en euros séparés par des virgules sont "
                                 "attendus, par exemple 0,9000,15000") from None
    if not niveaux or any(x < 0 or x > 1e7 for x in niveaux) or len(niveaux) > 20:
        raise click.BadParameter(f"« {valeur} » : de 1 à 20 montants entre 0 et 10 000 000 € sont attendus")
    return niveaux


def _options_menages(f):
    """--menages, --ressources, --seuil-reste-a-charge : la vue des ménages (openfisca-france)."""
    f = click.option("--seuil-reste-a-charge", "seuil", type=_Fini(0, 100000), default=None,
                     metavar="EUROS", help="Contrôle facultatif : reste à charge mensuel au plus ce montant "
                     "(lecture du programme FNAP : un bas niveau de quittance ; docs/guide.md).")(f)
    f = click.option("--ressources", callback=_liste_ressources, default=None, metavar="LISTE",
                     help="Ressources annuelles des ménages prises en compte pour l'APL, en euros, séparées par des "
                     "virgules (par défaut : les ressources déclarées de chaque ligne, menage.ressources, sinon 0 : "
                     "ménage au RSA).")(f)
    return click.option("--menages", is_flag=True, default=False,
                        help="Ajoute la vue des ménages : quittance, APL (openfisca-france, extra [menages]) et "
                        "reste à charge de chaque ligne.")(f)


def _feuille_menages(vue) -> tuple:
    if vue is None or not vue.disponible:
        return ()
    from plai_bilan.export.analyses import FeuilleMenages

    return (FeuilleMenages(vue),)


def _vue_menages(b, menages: bool, ressources, seuil):
    if not menages:
        return None
    from plai_bilan.menages import vue_menages

    vue = vue_menages(b, ressources, seuil)
    if not vue.disponible:
        _avertir([vue.message])
    return vue


def _commande_sur_scenario(f):
    """Argument FICHIER, options --format, -o et --parametres, aide, et erreurs traduites : communs aux commandes."""
    f = _erreurs_en_message(f)
    f = _option_parametres(f)
    f = _aide(f)
    f = click.option("-o", "--sortie", type=click.Path(path_type=str), default=None, metavar="FICHIER",
                     help="Écrit le résultat dans ce fichier (écriture atomique) au lieu de l'afficher.")(f)
    f = click.option("--format", "format_", type=FORMATS, default="texte",
                     help="texte lisible (par défaut) ou JSON (contrat documenté dans docs/cli.md).")(f)
    return click.argument("fichier", type=click.Path(dir_okay=True, path_type=str))(f)


@click.group(cls=_Groupe, context_settings=CONTEXTE, invoke_without_command=True)
@click.version_option(__version__, "--version", message="plai-bilan %(version)s", help="Affiche la version et quitte.")
@_aide
@click.pass_context
def main(ctx: click.Context) -> None:
    """Équilibre financier des opérations PLAI et PLAI adapté.

    Projette le compte d'exploitation d'une opération décrite par un scénario TOML, calcule exactement la
    subvention d'équilibre qui l'équilibre et contrôle les critères du FNAP.
    """
    if ctx.invoked_subcommand is None:  # sans commande : l'aide, sans erreur
        click.echo(ctx.get_help())


@main.command()
@_options_menages
@_commande_sur_scenario
def simuler(fichier: str, format_: str, sortie: str | None, parametres_locaux: str | None, menages: bool,
            ressources: tuple[float, ...], seuil: float | None) -> None:
    """Compte d'exploitation année par année, emprunts et contrôles.

    La subvention « a_calculer » est comptée pour 0.
    """
    from plai_bilan.calcul import simuler as _simuler
    from plai_bilan.scenario import charger_scenario
    from plai_bilan.sorties import json, texte

    _sorties_distinctes([fichier], sortie=sortie)
    b = _simuler(charger_scenario(fichier), _parametres(parametres_locaux))
    _avertir(b.avertissements)
    vue = _vue_menages(b, menages, ressources, seuil)
    _emettre(json.en_json(json.simulation(b, vue)) if format_ == "json" else texte.simulation(b) + texte.menages(vue),
             sortie)


def _option_xlsx(f):
    return click.option("--xlsx", type=click.Path(dir_okay=False, path_type=str), default=None, metavar="CLASSEUR",
                        help="Écrit aussi le classeur d'étude d'équilibre (.xlsx, formules vivantes).")(f)


def _sorties_distinctes(entrees, **sorties) -> None:
    """Refuse, avant tout calcul, une sortie qui désigne une entrée ou une autre sortie de la même commande (chemins
    résolus, liens suivis), ou qu'on ne peut pas écrire : un résultat ne remplace jamais ses données."""
    from plai_bilan.erreurs import SortieImpossible
    from plai_bilan.sortie import verifier_cible

    def cle(chemin: str) -> str:
        return os.path.realpath(chemin)

    vues = {cle(e): f"le fichier d'entrée {e}" for e in entrees}
    for option, chemin in sorties.items():
        if chemin is None or chemin == "-":
            continue
        nom = option.replace("_", "-")
        deja = vues.get(cle(chemin))
        if deja is not None:
            raise SortieImpossible(f"{chemin} (option --{nom}) : c'est aussi {deja} ; choisissez un autre nom")
        vues[cle(chemin)] = f"la sortie de l'option --{nom}"
        verifier_cible(chemin)  # chaque sortie vérifiée avant tout calcul : rien n'est écrit si l'une échoue


def _verifier_image(chemin: str | None, option: str, extensions: tuple[str, ...]) -> None:
    from plai_bilan.erreurs import SortieImpossible
    from plai_bilan.sortie import verifier_cible

    if chemin is None:
        return
    verifier_cible(chemin)
    if not chemin.lower().endswith(extensions):
        raise SortieImpossible(f"{chemin} (option {option}) : extension attendue : {' ou '.join(extensions)}")


def _progression_classeur(format_: str = "texte"):
    """La barre de progression de l'écriture d'un classeur : sur le terminal, pas quand la sortie est du JSON."""
    from plai_bilan.progression import Progression

    return Progression("Classeur", actif=None if format_ != "json" else False)


def _verifier_xlsx(chemin: str | None, option: str) -> None:
    from plai_bilan.erreurs import SortieImpossible
    from plai_bilan.sortie import verifier_cible

    if chemin is None:
        return
    verifier_cible(chemin)
    if not chemin.lower().endswith(".xlsx"):
        raise SortieImpossible(f"{chemin} (option {option}) : le classeur doit porter l'extension .xlsx")


@main.command()
@_options_menages
@_option_xlsx
@_commande_sur_scenario
def subvention(fichier: str, format_: str, sortie: str | None, xlsx: str | None,
               parametres_locaux: str | None, menages: bool, ressources: tuple[float, ...],
               seuil: float | None) -> None:
    """Subvention d'équilibre qui équilibre l'opération selon son critère.

    Donne le montant total, par logement et par logement PLAI adapté, l'année critique, le loyer d'équilibre,
    le coût des contreparties sociales face à la référence FNAP, la trésorerie la plus basse et les contrôles.
    """
    from plai_bilan.calcul import subvention_minimale
    from plai_bilan.scenario import charger_scenario
    from plai_bilan.sorties import json, texte

    _sorties_distinctes([fichier], sortie=sortie, xlsx=xlsx)
    _verifier_xlsx(xlsx, "--xlsx")
    r = subvention_minimale(charger_scenario(fichier), _parametres(parametres_locaux))
    _avertir(r.avertissements)
    vue = _vue_menages(r, menages, ressources, seuil)
    if xlsx:
        from plai_bilan.export.excel import exporter as _exporter

        _exporter(r, xlsx, supplements=_feuille_menages(vue), progression=_progression_classeur(format_))
    _emettre(json.en_json(json.subvention(r, vue)) if format_ == "json" else texte.subvention(r) + texte.menages(vue),
             sortie)
    if xlsx:
        click.echo(f"Classeur écrit dans {xlsx}", err=True)


@main.command()
@_option_xlsx
@_commande_sur_scenario
def sieg(fichier: str, format_: str, sortie: str | None, xlsx: str | None, parametres_locaux: str | None) -> None:
    """Contrôle de surcompensation (SIEG) et corridor de la subvention.

    Coût brut, recettes et coût net de l'opération, chaque compensation valorisée (subventions, avantage de taux
    des prêts, TVA réduite, exonération de TFPB, financement de l'accompagnement, décote foncière, garanties), le
    bénéfice raisonnable, la marge et le verdict (Décision 2012/21/UE, art. 5 et 6) ; le corridor : la subvention
    d'équilibre et la subvention maximale sans surcompensation, chacune avec ce qui la fixe. Méthode :
    docs/sieg.md. Statut 0 sans surcompensation, 1 sinon.
    """
    from plai_bilan.calcul import bilan_etude
    from plai_bilan.scenario import charger_scenario
    from plai_bilan.sorties import json, texte

    _sorties_distinctes([fichier], sortie=sortie, xlsx=xlsx)
    _verifier_xlsx(xlsx, "--xlsx")
    b = bilan_etude(charger_scenario(fichier), _parametres(parametres_locaux))
    _avertir(b.avertissements)
    if xlsx:
        from plai_bilan.export.excel import exporter as _exporter

        _exporter(b, xlsx, progression=_progression_classeur(format_))
    _emettre(_json(json.sieg(b)) if format_ == "json" else texte.sieg(b), sortie)
    if xlsx:
        click.echo(f"Classeur écrit dans {xlsx}", err=True)
    if b.sieg.verdict != "conforme":
        raise SystemExit(1)


@main.command()
@_aide
@click.option("-o", "--sortie", type=click.Path(path_type=str), default=None, metavar="CLASSEUR",
              help="Le classeur à écrire (.xlsx ; par défaut, le nom du scénario dans le dossier courant) ; "
                   "écriture atomique : un échec laisse l'ancien fichier intact.")
@_option_parametres
@click.argument("fichier", type=click.Path(dir_okay=True, path_type=str))
@_erreurs_en_message
def exporter(fichier: str, sortie: str | None, parametres_locaux: str | None) -> None:
    """Classeur Excel de l'étude d'équilibre, en formules vivantes.

    Feuilles Synthèse, Hypothèses (cellules jaunes modifiables), Loyers, Prix de revient et financement,
    Emprunts, Exploitation, Équilibre et Paramètres. Modifier une hypothèse dans Excel ou LibreOffice recalcule
    le compte, la subvention d'équilibre et le loyer d'équilibre.
    """
    from pathlib import Path

    from plai_bilan.calcul import bilan_etude
    from plai_bilan.export.excel import exporter as _exporter
    from plai_bilan.scenario import charger_scenario

    sortie = sortie or Path(fichier).with_suffix(".xlsx").name
    _sorties_distinctes([fichier], sortie=sortie)
    _verifier_xlsx(sortie, "-o")
    b = bilan_etude(charger_scenario(fichier), _parametres(parametres_locaux))
    _exporter(b, sortie, progression=_progression_classeur())
    _avertir(b.avertissements)
    click.echo(f"Classeur écrit dans {sortie}", err=True)


@main.command()
@_aide
@click.option("-o", "--sortie", type=click.Path(path_type=str), default="saisie-plai-bilan.xlsx", show_default=True,
              metavar="CLASSEUR", help="Le classeur de saisie à écrire (.xlsx).")
@click.option("--exemple", type=click.Path(dir_okay=True, path_type=str), default=None, metavar="FICHIER",
              help="Le scénario (TOML ou classeur) dont les valeurs remplissent le classeur ; par défaut, un "
                   "classeur vide, l'acquisition-amélioration de trois PLAI adaptés livrée donnée en exemple dans les "
                   "commentaires de chaque cellule.")
@_erreurs_en_message
def modele(sortie: str, exemple: str | None) -> None:
    """Classeur de saisie d'une opération, à remplir dans Excel ou LibreOffice.

    La feuille Hypothèses de l'étude, toute modifiable : listes déroulantes pour chaque choix fermé, contrôle des
    nombres et des taux, un commentaire d'aide par champ, libellés protégés, lignes libres pour des logements,
    prêts, subventions et postes de coût de plus. Le classeur rempli se donne à toute commande à la place du
    scénario TOML (plai-bilan subvention SAISIE.xlsx) ou se convertit en TOML (plai-bilan convertir).
    """
    from importlib import resources

    from plai_bilan.calcul import simuler
    from plai_bilan.export.excel import exporter_modele
    from plai_bilan.scenario import charger_scenario

    _sorties_distinctes([exemple] if exemple else [], sortie=sortie)
    _verifier_xlsx(sortie, "-o")
    if exemple is None:
        with resources.as_file(resources.files("plai_bilan.exemples") / "aa-villeurbanne-3-plai-adaptes.toml") as f:
            sc = charger_scenario(f)
    else:
        sc = charger_scenario(exemple)
    exporter_modele(simuler(sc), sortie, vide=exemple is None)
    click.echo(f"Classeur de saisie écrit dans {sortie}" + (" (vide ; l'exemple livré dans les commentaires)"
                                                            if exemple is None else ""), err=True)


@main.command()
@_aide
@click.option("-o", "--sortie", type=click.Path(path_type=str), default=None, metavar="FICHIER",
              help="Le fichier à écrire : .toml pour un classeur donné, .xlsx (classeur de saisie) pour un scénario "
                   "TOML ; par défaut, le nom de l'entrée avec l'autre extension, dans le dossier courant.")
@click.argument("fichier", type=click.Path(dir_okay=True, path_type=str))
@_erreurs_en_message
def convertir(fichier: str, sortie: str | None) -> None:
    """Classeur (étude ou saisie) vers scénario TOML, et scénario TOML vers classeur de saisie.

    Le scénario écrit redonne les mêmes résultats que le classeur : plai-bilan relit la feuille Hypothèses
    (valeurs affichées, cellules vides = valeurs par défaut) et valide le scénario avant de l'écrire.
    """
    from pathlib import Path

    from plai_bilan import __version__
    from plai_bilan.erreurs import SortieImpossible
    from plai_bilan.scenario import charger_scenario

    vers_toml = Path(fichier).suffix.lower() == ".xlsx"
    sortie = sortie or Path(fichier).with_suffix(".toml" if vers_toml else ".xlsx").name
    _sorties_distinctes([fichier], sortie=sortie)
    attendue = ".toml" if vers_toml else ".xlsx"
    if not sortie.lower().endswith(attendue):
        raise SortieImpossible(f"{sortie} (option -o) : {'un classeur se convertit en scénario' if vers_toml else 'un scénario se convertit en classeur'} {attendue}")
    from plai_bilan.sortie import verifier_cible

    verifier_cible(sortie)
    sc = charger_scenario(fichier)  # valide, et nomme la cellule fautive d'un classeur
    if vers_toml:
        from plai_bilan.classeur_scenario import document_du_classeur, toml_du_classeur
        from plai_bilan.sortie import ecrire_texte

        doc, _ = document_du_classeur(fichier)
        ecrire_texte(sortie, toml_du_classeur(doc, fichier, __version__))
        click.echo(f"Scénario écrit dans {sortie}", err=True)
    else:
        from plai_bilan.calcul import simuler
        from plai_bilan.export.excel import exporter_modele

        exporter_modele(simuler(sc), sortie)
        click.echo(f"Classeur de saisie écrit dans {sortie}", err=True)


@main.command()
@_aide
@click.option("-o", "--sortie", type=click.Path(path_type=str), default=None, metavar="TABLEAU",
              help="Le tableau d'une ligne par opération : .csv (tableur français), .parquet ou .xlsx (avec la vue du "
                   "programme et un histogramme).")
@click.option("--format", "format_", type=FORMATS, default="texte",
              help="La vue du programme sur la sortie standard : texte (par défaut) ou JSON.")
@click.option("--budget-fnap", "budget", type=_Fini(0, 1e12), default=None, metavar="EUROS",
              help="Répartit ce budget FNAP entre les opérations (classement : montant justifiable par PLAI adapté "
                   "croissant, chaque opération financée entière).")
@click.option("--dask", "dask", default=None, metavar="ADRESSE",
              help="Résout les paquets sur un cluster dask.distributed : « local » (ce poste) ou l'adresse du "
                   "planificateur (tcp://hote:8786) ; extra [dask].")
@click.option("--cles", "cles_techniques", is_flag=True, default=False,
              help="En-têtes du tableau aux clés du catalogue (pour un analyste) au lieu des libellés courts.")
@click.option("--optimiser", "optimiser", is_flag=True, default=False,
              help="Ajoute au tableau le S* du plan de financement optimisé et la subvention évitable de chaque "
                   "opération (plai-bilan optimiser ; environ 0,1 à 0,7 s par opération).")
@_option_parametres
@click.argument("entree", type=click.Path(dir_okay=True, path_type=str))
@_erreurs_en_message
def lot(entree: str, sortie: str | None, format_: str, budget: float | None, parametres_locaux: str | None,
        dask: str | None, optimiser: bool, cles_techniques: bool) -> None:
    """Tout un programme : un dossier de scénarios (.toml, .xlsx) ou une table (.csv, .parquet).

    Une table a une ligne par opération : la colonne « modele » (un scénario TOML, relatif à la table) et des
    colonnes aux clés du scénario qui le modifient (« prix_de_revient.travaux », « logements[0].nombre »...) ;
    docs/programme.md, modèle dans scenarios/programme/. Chaque opération est résolue par le moteur vectorisé, par
    paquets ; une opération fautive est signalée (fichier ou ligne, clé) et les autres sont résolues. Statut 1 si
    une opération n'a pas été résolue. Les lignes qui ne changent que des montants partagent la lecture et la
    préparation de leur modèle et sont résolues en colonnes (mêmes résultats ; PLAI_BILAN_LOT_COLONNES=0 : sans
    les colonnes ; PLAI_BILAN_LOT_PAR_OPERATION=1 : chaque ligne seule).
    """
    import json as _json
    from pathlib import Path

    from plai_bilan.erreurs import SortieImpossible
    from plai_bilan.programme import allouer_budget, resoudre_programme
    from plai_bilan.progression import Progression
    from plai_bilan.sorties import programme as sortie_programme

    _sorties_distinctes([entree], sortie=sortie)
    if sortie is not None:
        from plai_bilan.sortie import verifier_cible

        verifier_cible(sortie)
        if Path(sortie).suffix.lower() not in (".csv", ".parquet", ".xlsx"):
            raise SortieImpossible(f"{sortie} (option -o) : le tableau doit porter l'extension .csv, .parquet ou .xlsx")
        if Path(sortie).suffix.lower() == ".parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise SortieImpossible(f"{sortie} (option -o) : écrire du Parquet demande pyarrow : pip install -e "
                                       "\".[programme]\"") from None
    from plai_bilan.programme import flux_operations

    from plai_bilan import programme as module_programme

    module_programme.AVERTISSEMENTS_TABLE.clear()
    flux = flux_operations(entree)  # lu une fois : compté ici, résolu ensuite
    _avertir(module_programme.AVERTISSEMENTS_TABLE)
    if sortie is not None and Path(sortie).suffix.lower() == ".xlsx":
        nombre = flux[0]
        if nombre > sortie_programme.LIGNES_MAX_CLASSEUR:
            raise SortieImpossible(f"{sortie} (option -o) : {nombre:,} opérations ne tiennent pas dans une feuille de "
                                   "classeur (1 048 575 lignes au plus) : écrivez le tableau en .csv ou .parquet"
                                   .replace(",", "\u202f"))
    client = None
    if dask is not None:
        from plai_bilan.programme import client_dask

        client = client_dask(dask)
    try:
        lignes = resoudre_programme(entree, _parametres(parametres_locaux),
                                    Progression("Opérations", actif=None if format_ != "json" else False), client,
                                    flux=flux, optimiser=optimiser)
    finally:
        if client is not None:
            client.close()
    repartition = None
    if budget is not None:
        repartition = {l.source: (f, reste) for l, f, reste in allouer_budget(lignes, budget)}
    tableau = sortie_programme.TableauProgramme(lignes, repartition, optimiser)
    del lignes
    s = sortie_programme.synthese(tableau, budget)
    if sortie is not None:
        sortie_programme.ecrire(tableau, s, sortie, cles_techniques)
        click.echo(f"Tableau écrit dans {sortie}", err=True)
    if format_ == "json":
        click.echo(_json.dumps({"programme": s, "erreurs": [e for _, c in sortie_programme.blocs(tableau, ["erreur"])
                                                         for e in c["erreur"] if e],
                                "avertissements": list(_AVERTISSEMENTS)}, ensure_ascii=False, indent=2,
                               allow_nan=False))
    else:
        click.echo(sortie_programme.texte(tableau, s), nl=False)
    if s["operations_en_erreur"]:
        raise SystemExit(1)


@main.command()
@_options_menages
@_option_xlsx
@click.option("--subvention", "financeur", default=None, metavar="FINANCEUR",
              help="Le financeur de la subvention instruite (par défaut, l'unique subvention de nature "
                   "« fnap_plai_adapte »).")
@click.option("--tolerance", type=_Fini(0, 1e6), default=1.0, show_default=True, metavar="EUROS",
              help="Écart admis, en euros, entre la demande et ses bornes (subvention d'équilibre, coût des "
                   "contreparties).")
@click.option("--avis", type=click.Path(dir_okay=False, path_type=str), default=None, metavar="FICHIER",
              help="Écrit aussi l'avis d'instruction imprimable d'une page (.pdf ou .png).")
@click.option("--service", default=None, metavar="TEXTE", help="Avis : le service instructeur (par exemple « DDT du "
              "Rhône, service habitat ») ; sans lui, une ligne à remplir.")
@click.option("--instructeur", default=None, metavar="NOM", help="Avis : le nom de l'instructeur ; sans lui, une ligne "
              "à remplir.")
@click.option("--date-avis", "date_avis", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]), default=None,
              metavar="DATE", help="Avis : la date de l'avis (AAAA-MM-JJ ou JJ/MM/AAAA) ; sans elle, une ligne à remplir.")
@_commande_sur_scenario
def instruire(fichier: str, format_: str, sortie: str | None, xlsx: str | None, financeur: str | None,
              tolerance: float, avis: str | None, parametres_locaux: str | None, menages: bool,
              ressources: tuple[float, ...], seuil: float | None, service: str | None, instructeur: str | None,
              date_avis) -> None:
    """Verdict d'instruction de la subvention PLAI adapté demandée.

    La subvention instruite devient l'inconnue : la commande calcule le besoin de financement de l'opération
    (S*), celui de la même opération en PLAI ordinaire (G), le coût des contreparties sociales C = S* - G et le
    montant justifiable min(S*, C), puis juge la demande. Statuts : 0 justifiée ; 1 excessive (au-delà du montant
    justifiable, ou la demande sur-finance l'opération) ; 3 plan non équilibré (la demande et le plan laissent un
    déficit) ; 4 non éligible (critère bloquant non conforme) ; 5 surcompensation (la demande dépasse la subvention
    maximale sans surcompensation, contrôle SIEG) ; 2 entrée invalide.
    """
    from plai_bilan.instruction import instruire as _instruire
    from plai_bilan.scenario import charger_scenario
    from plai_bilan.sorties import json, texte

    _sorties_distinctes([fichier], sortie=sortie, xlsx=xlsx, avis=avis)
    _verifier_xlsx(xlsx, "--xlsx")
    _verifier_image(avis, "--avis", (".pdf", ".png"))
    v = _instruire(charger_scenario(fichier), financeur, _parametres(parametres_locaux), tolerance=tolerance)
    _avertir(v.bilan.avertissements)
    vue = _vue_menages(v.bilan, menages, ressources, seuil)
    if xlsx:
        from plai_bilan.export.analyses import FeuilleInstruction
        from plai_bilan.export.excel import exporter as _exporter

        _exporter(v.bilan, xlsx, supplements=(FeuilleInstruction(v),) + _feuille_menages(vue),
                  progression=_progression_classeur(format_))
        click.echo(f"Classeur écrit dans {xlsx}", err=True)
    if avis:
        from plai_bilan.export.graphiques import avis as _avis

        _avis(v, avis, service=service, instructeur=instructeur, jour=date_avis.date() if date_avis else None)
        click.echo(f"Avis écrit dans {avis}", err=True)
    _emettre(_json(json.verdict(v, vue)) if format_ == "json" else texte.verdict(v) + texte.menages(vue), sortie)
    sys.exit(v.statut_sortie)


@main.command()
@_aide
@click.option("--format", "format_", type=click.Choice(["texte", "json", "csv"]), default="texte",
              help="texte lisible (par défaut), JSON, ou CSV pour un tableur (« ; », virgule décimale).")
@click.option("-o", "--sortie", type=click.Path(path_type=str), default=None, metavar="FICHIER",
              help="Écrit le résultat dans ce fichier (écriture atomique) au lieu de l'afficher.")
@_option_xlsx
@_option_parametres
@click.argument("fichiers", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@_erreurs_en_message
def comparer(fichiers: tuple[str, ...], format_: str, sortie: str | None, xlsx: str | None,
             parametres_locaux: str | None) -> None:
    """Opérations côte à côte : coûts, subvention d'équilibre, loyers, trésorerie, VAN.

    Prix de revient par logement et par m² SU, subvention d'équilibre au total, par logement et par m² SU, loyers,
    autofinancement de l'année 1, trésorerie la plus basse, VAN et année critique, la subvention d'équilibre de
    chaque opération appliquée. --xlsx écrit un classeur de comparaison avec un graphique.
    """
    from plai_bilan.comparaison import comparer as _comparer
    from plai_bilan.scenario import charger_scenario
    from plai_bilan.sorties import csv, json, texte

    _sorties_distinctes(fichiers, sortie=sortie, xlsx=xlsx)
    _verifier_xlsx(xlsx, "--xlsx")
    # Un fichier fautif est signalé et les autres sont comparés (statut 1) ; tous fautifs : l'erreur (statut 2).
    from plai_bilan.calcul import exiger_pret_equilibre
    from plai_bilan.erreurs import ErreurPlaiBilan

    scenarios, erreurs = [], []
    for f in fichiers:
        try:
            sc = charger_scenario(f)
            exiger_pret_equilibre(sc)
            scenarios.append(sc)
        except ErreurPlaiBilan as exc:
            erreurs.append(exc)
    if not scenarios:
        raise erreurs[0]
    for exc in erreurs:
        click.echo(f"Erreur : {assaini(str(exc))} ; fichier écarté de la comparaison", err=True)
    resultats = _comparer(scenarios, _parametres(parametres_locaux))
    for r in resultats:
        _avertir(r.avertissements)
    if xlsx:
        from plai_bilan.export.analyses import ecrire_comparaison

        ecrire_comparaison(resultats, xlsx)
        click.echo(f"Classeur écrit dans {xlsx}", err=True)
    sortie_texte = {"json": lambda: _json(json.comparaison(resultats)), "csv": lambda: csv.comparaison(resultats),
                    "texte": lambda: texte.comparaison(resultats)}[format_]()
    _emettre(sortie_texte, sortie)
    if erreurs:
        raise SystemExit(1)


def _scenario_a_resoudre(fichier: str, png: str | None):
    """Vérifie la cible de l'image avant tout calcul, lit le scénario et exige un prêt d'équilibre."""
    from plai_bilan.calcul import exiger_pret_equilibre
    from plai_bilan.scenario import charger_scenario
    from plai_bilan.sortie import verifier_cible

    if png:
        _verifier_image(png, "--png", (".png",))
    sc = charger_scenario(fichier)
    exiger_pret_equilibre(sc)
    return sc


def _option_png(f):
    return click.option("--png", type=click.Path(path_type=str), default=None, metavar="IMAGE",
                        help="Écrit aussi le graphique en PNG.")(f)


@main.command()
@_option_png
@_option_xlsx
@_commande_sur_scenario
def sensibilite(fichier: str, format_: str, sortie: str | None, xlsx: str | None, png: str | None,
                parametres_locaux: str | None) -> None:
    """Sensibilité de la subvention d'équilibre aux hypothèses clés, valeurs de bascule et de rupture.

    Livret A +/- 1 point, prix de revient et travaux +/- 10 %, vacance et impayés +/- 2 points, indexations des
    loyers et des charges +/- 0,5 point, coût de la GLA +/- 20 %, exonération de TFPB +/- 5 ans. La bascule est la
    valeur qui équilibre l'opération sans subvention ; la rupture, la dernière où une subvention suffit encore.
    --png : tornade en image ; --xlsx : classeur d'étude avec une feuille Sensibilité.
    """
    from plai_bilan.sensibilite import sensibilite as _sensibilite
    from plai_bilan.sorties import json, texte

    _sorties_distinctes([fichier], sortie=sortie, xlsx=xlsx, png=png)
    _verifier_xlsx(xlsx, "--xlsx")
    sc = _scenario_a_resoudre(fichier, png)
    p = _parametres(parametres_locaux)
    from plai_bilan.progression import Progression

    s = _sensibilite(sc, p, progression=Progression("Sensibilité", actif=None if format_ != "json" else False))
    _avertir(sc.avertissements)
    if png and not s.faisable:
        _avertir([f"graphique non écrit dans {png} : aucune subvention n'équilibre l'opération telle "
                   "qu'elle est décrite, il n'y a pas d'écart à tracer"])
    elif png:
        from plai_bilan.export.graphiques import tornade

        tornade(s, png)
        click.echo(f"Graphique écrit dans {png}", err=True)
    if xlsx:
        from plai_bilan.calcul import bilan_etude
        from plai_bilan.export.analyses import FeuilleSensibilite
        from plai_bilan.export.excel import exporter as _exporter

        _exporter(bilan_etude(sc, p), xlsx, supplements=(FeuilleSensibilite(s),),
                  progression=_progression_classeur(format_))
        click.echo(f"Classeur écrit dans {xlsx}", err=True)
    _emettre(_json(json.sensibilite(s)) if format_ == "json" else texte.sensibilite(s), sortie)


@main.command()
@click.option("-n", "--trajectoires", "n", type=click.IntRange(1, 1_000_000), default=10_000, metavar="N",
              help="Nombre de trajectoires aléatoires du livret A (10 000 par défaut).")
@click.option("--graine", type=click.IntRange(0, 2**32 - 1), default=None, metavar="N", help="Graine du tirage (par défaut, celle du fichier "
              "d'hypothèses : mêmes trajectoires d'une exécution à l'autre).")
@_option_png
@_commande_sur_scenario
def risque(fichier: str, format_: str, sortie: str | None, n: int, graine: int | None, png: str | None,
           parametres_locaux: str | None) -> None:
    """Risque de taux : la subvention d'équilibre sous d'autres trajectoires du livret A.

    Trajectoires de résistance (rejeu de 2021-2023, +1 et +2 points, hausse lente) et distribution sur N
    trajectoires d'un modèle aléatoire à retour vers la moyenne (P50, P90, P99, subvention qui équilibre 90 % des
    trajectoires). Hypothèses dans plai_bilan/hypotheses/livret_a_risque.toml. --png : histogramme.
    """
    from plai_bilan.preparation import preparer
    from plai_bilan.risque import risque as _risque
    from plai_bilan.sorties import json, texte

    _sorties_distinctes([fichier], sortie=sortie, png=png)
    p = _parametres(parametres_locaux)
    e = preparer(_scenario_a_resoudre(fichier, png), p)
    _avertir(e.avertissements)
    from plai_bilan.progression import Progression

    r = _risque(e, n, graine, p, Progression("Trajectoires", actif=None if format_ != "json" else False))
    if png:
        from plai_bilan.export.graphiques import histogramme

        histogramme(r, png)
        click.echo(f"Graphique écrit dans {png}", err=True)
    _emettre(_json(json.risque(r)) if format_ == "json" else texte.risque(r), sortie)


@main.command()
@click.option("--objectif", type=click.Choice(["subvention", "fnap"]), default="subvention",
              help="subvention (par défaut) : le plan au S* le plus bas ; fnap : le plan à la subvention PLAI adapté "
              "justifiable (J) la plus basse, puis au S* le plus bas.")
@click.option("--fonds-propres-max", "fonds_propres_max", type=_Fini(0, 1e10), default=None,
              metavar="EUROS", help="Fonds propres que le maître d'ouvrage peut engager au plus : un levier de plus "
              "(sans cette option, les fonds propres du fichier).")
@click.option("--horizon", "horizon_fixe", type=click.IntRange(1, 100), default=None, metavar="ANS",
              help="Horizon fixé de la comparaison (par défaut celui du fichier) ; aucun prêt ne le dépasse.")
@click.option("--ecrire-scenario", "ecrire_scenario", type=click.Path(dir_okay=False, path_type=str), default=None,
              metavar="FICHIER.toml", help="Écrit le plan optimisé en scénario TOML (plai-bilan subvention le redonne "
              "au centime).")
@_option_xlsx
@_commande_sur_scenario
def optimiser(fichier: str, format_: str, sortie: str | None, objectif: str, fonds_propres_max: float | None,
              horizon_fixe: int | None, ecrire_scenario: str | None, xlsx: str | None,
              parametres_locaux: str | None) -> None:
    """Le montage financier qui demande le moins de subvention, dans les règles des prêteurs.

    Leviers : durée, progressivité, différé et révisabilité de chaque prêt CDC, part du prêt foncier, fonds propres
    jusqu'à --fonds-propres-max ; règles des fiches CDC à la date d'agrément (regles_prets.toml) ; horizon fixé.
    Affiche le plan optimisé, la subvention évitable et l'effet de chaque levier ; --xlsx : étude du plan optimisé
    avec une feuille Optimisation (les deux plans côte à côte).
    """
    from pathlib import Path

    from plai_bilan import __version__
    from plai_bilan.optimisation import document_optimise
    from plai_bilan.optimisation import optimiser as _optimiser
    from plai_bilan.progression import Progression
    from plai_bilan.sorties import json, texte

    _sorties_distinctes([fichier], sortie=sortie, xlsx=xlsx, ecrire_scenario=ecrire_scenario)
    _verifier_xlsx(xlsx, "--xlsx")
    if ecrire_scenario is not None:
        from plai_bilan.erreurs import SortieImpossible

        if not ecrire_scenario.lower().endswith(".toml"):
            raise SortieImpossible(f"{ecrire_scenario} (option --ecrire-scenario) : le scénario doit porter "
                                   "l'extension .toml")
    from plai_bilan.instruction import avec_inconnue

    sc, inconnue = avec_inconnue(_scenario_a_resoudre(fichier, None))
    p = _parametres(parametres_locaux)
    o = _optimiser(sc, p, objectif, fonds_propres_max, horizon_fixe, inconnue=inconnue,
                   progression=Progression("Optimisation", actif=None if format_ != "json" else False))
    _avertir(sc.avertissements)
    if ecrire_scenario is not None:
        from plai_bilan.classeur_scenario import document_du_classeur, toml_du_classeur
        from plai_bilan.sortie import ecrire_texte

        if fichier.lower().endswith(".xlsx"):
            doc = document_du_classeur(fichier)[0]
        else:
            import tomllib

            from plai_bilan.scenario import lire_fichier_borne

            doc = tomllib.loads(lire_fichier_borne(Path(fichier), fichier).decode("utf-8-sig"))
        entete = (f"# Plan de financement optimisé de {Path(fichier).name} par plai-bilan {__version__} "
                  f"(objectif {objectif}, horizon fixé à {o.horizon} ans).\n"
                  "# Format : docs/format-scenario.md. Taux en pour cent, montants en euros TTC.\n")
        ecrire_texte(ecrire_scenario, toml_du_classeur(document_optimise(doc, o), fichier, __version__, entete))
        click.echo(f"Scénario optimisé écrit dans {ecrire_scenario}", err=True)
    if xlsx:
        from plai_bilan.calcul import bilan_etude
        from plai_bilan.export.analyses import FeuilleOptimisation
        from plai_bilan.export.excel import exporter as _exporter

        _exporter(bilan_etude(o.scenario_optimise, p), xlsx, supplements=(FeuilleOptimisation(o, sc.prets),),
                  progression=_progression_classeur(format_))
        click.echo(f"Classeur écrit dans {xlsx}", err=True)
    _emettre(json.en_json(json.optimisation(o)) if format_ == "json" else texte.optimisation(o), sortie)


@main.command()
@_aide
@click.option("--copier", type=click.Path(file_okay=False, path_type=str), default=None, metavar="DOSSIER",
              help="Copie les exemples dans ce dossier (créé au besoin ; un fichier déjà présent n'est pas remplacé).")
@click.argument("noms", nargs=-1, metavar="[NOM]...")
@_erreurs_en_message
def exemples(copier: str | None, noms: tuple[str, ...]) -> None:
    """Les opérations d'exemple livrées avec plai-bilan : la liste, ou leur copie pour partir de l'une d'elles.

    plai-bilan exemples ; plai-bilan exemples --copier mes-operations ; plai-bilan exemples --copier . NOM.
    """
    from importlib import resources

    from plai_bilan.erreurs import SortieImpossible
    from plai_bilan.sortie import ecrire_texte

    dossier = resources.files("plai_bilan.exemples")
    tous = sorted(f.name[:-5] for f in dossier.iterdir() if f.name.endswith(".toml"))
    inconnus = [n for n in noms if n.removesuffix(".toml") not in tous]
    if inconnus:
        raise SortieImpossible(f"exemple inconnu : {', '.join(inconnus)} ; exemples livrés : {', '.join(tous)}")
    choisis = [n.removesuffix(".toml") for n in noms] or tous

    def description(nom: str) -> str:
        """La première phrase du commentaire d'en-tête de l'exemple."""
        morceaux = []
        for ligne in (dossier / f"{nom}.toml").read_text(encoding="utf-8").splitlines():
            if not ligne.startswith("#"):
                break
            morceaux.append(ligne.lstrip("# ").strip())
            if morceaux[-1].endswith("."):
                break
        phrase = " ".join(morceaux)
        return phrase.split(". ")[0].rstrip(".") + "."

    if copier is None:
        from plai_bilan.sorties import texte

        click.echo(texte.tableau(["Exemple", "Opération"], [[n, description(n)] for n in choisis], "<<"))
        click.echo(texte.paragraphe("Copiez-les avec plai-bilan exemples --copier DOSSIER, puis : plai-bilan "
                                    "subvention DOSSIER/NOM.toml"))
        return
    cible = Path(copier)
    try:
        cible.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SortieImpossible(f"{copier} : dossier impossible à créer ({exc.strerror})") from None
    for nom in choisis:
        fichier = cible / f"{nom}.toml"
        if fichier.exists():
            _avertir([f"{fichier} existe déjà : non remplacé"])
            continue
        ecrire_texte(fichier, (dossier / f"{nom}.toml").read_text(encoding="utf-8"))
        click.echo(f"Exemple copié dans {fichier}", err=True)


@main.command()
@_aide
@click.option("--hote", default="127.0.0.1", show_default=True, metavar="ADRESSE",
              help="L'adresse d'écoute : 127.0.0.1 (ce poste seul) par défaut ; 0.0.0.0 ouvre la page au réseau, à "
                   "dessein.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, metavar="PORT",
              help="Le port d'écoute.")
@_erreurs_en_message
def serve(hote: str, port: int) -> None:
    """La page web et l'API JSON : envoyer un scénario ou un classeur, lire l'équilibre, le verdict et le corridor.

    Extra [web] : pip install -e ".[web]". L'API (POST /api/subvention, /api/simuler, /api/instruire, /api/sieg,
    /api/lot, champ « fichier ») rend le contrat JSON de la ligne de commande ; docs/web.md.
    """
    from plai_bilan.erreurs import SortieImpossible

    try:
        from plai_bilan.web.app import servir
    except ImportError:
        raise SortieImpossible("la page web demande l'extra [web] : pip install -e \".[web]\" (starlette, uvicorn, "
                               "python-multipart, jinja2)") from None
    click.echo(f"plai-bilan : page ouverte sur http://{hote}:{port}/ (Ctrl+C pour l'arrêter)", err=True)
    servir(hote, port)


if __name__ == "__main__":  # pragma: no cover
    main()
