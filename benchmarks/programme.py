"""Programmes synthétiques : S* vectorisé et compilé contre une boucle opération par opération, temps et mémoire.

python benchmarks/programme.py [--petit] [--distinct] [--million] : des programmes de N opérations variées (critère de
trésorerie cumulée, travaux, charge foncière et vacance tirés au hasard), N de 1 000 à 1 000 000 sur 60 ans, puis 100 000 opérations
sur 20 à 80 ans (la série opérations x années). Pour chaque taille, par paquets de 1 000 : construction des lots
(depuis les entrées préparées), S* par le moteur numpy (compte et solveur) et par le noyau compilé
(moteur.noyau, ce que prennent sensibilite, risque et les études de lots), temps par opération, rapport avec la
boucle (le moteur sur une opération à la fois, mesuré sur 200 opérations) ; pic de mémoire du processus. Enfin la
commande `plai-bilan lot` entière sur des tables de 10 000 et 100 000 opérations (temps, pic de mémoire), et sur des
opérations toutes distinctes de 5 modèles, en colonnes contre partagée contre par opération, puis avec --dask local.
--petit : jusqu'à 2 000 opérations (CI). --distinct : la seule commande sur des opérations distinctes ;
--million : jusqu'à 1 000 000 d'opérations distinctes (chemin en colonnes seul).
"""

from __future__ import annotations

import dataclasses
import resource
import sys
import time
from pathlib import Path

import numpy as np

RACINE = Path(__file__).resolve().parent.parent
PAQUET = 1_000  # opérations par lot : la mémoire reste bornée, les tableaux tiennent dans le cache


def operations_variees(k: int, duree: int = 60):
    """k opérations préparées : Villeurbanne sur ``duree`` ans, travaux, charge foncière et vacance qui varient."""
    from plai_bilan.preparation import preparer
    from plai_bilan.scenario import charger_scenario

    base = charger_scenario(RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml")
    rng = np.random.default_rng(1)
    sortie = []
    for _ in range(k):
        pr = dataclasses.replace(base.prix_de_revient, travaux=float(rng.uniform(60_000, 200_000)),
                                 charge_fonciere=float(rng.uniform(100_000, 250_000)))
        ex = dataclasses.replace(base.exploitation, vacance_pct=float(rng.uniform(0, 5)))
        an = dataclasses.replace(base.analyse, duree=duree)
        sortie.append(preparer(dataclasses.replace(base, prix_de_revient=pr, exploitation=ex, analyse=an)))
    return sortie


def fr(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ")


def programme(variees: list, n: int) -> tuple[float, float, float]:
    """N opérations par paquets : (construction des lots, S* numpy, S* compilé), en secondes."""
    from plai_bilan.moteur import exploitation
    from plai_bilan.preparation import construire_lot
    from plai_bilan.solveur import besoin_subvention, subventions_lot

    t_lot = t_numpy = t_noyau = 0.0
    for debut in range(0, n, PAQUET):
        k = min(PAQUET, n - debut)
        entrees = (variees * (k // len(variees) + 1))[:k]
        t0 = time.perf_counter()
        lot = construire_lot(entrees)
        criteres = np.array([e.hypotheses.critere for e in entrees])
        t1 = time.perf_counter()
        b = besoin_subvention(lot, criteres, exploitation.compte(lot))
        t2 = time.perf_counter()
        s = subventions_lot(lot, criteres, noyau_compile=True)
        t3 = time.perf_counter()
        t_lot, t_numpy, t_noyau = t_lot + t1 - t0, t_numpy + t2 - t1, t_noyau + t3 - t2
        assert np.array_equal(b.faisable, s.faisable)
        assert np.allclose(b.subvention_ou_infini, s.subvention_ou_infini, rtol=1e-9, atol=1e-6)
    return t_lot, t_numpy, t_noyau


def main() -> None:
    from plai_bilan.memoire import regler_allocateur
    from plai_bilan.moteur import noyau
    from plai_bilan.preparation import construire_lot
    from plai_bilan.solveur import subventions_lot

    regler_allocateur()  # comme la ligne de commande
    petit = "--petit" in sys.argv
    if "--distinct" in sys.argv:  # la seule commande lot sur des opérations distinctes
        return distinct(petit)
    variees = operations_variees(50)
    t = time.perf_counter()
    subventions_lot(construire_lot(variees), np.array([e.hypotheses.critere for e in variees]), noyau_compile=True)
    print(f"noyau compilé : {'numba ' + noyau.numba.__version__ if noyau.DISPONIBLE else 'absent (numpy seul)'}, "
          f"{noyau.numba.config.NUMBA_NUM_THREADS if noyau.DISPONIBLE else 1} fils ; premier appel (compilation "
          f"ou cache) {time.perf_counter() - t:.2f} s")
    # La boucle : le moteur sur une opération à la fois (compte et solveur numpy), 200 opérations.
    t = time.perf_counter()
    for e in variees * 4:
        _un(e)
    boucle = (time.perf_counter() - t) / 200
    print(f"boucle opération par opération : {boucle * 1e3:.2f} ms par opération")
    # Le coût intérieur : la récurrence des prêts sur les années, vectorisée sur les prêts du paquet.
    entrees = (variees * 20)[:PAQUET]
    lot = construire_lot(entrees)
    t0 = time.perf_counter()
    for _ in range(5):
        lot.parametres_prets.echeancier_unitaire(lot.livret_a[lot.pret_operation])
    t_prets = (time.perf_counter() - t0) / 5
    print(f"récurrence des prêts d'un paquet de {PAQUET} opérations x 60 ans ({len(lot.pret_operation)} prêts, "
          f"vectorisée sur les prêts) : {t_prets * 1e3:.2f} ms")

    tailles = (1_000, 2_000) if petit else (1_000, 10_000, 100_000, 1_000_000)
    print("\nopérations x 60 ans : construction des lots + S* (numpy | compilé), par opération, rapport à la boucle")
    for n in tailles:
        t_lot, t_numpy, t_noyau = programme(variees, n)
        pic = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        numpy_op, noyau_op = (t_lot + t_numpy) / n, (t_lot + t_noyau) / n
        print(f"{fr(n):>9} : lots {t_lot:.2f} s ; numpy {t_numpy:.2f} s (total {t_lot + t_numpy:.2f} s, "
              f"{numpy_op * 1e6:.1f} µs/op, x{boucle / numpy_op:.0f}) ; compilé {t_noyau:.2f} s (total "
              f"{t_lot + t_noyau:.2f} s, {noyau_op * 1e6:.1f} µs/op, x{boucle / noyau_op:.0f}) ; "
              f"{fr(n * 60 / (t_lot + t_noyau))} opérations x années par seconde ; pic {fr(pic)} Mo")
    n = 2_000 if petit else 100_000
    print(f"\n{fr(n)} opérations, horizon variable : temps par opération x année (compilé, lots compris)")
    for duree in (20, 40, 60, 80):
        v = operations_variees(50, duree)
        t_lot, t_numpy, t_noyau = programme(v, n)
        print(f"{duree:>3} ans : {fr(n * duree)} opérations x années ; numpy {t_lot + t_numpy:.2f} s "
              f"({(t_lot + t_numpy) / (n * duree) * 1e9:.0f} ns) ; compilé {t_lot + t_noyau:.2f} s "
              f"({(t_lot + t_noyau) / (n * duree) * 1e9:.0f} ns)")
    print("\nplai-bilan lot de bout en bout (lecture, validation, variantes, SIEG, tableau CSV), un processus :")
    for n in ((200, 1_000) if petit else (10_000, 100_000)):
        duree, pic = lot_de_bout_en_bout(n)
        print(f"{fr(n):>9} opérations : {duree:.1f} s ({duree / n * 1e3:.2f} ms par opération) ; pic de mémoire "
              f"{fr(pic)} Mo")
    distinct(petit)


def distinct(petit: bool) -> None:
    print("\nplai-bilan lot sur des opérations toutes distinctes (5 modèles, 6 clés variées : nombre de logements, "
          "travaux, charge foncière, montant d'un prêt, vacance, nom), commande entière, calcul user + sys ; chemin "
          "en colonnes (par défaut) contre lectures et préparations partagées (PLAI_BILAN_LOT_COLONNES=0) et contre "
          "chaque ligne lue et préparée seule (PLAI_BILAN_LOT_PAR_OPERATION=1) :")
    tailles = (500,) if petit else (1_000, 10_000, 100_000) + ((1_000_000,) if "--million" in sys.argv else ())
    for n in tailles:
        cpu, horloge, pic = lot_distinct(n)
        ligne = (f"{fr(n):>9} opérations : colonnes {cpu:.1f} s de calcul ({cpu / n * 1e6:.0f} µs par opération), "
                 f"horloge {horloge:.1f} s, pic {fr(pic)} Mo")
        if n <= 100_000:  # un million par le chemin partagé : une vingtaine de minutes
            cpu_p, horloge_p, pic_p = lot_distinct(n, colonnes=False)
            ligne += (f" ; partagé {cpu_p:.1f} s ({cpu_p / n * 1e6:.0f} µs), horloge {horloge_p:.1f} s, pic "
                      f"{fr(pic_p)} Mo, x{cpu_p / cpu:.1f}")
        if n <= 10_000:
            cpu_op, horloge_op, pic_op = lot_distinct(n, par_operation=True)
            ligne += (f" ; par opération {cpu_op:.1f} s ({cpu_op / n * 1e6:.0f} µs), horloge {horloge_op:.1f} s, pic "
                      f"{fr(pic_op)} Mo, x{cpu_op / cpu:.1f}")
        print(ligne, flush=True)
    if not petit:
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            return
        for n in (10_000, 100_000):
            _, horloge, _ = lot_distinct(n)
            _, horloge_d, pic_d = lot_distinct(n, dask=True)
            print(f"{fr(n):>9} opérations, --dask local (2 travailleurs) : horloge {horloge_d:.1f} s contre "
                  f"{horloge:.1f} s en un processus (x{horloge / horloge_d:.2f}) ; pic du poste {fr(pic_d)} Mo")


def lot_de_bout_en_bout(n: int) -> tuple[float, float]:
    """`plai-bilan lot` sur une table de n opérations (le modèle de Villeurbanne, travaux, charge foncière et
    vacance tirés au hasard), tableau CSV : (secondes, pic de mémoire du processus en Mo)."""
    import subprocess
    import tempfile

    rng = np.random.default_rng(2)
    modele = RACINE / "scenarios" / "aa-villeurbanne-3-plai-adaptes.toml"
    with tempfile.TemporaryDirectory() as dossier:
        table = Path(dossier) / "programme.csv"
        lignes = ["modele;operation.nom;prix_de_revient.charge_fonciere;prix_de_revient.travaux;"
                  "exploitation.vacance_pct"]
        lignes += [f"{modele};Opération {i};{rng.integers(100_000, 200_000)};{rng.integers(60_000, 150_000)};"
                   + f"{rng.uniform(0, 5):.2f}".replace(".", ",") for i in range(n)]
        table.write_text("\n".join(lignes) + "\n", encoding="utf-8")
        # Lancée par un petit processus intermédiaire : un enfant de ce processus-ci hériterait de sa mémoire dans
        # son pic (fork), pas celui de l'intermédiaire.
        mesure = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
                  " print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
                  "sys.stderr.write(r.stderr[-500:])")
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", mesure, sys.executable, "-m", "plai_bilan.cli", "lot", str(table),
                            "-o", str(Path(dossier) / "resultats.csv")], capture_output=True, text=True)
        duree = time.perf_counter() - t
        statut, pic = (int(x) for x in r.stdout.split())
        # Statut 1 : des lignes sur-financées (charge foncière basse), signalées ; les autres sont résolues.
        assert statut in (0, 1) and (Path(dossier) / "resultats.csv").exists(), r.stderr
    return duree, pic / 1024


MODELES = {  # modèle livré -> (indice d'un prêt à montant fixe, son montant, logements de la ligne 0)
    "aa-villeurbanne-3-plai-adaptes.toml": (0, 80_000, 2),
    "cn-montreuil-12-plai-dont-4-adaptes.toml": (0, 500_000, 2),
    "cn-lyon-30-plus-plai-dont-3-adaptes.toml": (1, 700_000, 8),
    "programme-grenoble-6-plai-adaptes-aa.toml": (0, 100_000, 2),
    "programme-grenoble-6-plai-adaptes-cn.toml": (0, 100_000, 2),
}


def lot_distinct(n: int, par_operation: bool = False, dask: bool = False,
                 colonnes: bool = True) -> tuple[float, float, float]:
    """`plai-bilan lot` sur n opérations toutes distinctes tirées de 5 modèles livrés : (secondes de calcul user +
    sys, secondes d'horloge, pic de mémoire en Mo), mesurés par un processus intermédiaire. ``par_operation`` :
    chaque ligne lue et préparée seule ; ``dask`` : --dask local (le calcul des travailleurs n'est pas compté) ;
    sans ``colonnes`` : le chemin partagé seul (PLAI_BILAN_LOT_COLONNES=0)."""
    import os
    import subprocess
    import tempfile
    import tomllib

    rng = np.random.default_rng(3)
    cles = ["modele", "operation.nom", "logements[0].nombre", "prix_de_revient.travaux",
            "prix_de_revient.charge_fonciere", "exploitation.vacance_pct"]
    with tempfile.TemporaryDirectory() as dossier:
        table = Path(dossier) / "distinct.csv"
        lignes = []
        noms = list(MODELES)
        docs = {nom: tomllib.loads((RACINE / "scenarios" / nom).read_text(encoding="utf-8")) for nom in noms}
        for i in range(n):
            nom = noms[i % len(noms)]
            k, montant, nombre = MODELES[nom]
            pr = docs[nom]["prix_de_revient"]
            valeurs = [str(RACINE / "scenarios" / nom), f"Opération {i}", str(int(max(1, nombre + rng.integers(-1, 2)))),
                       f"{pr['travaux'] * rng.uniform(0.8, 1.2):.0f}", f"{pr['charge_fonciere'] * rng.uniform(0.8, 1.2):.0f}",
                       f"{rng.uniform(1, 4):.2f}".replace(".", ",")]
            lignes.append((k, f"{montant * rng.uniform(0.8, 1.1):.0f}", valeurs))
        # Une colonne de montant par indice de prêt (vide pour les autres modèles).
        indices = sorted({k for k, _, _ in lignes})
        entete = cles + [f"prets[{k}].montant" for k in indices]
        texte = [";".join(entete)] + [";".join(v + [m if j == k else "" for j in indices]) for k, m, v in lignes]
        table.write_text("\n".join(texte) + "\n", encoding="utf-8")
        mesure = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
                  "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); h = time.perf_counter() - t; "
                  "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                  "print(r.returncode, u.ru_utime + u.ru_stime, h, u.ru_maxrss); sys.stderr.write(r.stderr[-500:])")
        env = dict(os.environ, PLAI_BILAN_LOT_PAR_OPERATION="1" if par_operation else "0",
                   PLAI_BILAN_LOT_COLONNES="1" if colonnes else "0")
        r = subprocess.run([sys.executable, "-c", mesure, sys.executable, "-m", "plai_bilan.cli", "lot", str(table),
                            "-o", str(Path(dossier) / "resultats.csv"), *(["--dask", "local"] if dask else [])],
                           capture_output=True, text=True, env=env)
        statut, cpu, horloge, pic = r.stdout.split()
        assert int(statut) in (0, 1) and (Path(dossier) / "resultats.csv").exists(), r.stderr
    return float(cpu), float(horloge), int(pic) / 1024


def _un(e) -> None:
    """Une opération seule par le moteur numpy : construction du lot, compte, solveur."""
    from plai_bilan.moteur import exploitation
    from plai_bilan.preparation import construire_lot
    from plai_bilan.solveur import besoin_subvention

    lot = construire_lot([e])
    besoin_subvention(lot, np.array([e.hypotheses.critere]), exploitation.compte(lot))


if __name__ == "__main__":
    main()
