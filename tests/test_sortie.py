"""Écriture atomique : un échec en cours d'écriture laisse le fichier précédent intact."""

import os

import pytest

from plai_bilan.erreurs import SortieImpossible
from plai_bilan.sortie import ecrire_atomique, ecrire_texte


def test_ecriture_interrompue_garde_l_ancien_fichier(tmp_path):
    cible = tmp_path / "resultat.json"
    cible.write_text("ancien", encoding="utf-8")

    def ecrire_puis_echouer(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("moitié")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ecrire_atomique(cible, ecrire_puis_echouer)
    assert cible.read_text(encoding="utf-8") == "ancien"
    assert os.listdir(tmp_path) == ["resultat.json"]  # pas de fichier temporaire laissé


def test_dossier_absent_et_cible_dossier(tmp_path):
    with pytest.raises(SortieImpossible, match="n'existe pas"):
        ecrire_texte(tmp_path / "absent" / "r.json", "x")
    with pytest.raises(SortieImpossible, match="c'est un dossier"):
        ecrire_texte(tmp_path, "x")


def test_droits_d_un_fichier_neuf_et_d_un_fichier_remplace(tmp_path):
    """L'écriture atomique ne laisse pas les droits restreints du fichier temporaire (0o600)."""
    masque = os.umask(0o022)
    try:
        neuf = tmp_path / "neuf.json"
        ecrire_texte(neuf, "x")
        assert neuf.stat().st_mode & 0o777 == 0o644
        garde = tmp_path / "garde.json"
        garde.write_text("ancien", encoding="utf-8")
        os.chmod(garde, 0o640)
        ecrire_texte(garde, "nouveau")
        assert garde.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(masque)
