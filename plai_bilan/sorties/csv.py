"""Sortie CSV de ``plai-bilan comparer`` pour un tableur français : « ; », virgule décimale, BOM UTF-8.

Les en-têtes sont les libellés du catalogue (avec leur unité) ; chaque ligne porte sa traçabilité. Un texte qui
commencerait une formule (=, +, -, @) est neutralisé par une apostrophe.
"""

from __future__ import annotations

import csv
import io

from plai_bilan.bilan import Bilan
from plai_bilan.catalogue import catalogue

_FORMULE = ("=", "+", "-", "@", "\t", "\r")


_CONTROLE = {c: "?" for c in range(32)} | {127: "?"}


def neutraliser(x: str) -> str:
    """Un texte sûr pour un tableur (public : les autres sorties CSV)."""
    return _texte(x)


def _texte(x: str) -> str:
    """Un texte sans caractère de contrôle, et qui ne commence pas une formule (apostrophe devant)."""
    if not x.isprintable():  # les caractères de contrôle ne le sont pas (vérifié en C : le cas courant coûte peu)
        x = x.translate(_CONTROLE)
    return "'" + x if x.startswith(_FORMULE) else x


def comparaison(bilans: list[Bilan]) -> str:
    c = catalogue()
    flux = io.StringIO()
    w = csv.writer(flux, delimiter=";", lineterminator="\r\n")
    cles = ["nom", "fichier"] + list(c.document("indicateurs"))
    trace = ["plai_bilan_version", "sha256", "parametres_date"]
    w.writerow([c["nom"].libelle if k == "nom" else c[k].libelle_unite for k in cles]
               + [c[k].libelle for k in trace])
    for b in bilans:
        d = {"nom": b.scenario.operation.nom, "fichier": b.scenario.fichier, **b.indicateurs()}
        ligne = []
        for k in cles:
            x = d[k]
            if isinstance(x, bool):
                x = "oui" if x else "non"
            elif isinstance(x, float):
                x = f"{round(x, 2) + 0.0:.2f}".replace(".", ",")
            elif isinstance(x, str):
                x = _texte(x)
            ligne.append("" if x is None else x)
        p = b.provenance
        w.writerow(ligne + [p.version, p.sha256, p.parametres_date.isoformat()])
    return "\ufeff" + flux.getvalue()
