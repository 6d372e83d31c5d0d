"""Les pages générées de docs/ suivent le code et les données."""

import pytest

from plai_bilan.documentation import DOCS, PAGES


@pytest.mark.parametrize("nom", sorted(PAGES))
def test_page_generee_a_jour(nom):
    attendu = PAGES[nom]()
    actuel = (DOCS / nom).read_text(encoding="utf-8")
    assert actuel == attendu, f"docs/{nom} a dérivé : lancez python -m plai_bilan.documentation"


def test_chiffres_du_readme_et_du_guide_a_jour():
    """Les chiffres cités (marqués) sont ceux des exemples livrés et de la dernière mesure."""
    from plai_bilan.documentation import TEXTES_CHIFFRES, chiffres_a_jour

    cache: dict = {}
    for chemin in TEXTES_CHIFFRES:
        texte = chemin.read_text(encoding="utf-8")
        assert "<!--c:" in texte or "<!--m:" in texte, chemin.name
        assert chiffres_a_jour(texte, cache) == texte, f"{chemin.name} a dérivé : lancez python -m plai_bilan.documentation"


def test_un_chiffre_faux_est_corrige():
    from plai_bilan.documentation import chiffres_a_jour

    from plai_bilan.format import euros

    marque = "<!--c:subvention:aa-villeurbanne-3-plai-adaptes:subvention_plai_ordinaire-->"
    assert chiffres_a_jour(f"G vaut {marque}1 €<!--/c-->.") == f"G vaut {marque}{euros(8412.1)}<!--/c-->."
