"""Le classeur d'étude d'équilibre : des formules Excel vivantes, les valeurs du moteur en cache.

Feuilles : Synthèse, Hypothèses (les saisies, sur fond jaune), Loyers, Prix de revient et financement,
Emprunts, Exploitation, Équilibre, Paramètres. Loyers, Emprunts, Exploitation et Équilibre sont des formules qui
renvoient aux Hypothèses et aux Paramètres : modifier une hypothèse dans Excel ou LibreOffice recalcule le compte,
la subvention d'équilibre (formes fermées de model.md 8) et le loyer d'équilibre. Le classeur ne calcule rien que le
moteur ne calcule ; les valeurs en cache sont celles du moteur.
"""
from __future__ import annotations

from pathlib import Path

from plai_bilan.bilan import Bilan
from plai_bilan.format import compte, euros
from plai_bilan.export.base import (  # noqa: F401
    van_cache,
    van_ou_motif,
    CRITERES,
    EMPRUNTS,
    EQUI,
    EXPL,
    FEUILLES,
    FIN,
    HYP,
    LOYERS,
    PARAM,
    PREMIERE_ANNEE_EQUILIBRE,
    PREMIERE_LIGNE_LOYERS,
    STATUTS,
    SYNTHESE,
    Rangees,
)
from plai_bilan.export.classeur import Classeur, cellule, formule, ref
from plai_bilan.export.feuilles_calcul import FeuillesCalcul
from plai_bilan.export.feuille_sieg import FeuilleSieg
from plai_bilan.export.feuilles_entrees import FeuillesEntrees


class _Export(FeuillesEntrees, FeuillesCalcul, FeuilleSieg):
    """Écrit les feuilles dans l'ordre des dépendances ; chaque méthode remplit une feuille."""

    # ------------------------------------------------------------------ Synthèse
    def _par_produit(self, ws, ligne: int) -> int:
        """Opération mixte : logements, part de surface utile, prix de revient et loyers de l'année 1 de chaque
        produit en formules (colonne Produit de Loyers) ; le besoin propre, établi à l'export."""
        from plai_bilan.export.feuilles_entrees import COL_LOYERS_PRODUIT

        n = len(self.b.loyers_par_logement)

        def col(c: int) -> str:
            return (f"{ref(LOYERS, PREMIERE_LIGNE_LOYERS, c)}:"
                    f"{cellule(PREMIERE_LIGNE_LOYERS + n - 1, c, True)}")

        self.entete(ws, ligne, 0, ["Par produit (opération mixte)", "Logements", "Part de la SU", "Prix de revient",
                                   "Loyers de l'année 1", "Besoin propre (établi à l'export)"])
        ligne += 1
        for p in self.b.produits:
            est = f'({col(COL_LOYERS_PRODUIT)}="{p.produit}")'
            ws.write_string(ligne, 0, p.produit)
            formule(ws, ligne, 1, f"n_logements_{p.produit.lower()}", p.n_logements, self.f("nombre"))
            formule(ws, ligne, 2, f"SUMPRODUCT({est}*{col(1)}*{col(4)})/su_totale", p.part_surface, self.f("pct"))
            formule(ws, ligne, 3, f"prix_de_revient*{cellule(ligne, 2)}", p.prix_de_revient, self.f("euros"))
            formule(ws, ligne, 4, f"12*SUMPRODUCT({est}*{col(1)}*({col(10)}+{col(9)}))",
                    12 * sum(l.nombre * (l.loyer + l.loyer_accessoire) for l in self.b.loyers_par_logement
                             if l.produit == p.produit), self.f("euros"))
            if p.besoin_propre is not None:
                ws.write_string(ligne, 5, euros(p.besoin_propre) if p.besoin_propre_faisable else "infaisable")
            ligne += 1
        return ligne

    def synthese(self) -> None:
        ws, e, sc = self.ws[SYNTHESE], self.e, self.sc
        op = sc.operation
        self.largeurs(ws, (0, 0, 58), (1, 1, 18), (2, 2, 12), (3, 3, 75))
        ws.write_string(0, 0, op.nom, self.f(titre=True))
        ws.write_string(1, 0, f"{op.nature} ; {compte(sc.n_logements, 'logement')} dont "
                        f"{compte(sc.n_plai_adapte, 'PLAI adapté', 'PLAI adaptés')} ; "
                        f"produit {op.produit} ; zone de loyer {op.zone_loyer}, zone APL {op.zone_apl} ; agrément du "
                        f"{op.date_agrement.strftime('%d/%m/%Y')} ; mise en service {op.mise_en_service}",
                        self.f(italique=True))
        ws.write_string(2, 0, f"Étude d'équilibre établie par plai-bilan {self.b.provenance.version} ; scénario "
                        f"{Path(sc.fichier).name} (SHA-256 {sc.sha256}) ; "
                        f"{self.b.provenance.baremes_connus()} ({self.b.provenance.parametres_origine})", self.f(italique=True))
        formule(ws, 3, 0, "alerte_saisie", "", self.f(alerte=True))  # vide sauf saisie incalculable (Hypothèses)
        ligne = 4
        self.entete(ws, ligne, 0, ["Résultat", "Valeur"])
        ligne += 1
        r = self.r

        rg = Rangees(self, ws, SYNTHESE, ligne)
        lien = rg.formule

        lien("Prix de revient", "prix_de_revient", e.prix_de_revient, "euros")
        lien("Prix de revient par logement", "prix_de_revient/n_logements", e.prix_de_revient / sc.n_logements,
             "euros")
        if self.avec_solveur:
            lien("Critère d'équilibre", "critere", r.critere, "texte")
            lien("Subvention d'équilibre : tout l'écart de financement (S*)", "subvention_minimale",
                 r.subvention_minimale if r.faisable else "aucune", "euros", gras=True)
            lien("par logement", 'IF(faisable="oui",subvention_minimale/n_logements,"")',
                 r.subvention_minimale_par_logement, "euros")
            lien("Année critique", "annee_critique", r.annee_critique, "entier")
            lien("Prêt d'équilibre avec la subvention", "pret_equilibre_initial-subvention_appliquee",
                 r.pret_equilibre, "euros")
            lien("Loyer d'équilibre sans subvention (€/m² SU/mois)", "loyer_equilibre_m2", r.loyer_equilibre_m2,
                 "euros_m2")
            lien("Même opération en PLAI ordinaire (G)", "subvention_plai_ordinaire",
                 r.subvention_plai_ordinaire if r.subvention_plai_ordinaire is not None else "aucune", "euros")
            lien("Coût des contreparties sociales (C = S* - G)", "cout_contreparties", r.cout_contreparties, "euros")
            lien("Subvention PLAI adapté justifiable, min(S*, C)",
                 'IF(AND(faisable="oui",ISNUMBER(cout_contreparties)),MAX(0,MIN(besoin_brut,cout_contreparties)),'
                 '"")', r.subvention_justifiable, "euros", gras=True)
            lien("Besoin hors contreparties (autres financeurs)",
                 'IF(AND(faisable="oui",ISNUMBER(cout_contreparties)),besoin_brut-MAX(0,MIN(besoin_brut,'
                 'cout_contreparties)),"")', r.besoin_hors_contreparties, "euros")
            lien("Valeur de référence FNAP", "reference_fnap", e.reference_fnap, "euros")
            t_min, _ = r.tresorerie_minimale
            lien("Trésorerie cumulée la plus basse", "tresorerie_minimale", t_min, "euros")
            lien("VAN avec la subvention d'équilibre", van_ou_motif("van_avec_subvention"), van_cache(r.compte.van),
                 "euros")
            if r.sieg is not None and r.sieg.corridor is not None:
                lien("Subvention maximale sans surcompensation (SIEG)", "subvention_maximale", r.sieg.corridor.maximum,
                     "euros", gras=True)
            if r.sieg is not None:
                lien("Contrôle de surcompensation (SIEG)", "verdict_sieg",
                     {"conforme": "pas de surcompensation", "surcompensation": "surcompensation"}[r.sieg.verdict],
                     "texte")
            if not r.faisable:
                ws.write_string(rg.ligne, 0, f"Infaisable : {r.motif}", self.f(gras=True))
                rg.ligne += 1
        else:
            lien("VAN de l'autofinancement", van_ou_motif("van_sans_subvention"), van_cache(self.sim0.van), "euros")

        ligne = rg.ligne + 1  # après les rangées de résultats
        self.entete(ws, ligne, 0, ["Plan de financement", "Montant", "Part"])
        ligne += 1
        for lib, l, fin_val in self.pos.plan_lignes:
            ws.write_string(ligne, 0, lib)
            formule(ws, ligne, 1, ref(FIN, l, 4), fin_val, self.f("euros"))
            formule(ws, ligne, 2, f"{cellule(ligne, 1)}/prix_de_revient", fin_val / e.prix_de_revient, self.f("pct"))
            ligne += 1

        if self.b.produits:
            ligne = self._par_produit(ws, ligne + 1)
        ligne += 1
        controles = list(self.b.controles)
        ws.write_string(ligne, 0, "Contrôles de l'instructeur (établis par plai-bilan à l'export)", self.f(gras=True))
        ligne += 1
        self.entete(ws, ligne, 0, ["Contrôle", "Statut", "Critère", "Détail"])
        ligne += 1
        for c in controles:
            lignes_texte = max(-(-len(c.libelle) // 48), -(-len(c.detail) // 85), 1)
            ws.set_row(ligne, 13.5 * lignes_texte)
            ws.write_string(ligne, 0, c.libelle, self.f(retour=True))
            ws.write_string(ligne, 1, c.statut, self.f(gras=c.statut == "non conforme", retour=True))
            ws.write_string(ligne, 2, c.code, self.f(retour=True))
            ws.write_string(ligne, 3, c.detail, self.f(retour=True))
            ligne += 1
        for a in self.b.avertissements:
            ws.set_row(ligne, 13.5 * max(1, -(-len(a) // 150)))
            ws.merge_range(ligne, 0, ligne, 3, "Avertissement : " + a, self.f(italique=True, retour=True))
            ligne += 1
        self._graphique(ws)
        self.mise_en_page(ws, paysage=True)
        ws.activate()

    def _graphique(self, ws) -> None:
        wb = self.cl.wb
        p, dern = self.pos.expl_premiere, self.pos.expl_premiere + self.h - 1
        af = "autofinancement_s" if self.avec_solveur else "autofinancement"
        tr = "tresorerie_s" if self.avec_solveur else "tresorerie"
        barres = wb.add_chart({"type": "column"})
        barres.add_series({"name": "Autofinancement", "categories": [EXPL, p, 0, dern, 0],
                           "values": [EXPL, p, self.col_expl(af), dern, self.col_expl(af)],
                           "fill": {"color": "#5B9BD5"}, "gap": 40})
        courbe = wb.add_chart({"type": "line"})
        courbe.add_series({"name": "Trésorerie cumulée", "categories": [EXPL, p, 0, dern, 0],
                           "values": [EXPL, p, self.col_expl(tr), dern, self.col_expl(tr)],
                           "line": {"color": "#C00000", "width": 2.25}, "y2_axis": True})
        barres.combine(courbe)
        quoi = "avec la subvention d'équilibre" if self.avec_solveur else "sans subvention"
        barres.set_title({"name": f"Autofinancement et trésorerie cumulée {quoi}", "name_font": {"size": 11}})
        barres.set_x_axis({"name": "Année d'exploitation", "interval_unit": 5, "interval_tick": 5,
                           "label_position": "low", "num_font": {"size": 8}})
        barres.set_y_axis({"name": "Autofinancement (€)", "num_format": '#,##0', "num_font": {"size": 8},
                           "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
        courbe.set_y2_axis({"name": "Trésorerie cumulée (€)", "num_format": '#,##0', "num_font": {"size": 8}})
        barres.set_legend({"position": "bottom"})
        barres.set_size({"width": 760, "height": 360})
        ws.insert_chart(4, 3, barres, {"x_offset": 10, "y_offset": 0})



def ecrire_classeur(chemin: str, b: Bilan, supplements: tuple = (), progression=None) -> None:
    """Écrit le classeur à ``chemin`` (sans précaution d'atomicité : voir :func:`exporter`).

    ``supplements`` : des feuilles de plus (instruction, sensibilité), chacune un objet avec ``nom`` et
    ``ecrire(export, feuille)``, placées après la Synthèse et écrites en dernier. ``progression(fait, total)`` :
    une étape par feuille, par prêt et pour l'assemblage final.
    """
    cl = Classeur(chemin)
    x = _Export(cl, b, supplements)
    x.progression = progression
    from datetime import datetime

    # Date du document : celle du jeu de paramètres, pour que deux exports identiques soient identiques à l'octet.
    date_document = datetime.combine(b.provenance.parametres_date, datetime.min.time())
    x.cl.wb.set_properties({"created": date_document, "title": f"Étude d'équilibre : {b.scenario.operation.nom}",
                            "subject": "Équilibre financier d'une opération PLAI / PLAI adapté",
                            "author": f"plai-bilan {b.provenance.version}",
                            "comments": f"scénario {b.scenario.sha256}"})
    for etape in (x.hypotheses, x.parametres, x.loyers, x.financement, x.emprunts, x.exploitation, x.equilibre,
                  x.sieg, x.synthese):
        etape()
        x.avancer()
    for supplement in supplements:
        supplement.ecrire(x, x.ws[supplement.nom])
        x.avancer()
    from plai_bilan.export.controle import ecrire_controle, proteger

    ecrire_controle(x, x.pos.relues_verrouillees, {"logements": x.pos.logements, "prets": x.pos.prets,
                                                   "subventions": [l for l, _ in x.pos.subventions],
                                                   "autres": x.pos.autres_couts})
    proteger(cl.wb)
    cl.fermer()
    x.avancer()


def ecrire_modele(chemin: str, b: Bilan, vide: bool = False) -> None:
    """Le classeur de saisie : la feuille Hypothèses seule, remplie avec le scénario de ``b`` (``vide`` : sans
    opération, le scénario de ``b`` donné en exemple dans les commentaires), tout modifiable (listes déroulantes,
    contrôles, commentaires d'aide, libellés protégés, lignes libres dans les tableaux)."""
    from datetime import datetime

    cl = Classeur(chemin)
    x = _Export(cl, b, (), feuilles=(HYP,))
    x.modele = True
    x.vide = vide
    cl.wb.set_properties({"created": datetime.combine(b.provenance.parametres_date, datetime.min.time()),
                          "title": "Saisie plai-bilan" + ("" if vide else f" : {b.scenario.operation.nom}"),
                          "author": f"plai-bilan {b.provenance.version}"})
    x.hypotheses()
    cl.fermer()


def exporter_modele(b: Bilan, chemin: str | Path, vide: bool = False) -> None:
    """Écrit le classeur de saisie de façon atomique."""
    from plai_bilan.sortie import ecrire_atomique

    ecrire_atomique(chemin, lambda tmp: ecrire_modele(tmp, b, vide))


def exporter(b: Bilan, chemin: str | Path, supplements: tuple = (), progression=None) -> None:
    """Écrit le classeur d'étude d'un bilan (résolu s'il a un prêt d'équilibre) de façon atomique."""
    from plai_bilan.sortie import ecrire_atomique

    ecrire_atomique(chemin, lambda tmp: ecrire_classeur(tmp, b, supplements, progression))
