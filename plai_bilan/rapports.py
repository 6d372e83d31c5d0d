"""Sorties texte, JSON et CSV des commandes instruire, comparer, sensibilite et risque."""

from __future__ import annotations

import csv
import io
import math

from plai_bilan.comparaison import INDICATEURS, indicateurs
from plai_bilan.format import euros
from plai_bilan.instruction import TOLERANCE_DEMANDE, Verdict
from plai_bilan.resultats import _arrondi, _nombre, _tableau, _titre, entete
from plai_bilan.risque import QUANTILES, Distribution, Trajectoire
from plai_bilan.sensibilite import Sensibilite


def _montant(x: float | None, infini: str = "infaisable") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return infini
    return euros(x)


def _pct(x: float | None, decimales: int = 1) -> str:
    return "-" if x is None else f"{x:.{decimales}f} %".replace(".", ",")


# ------------------------------------------------------------------------------------------- instruire


def verdict_texte(v: Verdict) -> str:
    r = v.resultat
    e, sc = r.entrees, r.scenario
    lignes = [["Subvention instruite", f"{v.financeur} (subventions[{v.indice}])"],
              ["Montant demandé", euros(v.demande)],
              ["Subvention minimale qui équilibre l'opération", _montant(v.subvention_minimale)]]
    if v.ecart is not None:
        lignes.append(["Écart (demande - minimum)", f"{euros(v.ecart)} ({_pct(v.ecart_pct)})"
                       if v.ecart_pct is not None else euros(v.ecart)])
    if r.cout_contreparties is not None:
        lignes.append(["Coût des contreparties sociales", euros(r.cout_contreparties)])
    if e.reference_fnap:
        lignes.append(["Valeur de référence FNAP", f"{euros(e.reference_fnap)} ({euros(e.reference_fnap_par_logement)}"
                       f" x {sc.n_plai_adapte})"])
        lignes.append(["Demande / référence FNAP", _pct(v.demande / e.reference_fnap * 100, 0)])
        if v.subvention_minimale is not None:
            lignes.append(["Minimum / référence FNAP", _pct(v.subvention_minimale / e.reference_fnap * 100, 0)])
    m = [sc.operation.nom, f"Critère : {r.critere} ; horizon {e.horizon} ans", "",
         _tableau(["Élément", "Valeur"], lignes, "<<"), ""]
    if v.justifiee:
        m.append("VERDICT : demande justifiée")
        if v.ecart is not None and v.ecart < -TOLERANCE_DEMANDE:
            m.append(f"  (la demande ne suffit pas à équilibrer l'opération : il manque {euros(-v.ecart)})")
    else:
        m.append("VERDICT : demande non justifiée")
        m += [f"  - {motif}" for motif in v.motifs]
    m.append(_titre("Critères d'éligibilité du FNAP et contrôles"))
    m.append(_tableau(["Statut", "Critère", "Contrôle"],
                      [[c.statut, c.code, c.libelle] for c in r.controles], "<<<"))
    cofin = [c for c in r.controles if c.code == "cofinancements"]
    if cofin:
        m.append(_titre("Cofinancements comptés par le plan"))
        m.append(cofin[0].detail)
    return "\n".join(m) + "\n"


def verdict_json(v: Verdict) -> dict:
    r = v.resultat
    e = r.entrees
    return {
        **entete(e),
        "justifiee": v.justifiee,
        "financeur": v.financeur,
        "indice_subvention": v.indice,
        "montant_demande": _arrondi(v.demande),
        "subvention_minimale": _arrondi(v.subvention_minimale),
        "faisable": r.faisable,
        "motif": r.motif,
        "ecart": _arrondi(v.ecart),
        "ecart_pct": _arrondi(v.ecart_pct, 4),
        "motifs": v.motifs,
        "cout_contreparties": _arrondi(r.cout_contreparties),
        "reference_fnap": _arrondi(e.reference_fnap),
        "critere": r.critere,
        "annee_critique": r.annee_critique,
        "controles": [c.vers_json() for c in r.controles],
    }


# ------------------------------------------------------------------------------------------- comparer


def _valeur_texte(x, unite: str) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "oui" if x else "non"
    if unite == "€":
        return euros(x)
    if unite == "€/m²":
        return _nombre(x, 2)
    if unite == "nombre":
        return _nombre(x, 0 if float(x).is_integer() else 2)
    return str(x)


def comparaison_texte(resultats) -> str:
    cols = [indicateurs(r) for r in resultats]
    entetes = ["Indicateur"] + [f"({i + 1})" for i in range(len(cols))]
    lignes = [[ind.libelle] + [_valeur_texte(c[ind.cle], ind.unite) for c in cols] for ind in INDICATEURS]
    legende = "\n".join(f"({i + 1}) {c['nom']} - {c['fichier']}" for i, c in enumerate(cols))
    return legende + "\n\n" + _tableau(entetes, lignes) + "\n"


def comparaison_json(resultats) -> dict:
    return {"operations": [{**entete(r.entrees), **{k: (_arrondi(v) if isinstance(v, float) else v)
                                                     for k, v in indicateurs(r).items()}} for r in resultats]}


def comparaison_csv(resultats) -> str:
    """CSV pour un tableur français : séparateur « ; », virgule décimale, une ligne par opération ; chaque ligne
    porte la version, l'empreinte du scénario et la date des paramètres."""
    flux = io.StringIO()
    w = csv.writer(flux, delimiter=";", lineterminator="\r\n")
    cles = ["nom", "fichier"] + [i.cle for i in INDICATEURS]
    w.writerow(cles + ["plai_bilan_version", "scenario_sha256", "parametres_date"])
    for r in resultats:
        d = indicateurs(r)
        t = entete(r.entrees)
        ligne = []
        for k in cles:
            x = d[k]
            if isinstance(x, bool):
                x = "oui" if x else "non"
            elif isinstance(x, float):
                x = f"{round(x, 2) + 0.0:.2f}".replace(".", ",")
            ligne.append("" if x is None else x)
        w.writerow(ligne + [t["plai_bilan_version"], t["scenario"]["sha256"], t["parametres_date"]])
    return "\ufeff" + flux.getvalue()


# ------------------------------------------------------------------------------------------- sensibilité


def _valeur_hyp(x: float | None, unite: str) -> str:
    if x is None:
        return "-"
    if unite == "€":
        return euros(x)
    if unite == "années":
        return f"{x:.0f} ans"
    return f"{_nombre(x, 2)} {unite}"


def sensibilite_texte(s: Sensibilite) -> str:
    sc = s.entrees.scenario
    lignes = []
    for l in s.triees():
        h = l.hypothese

        def seuil(x):
            return _valeur_hyp(x, h.unite) if x is not None else "hors plage"

        lignes.append([h.libelle, _valeur_hyp(l.base, h.unite), _valeur_hyp(l.basse, h.unite),
                       _montant(l.subvention_basse), _valeur_hyp(l.haute, h.unite), _montant(l.subvention_haute),
                       seuil(l.bascule), seuil(l.rupture),
                       f"[{_valeur_hyp(l.plage[0], h.unite)} ; {_valeur_hyp(l.plage[1], h.unite)}]"])
    return (f"{sc.operation.nom}\nSubvention minimale de référence : {_montant(s.subvention_base)} "
            f"(critère {sc.analyse.critere})\n\n"
            + _tableau(["Hypothèse", "Base", "Basse", "S* basse", "Haute", "S* haute", "Bascule (S* = 0)",
                        "Rupture", "Plage explorée"], lignes, "<>>>>>>><") +
            "\n\nLes autres hypothèses restant inchangées : bascule, valeur à laquelle l'opération s'équilibre sans "
            "subvention ; rupture, dernière valeur à laquelle une subvention suffit encore ; « hors plage » : pas de "
            "tel seuil dans la plage explorée.\n")


def sensibilite_json(s: Sensibilite) -> dict:
    return {**entete(s.entrees), "subvention_base": _arrondi(s.subvention_base), "hypotheses": [
        {"cle": l.hypothese.cle, "libelle": l.hypothese.libelle, "unite": l.hypothese.unite,
         "base": _arrondi(l.base, 4), "basse": _arrondi(l.basse, 4), "haute": _arrondi(l.haute, 4),
         "subvention_basse": _arrondi(l.subvention_basse), "subvention_haute": _arrondi(l.subvention_haute),
         "bascule": _arrondi(l.bascule, 4), "rupture": _arrondi(l.rupture, 4),
         "plage": [_arrondi(l.plage[0], 4), _arrondi(l.plage[1], 4)]}
        for l in s.triees()]}


# ------------------------------------------------------------------------------------------- risque


def _besoin(b, i: int) -> str:
    if b.faisable[i]:
        return euros(float(b.bornes.valeur[i]))
    brut = float(b.brut[i])
    return "infaisable" + ("" if math.isinf(brut) else f" (besoin {euros(brut)})")


def risque_texte(e, trajectoires: list[Trajectoire], b, d: Distribution) -> str:
    sc = e.scenario
    k = e.pret_equilibre
    lignes = [[t.nom, t.libelle, " ".join(_nombre(x * 100, 2) for x in t.taux[:5]) + " ...", _besoin(b, i)]
              for i, t in enumerate(trajectoires)]
    m = [sc.operation.nom, f"Critère : {sc.analyse.critere} ; horizon {e.horizon} ans ; prêt d'équilibre sans "
         f"subvention {euros(k)} (au-delà, aucune subvention ne suffit : « infaisable »)", "",
         "Trajectoires de résistance", _tableau(["Trajectoire", "Description", "Livret A années 1-5 (%)",
                                                "Subvention minimale"], lignes, "<<<>"), "",
         f"Modèle aléatoire : {d.n} trajectoires, graine {d.graine}"]
    q = [[f"P{round(p * 100)}", _montant(d.quantile(p))] for p in QUANTILES]
    q.append(["Subvention qui équilibre 90 % des trajectoires", _montant(d.quantile(0.9))])
    q.append(["Trajectoires sans subvention suffisante", _pct(d.part_infaisable * 100)])
    m.append(_tableau(["Statistique", "Valeur"], q, "<>"))
    return "\n".join(m) + "\n"


def risque_json(e, trajectoires, b, d: Distribution) -> dict:
    return {**entete(e),
            "pret_equilibre_initial": _arrondi(e.pret_equilibre),
            "trajectoires": [{"nom": t.nom, "libelle": t.libelle, "livret_a_pct": [_arrondi(x * 100, 4) for x in t.taux],
                              "faisable": bool(b.faisable[i]), "subvention_minimale": _arrondi(float(b.subvention[i])),
                              "besoin_brut": _arrondi(float(b.brut[i]))} for i, t in enumerate(trajectoires)],
            "aleatoire": {"n": d.n, "graine": d.graine,
                          **{f"p{round(p * 100)}": _arrondi(d.quantile(p)) for p in QUANTILES},
                          "subvention_90_pct_trajectoires": _arrondi(d.quantile(0.9)),
                          "part_infaisable": _arrondi(d.part_infaisable, 6)}}
