"""Programmes synthétiques : le moteur vectorisé contre une boucle opération par opération, temps et mémoire.

python benchmarks/programme.py [--petit] : des programmes de N opérations variées sur 60 ans (critère de
trésorerie cumulée), N de 1 000 à 100 000 (--petit : jusqu'à 2 000). Pour chaque N : temps de construction du lot
(depuis les entrées préparées), temps de résolution vectorisée, temps par opération, et le rapport avec une boucle
simple (même moteur, une opération à la fois) mesurée sur 200 opérations ; pic de mémoire du processus.
"""

from __future__ import annotations

import dataclasses
import resource
import time
from pathlib import Path

import numpy as np

RACINE = Path(__file__).resolve().parent.parent


def operations_variees(k: int):
    """k opérations préparées : Villeurbanne sur 60 ans, travaux, charge foncière et vacance qui varient."""
    from plai_bilan.preparation import preparer
    from plai_bilan.scenario import charger_scenario

    base = charger_scenario(RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml")
    rng = np.random.default_rng(1)
    sortie = []
    for _ in range(k):
        pr = dataclasses.replace(base.prix_de_revient, travaux=float(rng.uniform(60_000, 200_000)),
                                 charge_fonciere=float(rng.uniform(100_000, 250_000)))
        ex = dataclasses.replace(base.exploitation, vacance_pct=float(rng.uniform(0, 5)))
        an = dataclasses.replace(base.analyse, duree=60)
        sortie.append(preparer(dataclasses.replace(base, prix_de_revient=pr, exploitation=ex, analyse=an)))
    return sortie



if __name__ == "__main__":
    import sys

    from plai_bilan.calcul import besoins
    from plai_bilan.moteur import exploitation
    from plai_bilan.preparation import construire_lot
    from plai_bilan.solveur import besoin_subvention

    from plai_bilan.memoire import regler_allocateur

    regler_allocateur()  # comme la ligne de commande
    petit = "--petit" in sys.argv
    variees = operations_variees(50)
    # Boucle simple : une opération à la fois, 200 opérations.
    t = time.perf_counter()
    for e in (variees * 4):
        besoins([e])
    boucle = (time.perf_counter() - t) / 200
    print(f"boucle opération par opération : {boucle * 1000:.2f} ms par opération")
    # Le coût intérieur : la récurrence des prêts sur les années (échéancier d'un euro de chaque prêt, calculé à
    # la construction du lot), vectorisée sur tous les prêts du paquet ; puis le compte et le solveur.
    entrees = (variees * 20)[:1_000]
    t0 = time.perf_counter()
    for _ in range(5):
        lot = construire_lot(entrees)
    t_lot = (time.perf_counter() - t0) / 5
    la = lot.livret_a[lot.pret_operation]
    t0 = time.perf_counter()
    for _ in range(5):
        lot.parametres_prets.echeancier_unitaire(la)
    t_prets = (time.perf_counter() - t0) / 5
    criteres = np.array([e.hypotheses.critere for e in entrees])
    t0 = time.perf_counter()
    for _ in range(5):
        besoin_subvention(lot, criteres, exploitation.compte(lot))
    t_tout = (time.perf_counter() - t0) / 5
    print(f"paquet de 1 000 opérations x 60 ans ({len(lot.pret_operation)} prêts) : construction du lot "
          f"{t_lot * 1000:.1f} ms, dont la récurrence des prêts sur les années (vectorisée sur les prêts) "
          f"{t_prets * 1000:.1f} ms ; compte et solveur {t_tout * 1000:.1f} ms")
    tailles = (1_000, 2_000) if petit else (1_000, 10_000, 100_000, 1_000_000)
    paquet = 1_000  # opérations par lot : la mémoire reste bornée et les tableaux tiennent dans le cache
    for n in tailles:
        t_construction = t_resolution = 0.0
        for debut in range(0, n, paquet):
            k = min(paquet, n - debut)
            entrees = (variees * (k // 50 + 1))[:k]
            t0 = time.perf_counter()
            lot = construire_lot(entrees)
            t1 = time.perf_counter()
            criteres = np.array([e.hypotheses.critere for e in entrees])
            b = besoin_subvention(lot, criteres, exploitation.compte(lot))
            t2 = time.perf_counter()
            t_construction += t1 - t0
            t_resolution += t2 - t1
            assert np.isfinite(b.subvention_ou_infini).all()
        pic = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        def fr(x: float) -> str:
            return f"{x:,.0f}".replace(",", " ")

        print(f"{fr(n):>9} opérations x 60 ans, par paquets de {paquet} : lots construits en {t_construction:.2f} s, "
              f"résolus en {t_resolution:.2f} s ({t_resolution / n * 1e6:.1f} µs par opération, "
              f"{boucle / (t_resolution / n):.0f} fois plus vite que la boucle) ; "
              f"{fr(n * 60 / t_resolution)} opérations x années par seconde ; pic de mémoire {fr(pic)} Mo")
