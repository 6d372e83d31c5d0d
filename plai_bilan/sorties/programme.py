"""Sorties d'un programme : tableau d'une ligne par opération (CSV, Parquet, classeur) et vue du programme.

Reçoit des données simples : (source, résultats, erreur) par opération et la répartition du budget FNAP.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from plai_bilan.catalogue import catalogue
from plai_bilan.releve import Vues

COLONNES = ("nom", "nature", "n_logements", "n_plai_adapte", "prix_de_revient", "faisable", "subvention_minimale",
            "subvention_minimale_par_logement", "subvention_plai_ordinaire", "cout_contreparties",
            "subvention_justifiable", "justifiable_par_plai_adapte", "besoin_hors_contreparties",
            "subvention_maximale", "annee_critique", "controles_non_conformes", "n_logements_plai", "n_logements_plus",
            "n_logements_pls", "besoin_propre_plai", "besoin_propre_plus", "besoin_propre_pls",
            "justifiable_part_plai", "motif", "montant_demande", "verdict")
COLONNES_OPTIMISATION = ("subvention_optimisee", "subvention_evitable")  # lot --optimiser
LIBELLES_EN_PLUS = {"source": "Source (fichier, ou table et ligne)", "erreur": "Erreur (opération non résolue)",
                    "justifiable_par_plai_adapte": "Subvention PLAI adapté justifiable par PLAI adapté (€)",
                    "controles_non_conformes": "Contrôles non conformes", "financee_par_le_budget":
                    "Financée par le budget FNAP", "budget_restant": "Budget FNAP restant après l'opération (€)"}


def libelle(cle: str) -> str:
    """La définition d'une colonne (la légende du tableau)."""
    if cle in LIBELLES_EN_PLUS:
        return LIBELLES_EN_PLUS[cle]
    return catalogue()[cle].libelle_unite


COURTS = {"verdict": "Verdict d'instruction", "motif": "Motif d'infaisabilité", "source": "Source",
          "erreur": "Erreur", "justifiable_par_plai_adapte": "J par PLAI adapté (€)",
          "controles_non_conformes": "Contrôles non conformes", "financee_par_le_budget": "Financée (budget)",
          "budget_restant": "Budget restant (€)", "subvention_minimale": "S* : subvention d'équilibre (€)",
          "subvention_plai_ordinaire": "G : en PLAI ordinaire (€)", "cout_contreparties": "C : contreparties (€)",
          "subvention_justifiable": "J : justifiable (€)", "besoin_hors_contreparties": "Hors contreparties (€)",
          "justifiable_part_plai": "J de la part PLAI (€)", "subvention_maximale": "Maximum SIEG (€)",
          "faisable": "Équilibrable", "subvention_optimisee": "S* du plan optimisé (€)",
          "subvention_evitable": "Subvention évitable (€)", "besoin_propre_plai": "Besoin propre PLAI (€)",
          "besoin_propre_plus": "Besoin propre PLUS (€)", "besoin_propre_pls": "Besoin propre PLS (€)",
          "montant_demande": "Montant demandé (€)"}


def entete(cle: str, cles_techniques: bool = False) -> str:
    """L'en-tête court d'une colonne (sa définition est dans la légende) ; la clé du catalogue pour un analyste."""
    if cles_techniques:
        return cle
    if cle in COURTS:
        return COURTS[cle]
    g = catalogue()[cle]
    court = g.court if len(g.court) <= 40 else g.libelle.split(" : ")[0].split(" (")[0][:40]
    return court + (f" ({g.unite})" if g.unite in ("€", "€/m2", "m2") else "")


def legende(cles: list[str]) -> list[tuple[str, str, str]]:
    """(en-tête court, définition, clé) de chaque colonne du tableau."""
    return [(entete(c), libelle(c), c) for c in cles]


def _colonnes(optimiser: bool, budget: bool) -> list[str]:
    return (["source", *COLONNES] + (list(COLONNES_OPTIMISATION) if optimiser else []) + ["erreur"]
            + (["financee_par_le_budget", "budget_restant"] if budget else []))


EN_FRANCAIS = ("nature", "verdict")  # colonnes dont la valeur est un identifiant, écrit en français au tableau


def _en_francais(cle: str, v: Any) -> Any:
    """La nature de l'opération et le verdict d'une demande en français (leurs identifiants restent au scénario)."""
    if not v:
        return v
    if cle == "nature":
        return catalogue().valeurs["nature"].get(v, v)
    from plai_bilan.etudes import VERDICTS

    return VERDICTS[v][1]


def tableau(operations: Iterable[tuple[str, Mapping, str | None]], repartition: dict[str, tuple[bool, float]] | None,
            optimiser: bool = False) -> list[dict[str, Any]]:
    """Une ligne par opération, colonnes dans l'ordre (clés du catalogue)."""
    lignes = []
    for source, resultats, erreur in operations:
        ligne = {"source": source, **{k: resultats.get(k) for k in COLONNES}}
        for cle in EN_FRANCAIS:
            ligne[cle] = _en_francais(cle, ligne[cle])
        if optimiser:
            ligne.update({k: resultats.get(k) for k in COLONNES_OPTIMISATION})
        ligne["erreur"] = erreur
        if repartition is not None:
            financee, reste = repartition.get(source, (None, None))
            ligne["financee_par_le_budget"] = financee
            ligne["budget_restant"] = reste
        lignes.append(ligne)
    return lignes


class TableauProgramme(Vues):
    """:func:`tableau` d'un programme résolu (plai_bilan.programme.Programme), sans copie : ``t[i]`` est la ligne
    ``i`` (Mapping, mêmes clés et mêmes valeurs que celle de :func:`tableau`) ; :meth:`colonne` rend une colonne
    entière (l'écriture d'un tableau de millions de lignes)."""

    def __init__(self, programme, repartition: dict[str, tuple[bool, float]] | None, optimiser: bool = False) -> None:
        self.programme, self.repartition = programme, repartition
        self.cles = _colonnes(optimiser, repartition is not None)
        self._index = {c: j for j, c in enumerate(self.cles)}

    def __len__(self) -> int:
        return len(self.programme)

    def _vue(self, i: int) -> _LigneTableau:
        return _LigneTableau(self, i)

    def valeur(self, i: int, cle: str) -> Any:
        p = self.programme
        if cle == "source":
            return p.sources[i]
        if cle == "erreur":
            return p.erreurs.get(i)
        if cle in ("financee_par_le_budget", "budget_restant"):
            return self.repartition.get(p.sources[i], (None, None))[cle == "budget_restant"]
        v = p.resultats[i].get(cle)
        return _en_francais(cle, v) if cle in EN_FRANCAIS else v

    def colonne(self, cle: str, debut: int = 0, fin: int | None = None) -> list[Any]:
        """La colonne ``cle``, une valeur par ligne (les lignes ``debut`` à ``fin`` exclue)."""
        p = self.programme
        fin = len(p) if fin is None else min(fin, len(p))
        if cle == "source":
            return p.sources[debut:fin]
        if cle == "erreur":
            return [p.erreurs.get(i) for i in range(debut, fin)]
        if cle in ("financee_par_le_budget", "budget_restant"):
            k = cle == "budget_restant"
            return [self.repartition.get(x, (None, None))[k] for x in p.sources[debut:fin]]
        valeurs = p.resultats.colonne(cle, debut, fin)
        if cle in EN_FRANCAIS:
            vus: dict = {}
            valeurs = [vus[v] if v in vus else vus.setdefault(v, _en_francais(cle, v)) for v in valeurs]
        return valeurs


class _LigneTableau(Mapping):
    __slots__ = ("tableau", "i")

    def __init__(self, tableau: TableauProgramme, i: int) -> None:
        self.tableau, self.i = tableau, i

    def __getitem__(self, cle: str) -> Any:
        if cle not in self.tableau._index:
            raise KeyError(cle)
        return self.tableau.valeur(self.i, cle)

    def __iter__(self):
        return iter(self.tableau.cles)

    def __len__(self) -> int:
        return len(self.tableau.cles)


def _quantile(valeurs: list[float], q: float) -> float | None:
    if not valeurs:
        return None
    v = sorted(valeurs)
    x = q * (len(v) - 1)
    i = int(math.floor(x))
    return v[i] + (v[min(i + 1, len(v) - 1)] - v[i]) * (x - i)


def blocs(lignes: Sequence[Mapping[str, Any]], cles: Sequence[str], taille: int = 10_000):
    """Les colonnes ``cles`` du tableau par blocs de lignes : (premier indice, {clé: valeurs du bloc}) ; celles
    d'un TableauProgramme sans vue par ligne, d'une liste relevées ligne à ligne. Un tableau de millions de lignes
    n'est jamais entier en objets Python."""
    for debut in range(0, len(lignes), taille):
        if isinstance(lignes, TableauProgramme):
            yield debut, {c: lignes.colonne(c, debut, debut + taille) for c in cles}
        else:
            morceau = lignes[debut:debut + taille]
            yield debut, {c: [l.get(c) for l in morceau] for c in cles}


def synthese(lignes: Sequence[Mapping[str, Any]], budget: float | None) -> dict[str, Any]:
    """La vue du programme : effectifs, totaux, distribution de la subvention d'équilibre par logement, budget."""
    sommes_ok = ("n_logements", "n_plai_adapte", "prix_de_revient")
    sommes_faisables = ("subvention_minimale", "cout_contreparties", "subvention_justifiable",
                        "besoin_hors_contreparties")
    totaux = dict.fromkeys(sommes_ok + sommes_faisables, 0)
    n_ok = n_faisables = 0
    par_logement: list[float] = []
    financees = plai_adaptes_finances = 0
    engage = 0
    cles = ["erreur", "faisable", "subvention_minimale_par_logement", *sommes_ok, *sommes_faisables]
    if budget is not None:
        cles += ["financee_par_le_budget", "montant_demande"]
    for _, c in blocs(lignes, cles):  # les sommes dans l'ordre des lignes
        for k in range(len(c["erreur"])):
            if c["erreur"][k] is not None:
                continue
            n_ok += 1
            for cle in sommes_ok:
                totaux[cle] = totaux[cle] + c[cle][k]
            if c["faisable"][k]:
                n_faisables += 1
                for cle in sommes_faisables:
                    totaux[cle] = totaux[cle] + (c[cle][k] or 0.0)
                par_logement.append(c["subvention_minimale_par_logement"][k])
        if budget is not None:
            for k, f in enumerate(c["financee_par_le_budget"]):
                if f:
                    financees += 1
                    plai_adaptes_finances += c["n_plai_adapte"][k]
                    d = c["montant_demande"][k]
                    engage = engage + (c["subvention_justifiable"][k] if d is None else d)
    s = {"nombre_operations": len(lignes), "operations_resolues": n_ok, "operations_en_erreur": len(lignes) - n_ok,
         "operations_infaisables": n_ok - n_faisables, **totaux,
         "par_logement_p10": _quantile(par_logement, 0.1), "par_logement_p50": _quantile(par_logement, 0.5),
         "par_logement_p90": _quantile(par_logement, 0.9), "budget_fnap": budget,
         "operations_financees": None, "plai_adaptes_finances": None, "budget_engage": None}
    if budget is not None:
        s["operations_financees"] = financees
        s["plai_adaptes_finances"] = plai_adaptes_finances
        s["budget_engage"] = engage
    return s


NOMS_AU_PLUS = 20  # opérations nommées dans la vue texte d'un programme, puis leur nombre


def texte(lignes: list[dict[str, Any]], s: dict[str, Any]) -> str:
    from plai_bilan.format import compte, entier, euros

    m = [f"Programme : {compte(s['nombre_operations'], 'opération')}, {entier(s['operations_resolues'])} résolues, "
         f"{entier(s['operations_en_erreur'])} en erreur, {entier(s['operations_infaisables'])} infaisables ; "
         f"{compte(s['n_logements'], 'logement')} dont {compte(s['n_plai_adapte'], 'PLAI adapté', 'PLAI adaptés')}",
         f"Prix de revient total : {euros(s['prix_de_revient'])}",
         f"Subventions d'équilibre (tout l'écart de financement) : {euros(s['subvention_minimale'])}",
         f"Coût des contreparties sociales : {euros(s['cout_contreparties'])}",
         f"Subvention PLAI adapté justifiable : {euros(s['subvention_justifiable'])}",
         f"Besoin hors contreparties (autres financeurs) : {euros(s['besoin_hors_contreparties'])}"]
    if s["par_logement_p50"] is not None:
        m.append(f"Subvention d'équilibre par logement : P10 {euros(s['par_logement_p10'])}, P50 "
                 f"{euros(s['par_logement_p50'])}, P90 {euros(s['par_logement_p90'])}")
    if s["budget_fnap"] is not None:
        financees = compte(s["operations_financees"], "opération financée", "opérations financées")
        m.append(f"Budget FNAP {euros(s['budget_fnap'])} : {financees} "
                 f"({compte(s['plai_adaptes_finances'], 'PLAI adapté')}) pour {euros(s['budget_engage'])} (classement : "
                 "montant justifiable par PLAI adapté croissant, chaque opération financée entière)")

    def et_autres(groupe: list) -> str:
        """« et 3 autres » au-delà des NOMS_AU_PLUS premiers nommés."""
        return f" et {compte(len(groupe) - NOMS_AU_PLUS, 'autre')}" if len(groupe) > NOMS_AU_PLUS else ""

    def noms(groupe: list[int]) -> str:
        return ", ".join(str(lignes[i].get("nom") or lignes[i].get("source")) for i in groupe[:NOMS_AU_PLUS]) \
            + et_autres(groupe)

    # Les lignes nommées, par leurs indices (colonnes lues par blocs : un programme de millions de lignes).
    infaisables, demandes, financees, refusees, passees, erreurs = [], [], [], [], [], []
    budget = s["budget_fnap"] is not None
    cles = ["erreur", "faisable", "montant_demande", "verdict"] + (["financee_par_le_budget"] if budget else [])
    for debut, c in blocs(lignes, cles):
        for k, e in enumerate(c["erreur"]):
            i = debut + k
            if e:
                erreurs.append(i)
            else:
                if c["faisable"][k] is False:
                    infaisables.append(i)
                if c["montant_demande"][k] is not None:
                    demandes.append(i)
            if budget:
                if c["financee_par_le_budget"][k]:
                    financees.append(i)
                elif not e and c["faisable"][k]:
                    refusee = c["montant_demande"][k] is not None and c["verdict"][k] != "demande justifiée"
                    (refusees if refusee else passees).append(i)
    if infaisables:
        # Regroupées par motif (le premier rencontré d'abord) : un motif n'est écrit qu'une fois.
        par_motif: dict[str, list[str]] = {}
        for i in infaisables[:NOMS_AU_PLUS]:
            par_motif.setdefault(lignes[i].get("motif") or "", []).append(str(lignes[i].get("nom")))
        m.append("Infaisables (aucune subvention n'équilibre l'opération ; détail : plai-bilan subvention) : "
                 + " ; ".join(", ".join(n) + (f" ({motif})" if motif else "") for motif, n in par_motif.items())
                 + et_autres(infaisables))
    if demandes:
        m.append("Demandes instruites (la subvention PLAI adapté chiffrée dans le fichier) : " + ", ".join(
            f"{lignes[i].get('nom')} : {euros(lignes[i]['montant_demande'])}, {lignes[i]['verdict']}"
            for i in demandes[:NOMS_AU_PLUS]) + et_autres(demandes))
    if budget:
        if financees:
            m.append(f"Financées par le budget : {noms(financees)}")
        if refusees:
            m.append(f"Non financées (demande non justifiée par l'instruction) : {noms(refusees)}")
        if passees:
            m.append(f"Non financées (budget épuisé à leur rang) : {noms(passees)}")
    from plai_bilan.sorties.texte import paragraphe

    m = [paragraphe(x, "  ") for x in m]
    if erreurs:
        m.append("")
        m.append("Opérations non résolues :")
        m += [paragraphe(f"  {lignes[i]['erreur']}", "    ") for i in erreurs]
    return "\n".join(m) + "\n"


def ecrire(lignes: list[dict[str, Any]], s: dict[str, Any], chemin: str | Path, cles_techniques: bool = False) -> None:
    """Le tableau du programme, selon l'extension : .csv (« ; », virgule décimale, BOM), .parquet, .xlsx (avec la
    vue du programme, un histogramme et la répartition du budget) ; écriture atomique."""
    from plai_bilan.sortie import ecrire_atomique

    chemin = str(chemin)
    suffixe = Path(chemin).suffix.lower()
    if suffixe == ".csv":
        from plai_bilan.sorties.csv import neutraliser

        def cellule(v: Any) -> str:  # un « ; » d'un texte devient une virgule (le séparateur)
            if isinstance(v, float):
                return f"{v:.2f}".replace(".", ",")
            if v is None:
                return ""
            if isinstance(v, bool):
                return "oui" if v else "non"
            return neutraliser(str(v)).replace(";", ",")

        cles = list(lignes[0]) if lignes else ["source"]

        def ecrire_csv(tmp: str) -> None:  # par blocs de lignes : un programme de millions de lignes reste léger
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                f.write("\ufeff" + ";".join(neutraliser(entete(c, cles_techniques)) for c in cles) + "\r\n")
                if isinstance(lignes, TableauProgramme):
                    for debut in range(0, len(lignes), BLOC_CSV):
                        colonnes = [[f"{v:.2f}".replace(".", ",") if type(v) is float else "" if v is None
                                     else cellule(v) for v in lignes.colonne(c, debut, debut + BLOC_CSV)] for c in cles]
                        f.write("".join(";".join(r) + "\r\n" for r in zip(*colonnes)))
                    return
                for l in lignes:
                    f.write(";".join([cellule(l[c]) for c in cles]) + "\r\n")

        ecrire_atomique(chemin, ecrire_csv)
    elif suffixe == ".parquet":
        import pandas as pd

        df = (pd.DataFrame({c: lignes.colonne(c) for c in lignes.cles}) if isinstance(lignes, TableauProgramme)
              else pd.DataFrame(lignes))
        ecrire_atomique(chemin, lambda tmp: df.to_parquet(tmp, index=False))
    else:
        ecrire_atomique(chemin, lambda tmp: _classeur(lignes, s, tmp, cles_techniques))


BLOC_CSV = 10_000  # lignes d'un programme mises en texte ensemble
LIGNES_MAX_CLASSEUR = 1_048_576 - 1  # une feuille de classeur, sous son en-tête


def _classeur(lignes: list[dict[str, Any]], s: dict[str, Any], chemin: str, cles_techniques: bool = False) -> None:
    from plai_bilan.export.classeur import Classeur, ecrire as ecrire_cellule

    cl = Classeur(chemin)
    f = cl.format
    ws = cl.wb.add_worksheet("Programme")
    ws.write_string(0, 0, "Programme d'opérations", f(titre=True))
    ws.set_column(0, 0, 62)
    ws.set_column(1, 1, 20)
    vue = [("Opérations", s["nombre_operations"], "nombre"), ("résolues", s["operations_resolues"], "nombre"),
           ("en erreur", s["operations_en_erreur"], "nombre"), ("infaisables", s["operations_infaisables"], "nombre"),
           ("Logements", s["n_logements"], "nombre"), ("dont PLAI adaptés", s["n_plai_adapte"], "nombre"),
           ("Prix de revient total", s["prix_de_revient"], "euros"),
           ("Subventions d'équilibre (tout l'écart de financement)", s["subvention_minimale"], "euros"),
           ("Coût des contreparties sociales", s["cout_contreparties"], "euros"),
           ("Subvention PLAI adapté justifiable", s["subvention_justifiable"], "euros"),
           ("Besoin hors contreparties", s["besoin_hors_contreparties"], "euros"),
           ("Subvention d'équilibre par logement : P10", s["par_logement_p10"], "euros"),
           ("P50", s["par_logement_p50"], "euros"), ("P90", s["par_logement_p90"], "euros")]
    if s["budget_fnap"] is not None:
        vue += [("Budget FNAP", s["budget_fnap"], "euros"), ("Opérations financées", s["operations_financees"],
                                                             "nombre"),
                ("PLAI adaptés financés", s["plai_adaptes_finances"], "nombre"),
                ("Budget engagé", s["budget_engage"], "euros")]
    for i, (lib, v, fmt) in enumerate(vue, start=2):
        ws.write_string(i, 0, lib)
        ecrire_cellule(ws, i, 1, v, f(fmt))
    ws.write_string(len(vue) + 3, 0, "Répartition du budget : opérations classées par montant justifiable par PLAI "
                    "adapté croissant, chacune financée de tout son montant tant que le budget le couvre.",
                    f(italique=True))
    t = cl.wb.add_worksheet("Opérations")
    cles = list(lignes[0]) if lignes else []
    for j, c in enumerate(cles):
        t.write_string(0, j, entete(c, cles_techniques), f(entete=True))
    t.set_row(0, 45)
    t.set_column(0, 1, 30)
    t.set_column(2, len(cles), 15)
    formats = {"n_logements": "nombre", "n_plai_adapte": "nombre", "annee_critique": "entier",
               "budget_restant": "euros"}
    for i, l in enumerate(lignes, start=1):
        for j, c in enumerate(cles):
            v = l[c]
            if isinstance(v, bool):
                v = "oui" if v else "non"
            fmt = formats.get(c, "euros" if isinstance(v, float) else "texte")
            ecrire_cellule(t, i, j, v, f(fmt))
    t.freeze_panes(1, 1)
    t.autofilter(0, 0, max(len(lignes), 1), max(len(cles) - 1, 0))
    lg = cl.wb.add_worksheet("Légende")
    lg.write_row(0, 0, ["Colonne", "Définition", "Clé"], f(entete=True))
    lg.set_column(0, 0, 36)
    lg.set_column(1, 1, 100)
    lg.set_column(2, 2, 34)
    for i, (court, definition, cle) in enumerate(legende(cles), start=1):
        lg.write_row(i, 0, [court, definition, cle])
    # Histogramme de la subvention d'équilibre par logement (10 classes).
    valeurs = [l["subvention_minimale_par_logement"] for l in lignes
               if l["erreur"] is None and l["faisable"] and l["subvention_minimale_par_logement"] is not None]
    if valeurs:
        bas, haut = min(valeurs), max(valeurs)
        pas = (haut - bas) / 10 or 1.0
        classes = [0] * 10
        for v in valeurs:
            classes[min(int((v - bas) / pas), 9)] += 1
        h = cl.wb.add_worksheet("Distribution")
        h.write_row(0, 0, ["De (€ par logement)", "À", "Opérations"], f(entete=True))
        for k in range(10):
            h.write_number(k + 1, 0, bas + k * pas, f("euros"))
            h.write_number(k + 1, 1, bas + (k + 1) * pas, f("euros"))
            h.write_number(k + 1, 2, classes[k], f("nombre"))
        g = cl.wb.add_chart({"type": "column"})
        g.add_series({"name": "Opérations", "categories": ["Distribution", 1, 0, 10, 0],
                      "values": ["Distribution", 1, 2, 10, 2], "fill": {"color": "#2E75B6"}, "gap": 10})
        g.set_title({"name": "Subvention d'équilibre par logement", "name_font": {"size": 11}})
        g.set_x_axis({"num_format": "#,##0", "name": "€ par logement (début de classe)"})
        g.set_legend({"none": True})
        ws.insert_chart(len(vue) + 5, 0, g)
        _mise_en_page(h, False)
    _mise_en_page(ws, False)
    _mise_en_page(t, True, repeter=True)
    _mise_en_page(lg, True)
    cl.fermer()


def _mise_en_page(ws, paysage: bool, repeter: bool = False) -> None:
    """Une page de large, A4 (A3 pour le tableau des opérations), en-tête et première colonne répétés."""
    if paysage:
        ws.set_landscape()
    ws.set_paper(8 if repeter else 9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if repeter:
        ws.repeat_rows(0)
        ws.repeat_columns(0)
    ws.set_footer("&L&8plai-bilan, programme d'opérations&C&8&A&R&8page &P / &N")
