"""Tables annuelles de référence des exemples livrés (tests/golden/*.csv), au centime.

Elles figent les nombres : une différence est un changement du modèle, à annoncer dans CHANGELOG.md avec les
lignes et les années qu'il déplace, puis à régénérer avec ``python tests/test_golden.py``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))

from plai_bilan import charger_scenario, subvention_minimale  # noqa: E402
from plai_bilan.catalogue import LIGNES_COMPTE  # noqa: E402

DOSSIER = Path(__file__).parent / "golden"
SCENARIOS = sorted((RACINE / "scenarios").glob("*.toml"))
AVEC_S = ("annuites", "autofinancement", "tresorerie")


def table(chemin: Path) -> list[dict[str, str]]:
    """Le compte sans subvention (toutes les lignes) et, avec la subvention d'équilibre, annuités,
    autofinancement et trésorerie ; la première ligne porte la subvention d'équilibre."""
    b = subvention_minimale(charger_scenario(chemin.relative_to(RACINE)))
    zero, avec = b.compte_zero.colonnes(), b.compte.colonnes()
    lignes = []
    for j in range(b.horizon):
        ligne = {k: (str(int(v[j])) if k in ("annee", "annee_civile") else f"{v[j]:.2f}") for k, v in zero.items()}
        ligne.update({f"{k}_avec_subvention": f"{avec[k][j]:.2f}" for k in AVEC_S})
        ligne["subvention_minimale"] = f"{b.subvention_minimale:.2f}" if j == 0 else ""
        lignes.append(ligne)
    return lignes


def ecrire_tables() -> None:
    DOSSIER.mkdir(exist_ok=True)
    for chemin in SCENARIOS:
        lignes = table(chemin)
        with (DOSSIER / f"{chemin.stem}.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(lignes[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(lignes)


@pytest.mark.parametrize("chemin", SCENARIOS, ids=lambda p: p.stem)
def test_table_annuelle_de_reference(chemin):
    with (DOSSIER / f"{chemin.stem}.csv").open(encoding="utf-8") as f:
        attendu = list(csv.DictReader(f))
    obtenu = table(chemin)
    assert len(obtenu) == len(attendu)
    assert set(attendu[0]) <= set(obtenu[0]), "colonnes disparues de la table de référence"
    for j, (a, o) in enumerate(zip(attendu, obtenu)):
        for cle, valeur in a.items():
            if valeur == "":
                continue
            assert float(o[cle]) == pytest.approx(float(valeur), abs=0.011), f"année {j + 1}, {cle}"


def test_les_lignes_du_compte_sont_dans_les_tables():
    with (DOSSIER / f"{SCENARIOS[0].stem}.csv").open(encoding="utf-8") as f:
        colonnes = next(csv.reader(f))
    assert set(LIGNES_COMPTE) <= set(colonnes)


if __name__ == "__main__":
    ecrire_tables()
