"""Les sorties : JSON, texte et CSV. Elles ne lisent que les objets résultats (``bilan``, ``etudes``) et le
catalogue ; elles n'importent ni le moteur, ni le solveur, ni les contrôles, ni les paramètres."""
