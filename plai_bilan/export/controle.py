"""La feuille masquée « Contrôle » d'une étude : de quoi vérifier, quand l'étude est relue en scénario, que les
formules du classeur suivent encore ce que la relecture lit.

Chaque rangée est une référence vivante (une formule, que le tableur met à jour quand on insère ou supprime des
lignes) et ce qu'elle désigne à l'export :

- « formules » : une plage de cellules en formules verrouillées ; relue, chacune doit être encore une formule ;
- « valeur » : une cellule que les formules lisent mais que la relecture ne suit pas (barème de Paramètres), ou que
  la relecture lit mais que les formules ne suivent pas (valeur verrouillée de Hypothèses), et sa valeur d'origine ;
- « ligne » : la première cellule d'une ligne de tableau de Hypothèses que les formules couvrent.

Les feuilles sont protégées sans mot de passe : les cellules jaunes restent modifiables, les formules non.
"""

from __future__ import annotations

from typing import Any

from plai_bilan.export.base import HYP, PARAM
from plai_bilan.export.classeur import cellule, ref

FEUILLE_CONTROLE = "Contrôle"
TYPES_FORMULE = {"Formula", "ArrayFormula"}


def _verrouillee(fmt) -> bool:
    return fmt is None or bool(getattr(fmt, "locked", 1))


def _chaines(wb) -> dict[int, str]:
    return {i: s for s, i in wb.str_table.string_table.items()}


def plages_de_formules(ws) -> list[tuple[int, int, int]]:
    """Les formules verrouillées d'une feuille xlsxwriter, en plages d'une colonne : (colonne, ligne 1, ligne 2)."""
    par_colonne: dict[int, list[int]] = {}
    for ligne, rangee in ws.table.items():
        for col, c in rangee.items():
            if type(c).__name__ in TYPES_FORMULE and _verrouillee(c.format):
                par_colonne.setdefault(col, []).append(ligne)
    plages = []
    for col, lignes in sorted(par_colonne.items()):
        lignes.sort()
        debut = precedente = lignes[0]
        for l in lignes[1:]:
            if l != precedente + 1:
                plages.append((col, debut, precedente))
                debut = l
            precedente = l
        plages.append((col, debut, precedente))
    return plages


def _valeur(c, chaines: dict[int, str]) -> Any:
    nom = type(c).__name__
    if nom == "Number":
        return float(c.number)
    if nom == "Boolean":
        return bool(c.boolean)
    if nom == "String":
        return chaines.get(c.string, "")
    return None


def ecrire_controle(x, hyp_cellules: list[tuple[int, int]], tableaux: dict[str, list[int]]) -> None:
    """Écrit la feuille masquée Contrôle de l'étude ``x`` (un export) : à appeler quand toutes les autres feuilles
    sont écrites. ``hyp_cellules`` : les cellules verrouillées de Hypothèses que la relecture lit ; ``tableaux`` :
    {tableau: lignes de Hypothèses couvertes par les formules}."""
    wb = x.cl.wb
    ws = wb.add_worksheet(FEUILLE_CONTROLE)
    chaines = _chaines(wb)
    ws.write_row(0, 0, ["Référence", "Sorte", "À l'export", "Tableau"])
    ws.write_string(1, 0, "Feuille de contrôle de la relecture de l'étude par plai-bilan : ne pas modifier.")
    l = 2

    def rangee(formule: str, valeur: Any, sorte: str, origine: Any, tableau: str = "") -> None:
        nonlocal l
        ws.write_formula(l, 0, "=" + formule, None, 0 if valeur is None else valeur)  # une cellule vide vaut 0
        ws.write_string(l, 1, sorte)
        if isinstance(origine, bool):
            ws.write_boolean(l, 2, origine)
        elif isinstance(origine, float):
            ws.write_number(l, 2, origine)
        elif origine is not None:
            ws.write_string(l, 2, str(origine))
        if tableau:
            ws.write_string(l, 3, tableau)
        l += 1

    for feuille in wb.worksheets():
        if feuille.name == FEUILLE_CONTROLE:
            continue
        for col, l1, l2 in plages_de_formules(feuille):
            rangee(f"ROWS({ref(feuille.name, l1, col)}:{cellule(l2, col, True)})", l2 - l1 + 1, "formules", None)
    hyp, param = x.ws[HYP], x.ws[PARAM]
    for ligne, col in hyp_cellules:
        c = hyp.table.get(ligne, {}).get(col)
        if c is not None and (type(c).__name__ in TYPES_FORMULE or not _verrouillee(c.format)):
            continue
        v = None if c is None else _valeur(c, chaines)
        rangee(ref(hyp.name, ligne, col), v, "valeur", v)
    for ligne, rangee_param in sorted(param.table.items()):
        c = rangee_param.get(1)
        if c is not None and type(c).__name__ in ("Number", "Boolean"):
            v = _valeur(c, chaines)
            rangee(ref(param.name, ligne, 1), v, "valeur", v)
    for tableau, lignes in tableaux.items():
        for i, ligne in enumerate(lignes):
            c = hyp.table.get(ligne, {}).get(0)
            rangee(ref(hyp.name, ligne, 0), None if c is None else _valeur(c, chaines), "ligne", float(i), tableau)
    ws.protect("")
    ws.hide()


def proteger(wb) -> None:
    """Protège chaque feuille sans mot de passe : cellules jaunes modifiables, formules et libellés non ; colonnes et
    lignes redimensionnables, filtres utilisables. Outils > Protéger la feuille la lève, sans mot de passe."""
    for ws in wb.worksheets():
        if ws.name != FEUILLE_CONTROLE:
            ws.protect("", {"format_columns": True, "format_rows": True, "autofilter": True, "sort": True,
                            "objects": True})
