"""Mesures de vitesse de plai-bilan, à lancer à la demande : python benchmarks/mesurer.py [--petit].

1. Résolution d'une opération (préparation, compte, solveur, variante PLAI ordinaire, contrôles), après import.
2. La commande entière `plai-bilan subvention`, démarrage de Python compris.
3. Un lot de N opérations résolues en un seul appel vectorisé.
4. La distribution de la subvention minimale sur 10 000 trajectoires aléatoires du livret A (génération des
   trajectoires comprise), une opération.
5. Grands scénarios, commande entière : `sensibilite` sur 10 000 lignes de logements distinctes, `exporter` d'une
   opération de 1 000 prêts.
6. Seuil du noyau : S* de N trajectoires par le moteur numpy et par le noyau compilé, et le chargement du noyau
   dans un processus neuf (import de numba, noyau en cache) ; solveur.SEUIL_NOYAU en découle.
Objectifs : moins de 20 ms pour (1), moins de 1 s pour (2) et pour (4). --petit réduit les répétitions et la
taille (CI).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
SCENARIO = RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"


def fr(x: float) -> str:
    return f"{x:,.0f}".replace(",", "\u202f")


def chrono(fonction, repetitions: int) -> list[float]:
    temps = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        fonction()
        temps.append(time.perf_counter() - debut)
    return temps


def scenario_lignes(dossier: Path, n: int) -> Path:
    """L'exemple de Villeurbanne avec ``n`` lignes de logements, chacune d'une surface différente."""
    texte = SCENARIO.read_text(encoding="utf-8")
    d, f = texte.index("[[logements]]"), texte.index("[prix_de_revient]")
    lignes = "".join(f'[[logements]]\ntypologie = "T{2 + i % 3}"\nnombre = 1\n'
                     f'surface_habitable = {40 + i % 30 + i * 0.0001:.4f}\nplai_adapte = {"true" if i % 2 else "false"}\n'
                     f'menage = {{ couple = false, personnes_a_charge = 1 }}\n\n' for i in range(n))
    texte = texte[:d] + lignes + texte[f:]
    texte = texte.replace("charge_fonciere = 180000", f"charge_fonciere = {18_000 * n}")
    texte = texte.replace("travaux = 105000", f"travaux = {10_500 * n}")
    chemin = dossier / "lignes.toml"
    chemin.write_text(texte, encoding="utf-8")
    return chemin


def scenario_prets(dossier: Path, n: int) -> Path:
    """L'exemple de Villeurbanne dont le prêt foncier est remplacé par ``n - 1`` petits prêts."""
    texte = SCENARIO.read_text(encoding="utf-8")
    debut = texte.index('[[prets]]\nnom = "CDC PLAI foncier"')
    fin = texte.index('[[prets]]\nnom = "CDC PLAI construction"')
    prets = "".join(f'[[prets]]\nnom = "Prêt {i}"\nindex = "livret_a"\nmarge_pct = -0.20\nduree = {30 + i % 20}\n'
                    f'montant = {80_000 / (n - 1):.2f}\n\n' for i in range(n - 1))
    chemin = dossier / "prets.toml"
    chemin.write_text(texte[:debut] + prets + texte[fin:], encoding="utf-8")
    return chemin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--petit", action="store_true", help="peu de répétitions (intégration continue)")
    args = parser.parse_args()
    rep = 5 if args.petit else 50

    from plai_bilan.calcul import resoudre, subvention_minimale
    from plai_bilan.preparation import preparer
    from plai_bilan.scenario import charger_scenario

    sc = charger_scenario(SCENARIO)
    subvention_minimale(sc)
    t = chrono(lambda: subvention_minimale(sc), rep)
    mesures = {"operation_ms": {"valeur": round(statistics.median(t) * 1000, 1), "unite": "ms"}}
    print(f"résolution d'une opération : médiane {statistics.median(t) * 1000:.1f} ms, "
          f"min {min(t) * 1000:.1f} ms ({rep} répétitions ; objectif < 20 ms)")

    commande = [sys.executable, "-m", "plai_bilan.cli", "subvention", str(SCENARIO), "--format", "json"]
    t = chrono(lambda: subprocess.run(commande, check=True, capture_output=True), max(3, rep // 10))
    print(f"commande plai-bilan subvention complète : médiane {statistics.median(t):.2f} s "
          f"(objectif < 1 s)")
    mesures["commande_s"] = {"valeur": round(statistics.median(t), 2), "unite": "s"}

    n = 50 if args.petit else 1000
    entrees = [preparer(sc)] * n
    t = chrono(lambda: resoudre(entrees, variantes=False), 3)
    print(f"lot de {n} opérations : {min(t) * 1000:.0f} ms, soit {min(t) / n * 1000:.2f} ms par opération")

    from plai_bilan.risque import distribution

    e = preparer(sc)
    n = 1000 if args.petit else 10_000
    distribution(e, 100)
    t = chrono(lambda: distribution(e, n), 3 if args.petit else 5)
    print(f"risque de taux, {n} trajectoires du livret A : médiane {statistics.median(t) * 1000:.0f} ms, "
          f"min {min(t) * 1000:.0f} ms (objectif < 1 s pour 10 000)")
    mesures["risque_10000_ms"] = {"valeur": round(statistics.median(t) * 1000), "unite": "ms"}
    if not args.petit:  # la dernière mesure complète : les chiffres du README en sont générés
        import json
        import os

        mesures["machine"] = {"valeur": os.cpu_count() or 0, "unite": "cœurs"}
        (RACINE / "benchmarks" / "mesures.json").write_text(json.dumps(mesures, indent=2, ensure_ascii=False) + "\n",
                                                             encoding="utf-8")
        print("mesures écrites dans benchmarks/mesures.json (python -m plai_bilan.documentation met le README à jour)")

    # Grands scénarios, commande entière : sensibilité sur des milliers de lignes de logements toutes distinctes,
    # classeur d'une opération de mille prêts.
    import tempfile

    with tempfile.TemporaryDirectory() as dossier:
        n = 500 if args.petit else 10_000
        lignes = scenario_lignes(Path(dossier), n)
        t = chrono(lambda: subprocess.run([sys.executable, "-m", "plai_bilan.cli", "sensibilite", str(lignes)],
                                          check=True, capture_output=True), 1)
        print(f"sensibilite, {n} lignes de logements distinctes : {t[0]:.1f} s (commande entière)")
        n = 50 if args.petit else 1_000
        prets = scenario_prets(Path(dossier), n)
        sortie = Path(dossier) / "prets.xlsx"
        t = chrono(lambda: subprocess.run([sys.executable, "-m", "plai_bilan.cli", "exporter", str(prets), "-o",
                                           str(sortie)], check=True, capture_output=True), 1)
        print(f"exporter, {n} prêts : {t[0]:.1f} s (commande entière ; classeur de {sortie.stat().st_size // 1024} Ko)")

    # Seuil du noyau : en dessous, le moteur numpy répond avant que le noyau ne soit chargé.
    import numpy as np

    from plai_bilan.preparation import construire_lot
    from plai_bilan.risque import trajectoires_aleatoires
    from plai_bilan.solveur import SEUIL_NOYAU, subventions_lot

    n = 2_000 if args.petit else 10_000
    lot = construire_lot([e]).sous_trajectoires(trajectoires_aleatoires(float(e.livret_a[0]), e.horizon, n, 1))
    criteres = np.full(n, e.hypotheses.critere)
    subventions_lot(lot, criteres, noyau_compile=True)
    t_numpy = min(chrono(lambda: subventions_lot(lot, criteres, noyau_compile=False), 3))
    t_noyau = min(chrono(lambda: subventions_lot(lot, criteres, noyau_compile=True), 3))
    code = ("import time; from plai_bilan.moteur import noyau; import numpy as np; "
            "from plai_bilan.preparation import construire_lot, preparer; from plai_bilan.scenario import "
            f"charger_scenario; e = preparer(charger_scenario({str(SCENARIO)!r})); l = construire_lot([e]); "
            "t0 = time.perf_counter(); noyau.resoudre(l, np.array([e.hypotheses.critere])); "
            "print(time.perf_counter() - t0)")
    import_numba = [float(subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); import numba; "
                                          "print(time.perf_counter() - t)"], capture_output=True, text=True,
                                         check=True).stdout) for _ in range(3)]
    chargement = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=RACINE,
                                       check=True).stdout) for _ in range(3)]
    cout = statistics.median(import_numba) + statistics.median(chargement)
    par_op = (t_numpy - t_noyau) / n
    print(f"seuil du noyau : numpy {t_numpy / n * 1e6:.1f} us, noyau {t_noyau / n * 1e6:.1f} us par trajectoire ; "
          f"chargement du noyau {cout:.2f} s (import de numba {statistics.median(import_numba):.2f} s) ; "
          f"équilibre vers {fr(cout / par_op)} opérations (SEUIL_NOYAU = {fr(SEUIL_NOYAU)})")

    from plai_bilan.menages import disponible

    if disponible():
        import dataclasses
        import time

        from plai_bilan.menages import _systeme, vue_menages

        debut = time.perf_counter()
        _systeme()
        construction = time.perf_counter() - debut
        montreuil = charger_scenario(SCENARIO.parent / "cn-montreuil-12-plai-dont-4-adaptes.toml")
        logements = tuple(dataclasses.replace(montreuil.logements[i % 4], typologie=f"L{i}", nombre=1)
                          for i in range(100))
        pr = dataclasses.replace(montreuil.prix_de_revient, travaux=30_000_000.0)
        b = subvention_minimale(dataclasses.replace(montreuil, logements=logements, prix_de_revient=pr))
        t = chrono(lambda: vue_menages(b), 3 if args.petit else 5)
        print(f"vue des ménages, 100 lignes en une simulation openfisca : médiane {statistics.median(t):.2f} s "
              f"(construction du système socio-fiscal en plus, une fois par exécution : {construction:.2f} s)")
    else:
        print("vue des ménages : openfisca-france absent (pip install -e \".[menages]\"), non mesurée")


if __name__ == "__main__":
    main()
