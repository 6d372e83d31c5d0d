"""Les pages générées de docs/ suivent le code et les données."""

import pytest

from plai_bilan.documentation import DOCS, PAGES


@pytest.mark.parametrize("nom", sorted(PAGES))
def test_page_generee_a_jour(nom):
    attendu = PAGES[nom]()
    actuel = (DOCS / nom).read_text(encoding="utf-8")
    assert actuel == attendu, f"docs/{nom} a dérivé : lancez python -m plai_bilan.documentation"
