"""Conventions numériques partagées par le solveur et les sorties (model.md 7 et 8)."""

TOLERANCE = 0.01  # euros : un critère est tenu quand sa valeur est >= -0,01
NUL = 1e-12  # un coefficient plus petit est nul (aucun levier)
EGALITE_RELATIVE = 1e-9  # deux ratios égaux à ce facteur près sont à égalité (année critique : la première)
