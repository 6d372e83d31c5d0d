"""La maison : pas de boucle d'import, des sorties qui ne lisent que les résultats, rien de privé entre modules."""

from __future__ import annotations

import ast
from pathlib import Path

PAQUET = Path(__file__).resolve().parent.parent / "plai_bilan"

# Ce que calcule le projet : une sortie n'en importe rien, directement ou non.
CALCUL = ("plai_bilan.moteur", "plai_bilan.solveur", "plai_bilan.controles", "plai_bilan.parametres",
          "plai_bilan.preparation", "plai_bilan.calcul", "plai_bilan.api", "plai_bilan.instruction",
          "plai_bilan.sensibilite", "plai_bilan.risque", "plai_bilan.comparaison", "plai_bilan.scenario",
          "plai_bilan.sieg", "plai_bilan.produits")
SORTIES = ("plai_bilan.sorties", "plai_bilan.export")


def _module(chemin: Path) -> str:
    parties = chemin.relative_to(PAQUET.parent).with_suffix("").parts
    return ".".join(parties[:-1] if parties[-1] == "__init__" else parties)


def _imports() -> dict[str, set[tuple[str, tuple[str, ...]]]]:
    """Module -> {(module importé, noms importés)}, imports dans les fonctions compris (hors TYPE_CHECKING)."""
    graphe: dict[str, set] = {}
    for f in sorted(PAQUET.rglob("*.py")):
        nom = _module(f)
        arbre = ast.parse(f.read_text(encoding="utf-8"))
        sous_type_checking = set()
        for n in ast.walk(arbre):
            if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING":
                sous_type_checking |= {id(x) for b in n.body for x in ast.walk(b)}
        aretes = set()
        for n in ast.walk(arbre):
            if id(n) in sous_type_checking:
                continue
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("plai_bilan"):
                aretes.add((n.module, tuple(a.name for a in n.names)))
            elif isinstance(n, ast.Import):
                aretes |= {(a.name, ()) for a in n.names if a.name.startswith("plai_bilan")}
        graphe[nom] = aretes
    return graphe


def _cible(graphe, module: str, noms: tuple[str, ...]) -> list[str]:
    """Les modules réellement importés : « from plai_bilan.sorties import json » importe plai_bilan.sorties.json."""
    cibles = [module]
    cibles += [f"{module}.{n}" for n in noms if f"{module}.{n}" in graphe]
    return cibles


def _successeurs(graphe) -> dict[str, set[str]]:
    return {m: {c for mod, noms in aretes for c in _cible(graphe, mod, noms) if c != m and c in graphe}
            for m, aretes in graphe.items()}


def test_aucune_boucle_d_import():
    succ = _successeurs(_imports())
    # Le paquet racine (plai_bilan/__init__) n'importe que erreurs et scenario ; ses imports paresseux passent par
    # importlib et ne comptent pas.
    etat: dict[str, int] = {}
    chemin: list[str] = []

    def visiter(m: str) -> None:
        etat[m] = 1
        chemin.append(m)
        for s in sorted(succ[m]):
            assert etat.get(s) != 1, "boucle d'import : " + " -> ".join(chemin[chemin.index(s):] + [s])
            if s not in etat:
                visiter(s)
        chemin.pop()
        etat[m] = 2

    for m in sorted(succ):
        if m not in etat:
            visiter(m)


def test_les_sorties_n_importent_ni_moteur_ni_solveur_ni_controles_ni_parametres():
    succ = _successeurs(_imports())
    for sortie in [m for m in succ if m.startswith(SORTIES)]:
        vus, pile = set(), [sortie]
        while pile:
            m = pile.pop()
            for s in succ[m]:
                if s not in vus:
                    vus.add(s)
                    pile.append(s)
        interdits = sorted(m for m in vus if m.startswith(CALCUL))
        assert not interdits, f"{sortie} importe (directement ou non) {interdits}"


def test_rien_de_prive_importe_d_un_autre_module():
    for module, aretes in _imports().items():
        for importe, noms in aretes:
            prives = [n for n in noms if n.startswith("_") and n != "__version__"]
            assert not prives, f"{module} importe {prives} de {importe}"
