"""Feuilles d'analyse : verdict d'instruction et sensibilité (ajoutées au classeur d'étude), et le classeur de
comparaison de plusieurs opérations."""

from __future__ import annotations

import math
from pathlib import Path

from plai_bilan.catalogue import catalogue
from plai_bilan.etudes import Sensibilite, Verdict
from plai_bilan.export.base import Rangees
from plai_bilan.export.classeur import Classeur, cellule, ecrire, formule, oui_non
from plai_bilan.sortie import ecrire_atomique


class FeuilleInstruction:
    """L'avis d'instruction sur une page : demande (modifiable), S*, G, C, montant justifiable et verdict en formules."""

    nom = "Instruction"

    def __init__(self, v: Verdict) -> None:
        self.v = v

    def ecrire(self, x, ws) -> None:
        v, f = self.v, x.f
        b = v.bilan
        x.largeurs(ws, (0, 0, 58), (1, 1, 22), (2, 2, 80))
        x.titre(ws, "Avis d'instruction : subvention PLAI adapté (FNAP)",
                f"Subvention instruite : {v.financeur}. S* : besoin de financement de l'opération ; G : le même en PLAI "
                "ordinaire ; C = S* - G : coût des contreparties sociales ; la subvention PLAI adapté peut justifier "
                "min(S*, C) (programme FNAP, III).")
        rg = Rangees(x, ws, self.nom, 3)
        rg.saisie("Montant demandé", v.demande, "euros2", "montant_demande")
        rg.saisie("Tolérance de l'instruction (€)", v.tolerance, "euros2", "tolerance_instruction")
        s = b.subvention_minimale  # en cache : la valeur exacte que recalcule la formule, pas l'arrondi au centime
        lignes = [
            ("Besoin de financement de l'opération (S*)", 'IF(faisable="oui",besoin_brut,"aucune")',
             s if b.faisable else "aucune", "euros2", None),
            ("Même opération en PLAI ordinaire (G)", "subvention_plai_ordinaire",
             b.subvention_plai_ordinaire if b.subvention_plai_ordinaire is not None else "aucune", "euros2", None),
            ("Coût des contreparties sociales (C = S* - G)", "cout_contreparties", b.cout_contreparties, "euros2",
             None),
            ("Subvention PLAI adapté justifiable, min(S*, C)",
             'IF(AND(faisable="oui",ISNUMBER(cout_contreparties)),MAX(0,MIN(besoin_brut,cout_contreparties)),"")',
             b.subvention_justifiable, "euros2", "subvention_justifiable"),
            ("Besoin hors contreparties (autres financeurs)",
             'IF(ISNUMBER(subvention_justifiable),besoin_brut-subvention_justifiable,"")',
             b.besoin_hors_contreparties, "euros2", None),
            ("Valeur de référence FNAP", "reference_fnap", b.reference_fnap, "euros", None),
            ("Demande / référence FNAP", 'IF(N(reference_fnap)>0,montant_demande/reference_fnap,"")',
             v.demande / b.reference_fnap if b.reference_fnap else None, "pct", None),
        ]
        for lib, texte, val, fmt, nom in lignes:
            rg.formule(lib, texte, val, fmt, nom=nom)
        l = rg.ligne
        noms = {"loyers": "loyers plus bas", "gla": "gestion locative adaptée", "accompagnement": "accompagnement (net)",
                "subventions_plai_adapte": "subventions PLAI adapté d'autres financeurs"}
        for cause, valeur in (b.contreparties or {}).items():
            ws.write_string(l, 0, f"    dont {noms[cause]} (établi à l'export)", f(italique=True))
            if valeur is None:
                ws.write_string(l, 1, "non chiffrable (variante infaisable)", f(italique=True))
            else:
                ecrire(ws, l, 1, valeur, f("euros2"))
            l += 1
        n_nc = len(v.criteres_non_conformes)
        ws.write_string(l, 0, "Critères d'éligibilité non conformes (à l'export)")
        ws.write_number(l, 1, n_nc, f("entier"))
        x.cl.nommer("criteres_non_conformes", self.nom, l, 1)
        l += 1
        ws.write_string(l, 0, "Verdict", f(gras=True))
        # Les règles d'instruction.juger : la borne la plus basse dépassée (J, ou le maximum SIEG s'il est sous J).
        demande = "ROUND(montant_demande,2)"
        dessus_j = f"{demande}>ROUND(subvention_justifiable,2)+tolerance_instruction"
        if v.subvention_maximale is not None:
            dessus = (f"OR({dessus_j},{demande}>subvention_maximale+tolerance_instruction),IF(subvention_maximale<"
                      f"ROUND(subvention_justifiable,2),\"surcompensation\",\"demande excessive\")")
        else:
            dessus = f'{dessus_j},"demande excessive"'
        formule(ws, l, 1, f'IF(criteres_non_conformes>0,"non éligible",IF({demande}>ROUND(pret_equilibre_initial,2)'
                f'+tolerance_instruction,"demande excessive",IF(NOT(ISNUMBER(subvention_justifiable)),'
                f'"plan non équilibré",IF({dessus},IF({demande}<ROUND(besoin_brut,2)-tolerance_instruction,'
                '"plan non équilibré","demande justifiée")))))', _verdict_classeur(v), f(gras=True))
        l += 2
        ws.write_string(l, 0, "Raison (établie à l'export)", f(gras=True))
        l += 1
        ws.set_row(l, 13.5 * max(1, -(-len(v.raison) // 140)))
        ws.merge_range(l, 0, l, 2, v.raison[0].upper() + v.raison[1:] + ".", f(retour=True))
        l += 2
        x.entete(ws, l, 0, ["Critère d'éligibilité", "Statut", "Détail"])
        l += 1
        for c in v.constats_eligibilite:
            libelle = f"{c.code} - {c.libelle}"
            # Lignes repliées (LibreOffice n'ajuste pas la hauteur au chargement) : ~48 et ~68 caractères par ligne.
            ws.set_row(l, 13.5 * max(-(-len(libelle) // 48), -(-len(c.detail) // 68), 1))
            ws.write_string(l, 0, libelle, f(retour=True))
            ws.write_string(l, 1, c.statut, f(gras=c.statut == "non conforme", retour=True))
            ws.write_string(l, 2, c.detail, f(retour=True))
            l += 1
        x.mise_en_page(ws, paysage=False, une_page=True)


def _verdict_classeur(v: Verdict) -> str:
    return {"justifiee": "demande justifiée", "excessive": "demande excessive", "plan_non_equilibre":
            "plan non équilibré", "non_eligible": "non éligible", "surcompensation": "surcompensation"}[v.verdict]


class FeuilleSensibilite:
    """Le tableau de sensibilité et sa tornade (graphique à barres du classeur)."""

    nom = "Sensibilité"

    def __init__(self, s: Sensibilite) -> None:
        self.s = s

    def ecrire(self, x, ws) -> None:
        s, f = self.s, x.f
        x.largeurs(ws, (0, 0, 46), (1, 9, 15))
        x.titre(ws, "Sensibilité de la subvention d'équilibre",
                "Valeurs calculées par plai-bilan à l'export (chaque variante est une opération résolue à part ; "
                "non recalculées par le classeur). Infaisable : aucune subvention n'équilibre la variante.")
        ws.write_string(3, 0, "Subvention d'équilibre de référence")
        ecrire(ws, 3, 1, s.subvention_base, f("euros"))
        x.entete(ws, 5, 0, ["Hypothèse", "Base", "Basse", "S* basse", "Haute", "S* haute", "Écart bas", "Écart haut",
                            "Bascule (S* = 0)", "Rupture"])
        lignes = s.triees()
        for i, l in enumerate(lignes):
            r = 6 + i
            fmt = "euros" if l.unite == "€" else "decimal"
            ws.write_string(r, 0, f"{l.libelle} ({l.unite})")
            for c, v in ((1, l.base), (2, l.basse), (4, l.haute)):
                ecrire(ws, r, c, v, f(fmt))
            for c, v in ((3, l.subvention_basse), (5, l.subvention_haute)):
                if math.isinf(v):
                    ws.write_string(r, c, "infaisable")
                else:
                    ecrire(ws, r, c, v, f("euros"))
            for c, src in ((6, 3), (7, 5)):
                val = [l.subvention_basse, l.subvention_haute][(src - 3) // 2] - s.subvention_base
                formule(ws, r, c, f'IF(ISNUMBER({cellule(r, src)}),{cellule(r, src)}-$B$4,"")', val,
                        f("euros"))
            for c, seuil in ((8, l.bascule), (9, l.rupture)):
                if seuil is None:
                    ws.write_string(r, c, "hors plage")
                else:
                    ecrire(ws, r, c, seuil, f(fmt))
        dern = 6 + len(lignes) - 1
        graphique = x.cl.wb.add_chart({"type": "bar"})
        for c, nom, couleur in ((6, "Hypothèse basse", "#2E75B6"), (7, "Hypothèse haute", "#C00000")):
            graphique.add_series({"name": nom, "categories": [self.nom, 6, 0, dern, 0],
                                  "values": [self.nom, 6, c, dern, c], "fill": {"color": couleur}, "gap": 60})
        graphique.set_title({"name": "Écart de la subvention d'équilibre", "name_font": {"size": 11}})
        graphique.set_y_axis({"reverse": True, "num_font": {"size": 8}, "label_position": "low"})
        graphique.set_x_axis({"num_format": "#,##0", "num_font": {"size": 8},
                              "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
        graphique.set_legend({"position": "bottom"})
        hauteur = 90 + 34 * len(lignes)
        graphique.set_size({"width": 980, "height": hauteur})
        ws.insert_chart(dern + 3, 0, graphique)
        x.mise_en_page(ws, derniere_ligne=dern + 4 + hauteur // 20, une_page=True)


def ecrire_comparaison(resultats, chemin: str | Path) -> None:
    """Le classeur de comparaison : indicateurs côte à côte, graphique, traçabilité ; écrit de façon atomique."""

    def ecrire_tmp(tmp: str) -> None:
        cl = Classeur(tmp)
        f = cl.format
        ws = cl.wb.add_worksheet("Comparaison")
        cat = catalogue()
        indicateurs = cat.document("indicateurs")
        cols = [{"nom": r.scenario.operation.nom, **r.indicateurs()} for r in resultats]
        version = resultats[0].provenance.version
        dates = sorted({r.provenance.parametres_date.strftime('%d/%m/%Y') for r in resultats})
        ws.write_string(0, 0, "Comparaison d'opérations", f(titre=True))
        ws.write_string(1, 0, f"plai-bilan {version} ; paramètres au "
                        f"{', '.join(dates)} ; subvention d'équilibre appliquée "
                        "pour les grandeurs « avec subvention »", f(italique=True))
        ws.set_column(0, 0, 96)  # les libellés du catalogue, entiers
        ws.set_column(1, len(cols), 24)
        ws.write_string(3, 0, "Opération", f(entete=True))
        for j, c in enumerate(cols):
            ws.write_string(3, 1 + j, c["nom"], f(entete=True))
        ws.set_row(3, 45)
        formats = {"€": "euros", "€/m²/mois": "decimal", "€/mois": "euros", "m²": "decimal", "nombre": "decimal",
                   "année": "entier", "texte": "texte", "booléen": "texte"}
        for i, cle in enumerate(indicateurs):
            r = 4 + i
            ws.write_string(r, 0, cat[cle].libelle_unite)
            for j, col in enumerate(cols):
                v = col[cle]
                fmt = "nombre" if isinstance(v, int) and not isinstance(v, bool) else formats[cat[cle].unite]
                ecrire(ws, r, 1 + j, oui_non(v), f(fmt))
        ligne_pr = 4 + indicateurs.index("prix_de_revient_par_logement")
        ligne_s = 4 + indicateurs.index("subvention_minimale_par_logement")
        graphique = cl.wb.add_chart({"type": "column"})
        for r, couleur in ((ligne_pr, "#A5A5A5"), (ligne_s, "#2E75B6")):
            graphique.add_series({"name": ["Comparaison", r, 0], "categories": ["Comparaison", 3, 1, 3, len(cols)],
                                  "values": ["Comparaison", r, 1, r, len(cols)], "fill": {"color": couleur}})
        graphique.set_title({"name": "Prix de revient et subvention d'équilibre par logement",
                             "name_font": {"size": 11}})
        graphique.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True,
                                                                          "line": {"color": "#E0E0E0"}}})
        graphique.set_legend({"position": "bottom"})
        graphique.set_size({"width": 720, "height": 360})
        ws.insert_chart(4 + len(indicateurs) + 2, 0, graphique)
        ws.freeze_panes(4, 1)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 1)
        ws.print_area(0, 0, 4 + len(indicateurs) + 2 + 20, max(len(cols), 4))
        trace = cl.wb.add_worksheet("Traçabilité")
        # Une page de large : textes longs repliés dans des colonnes bornées, empreinte en petit.
        trace.set_column(0, 0, 45)
        trace.set_column(1, 1, 55)
        trace.set_column(2, 2, 34)
        for j, h in enumerate(["Opération", "Fichier", "SHA-256 du scénario"]):
            trace.write_string(0, j, h, f(entete=True))
        for i, r in enumerate(resultats):
            lignes = max(-(-len(r.scenario.operation.nom) // 45), -(-len(r.scenario.fichier) // 55), 2)
            trace.set_row(1 + i, 13 * lignes + 3)  # hauteur des textes repliés (pas d'ajustement au chargement)
            trace.write_string(1 + i, 0, r.scenario.operation.nom, f(retour=True))
            trace.write_string(1 + i, 1, r.scenario.fichier, f(retour=True))
            trace.write_string(1 + i, 2, r.scenario.sha256, f(retour=True))
        trace.set_landscape()
        trace.set_paper(9)
        trace.fit_to_pages(1, 0)
        trace.repeat_rows(0, 0)
        trace.print_area(0, 0, len(resultats), 2)
        trace.set_footer("&L&8plai-bilan " + version + "&C&8&A&R&8page &P / &N")
        from datetime import datetime

        date_document = datetime.combine(max(r.provenance.parametres_date for r in resultats), datetime.min.time())
        cl.wb.set_properties({"created": date_document, "title": "Comparaison d'opérations",
                              "author": f"plai-bilan {version}"})
        cl.fermer()

    ecrire_atomique(chemin, ecrire_tmp)


class FeuilleMenages:
    """Feuille « Ménages » : quittance, APL et reste à charge par ligne et niveau de ressources (valeurs calculées
    par openfisca-france, avec leur provenance), et le graphique par type de logement."""

    nom = "Ménages"

    def __init__(self, vue) -> None:
        self.vue = vue

    def ecrire(self, x, ws) -> None:
        vue = self.vue
        f = x.f
        x.largeurs(ws, (0, 0, 12), (1, 1, 34), (2, 12, 13), (13, 13, 30))
        x.titre(ws, "Ménages : quittance, aide au logement et reste à charge (euros par mois, année 1)",
                f"Aide au logement calculée par openfisca-france {vue.openfisca_version} pour {vue.periode}, ménage "
                f"{vue.statut_locataire} ; ressources prises en compte pour l'aide : {vue.ressources_origine}. Taux "
                "d'effort et reste pour vivre sur le revenu total (prestations comprises) quand il est déclaré, sinon "
                "sur les ressources. Valeurs établies à l'export (ré-exportez après une modification des loyers).")
        x.entete(ws, 3, 0, ["Logement", "Ménage", "Ressources annuelles", "Revenu total annuel",
                            "Loyer et accessoire", "RLS", "Charges", "Prestations", "Quittance", "APL",
                            "Reste à charge", "Taux d'effort", "Reste pour vivre", "Origine des charges"])
        ws.set_row(3, 30)
        for i, l in enumerate(vue.lignes):
            r = 4 + i
            ws.write_string(r, 0, l.typologie)
            ws.write_string(r, 1, l.menage)
            ws.write_number(r, 2, l.ressources, f("euros2"))
            if l.revenu_total is None:
                ws.write_blank(r, 3, None, f("euros2"))
            else:
                ws.write_number(r, 3, l.revenu_total, f("euros2"))
            for c, v in enumerate((l.loyer, l.reduction_loyer_solidarite, l.charges, l.prestations), start=4):
                ws.write_number(r, c, v, f("euros2"))
            formule(ws, r, 8, f"{cellule(r, 4)}-{cellule(r, 5)}+{cellule(r, 6)}+{cellule(r, 7)}", l.quittance,
                    f("euros2"))
            ws.write_number(r, 9, l.apl, f("euros"))
            formule(ws, r, 10, f"{cellule(r, 8)}-{cellule(r, 9)}", l.reste_a_charge, f("euros2", gras=True))
            rev, res, reste = cellule(r, 3), cellule(r, 2), cellule(r, 10)
            formule(ws, r, 11, f'IF(ISNUMBER({rev}),IF({rev}>0,{reste}/({rev}/12),""),'
                    f'IF({res}>0,{reste}/({res}/12),""))', l.taux_effort, f("pct"))
            formule(ws, r, 12, f'IF(ISNUMBER({rev}),{rev}/12-{reste},"")', l.reste_pour_vivre, f("euros2"))
            ws.write_string(r, 13, l.charges_origine)
        fin = 4 + len(vue.lignes)
        if vue.constats:
            x.entete(ws, fin + 1, 0, ["Contrôle", "", "Statut", "Détail"])
            for j, c in enumerate(vue.constats):
                ws.write_string(fin + 2 + j, 1, c.libelle)
                ws.write_string(fin + 2 + j, 2, c.statut, f(gras=c.statut == "non conforme"))
                ws.write_string(fin + 2 + j, 3, c.detail)
            fin += 2 + len(vue.constats)
        # Graphique : quittance, APL et reste à charge, au premier niveau de ressources de chaque ligne.
        n_niveaux = len({l.ressources for l in vue.lignes})
        premiers = list(range(4, 4 + len(vue.lignes), n_niveaux))
        g = x.cl.wb.add_chart({"type": "column"})
        for c, couleur in ((8, "#A5A5A5"), (9, "#2E75B6"), (10, "#C00000")):
            g.add_series({"name": [self.nom, 3, c],
                          "categories": "=(" + ",".join(f"'{self.nom}'!$A${r + 1}" for r in premiers) + ")",
                          "values": "=(" + ",".join(f"'{self.nom}'!${chr(65 + c)}${r + 1}" for r in premiers) + ")",
                          "fill": {"color": couleur}})
        g.set_title({"name": "Quittance, APL et reste à charge par logement (premier niveau de ressources)",
                     "name_font": {"size": 11}})
        g.set_y_axis({"num_format": "#,##0 €"})
        g.set_legend({"position": "bottom"})
        g.set_size({"width": 760, "height": 340})
        ws.insert_chart(fin + 2, 0, g)
        x.mise_en_page(ws, derniere_ligne=fin + 22)


class FeuilleOptimisation:
    """Le plan de financement du fichier et le plan optimisé côte à côte (plai-bilan optimiser) : valeurs calculées
    à l'export ; le reste du classeur est l'étude du plan optimisé."""

    nom = "Optimisation"

    def __init__(self, o, plan_fichier) -> None:
        self.o, self.plan_fichier = o, plan_fichier

    def ecrire(self, x, ws) -> None:
        from plai_bilan.sorties.texte import valeur_levier

        o, f = self.o, x.f
        x.largeurs(ws, (0, 0, 52), (1, 6, 16))
        x.titre(ws, "Montage financier optimisé",
                f"Horizon fixé à {o.horizon} ans ; règles des prêteurs : {o.regles}. Valeurs calculées par plai-bilan "
                "à l'export ; les autres feuilles sont l'étude du plan optimisé.")
        lignes = [("Subvention d'équilibre (S*), plan du fichier", o.subvention_fichier),
                  ("Subvention d'équilibre (S*), plan optimisé", o.subvention_optimisee)]
        for i, (libelle, v) in enumerate(lignes):
            ws.write_string(3 + i, 0, libelle)
            if math.isfinite(v):
                ecrire(ws, 3 + i, 1, v, f("euros"))
            else:
                ws.write_string(3 + i, 1, "infaisable")
        ws.write_string(5, 0, "Subvention évitable")
        formule(ws, 5, 1, f'IF(AND(ISNUMBER(B4),ISNUMBER(B5)),B4-B5,"")',
                o.economie if math.isfinite(o.economie) else None, f("euros", gras=True))
        x.entete(ws, 7, 0, ["Levier", "Fichier", "Optimisé", "Effet seul (baisse de S*)"])
        for i, l in enumerate(o.leviers_changes):
            r = 8 + i
            ws.write_string(r, 0, l.libelle)
            ws.write_string(r, 1, valeur_levier(l.cle, l.valeur_fichier))
            ws.write_string(r, 2, valeur_levier(l.cle, l.valeur_optimisee))
            ecrire(ws, r, 3, l.economie_seule, f("euros"))
        r = 9 + len(o.leviers_changes)
        entetes = ["Prêt", "Montant", "Durée (ans)", "Progressivité (%)", "Différé (ans)", "Révisabilité"]
        for titre, prets in (("Plan du fichier", self.plan_fichier), ("Plan optimisé", o.scenario_optimise.prets)):
            ws.write_string(r, 0, titre, f(gras=True))
            x.entete(ws, r + 1, 0, entetes)
            for j, pr in enumerate(prets):
                ligne = r + 2 + j
                ws.write_string(ligne, 0, pr.nom)
                if pr.est_solde:
                    ws.write_string(ligne, 1, "solde")
                else:
                    ecrire(ws, ligne, 1, float(pr.montant), f("euros"))
                ecrire(ws, ligne, 2, pr.duree, f("entier"))
                ecrire(ws, ligne, 3, pr.progressivite_pct, f("decimal"))
                ecrire(ws, ligne, 4, pr.differe_amortissement, f("entier"))
                ws.write_string(ligne, 5, valeur_levier(".revisabilite", pr.revisabilite))
            r += 3 + len(prets)
        x.mise_en_page(ws, derniere_ligne=r, une_page=True)
