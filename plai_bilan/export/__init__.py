"""Exports : le classeur Excel d'étude d'équilibre."""
