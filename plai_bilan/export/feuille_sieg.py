"""Feuille SIEG : le contrôle de surcompensation et le corridor de la subvention, en formules (docs/sieg.md)."""

from __future__ import annotations

import numpy as np

from plai_bilan.bilan import NOMS_GROUPES_SIEG
from plai_bilan.export.base import EMPRUNTS, EQUI, EXPL, FIN, HYP, PREMIERE_ANNEE_EQUILIBRE, SIEG, ExportBase, Rangees
from plai_bilan.catalogue import lignes_simples
from plai_bilan.export.classeur import cellule, formule, ref
from plai_bilan.export.feuilles_calcul import formule_simple

VERDICTS = {"conforme": "pas de surcompensation", "surcompensation": "surcompensation"}


class FeuilleSieg(ExportBase):
    def sieg(self) -> None:
        ws, b = self.ws[SIEG], self.b
        c = b.sieg
        h = c.hypotheses
        self.titre(ws, "SIEG : contrôle de surcompensation et corridor de la subvention",
                   "Décision 2012/21/UE, art. 5 et 6. Valeurs actuelles à la mise en service ; coûts comptés sans les "
                   "avantages (TVA au taux normal, TFPB sans exonération), les avantages comptés en compensations.")
        self.largeurs(ws, (0, 0, 58), (1, 1, 18), (2, 2, 70), (4, 4, 8), (5, 10, 14))
        ligne = 3

        self.entete(ws, ligne - 1, 0, ["Hypothèse du contrôle", "Valeur", "Source"])
        rg = Rangees(self, ws, SIEG, ligne)
        saisie, res, lien = rg.saisie, rg.formule, rg.formule

        lien("Période d'analyse (années)", "periode", h.duree, "entier", "Hypothèses : sieg.duree")
        lien("Taux de swap de référence", "sieg_swap", h.taux_swap, "pct", "Hypothèses : sieg.taux_swap_pct"
             + (" (ESTIMATION par défaut)" if b.scenario.sieg.taux_swap_pct is None else ""))
        lien("Taux d'actualisation", "sieg_actualisation", h.taux_actualisation, "pct",
             "Hypothèses : sieg.taux_actualisation_pct")
        lien("Taux de l'avantage des prêts", "IF(ISNUMBER(sieg_marche),sieg_marche,sieg_actualisation)", h.taux_marche,
             "pct", "un seul taux (celui d'actualisation), sauf taux de marché saisi (Hypothèses : sieg.taux_marche_pct)",
             "taux_avantage_prets")
        saisie("Prime du bénéfice raisonnable", h.taux_benefice - h.taux_swap, "pct", "sieg_prime",
               "100 points de base : Décision 2012/21/UE, art. 5, 7")
        lien("Durée d'amortissement du bâti (valeur résiduelle)", "sieg_amortissement", h.duree_amortissement,
             "entier", "Hypothèses : sieg.duree_amortissement")
        saisie("Taux normal de TVA", h.taux_tva_normal, "pct", "sieg_tva_normale", "CGI art. 278")
        lien("Décote foncière", "sieg_rabais", h.rabais_foncier, "euros", "Hypothèses : sieg.rabais_foncier")
        lien("Garanties d'emprunt gratuites", "sieg_garanties", h.garanties, "euros", "Hypothèses : sieg.garanties")

        # Tableau annuel : facteur d'actualisation, charges sans exonération, recettes, aides d'exploitation.
        H = self.h
        t = np.arange(1, H + 1)
        v = np.where(t <= h.duree, (1 + h.taux_actualisation) ** -t, 0.0)
        tfpb_exo = c.charges_exonerees
        exonerees = [d for d in lignes_simples().values() if d.apres and d.role == "charge"]
        c0 = b.compte_zero
        p = 4  # le tableau annuel à droite des résultats (colonnes E à K)
        self.entete(ws, p - 1, 4, ["Année", "Actualisation", "Charges", "TFPB exonérée", "Recettes",
                                   "Financement de l'accompagnement", "Actualisation au taux de l'avantage des prêts"])
        ws.set_row(p - 1, 42)
        e0 = self.pos.expl_premiere

        def expl(nom: str, j: int) -> str:
            return ref(EXPL, e0 + j, self.col_expl(nom), absolue=False)

        for j in range(H):
            l = p + j
            A = cellule(l, 4)
            ws.write_number(l, 4, j + 1, self.f("entier"))
            formule(ws, l, 5, f"IF({A}<=periode,(1+sieg_actualisation)^-{A},0)", v[j], self.f("unitaire"))
            formule(ws, l, 6, f"{expl('charges', j)}", c0["charges"][j], self.f("euros2"))
            formule(ws, l, 7, "+".join(formule_simple(d, A, None, annees="autres") for d in exonerees) or "0",
                    tfpb_exo[j], self.f("euros2"))
            formule(ws, l, 8, expl("loyers", j), c0["loyers"][j], self.f("euros2"))
            formule(ws, l, 9, expl("financement_accompagnement", j), c0["financement_accompagnement"][j],
                    self.f("euros2"))
            formule(ws, l, 10, f"(1+taux_avantage_prets)^-{A}", (1 + h.taux_marche) ** -(j + 1), self.f("unitaire"))

        def col(c: int) -> str:
            return f"{cellule(p, c, True)}:{cellule(p + H - 1, c, True)}"

        V, CH, TF, RE, FA, VM = (col(x) for x in (5, 6, 7, 8, 9, 10))

        # Avantage de taux de chaque prêt : K (1 + m) ^ préfinancement - Σ échéances (1 + m) ^ -t ; le prêt
        # d'équilibre au capital K - S (son échéancier est linéaire en capital).
        avantages = []
        i_solde = b.indice_solde
        for i, (pr, (nom, a)) in enumerate(zip(b.prets_caracteristiques, c.avantages_prets)):
            t0 = self.pos.echeance_pret[i]
            ech = f"{ref(EMPRUNTS, t0, 7)}:{cellule(t0 + H - 1, 7, True)}"
            pref = ref(HYP, self.pos.prets[i], 8)
            capital = self.pos.principal_pret[i]
            brut = f"{capital}*(1+taux_avantage_prets)^{pref}-SUMPRODUCT({ech},{VM})"
            if i == i_solde:
                texte = (f"MAX(0,IF({capital}>0,(pret_equilibre_initial-subvention_retenue)*({brut})/{capital},0))")
            else:
                texte = f"MAX(0,{brut})"
            avantages.append((nom, texte, a))

        rg.ligne += 1
        self.entete(ws, rg.ligne, 0, ["Contrôle", "Valeur actuelle", "Formule"])
        rg.ligne += 1
        s_ret = c.subvention
        res("Subvention à calculer retenue", "subvention_appliquee" if self.avec_solveur else "0", s_ret, "euros",
            nom="subvention_retenue", aide="la subvention d'équilibre appliquée au plan (0 sans subvention à calculer)")
        res("Investissement au taux normal de TVA", "prix_de_revient_ht*(1+sieg_tva_normale)",
            c.poste("investissement"), nom="sieg_investissement", aide="prix de revient HT x (1 + TVA normale)")
        res("Charges d'exploitation (TFPB comptée sans exonération)", f"SUMPRODUCT({V},{CH})+SUMPRODUCT({V},{TF})",
            c.poste("charges"), nom="sieg_charges")
        choix = h.valeur_residuelle
        if choix == "comptable":
            vr, aide_vr = ("(ht_foncier+(prix_de_revient_ht-ht_foncier)*MAX(0,1-periode/sieg_amortissement))"
                           "*(1+sieg_actualisation)^-periode", "comptable hors taxes : foncier entier, bâti amorti")
        elif choix == "nulle":
            vr, aide_vr = "0", ("nulle : droit temporaire" if h.droit != "propriete" else
                                "nulle : les biens restent affectés au service (sieg.valeur_residuelle)")
        else:
            vr, aide_vr = f"{float(choix)!r}*(1+sieg_actualisation)^-periode", "montant saisi, actualisé"
        res("Valeur résiduelle en fin de période (déduite)", vr, c.poste("valeur_residuelle"),
            nom="sieg_valeur_residuelle", aide=aide_vr)
        res("Coût brut", "sieg_investissement+sieg_charges-sieg_valeur_residuelle", c.cout_brut, nom="cout_brut",
            gras=True)
        res("Recettes : loyers et accessoires nets", f"SUMPRODUCT({V},{RE})", c.poste("recettes"), nom="recettes")
        res("Coût net", "cout_brut-recettes", c.cout_net, nom="cout_net", gras=True)
        pl1, pl2 = self.pos.plan
        res("Subventions", f"SUMIF({ref(FIN, pl1, 1)}:{cellule(pl2, 1, True)},\"subvention\","
            f"{ref(FIN, pl1, 4)}:{cellule(pl2, 4, True)})", c.poste("subventions"), nom="sieg_subventions",
            aide="le plan avec la subvention retenue")
        ligne_avantages = rg.ligne
        for nom, texte, a in avantages:
            res(f"  avantage de taux : {nom}", texte, a)
        if avantages:
            res("Avantage de taux des prêts", f"SUM({cellule(ligne_avantages, 1)}:{cellule(rg.ligne - 1, 1)})",
                c.poste("avantage_prets"), nom="sieg_avantage_prets", aide="contre le taux de marché")
        else:
            res("Avantage de taux des prêts", "0", 0.0, nom="sieg_avantage_prets")
        q1, q2 = self.pos.postes_tva
        res("Avantage de TVA", f"SUMPRODUCT({ref(FIN, q1, 5)}:{cellule(q2, 5, True)},sieg_tva_normale-"
            f"{ref(FIN, q1, 4)}:{cellule(q2, 4, True)})", c.poste("avantage_tva"), nom="sieg_avantage_tva",
            aide="HT x (taux normal - taux du poste)")
        res("Exonération de TFPB", f"SUMPRODUCT({V},{TF})", c.poste("exoneration_tfpb"), nom="sieg_exoneration_tfpb")
        res("Financement de l'accompagnement", f"SUMPRODUCT({V},{FA})", c.poste("financement_accompagnement"),
            nom="sieg_financement_accompagnement")
        res("Compensation totale", "sieg_subventions+sieg_avantage_prets+sieg_avantage_tva+sieg_exoneration_tfpb+"
            "sieg_financement_accompagnement+sieg_rabais+sieg_garanties", c.compensation, nom="compensation",
            gras=True)
        res("Bénéfice raisonnable sur les fonds propres", f"(sieg_swap+sieg_prime)*fonds_propres*SUM({V})",
            c.benefice_raisonnable, nom="benefice_raisonnable", aide="(swap + prime) x fonds propres x Σ actualisation")
        res("Marge : coût net + bénéfice - compensation", "cout_net+benefice_raisonnable-compensation", c.marge,
            nom="marge_surcompensation", gras=True, aide="négative : surcompensation")
        res("Verdict", 'IF(marge_surcompensation>=0,"pas de surcompensation","surcompensation")', VERDICTS[c.verdict],
            "texte", nom="verdict_sieg", gras=True, aide="contrôle prospectif : aucun report (art. 6, 2 : contrôles "
            "périodiques)")
        r = c.corridor
        if r is not None:
            rg.ligne += 1
            res("Avantage de taux d'un euro du prêt d'équilibre (a)",
                f"IF(pret_equilibre_initial-subvention_retenue>0,{cellule(ligne_avantages + i_solde, 1)}"
                "/(pret_equilibre_initial-subvention_retenue),0)", r.avantage_unitaire, "unitaire", nom="avantage_unitaire",
                aide="la marge baisse de (1 - a) par euro de subvention")
            res("Subvention d'équilibre (équilibre)", "subvention_minimale", r.minimum if r.minimum is not None
                else "aucune", "euros", aide="feuille Équilibre")
            af = (f"{ref(EXPL, e0, self.col_expl('autofinancement'))}:"
                  f"{cellule(e0 + H - 1, self.col_expl('autofinancement'), True)}")
            u = f"{ref(EQUI, PREMIERE_ANNEE_EQUILIBRE, 1)}:{cellule(PREMIERE_ANNEE_EQUILIBRE + H - 1, 1, True)}"
            res("Équilibre en valeur actuelle (même métrique que le maximum)",
                f"IF(SUMPRODUCT({V},{u})>0,MAX(0,-SUMPRODUCT({V},{af})/SUMPRODUCT({V},{u})),\"\")",
                r.minimum_van if r.minimum_van is not None else "", "euros", nom="subvention_minimale_van",
                aide="VAN de l'autofinancement nulle au taux du contrôle")
            if r.identite is not None:
                res("Marge à l'équilibre en valeur actuelle",
                    "marge_surcompensation-(1-avantage_unitaire)*(subvention_minimale_van-subvention_retenue)",
                    r.identite["marge_equilibre_va"], "euros", nom="marge_equilibre_va",
                    aide="= fonds propres + bénéfice raisonnable - valeur résiduelle - décote - garanties (un seul "
                    "taux, période couvrant les prêts) : ne dépend pas de la subvention")
            res("Subvention maximale sans surcompensation",
                "MIN(subvention_retenue+marge_surcompensation/(1-avantage_unitaire),pret_equilibre_initial)", r.maximum, "euros",
                nom="subvention_maximale", aide="S + marge / (1 - a), au plus le prêt d'équilibre", gras=True)
            res("Ce qui fixe le maximum", 'IF(subvention_retenue+marge_surcompensation/(1-avantage_unitaire)<=pret_equilibre_initial,'
                '"marge de surcompensation nulle","prêt d\'équilibre entièrement remplacé")',
                "marge de surcompensation nulle" if r.contrainte_maximum == "surcompensation"
                else "prêt d'équilibre entièrement remplacé", "texte")
        if c.produits:
            ligne = rg.ligne + 1  # après les rangées du contrôle
            ws.write_string(ligne, 0, "Par produit (établi à l'export ; clé : docs/sieg.md)", self.f(gras=True))
            ligne += 1
            self.entete(ws, ligne, 0, ["Produit", "Marge", "Coût net, compensation, bénéfice"])
            ligne += 1
            for pr in c.produits:
                ws.write_string(ligne, 0, NOMS_GROUPES_SIEG[pr.produit]
                                + f" ({pr.part_surface:.1%} de la SU)".replace(".", ","))
                ws.write_number(ligne, 1, pr.marge, self.f("euros"))
                ws.write_string(ligne, 2, f"{pr.cout_net:,.0f} ; {pr.compensation:,.0f} ; "
                                f"{pr.benefice_raisonnable:,.0f} €".replace(",", " "))
                ligne += 1
        ws.freeze_panes(p, 0)
        self.mise_en_page(ws, (p - 1, p - 1))
