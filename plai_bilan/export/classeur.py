"""Outils d'écriture du classeur : formats, références de cellules, noms définis, cellules modifiables.

Toute cellule calculée est une formule Excel accompagnée de sa valeur calculée par le moteur (valeur en cache),
pour qu'un lecteur qui ne recalcule pas affiche les bons nombres. Tout texte venu du scénario est écrit comme
texte, jamais comme formule.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from plai_bilan.catalogue import catalogue

COULEUR_SAISIE = "#FFF2CC"  # cellules modifiables
COULEUR_ENTETE = "#DDEBF7"
COULEUR_TITRE = "#1F4E78"

FORMATS = {
    "texte": {},
    "euros": {"num_format": '#,##0 "€"'},
    "euros2": {"num_format": '#,##0.00 "€"'},
    "pct": {"num_format": "0.00%"},
    "pct4": {"num_format": "0.0000%"},
    "nombre": {"num_format": "#,##0"},
    "decimal": {"num_format": "#,##0.00"},
    "decimal4": {"num_format": "0.0000"},
    "m2": {"num_format": '#,##0.00 "m²"'},
    "euros_m2": {"num_format": '#,##0.00 "€/m²"'},
    "euros_m2_4": {"num_format": '#,##0.0000 "€/m²"'},
    "entier": {"num_format": "0"},
    "date": {"num_format": "dd/mm/yyyy"},
    # VRAI / FAUX : Excel affiche un booléen à sa façon ; LibreOffice applique ce format à la valeur 1 / 0.
    "booleen": {"num_format": '"VRAI";"VRAI";"FAUX"'},
    "unitaire": {"num_format": "0.000000"},
}


def cellule(ligne: int, colonne: int, absolue: bool = False) -> str:
    """« B5 » (ou « $B$5 ») pour la ligne et la colonne comptées à partir de 0."""
    return xl_rowcol_to_cell(ligne, colonne, absolue, absolue)


def ref(feuille: str, ligne: int, colonne: int, absolue: bool = True) -> str:
    """Référence qualifiée : « 'Hypothèses'!$B$5 »."""
    return f"{quote_sheetname(feuille)}!{cellule(ligne, colonne, absolue)}"


def plage(feuille: str, l1: int, c1: int, l2: int, c2: int) -> str:
    return f"{quote_sheetname(feuille)}!{cellule(l1, c1, True)}:{cellule(l2, c2, True)}"


def cache(valeur: Any) -> Any:
    """Valeur mise en cache pour une formule : un nombre fini, un booléen (VRAI / FAUX), un texte ; rien d'autre."""
    if valeur is None:
        return ""
    if isinstance(valeur, bool | str):
        return valeur
    v = float(valeur)
    return "" if math.isnan(v) or math.isinf(v) else v


@lru_cache(maxsize=1)
def _classes_feuilles():
    """Un classeur et une feuille xlsxwriter dont les formules passent vite : xlsxwriter essaie ~30 substitutions
    par formule pour préfixer les fonctions de tableau dynamique (FILTER, XLOOKUP...), que le projet n'emploie
    pas ; une formule qui n'en nomme aucune est gardée telle quelle (30 s sur 500 000 formules d'un classeur de
    1 000 prêts). Celles qui en nomment une suivent le chemin de xlsxwriter. Classes faites une fois."""
    import re

    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    dynamiques = frozenset("ANCHORARRAY BYCOL BYROW CHOOSECOLS CHOOSEROWS DROP EXPAND FILTER HSTACK LAMBDA MAKEARRAY "
                           "MAP RANDARRAY REDUCE SCAN SINGLE SEQUENCE SORT SORTBY SWITCH TAKE TEXTSPLIT TOCOL TOROW "
                           "UNIQUE VSTACK WRAPCOLS WRAPROWS XLOOKUP".split())
    # Chaque nom suivi d'une parenthèse ; xlsxwriter substitue \bNOM\( (et, par une coquille, \SINGLE\().
    noms = re.compile(r"[A-Za-z_][A-Za-z0-9._]*(?=\()")

    def dynamique(formule: str) -> bool:
        return "INGLE(" in formule or any(n.rsplit(".", 1)[-1].upper() in dynamiques for n in noms.findall(formule))

    class Feuille(Worksheet):
        def _prepare_formula(self, formula, expand_future_functions=False):
            if self.use_future_functions or expand_future_functions or dynamique(formula):
                return super()._prepare_formula(formula, expand_future_functions)
            if formula.startswith("{"):
                formula = formula[1:]
            if formula.startswith("="):
                formula = formula[1:]
            if formula.endswith("}"):
                formula = formula[:-1]
            return formula

    class Livre(xlsxwriter.Workbook):
        worksheet_class = Feuille

    return Livre


class Classeur:
    """Un classeur xlsxwriter avec ses formats nommés et ses noms définis."""

    def __init__(self, chemin: str) -> None:
        import io

        # Le classeur est assemblé en mémoire, puis écrit d'un bloc : une erreur d'écriture (disque plein...) est
        # une erreur ordinaire du système, sans archive zip à demi écrite.
        self.chemin = chemin
        self.tampon = io.BytesIO()
        # strings_to_formulas=False : un texte qui commence par « = » reste un texte.
        self.wb = _classes_feuilles()(self.tampon, {"strings_to_formulas": False, "strings_to_urls": False,
                                                    "strings_to_numbers": False, "in_memory": True})
        self.noms: dict[str, str] = {}
        self._formats: dict[tuple, Any] = {}

    def format(self, nom: str = "texte", *, saisie: bool = False, gras: bool = False, entete: bool = False,
               italique: bool = False, titre: bool = False, bordure: bool = False, retour: bool = False,
               alerte: bool = False, retrait: bool = False):
        cle = (nom, saisie, gras, entete, italique, titre, bordure, retour, alerte, retrait)
        if cle not in self._formats:
            proprietes = dict(FORMATS[nom])
            proprietes["font_name"] = "Calibri"
            proprietes["font_size"] = 10
            if saisie:  # déverrouillée : modifiable dans une feuille protégée (classeur de saisie)
                proprietes.update(bg_color=COULEUR_SAISIE, border=1, border_color="#BF9000", font_color="#1F3864",
                                  locked=False)
            if gras:
                proprietes["bold"] = True
            if italique:
                proprietes.update(italic=True, font_color="#595959")
            if entete:
                proprietes.update(bold=True, bg_color=COULEUR_ENTETE, border=1, text_wrap=True, valign="vcenter",
                                  align="center")
            if titre:
                proprietes.update(bold=True, font_size=14, font_color=COULEUR_TITRE)
            if bordure:
                proprietes.update(border=1, border_color="#BFBFBF")
            if alerte:
                proprietes.update(bold=True, font_color="#C00000")
            if retour:
                proprietes.update(text_wrap=True, valign="top")
            if retrait:  # une unité détachée de la valeur qu'elle suit (colonne voisine)
                proprietes.update(indent=1)
            self._formats[cle] = self.wb.add_format(proprietes)
        return self._formats[cle]

    def nommer(self, nom: str, feuille: str, ligne: int, colonne: int) -> str:
        """Définit un nom de classeur sur une cellule ; renvoie le nom, à utiliser dans les formules. Le nom est une
        clé du catalogue (un nom par grandeur)."""
        if nom not in catalogue().grandeurs:
            raise ValueError(f"nom de classeur « {nom} » absent du catalogue (plai_bilan/catalogue.toml)")
        self.noms[nom] = ref(feuille, ligne, colonne)
        self.wb.define_name(nom, "=" + self.noms[nom])
        return nom

    def fermer(self) -> None:
        """Assemble le classeur en mémoire et l'écrit dans son fichier."""
        self.wb.close()
        with open(self.chemin, "wb") as f:
            f.write(self.tampon.getvalue())


def ecrire(ws, ligne: int, colonne: int, valeur: Any, fmt=None) -> None:
    """Écrit une valeur saisie : nombre, booléen, texte (toujours comme texte) ou vide (None, NaN, infini)."""
    if valeur is None or (isinstance(valeur, float) and not math.isfinite(valeur)):
        ws.write_blank(ligne, colonne, None, fmt)
    elif isinstance(valeur, bool):
        ws.write_boolean(ligne, colonne, valeur, fmt)
    elif isinstance(valeur, int | float):
        ws.write_number(ligne, colonne, float(valeur), fmt)
    else:
        ws.write_string(ligne, colonne, str(valeur), fmt)


def oui_non(valeur: Any) -> Any:
    """Le texte « oui » / « non » que rend une formule de contrôle (un texte non booléen passe tel quel)."""
    return ("oui" if valeur else "non") if isinstance(valeur, bool) else valeur


def formule(ws, ligne: int, colonne: int, texte: str, valeur: Any, fmt=None) -> None:
    """Écrit une formule et la valeur du moteur en cache."""
    ws.write_formula(ligne, colonne, texte if texte.startswith("=") else "=" + texte, fmt, cache(valeur))
