"""Mutants d'une ligne du noyau compilé et du compte du moteur : chacun doit être tué par les tests par défaut.

    python tests/mutants.py            # tous les mutants (quelques minutes : le noyau se recompile à chaque fois)
    python tests/mutants.py -k noyau   # ceux dont le nom contient « noyau »

Chaque mutant remplace une ligne exacte d'un module ; le dépôt est copié dans un dossier temporaire, le mutant y
est appliqué et les tests du calcul y sont lancés (``TESTS`` : ceux de la boucle par défaut qui lisent le compte,
le noyau et les cas calculés à la main). Un mutant survit si ces tests passent : le rapport le nomme et le statut
de sortie est 1. Lancé en intégration continue (.ci/run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
TESTS = ("tests/test_noyau.py", "tests/test_cas.py", "tests/test_bilan.py", "tests/test_golden.py")
NOYAU, COMPTE = "plai_bilan/moteur/noyau.py", "plai_bilan/moteur/exploitation.py"

# (nom, module, ligne d'origine, ligne mutée) : la ligne d'origine doit apparaître une fois dans le module.
MUTANTS = (
    ("noyau : une ligne simple oubliée", NOYAU,
     "        for k in range(codes.shape[0]):  # les lignes simples (lignes_compte.toml)",
     "        for k in range(codes.shape[0] - 1):  # les lignes simples (lignes_compte.toml)"),
    ("noyau : indexation des charges par les loyers", NOYAU,
     "                v *= ic", "                v *= il"),
    ("noyau : assiette « loyers » ignorée", NOYAU,
     "            v = simples[k, 0] * (loyers if codes[k, 3] == 1 else 1.0)",
     "            v = simples[k, 0]"),
    ("noyau : durée comptée une année de moins", NOYAU,
     "            if codes[k, 2] == PENDANT and tj > simples[k, 1]:",
     "            if codes[k, 2] == PENDANT and tj >= simples[k, 1]:"),
    ("noyau : exonération une année de plus", NOYAU,
     "            elif codes[k, 2] == APRES and tj <= simples[k, 1]:",
     "            elif codes[k, 2] == APRES and tj <= simples[k, 1] + 1:"),
    ("noyau : produits retranchés", NOYAU,
     "            af += v * codes[k, 0]", "            af -= abs(v * codes[k, 0])"),
    ("noyau : RLS nette des impayés", NOYAU,
     "        loyers = base_loyers * il * (1.0 - vacance - impayes) - base_rls * il * (1.0 - vacance)",
     "        loyers = base_loyers * il * (1.0 - vacance - impayes) - base_rls * il * (1.0 - vacance - impayes)"),
    ("noyau : loyers indexés sur les charges", NOYAU,
     "            il *= 1.0 + g_l", "            il *= 1.0 + g_c"),
    ("noyau : fonds propres rémunérés sans intérêt", NOYAU,
     "    rem_fp = fp * _facteur(fp_taux, 0.0, max(fp_d, 1.0))",
     "    rem_fp = fp * _facteur(0.0, 0.0, max(fp_d, 1.0))"),
    ("noyau : trésorerie initiale oubliée", NOYAU,
     "    tresorerie = t0", "    tresorerie = 0.0"),
    ("noyau : assiette d'une ligne oubliée", NOYAU,
     "        sortie[:, k, 0] = montant if d.assiette is None or d.assiette_ligne else montant * getattr(lot, d.assiette)",
     "        sortie[:, k, 0] = montant"),
    ("noyau : bornes des années décalées", NOYAU,
     "            sortie[:, k, 1] = getattr(lot, d.bornes)",
     "            sortie[:, k, 1] = getattr(lot, d.bornes) + 1"),
    ("noyau : actualisation au taux nul", NOYAU,
     "            escompte *= 1.0 + d_act", "            escompte *= 1.0"),
    ("compte : exonération lue comme une durée", COMPTE,
     "    garder = dans if d.pendant else 1.0 - dans", "    garder = dans"),
    ("compte : assiette « loyers » lue sur le revenu locatif", COMPTE,
     "        v = montant[:, None] * lignes[d.assiette]",
     "        v = montant[:, None] * lignes[\"revenu_locatif\"]"),
    ("compte : assiette d'une ligne oubliée", COMPTE,
     "        base = montant if d.assiette is None else montant * valeur(d.assiette)",
     "        base = montant"),
    ("compte : charges indexées sur les loyers", COMPTE,
     "        v = base[:, None] * (indices[d.indexation] if d.indexation else np.ones((1, len(t))))",
     "        v = base[:, None] * (indices[\"loyers\"] if d.indexation else np.ones((1, len(t))))"),
    ("compte : RLS nette des impayés", COMPTE,
     "    return lot.base_rls[:, None] * lot.indice_loyers * (1.0 - lot.vacance)[:, None]",
     "    return lot.base_rls[:, None] * lot.indice_loyers * (1.0 - lot.vacance - lot.impayes)[:, None]"),
    ("compte : revenu locatif sans les impayés", COMPTE,
     "    return base[:, None] * lot.indice_loyers * (1.0 - lot.vacance - lot.impayes)[:, None]",
     "    return base[:, None] * lot.indice_loyers * (1.0 - lot.vacance)[:, None]"),
    ("compte : une charge hors du total", COMPTE,
     "    lignes[\"charges\"] = sum(lignes[n] for n in LIGNES_CHARGES)",
     "    lignes[\"charges\"] = sum(lignes[n] for n in LIGNES_CHARGES[1:])"),
    ("compte : durée des fonds propres décalée", COMPTE,
     "    return annuite[:, None] * pendant(lot.fonds_propres_duree, lot.t)",
     "    return annuite[:, None] * pendant(lot.fonds_propres_duree + 1, lot.t)"),
    ("compte : trésorerie initiale oubliée", COMPTE,
     "    tresorerie = lot.tresorerie_initiale[:, None] + np.cumsum(af, axis=1)",
     "    tresorerie = np.cumsum(af, axis=1)"),
    ("compte : bornes des années décalées", COMPTE,
     "    dans = pendant(valeur(d.bornes), t)  # années 1..borne",
     "    dans = pendant(valeur(d.bornes) + 1, t)  # années 1..borne"),
)


def _copie(dossier: Path) -> Path:
    """Le dépôt (paquet, tests, exemples, configuration) copié sans caches ni sorties."""
    cible = dossier / "depot"
    ignorer = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc", ".git", "build", "*.egg-info",
                                     ".pytest_cache", ".hypothesis")
    cible.mkdir()
    for nom in ("plai_bilan", "tests", "scenarios", "pyproject.toml"):
        source = RACINE / nom
        if source.is_dir():
            shutil.copytree(source, cible / nom, ignore=ignorer)
        else:
            shutil.copy2(source, cible / nom)
    return cible


def essayer(nom: str, module: str, origine: str, mutee: str, dossier: Path) -> tuple[bool, float, str]:
    """Applique le mutant dans une copie du dépôt et lance les tests : (tué, secondes, premier test en échec)."""
    depot = _copie(dossier)
    chemin = depot / module
    texte = chemin.read_text(encoding="utf-8")
    if texte.count(origine + "\n") != 1:
        raise SystemExit(f"mutant « {nom} » : la ligne d'origine n'apparaît pas une seule fois dans {module}")
    chemin.write_text(texte.replace(origine + "\n", mutee + "\n"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(depot)
    debut = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TESTS], cwd=depot,
                       env=env, capture_output=True, text=True, timeout=1200)
    duree = time.perf_counter() - debut
    echec = next((l.split(" ")[1] for l in r.stdout.splitlines() if l.startswith("FAILED ")), "")
    shutil.rmtree(depot)
    return r.returncode != 0, duree, echec


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="ne lancer que les mutants dont le nom contient ce texte")
    args = parser.parse_args()
    choisis = [m for m in MUTANTS if args.k in m[0]]
    survivants = []
    with tempfile.TemporaryDirectory(prefix="plai-bilan-mutants-") as d:
        # Témoin : la copie sans mutant passe les tests (sinon un mutant « tué » ne prouverait rien).
        tue, duree, echec = essayer("témoin", NOYAU, "    tresorerie = t0", "    tresorerie = t0", Path(d))
        if tue:
            print(f"la copie sans mutant échoue déjà ({echec}) : rapport impossible")
            return 2
        print(f"témoin  {duree:5.1f} s  copie sans mutant : les tests passent", flush=True)
        for nom, module, origine, mutee in choisis:
            tue, duree, echec = essayer(nom, module, origine, mutee, Path(d))
            print(f"{'tué' if tue else 'SURVIT':6}  {duree:5.1f} s  {nom}" + (f"  ({echec})" if echec else ""),
                  flush=True)
            if not tue:
                survivants.append(nom)
    print(f"{len(choisis) - len(survivants)} mutants tués sur {len(choisis)}")
    return 1 if survivants else 0


if __name__ == "__main__":
    sys.exit(main())
