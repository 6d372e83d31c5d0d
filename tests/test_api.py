"""L'API publique : le guide s'exécute tel quel, un dictionnaire vaut un fichier, les gardes sont dans la
bibliothèque."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

import plai_bilan as pb

RACINE = Path(__file__).resolve().parent.parent
AA = RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"


def test_le_code_python_du_guide_s_execute(tmp_path, capsys):
    guide = (RACINE / "docs" / "guide.md").read_text(encoding="utf-8")
    blocs = re.findall(r"```python\n(.*?)```", guide, re.S)
    assert blocs, "le guide n'a plus d'exemple Python"
    dossier = os.getcwd()
    os.chdir(RACINE)
    try:
        code = "\n".join(blocs).replace('"etude.xlsx"', repr(str(tmp_path / "etude.xlsx")))
        exec(compile(code, "docs/guide.md", "exec"), {})
    finally:
        os.chdir(dossier)
    assert (tmp_path / "etude.xlsx").stat().st_size > 10_000
    sortie = capsys.readouterr().out
    from plai_bilan import charger_scenario, subvention_minimale

    attendu = round(subvention_minimale(charger_scenario(AA)).subvention_minimale)
    assert str(attendu) in sortie  # la subvention d'équilibre de l'exemple, comme la commande subvention


def test_un_dictionnaire_vaut_le_fichier():
    with AA.open("rb") as f:
        doc = tomllib.load(f)
    depuis_fichier = pb.subvention_minimale(pb.charger_scenario(AA))
    depuis_dict = pb.subvention_minimale(pb.scenario_depuis_dict(doc))
    assert depuis_dict.subvention_minimale == depuis_fichier.subvention_minimale
    assert len(depuis_dict.scenario.sha256) == 64


def test_un_dictionnaire_invalide_donne_la_meme_erreur_que_le_fichier():
    with AA.open("rb") as f:
        doc = tomllib.load(f)
    doc["logements"][0]["nombre"] = 0
    with pytest.raises(pb.ScenarioInvalide, match=r"^ma variante : clé « logements\[0\]\.nombre » : un entier >= 1"):
        pb.scenario_depuis_dict(doc, "ma variante")
    with pytest.raises(pb.ScenarioInvalide, match="un dictionnaire est attendu"):
        pb.scenario_depuis_dict([1, 2], "liste")


def test_la_garde_du_pret_d_equilibre_est_dans_la_bibliotheque():
    with AA.open("rb") as f:
        doc = tomllib.load(f)
    doc["prets"][1]["montant"] = 118000
    sc = pb.scenario_depuis_dict(doc, "sans solde")
    with pytest.raises(pb.ScenarioInvalide, match="exige un prêt d'équilibre"):
        pb.subvention_minimale(sc)
    assert not pb.simuler(sc).resolu  # la simulation reste possible


def test_l_api_tient_en_quelques_noms():
    assert set(pb.__all__) >= {"charger_scenario", "scenario_depuis_dict", "simuler", "subvention_minimale",
                               "comparer", "instruire", "exporter", "ScenarioInvalide"}
    for nom in pb.__all__:
        assert getattr(pb, nom) is not None
