"""Mise en forme française des nombres."""


def euros(x: float, decimales: int = 0) -> str:
    """Montant à la française : 12 345,67 €."""
    texte = f"{x + 0.0:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
    if texte.startswith("-") and not texte.strip("-0,\u202f"):
        texte = texte[1:]  # pas de « -0 € »
    return f"{texte} €"


def entier(n: int) -> str:
    """Un entier à la française : 1 000 000 (espace fine insécable entre les milliers, comme :func:`euros`)."""
    return f"{n:,}".replace(",", "\u202f")


def compte(n: int, singulier: str, pluriel: str | None = None) -> str:
    """« 1 logement », « 3 logements », « 0 logement » (le français met au singulier 0 et 1), « 12 000 logements »."""
    return f"{entier(n)} {singulier if abs(n) < 2 else (pluriel or singulier + 's')}"
