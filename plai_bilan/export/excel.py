"""Le classeur d'étude d'équilibre : des formules Excel vivantes, les valeurs du moteur en cache.

Feuilles : Synthèse, Hypothèses (les saisies, sur fond jaune), Loyers, Prix de revient et financement,
Emprunts, Exploitation, Équilibre, Paramètres. Loyers, Emprunts, Exploitation et Équilibre sont des formules qui
renvoient aux Hypothèses et aux Paramètres : modifier une hypothèse dans Excel ou LibreOffice recalcule le compte,
la subvention minimale (formes fermées de model.md 8) et le loyer d'équilibre. Le classeur ne calcule rien que le
moteur ne calcule ; les valeurs en cache sont celles du moteur.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from plai_bilan import __version__
from plai_bilan.bilan import ResultatSubvention, Simulation, resoudre, simuler
from plai_bilan.controles import controler
from plai_bilan.export.classeur import Classeur, cellule, ecrire, formule, ref
from plai_bilan.moteur.lot import construire_lot
from plai_bilan.moteur.prets import Echeancier
from plai_bilan.parametres import Parametres, charger_parametres
from plai_bilan.preparation import Entrees, preparer
from plai_bilan.scenario import Scenario
from plai_bilan.solveur import MOTIF_APRES, MOTIF_AVANT, MOTIF_STRUCTUREL, TOLERANCE

SYNTHESE, HYP, LOYERS, FIN, EMPRUNTS, EXPL, EQUI, PARAM = (
    "Synthèse", "Hypothèses", "Loyers", "Prix de revient et financement", "Emprunts", "Exploitation", "Équilibre",
    "Paramètres")
FEUILLES = (SYNTHESE, HYP, LOYERS, FIN, EMPRUNTS, EXPL, EQUI, PARAM)
NUL = "1E-12"
SEUIL_ECHEC = f"{-TOLERANCE}"
STATUTS = {"V": "vérifié", "V2": "source secondaire", "D": "dérivé", "E": "ESTIMATION"}
CRITERES = ("annuel", "tresorerie_cumulee", "van")
# Première année du tableau de la feuille Équilibre, sous ses 24 lignes de résultats : l'exploitation y lit u_t
# avant que la feuille soit écrite.
PREMIERE_ANNEE_EQUILIBRE = 30


@dataclass
class Positions:
    """Où sont les cellules que d'autres feuilles lisent (lignes et colonnes comptées à partir de 0)."""

    livret_a: list[str] = field(default_factory=list)  # référence du taux de l'année t
    logements: list[int] = field(default_factory=list)  # ligne de chaque logement dans Hypothèses
    prets: list[int] = field(default_factory=list)  # ligne de chaque prêt dans Hypothèses
    subventions: list[tuple[int, str]] = field(default_factory=list)  # (ligne, mode)
    autres_couts: list[int] = field(default_factory=list)
    param_apl: dict[int, int] = field(default_factory=dict)  # ligne de logement -> ligne dans Paramètres
    param_rls: dict[int, int] = field(default_factory=dict)
    principal_pret: list[str] = field(default_factory=list)  # référence du capital (plan sans subvention)
    echeance_pret: list[int] = field(default_factory=list)  # première ligne du tableau de chaque prêt
    expl_premiere: int = 0
    plan_lignes: list[tuple[str, int, float]] = field(default_factory=list)  # (libellé, ligne, montant avec S*)


class _Export:
    """Écrit les feuilles dans l'ordre des dépendances ; chaque méthode remplit une feuille."""

    def __init__(self, cl: Classeur, e: Entrees, sim0: Simulation, r: ResultatSubvention | None,
                 parametres: Parametres, supplements: tuple = ()) -> None:
        self.cl, self.e, self.sim0, self.r, self.p = cl, e, sim0, r, parametres
        self.sc: Scenario = e.scenario
        self.h = e.horizon
        self.foyer = self.sc.operation.produit == "foyer"
        self.pos = Positions()
        self.lot = construire_lot([e])
        self.avec_solveur = r is not None and r.detail is not None
        self.supplements = supplements
        noms = (SYNTHESE,) + tuple(x.nom for x in supplements) + FEUILLES[1:]
        self.ws = {nom: cl.wb.add_worksheet(nom) for nom in noms}
        self.valeurs_utilisees = {v.bareme: v for v in e.parametres_utilises}

    # ------------------------------------------------------------------ aides
    def f(self, *args, **kwargs):
        return self.cl.format(*args, **kwargs)

    def titre(self, ws, texte: str, note: str | None = None) -> None:
        ws.write_string(0, 0, texte, self.f(titre=True))
        if note:
            ws.write_string(1, 0, note, self.f(italique=True))

    def entete(self, ws, ligne: int, colonne: int, libelles: list[str]) -> None:
        for j, lib in enumerate(libelles):
            ws.write_string(ligne, colonne + j, lib, self.f(entete=True))

    def mise_en_page(self, ws, repeter: tuple[int, int] | None = None, paysage: bool = True,
                     a3: bool = False, derniere_ligne: int = 0, une_page: bool = False) -> None:
        if paysage:
            ws.set_landscape()
        ws.set_paper(8 if a3 else 9)  # A3 pour les tableaux larges, sinon A4
        ws.fit_to_pages(1, 1 if une_page else 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&L&8plai-bilan " + __version__ + "&C&8&A&R&8page &P / &N")
        # Zone d'impression : ce qui est écrit (le graphique de la Synthèse déborde jusqu'à la colonne G).
        derniere_colonne = max(ws.dim_colmax or 0, 6 if ws.name == SYNTHESE else 0)
        ws.print_area(0, 0, max(ws.dim_rowmax or 0, derniere_ligne), derniere_colonne)
        if repeter:
            ws.repeat_rows(*repeter)

    # ------------------------------------------------------------------ Hypothèses
    def hypotheses(self) -> None:
        ws, sc, cl = self.ws[HYP], self.sc, self.cl
        self.titre(ws, "Hypothèses de l'opération",
                   "Les cellules sur fond jaune sont modifiables : le classeur se recalcule (Excel, LibreOffice). "
                   "Taux en pour cent, montants en euros TTC.")
        ws.write_string(2, 0, "Cellule modifiable", self.f(saisie=True))
        ws.write_string(2, 1, "PLAI adapté, soumis à la RLS : VRAI ou FAUX (TRUE ou FALSE)", self.f(italique=True))
        ws.set_column(0, 0, 46)
        ws.set_column(1, 1, 17)
        ws.set_column(2, 2, 16)
        ws.set_column(3, 3, 36)
        ws.set_column(4, 11, 14)
        ligne = 4

        def section(titre: str) -> None:
            nonlocal ligne
            ligne += 1
            self.entete(ws, ligne, 0, [titre, "Valeur", "Unité", "Clé du scénario"])
            ligne += 1

        def entree(libelle: str, valeur: Any, fmt: str, unite: str, cle: str, nom: str | None = None,
                   modifiable: bool = True) -> int:
            nonlocal ligne
            ws.write_string(ligne, 0, libelle)
            ecrire(ws, ligne, 1, valeur, self.f(fmt, saisie=modifiable))
            ws.write_string(ligne, 2, unite)
            ws.write_string(ligne, 3, cle, self.f(italique=True))
            if nom:
                cl.nommer(nom, HYP, ligne, 1)
            ligne += 1
            return ligne - 1

        op = sc.operation
        section("Opération")
        entree("Nom", op.nom, "texte", "", "operation.nom", modifiable=False)
        entree("Nature", op.nature, "texte", "", "operation.nature", modifiable=False)
        entree("Produit", op.produit, "texte", "", "operation.produit", modifiable=False)
        entree("Région (table FNAP)", op.region, "texte", "", "operation.region", modifiable=False)
        entree("Zone des loyers maximaux", op.zone_loyer, "texte", "", "operation.zone_loyer", modifiable=False)
        entree("Zone APL", op.zone_apl, "texte", "", "operation.zone_apl", modifiable=False)
        entree("Date d'agrément", op.date_agrement.isoformat(), "texte", "", "operation.date_agrement",
               modifiable=False)
        entree("Mise en service (année civile de l'année 1)", op.mise_en_service, "entier", "année",
               "operation.mise_en_service", "mise_en_service")
        entree("Soumis à la RLS", "oui" if op.rls else "non", "texte", "", "operation.rls", modifiable=False)
        entree("Ascenseur", "oui" if op.ascenseur else "non", "texte", "", "operation.ascenseur", modifiable=False)
        if not self.foyer:
            entree("Marge locale", op.marge_locale_pct / 100, "pct", "%", "operation.marge_locale_pct",
                   "marge_locale")
            entree("Loyer plafond de l'avis loyers (vide : LMzone x CS x (1 + marge))", op.loyer_plafond_m2,
                   "euros_m2_4", "€/m² SU/mois", "operation.loyer_plafond_m2", "loyer_plafond_m2_saisi")

        section("Prix de revient")
        pr = sc.prix_de_revient
        entree("Charge foncière", pr.charge_fonciere, "euros", "€", "prix_de_revient.charge_fonciere",
               "charge_fonciere")
        entree("Travaux", pr.travaux, "euros", "€", "prix_de_revient.travaux", "travaux")
        entree("Honoraires et frais", pr.honoraires, "euros", "€", "prix_de_revient.honoraires", "honoraires")
        for nom, montant in pr.autres:
            self.pos.autres_couts.append(entree(f"Autre : {nom}", montant, "euros", "€",
                                                f"prix_de_revient.autres.{nom}"))

        section("Subventions")
        for i, s in enumerate(sc.subventions):
            if s.montant == "a_calculer":
                mode, valeur, unite, modifiable = "a_calculer", "à calculer", "", False
            elif s.montant == "reference":
                mode, valeur, unite, modifiable = "reference", "référence FNAP", "", False
            elif s.montant_par_logement is not None:
                mode, valeur, unite, modifiable = "par_logement", s.montant_par_logement, "€ par logement", True
            else:
                mode, valeur, unite, modifiable = "montant", float(s.montant), "€", True
            cle = f"subventions[{i}].montant_par_logement" if mode == "par_logement" else f"subventions[{i}].montant"
            l = entree(s.financeur, valeur, "euros" if modifiable else "texte", unite, cle, modifiable=modifiable)
            self.pos.subventions.append((l, mode))

        section("Fonds propres")
        fp = sc.fonds_propres
        rem = fp.remuneration
        entree("Fonds propres", fp.montant, "euros", "€", "fonds_propres.montant", "fonds_propres")
        entree("Rémunération : taux", rem.taux_pct / 100 if rem else 0.0, "pct", "%/an",
               "fonds_propres.remuneration.taux_pct", "fp_taux")
        entree("Rémunération : durée", rem.duree if rem else 0, "entier", "ans", "fonds_propres.remuneration.duree",
               "fp_duree")

        section("Exploitation (par logement et par an, prix de l'année 1)")
        ex = sc.exploitation
        entree("Vacance", ex.vacance_pct / 100, "pct", "% des loyers", "exploitation.vacance_pct", "vacance")
        entree("Impayés", ex.impayes_pct / 100, "pct", "% des loyers", "exploitation.impayes_pct", "impayes")
        entree("Frais de gestion", ex.frais_gestion, "euros", "€/logement/an", "exploitation.frais_gestion",
               "frais_gestion")
        entree("Entretien courant", ex.entretien_courant, "euros", "€/logement/an", "exploitation.entretien_courant",
               "entretien_courant")
        entree("Gros entretien (par logement)", ex.gros_entretien, "euros", "€/logement/an",
               "exploitation.gros_entretien", "gros_entretien")
        entree("Gros entretien en % des travaux (prime s'il est rempli)",
               None if ex.gros_entretien_pct_travaux is None else ex.gros_entretien_pct_travaux / 100, "pct",
               "% des travaux/an", "exploitation.gros_entretien_pct_travaux", "gros_entretien_pct_travaux")
        entree("Assurance", ex.assurance, "euros", "€/logement/an", "exploitation.assurance", "assurance")
        entree("Autres charges", ex.autres_charges, "euros", "€/logement/an", "exploitation.autres_charges",
               "autres_charges")
        entree("Charges comprises dans la redevance (foyer)", ex.charges_comprises, "euros", "€/logement/an",
               "exploitation.charges_comprises", "charges_comprises")
        entree("Charges en % des loyers", ex.charges_pct_loyers / 100, "pct", "% des loyers",
               "exploitation.charges_pct_loyers", "charges_pct_loyers")
        entree("TFPB", ex.tfpb.montant if ex.tfpb else 0.0, "euros", "€/logement/an", "exploitation.tfpb.montant",
               "tfpb_montant")
        entree("TFPB : années d'exonération", ex.tfpb.exoneration if ex.tfpb else 0, "entier", "années",
               "exploitation.tfpb.exoneration", "tfpb_exoneration")
        for cle, libelle in (("gla", "Gestion locative adaptée (par PLAI adapté)"),
                             ("accompagnement", "Accompagnement (par PLAI adapté)"),
                             ("financement_accompagnement", "Financement de l'accompagnement (par PLAI adapté)")):
            md = getattr(ex, cle)
            entree(libelle, md.montant if md else 0.0, "euros", "€/logement/an", f"exploitation.{cle}.montant",
                   f"{cle}_montant")
            entree(f"{libelle.split(' (')[0]} : durée", md.duree if md else 0, "entier", "années",
                   f"exploitation.{cle}.duree", f"{cle}_duree")
        entree("Indexation des loyers", ex.indexation.loyers_pct / 100, "pct", "%/an",
               "exploitation.indexation.loyers_pct", "indexation_loyers")
        entree("Indexation des charges", ex.indexation.charges_pct / 100, "pct", "%/an",
               "exploitation.indexation.charges_pct", "indexation_charges")

        section("Analyse")
        l = entree("Critère d'équilibre", sc.analyse.critere, "texte", "", "analyse.critere", "critere")
        ws.data_validation(l, 1, l, 1, {"validate": "list", "source": list(CRITERES),
                                        "error_message": "annuel, tresorerie_cumulee ou van"})
        ta = sc.analyse.taux_actualisation_pct
        entree("Taux d'actualisation (VAN)", None if ta is None else ta / 100, "pct", "%/an",
               "analyse.taux_actualisation_pct", "taux_actualisation")
        entree("Trésorerie initiale", sc.analyse.tresorerie_initiale, "euros", "€", "analyse.tresorerie_initiale",
               "tresorerie_initiale")
        entree("Horizon (lignes du classeur)", self.h, "entier", "années", "analyse.duree", modifiable=False)

        # Logements
        ligne += 1
        ws.write_string(ligne, 0, "Logements", self.f(gras=True))
        ligne += 1
        self.entete(ws, ligne, 0, ["Typologie", "Nombre", "Surface habitable (m²)", "Annexes (m²)",
                                   "Surface utile saisie (m²)", "PLAI adapté", "Ménage", "Loyer saisi (€/m² SU)",
                                   "Loyer saisi (€/mois)", "Loyer accessoire (€/mois)", "Redevance maximale (€/mois)",
                                   "Soumis à la RLS"])
        ws.set_row(ligne, 30)
        ligne += 1
        for i, (lg, ll) in enumerate(zip(sc.logements, self.e.lignes)):
            s = self.f(saisie=True)
            ws.write_string(ligne, 0, lg.typologie or f"ligne {i + 1}")
            ecrire(ws, ligne, 1, lg.nombre, self.f("nombre", saisie=True))
            ecrire(ws, ligne, 2, lg.surface_habitable, self.f("decimal", saisie=True))
            ecrire(ws, ligne, 3, lg.surface_annexes, self.f("decimal", saisie=True))
            ecrire(ws, ligne, 4, lg.surface_utile_saisie, self.f("decimal", saisie=True))
            ecrire(ws, ligne, 5, lg.plai_adapte, s)
            ws.write_string(ligne, 6, ll.menage or "-")
            ecrire(ws, ligne, 7, lg.loyer_m2, self.f("decimal", saisie=True))
            ecrire(ws, ligne, 8, lg.loyer_mensuel, self.f("euros2", saisie=True))
            ecrire(ws, ligne, 9, lg.loyer_accessoire, self.f("euros2", saisie=True))
            ecrire(ws, ligne, 10, lg.redevance_max, self.f("euros2", saisie=True))
            ecrire(ws, ligne, 11, lg.soumis_rls, s)
            self.pos.logements.append(ligne)
            ligne += 1

        # Prêts
        ligne += 1
        ws.write_string(ligne, 0, "Prêts", self.f(gras=True))
        ligne += 1
        self.entete(ws, ligne, 0, ["Nom", "Montant (€ ou « solde »)", "Durée (échéances)", "Index (livret_a ou fixe)",
                                   "Taux fixe", "Marge sur le livret A", "Progressivité", "Révisabilité",
                                   "Préfinancement (ans)", "Différé d'amortissement (ans)", "Profil"])
        ws.set_row(ligne, 30)
        ligne += 1
        for pr in sc.prets:
            ws.write_string(ligne, 0, pr.nom)
            if pr.est_solde:
                ws.write_string(ligne, 1, "solde")
            else:
                ecrire(ws, ligne, 1, float(pr.montant), self.f("euros", saisie=True))
            ecrire(ws, ligne, 2, pr.duree, self.f("entier", saisie=True))
            ecrire(ws, ligne, 3, pr.index, self.f(saisie=True))
            ecrire(ws, ligne, 4, (pr.taux_pct or 0.0) / 100, self.f("pct4", saisie=True))
            ecrire(ws, ligne, 5, pr.marge_pct / 100, self.f("pct4", saisie=True))
            ecrire(ws, ligne, 6, pr.progressivite_pct / 100, self.f("pct4", saisie=True))
            ecrire(ws, ligne, 7, pr.revisabilite, self.f(saisie=True))
            ecrire(ws, ligne, 8, pr.prefinancement, self.f("entier", saisie=True))
            ecrire(ws, ligne, 9, pr.differe_amortissement, self.f("entier", saisie=True))
            ecrire(ws, ligne, 10, pr.profil, self.f(saisie=True))
            for c, choix in ((3, ["livret_a", "fixe"]), (7, ["simple", "double", "double_limitee"]),
                             (10, ["echeance_prioritaire", "amortissement_constant"])):
                ws.data_validation(ligne, c, ligne, c, {"validate": "list", "source": choix})
            self.pos.prets.append(ligne)
            ligne += 1

        # Trajectoire du livret A.
        ligne += 1
        ws.write_string(ligne, 0, "Trajectoire du livret A (une cellule recopie la précédente tant qu'on ne la "
                        "remplace pas)", self.f(gras=True))
        ligne += 1
        self.entete(ws, ligne, 0, ["Année d'exploitation", "Année civile", "Livret A"])
        ligne += 1
        trajet = sc.livret_a.trajectoire
        n_saisis = 1 if trajet == "constante" else len(trajet)
        for j in range(self.h):
            l = ligne + j
            ws.write_number(l, 0, j + 1, self.f("entier"))
            formule(ws, l, 1, f"mise_en_service+{cellule(l, 0)}-1", sc.operation.mise_en_service + j,
                    self.f("entier"))
            taux = float(self.e.livret_a[j])
            if j < n_saisis:
                ws.write_number(l, 2, taux, self.f("pct", saisie=True))
            else:
                formule(ws, l, 2, cellule(l - 1, 2), taux, self.f("pct", saisie=True))
            self.pos.livret_a.append(ref(HYP, l, 2))
        ws.freeze_panes(3, 0)
        self.mise_en_page(ws)

    # ------------------------------------------------------------------ Paramètres
    def parametres(self) -> None:
        ws, e, cl, sc = self.ws[PARAM], self.e, self.cl, self.sc
        op = sc.operation
        self.titre(ws, "Paramètres réglementaires appliqués",
                   f"Valeurs en vigueur au {op.date_agrement.strftime('%d/%m/%Y')} (date d'agrément), appliquées "
                   "telles quelles en année 1. Sur fond jaune : modifiables pour une variante.")
        ws.set_column(0, 0, 48)
        ws.set_column(1, 1, 14)
        ws.set_column(2, 2, 16)
        ws.set_column(3, 3, 24)
        ws.set_column(4, 5, 12)
        ws.set_column(6, 6, 90)
        self.entete(ws, 3, 0, ["Paramètre", "Valeur", "Unité", "Barème", "En vigueur depuis", "Statut", "Référence"])
        ligne = 4

        def valeur(libelle: str, v: Any, fmt: str, unite: str, bareme: str, nom: str | None = None) -> int:
            nonlocal ligne
            ws.write_string(ligne, 0, libelle)
            ecrire(ws, ligne, 1, v, self.f(fmt, saisie=True))
            ws.write_string(ligne, 2, unite)
            vd = self.valeurs_utilisees.get(bareme)
            ws.write_string(ligne, 3, bareme)
            if vd is not None:
                ws.write_string(ligne, 4, vd.date.strftime("%d/%m/%Y"))
                ws.write_string(ligne, 5, STATUTS[vd.statut])
                ws.write_string(ligne, 6, vd.reference)
            if nom:
                cl.nommer(nom, PARAM, ligne, 1)
            ligne += 1
            return ligne - 1

        if not self.foyer:
            valeur(f"Loyer maximal de zone PLAI (LMzone), zone {op.zone_loyer}", e.lmzone, "euros_m2",
                   "€/m² SU/mois", "loyers_maximaux_plai", "lmzone")
            cs = self.p.coefficient_structure(1, 1.0, op.date_agrement)[1].donnees
            valeur("Coefficient de structure : a dans a x (1 + b x N / SU)", cs["a"], "decimal4", "", "coefficient_structure",
                   "cs_a")
            valeur("Coefficient de structure : b dans a x (1 + b x N / SU)", cs["b"], "decimal", "", "coefficient_structure",
                   "cs_b")
        quoi = "Équivalence de loyer et de charges APL foyer (E)" if self.foyer else "Loyer plafond APL (L)"
        bareme_apl = "apl_equivalence_foyer" if self.foyer else "apl_loyers_plafonds"
        for i, ll in enumerate(e.lignes):
            if ll.plafond_apl is not None:
                self.pos.param_apl[i] = valeur(f"{quoi}, zone {op.zone_apl} : {ll.typologie or 'ligne ' + str(i + 1)}, "
                                               f"{ll.menage}", ll.plafond_apl, "euros2", "€/mois", bareme_apl)
            if op.rls and not self.foyer and sc.logements[i].menage is not None:
                rls = self.p.reduction_loyer_solidarite(op.zone_apl, sc.logements[i].menage.couple,
                                                        sc.logements[i].menage.personnes_a_charge,
                                                        op.date_agrement)[0]
                self.pos.param_rls[i] = valeur(f"Réduction de loyer de solidarité, zone {op.zone_apl} : "
                                               f"{ll.typologie or 'ligne ' + str(i + 1)}, {ll.menage}", rls, "euros2",
                                               "€/mois", "rls")
        valeur("Valeur de référence FNAP par logement PLAI adapté", e.reference_fnap_par_logement, "euros",
               "€/logement", "fnap_plai_adapte", "reference_fnap_par_logement")

        ligne += 1
        ws.write_string(ligne, 0, "Barèmes consultés", self.f(gras=True))
        ligne += 1
        self.entete(ws, ligne, 0, ["Barème", "", "", "Fichier", "En vigueur depuis", "Statut", "Référence"])
        ligne += 1
        for vd in e.parametres_utilises:
            ws.write_string(ligne, 0, self.p[vd.bareme].description)
            ws.write_string(ligne, 3, vd.bareme)
            ws.write_string(ligne, 4, vd.date.strftime("%d/%m/%Y"))
            ws.write_string(ligne, 5, STATUTS[vd.statut])
            ws.write_string(ligne, 6, vd.reference)
            ligne += 1
        if any(self.p[vd.bareme].estimation for vd in e.parametres_utilises):
            ligne += 1
            ws.write_string(ligne, 0, "Attention : une valeur au statut ESTIMATION est une estimation à vérifier "
                            "dans le texte officiel avant de s'y fier.", self.f(gras=True))
        self.mise_en_page(ws, (3, 3))

    # ------------------------------------------------------------------ Loyers
    def loyers(self) -> None:
        ws, e, cl, sc = self.ws[LOYERS], self.e, self.cl, self.sc
        self.titre(ws, "Loyers (euros par mois et par logement)",
                   "Surface utile = surface habitable + annexes / 2 (CCH R.331-10). " +
                   ("Redevance appliquée : la saisie, sinon min(redevance maximale, équivalence E) pour un PLAI "
                    "adapté." if self.foyer else
                    "Loyer appliqué : la saisie, sinon min(plafond PLAI, plafond APL - loyer accessoire) pour un "
                    "PLAI adapté, sinon le plafond PLAI."))
        ws.set_column(0, 0, 14)
        ws.set_column(1, 5, 10)
        ws.set_column(6, 6, 27)
        ws.set_column(7, 10, 12)
        ws.set_column(11, 11, 27)
        ws.set_column(12, 16, 11)
        n_lignes = len(e.lignes)
        premiere = 4 + 12  # ligne du premier logement dans le tableau
        derniere = premiere + n_lignes - 1

        def col(c: int) -> str:
            return f"{cellule(premiere, c, True)}:{cellule(derniere, c, True)}"

        ligne = 3

        def agregat(libelle: str, texte: str, valeur: Any, fmt: str, nom: str) -> None:
            nonlocal ligne
            ws.merge_range(ligne, 0, ligne, 5, libelle, self.f())
            formule(ws, ligne, 6, texte, valeur, self.f(fmt))
            cl.nommer(nom, LOYERS, ligne, 6)
            ligne += 1

        lot = self.lot
        agregat("Nombre de logements", f"SUM({col(1)})", sc.n_logements, "nombre", "n_logements")
        agregat("Logements PLAI adaptés", f"SUMPRODUCT(({col(5)}=TRUE)*{col(1)})", sc.n_plai_adapte, "nombre",
                "n_plai_adapte")
        agregat("Surface utile totale", f"SUMPRODUCT({col(1)},{col(4)})", sc.su_totale, "m2", "su_totale")
        if not self.foyer:
            agregat("Coefficient de structure CS", "cs_a*(1+cs_b*n_logements/su_totale)", e.cs, "decimal4",
                    "coefficient_structure")
            agregat("Plafond PLAI de l'opération (LMzone x CS x (1 + marge), ou avis loyers saisi)",
                    "IF(ISNUMBER(loyer_plafond_m2_saisi),loyer_plafond_m2_saisi,lmzone*coefficient_structure*"
                    "(1+marge_locale))", e.plafond_plai_m2, "euros_m2_4", "plafond_plai_m2")
        variante = [self._loyer_plai_ordinaire(i) for i in range(n_lignes)]
        agregat("Assiette annuelle des loyers et accessoires (année 1)", f"12*SUMPRODUCT({col(1)},{col(10)}+{col(9)})",
                lot.base_loyers[0], "euros", "base_loyers")
        agregat("dont loyers accessoires", f"12*SUMPRODUCT({col(1)},{col(9)})", lot.base_accessoires[0], "euros",
                "base_accessoires")
        agregat("Assiette annuelle de la RLS (année 1)", f"12*SUMPRODUCT({col(1)},{col(13)})", lot.base_rls[0],
                "euros", "base_rls")
        agregat("Surface utile x 12 (assiette du loyer d'équilibre)", "12*su_totale", lot.base_surface[0],
                "decimal", "base_surface")
        base_variante = sum(lg.nombre * 12.0 * (v + lg.loyer_accessoire) for lg, v in zip(e.lignes, variante))
        agregat("Assiette annuelle en PLAI ordinaire (loyers au plafond)", f"12*SUMPRODUCT({col(1)},{col(14)}+{col(9)})",
                base_variante, "euros", "base_loyers_plai_ordinaire")

        l_tab = premiere - 1
        quoi_plafond = "Redevance maximale" if self.foyer else "Plafond PLAI"
        quoi_apl = "Équivalence APL foyer E" if self.foyer else "Plafond APL du ménage"
        self.entete(ws, l_tab, 0, ["Typologie", "Nombre", "Surface habitable", "Annexes", "Surface utile",
                                   "PLAI adapté", "Ménage", quoi_plafond, quoi_apl, "Loyer accessoire",
                                   "Redevance appliquée" if self.foyer else "Loyer appliqué", "Origine",
                                   "€/m² SU", "RLS mensuelle", "En PLAI ordinaire",
                                   "Sous le plafond APL (2.2)" if self.foyer else "Sous le plafond APL (2.1)",
                                   f"Dans le {quoi_plafond.lower()}"])
        ws.set_row(l_tab, 42)
        for i, ll in enumerate(e.lignes):
            l = premiere + i
            hr = self.pos.logements[i]

            def h(c: int) -> str:
                return ref(HYP, hr, c)

            B, C, D, E, F, H, I, J, K = (cellule(l, c) for c in (1, 2, 3, 4, 5, 7, 8, 9, 10))
            ws.write_string(l, 0, ll.typologie or f"ligne {i + 1}")
            formule(ws, l, 1, h(1), ll.nombre, self.f("nombre"))
            formule(ws, l, 2, h(2), ll.surface_habitable, self.f("decimal"))
            formule(ws, l, 3, h(3), ll.surface_annexes, self.f("decimal"))
            formule(ws, l, 4, f"IF(ISNUMBER({h(4)}),{h(4)},{C}+{D}/2)", ll.surface_utile, self.f("decimal"))
            formule(ws, l, 5, h(5), ll.plai_adapte, self.f("booleen"))
            ws.write_string(l, 6, ll.menage or "-")
            apl = ref(PARAM, self.pos.param_apl[i], 1) if i in self.pos.param_apl else None
            if apl:
                formule(ws, l, 8, apl, ll.plafond_apl, self.f("euros2"))
            formule(ws, l, 9, h(9), ll.loyer_accessoire, self.f("euros2"))
            if self.foyer:
                formule(ws, l, 7, f'IF(ISNUMBER({h(10)}),{h(10)},"")', ll.plafond_plai, self.f("euros2"))
                formule(ws, l, 10, f"IF(ISNUMBER({h(8)}),{h(8)},IF({F},MIN({H},{I}),{H}))", ll.loyer,
                        self.f("euros2"))
                formule(ws, l, 11, f'IF(ISNUMBER({h(8)}),"saisi (loyer_mensuel)",IF(AND({F},{I}<{H}),'
                        f'"équivalence APL foyer","redevance maximale"))', ll.origine)
                formule(ws, l, 14, f"IF(ISNUMBER({h(10)}),{h(10)},{h(8)})", variante[i], self.f("euros2"))
                ok_apl = ll.loyer <= (ll.plafond_apl or 0) + 0.005
                formule(ws, l, 15, f'IF({F},IF({K}<={I}+0.005,"oui","non"),"")', ok_apl if ll.plai_adapte else "")
            else:
                formule(ws, l, 7, f"plafond_plai_m2*{E}", ll.plafond_plai, self.f("euros2"))
                formule(ws, l, 10, f"IF(ISNUMBER({h(8)}),{h(8)},IF(ISNUMBER({h(7)}),{h(7)}*{E},"
                        f"IF({F},MIN({H},{I}-{J}),{H})))", ll.loyer, self.f("euros2"))
                formule(ws, l, 11, f'IF(ISNUMBER({h(8)}),"saisi (loyer_mensuel)",IF(ISNUMBER({h(7)}),'
                        f'"saisi (loyer_m2 x SU)",IF(AND({F},{I}-{J}<{H}),"plafond APL - loyer accessoire",'
                        f'"plafond PLAI")))', ll.origine)
                formule(ws, l, 14, H, variante[i], self.f("euros2"))
                ok_apl = ll.loyer + ll.loyer_accessoire <= (ll.plafond_apl or 0) + 0.005
                formule(ws, l, 15, f'IF({F},IF({K}+{J}<={I}+0.005,"oui","non"),"")',
                        ok_apl if ll.plai_adapte else "")
            formule(ws, l, 12, f"{K}/{E}", ll.loyer / ll.surface_utile, self.f("decimal"))
            if i in self.pos.param_rls:
                formule(ws, l, 13, f"IF({h(11)},{ref(PARAM, self.pos.param_rls[i], 1)},0)", ll.rls, self.f("euros2"))
            else:
                ws.write_number(l, 13, 0.0, self.f("euros2"))
            plafond_ok = "non vérifiable" if ll.plafond_plai != ll.plafond_plai else (
                ll.loyer <= ll.plafond_plai + 0.005)
            formule(ws, l, 16, f'IF(ISNUMBER({H}),IF({K}<={H}+0.005,"oui","non"),"non vérifiable")', plafond_ok)
        ws.freeze_panes(premiere, 1)
        self.mise_en_page(ws, (l_tab, l_tab))

    def _loyer_plai_ordinaire(self, i: int) -> float:
        """Loyer de la ligne dans la variante PLAI ordinaire (preparation.variante_plai_ordinaire)."""
        lg, ll = self.sc.logements[i], self.e.lignes[i]
        if self.foyer:
            return lg.redevance_max if lg.redevance_max is not None else lg.loyer_mensuel
        return ll.plafond_plai

    # ------------------------------------------------------------------ Prix de revient et financement
    def financement(self) -> None:
        ws, e, cl, sc = self.ws[FIN], self.e, self.cl, self.sc
        self.titre(ws, "Prix de revient et plan de financement",
                   "Le prêt d'équilibre (montant « solde ») reçoit le prix de revient moins toutes les autres "
                   "ressources ; la subvention minimale le remplace à due concurrence.")
        ws.set_column(0, 0, 44)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 5, 18)
        self.entete(ws, 3, 0, ["Poste du prix de revient", "", "Montant", "Part"])
        ligne = 4
        postes = [("Charge foncière", "charge_fonciere", sc.prix_de_revient.charge_fonciere),
                  ("Travaux", "travaux", sc.prix_de_revient.travaux),
                  ("Honoraires et frais", "honoraires", sc.prix_de_revient.honoraires)]
        postes += [(f"Autre : {nom}", ref(HYP, l, 1), m)
                   for (nom, m), l in zip(sc.prix_de_revient.autres, self.pos.autres_couts)]
        premiere = ligne
        total_l = premiere + len(postes)
        for lib, source, montant in postes:
            ws.write_string(ligne, 0, lib)
            formule(ws, ligne, 2, source, montant, self.f("euros"))
            formule(ws, ligne, 3, f"{cellule(ligne, 2)}/prix_de_revient", montant / e.prix_de_revient, self.f("pct"))
            ligne += 1
        ws.write_string(total_l, 0, "Prix de revient", self.f(gras=True))
        formule(ws, total_l, 2, f"SUM({cellule(premiere, 2)}:{cellule(total_l - 1, 2)})", e.prix_de_revient,
                self.f("euros", gras=True))
        cl.nommer("prix_de_revient", FIN, total_l, 2)
        formule(ws, total_l, 3, "1", 1.0, self.f("pct", gras=True))
        ligne = total_l + 1
        formule(ws, ligne, 2, "prix_de_revient/n_logements", e.prix_de_revient / sc.n_logements, self.f("euros"))
        ws.write_string(ligne, 0, "par logement")
        ligne += 1
        formule(ws, ligne, 2, "prix_de_revient/su_totale", e.prix_de_revient / sc.su_totale, self.f("euros"))
        ws.write_string(ligne, 0, "par m² de surface utile")

        ligne += 2
        self.entete(ws, ligne, 0, ["Ressource", "Nature", "Montant (subvention à calculer = 0)", "Part",
                                   "Montant avec la subvention minimale", "Part"])
        ws.set_row(ligne, 30)
        ligne += 1
        premiere = ligne
        s_appl = "subvention_appliquee"
        s_val = self.r.simulation.subvention if self.avec_solveur else 0.0
        lignes: list[tuple[str, str, str, float, str, float]] = []  # libellé, nature, f0, v0, f1, v1
        fin = {f.cle: f for f in e.financement}
        for i, (s, (hl, mode)) in enumerate(zip(sc.subventions, self.pos.subventions)):
            cle = f"subventions[{i}].montant_par_logement" if mode == "par_logement" else f"subventions[{i}].montant"
            v0 = fin[cle].montant
            if mode == "a_calculer":
                lignes.append((s.financeur + " (subvention minimale)", "subvention", "0", 0.0, s_appl, s_val))
                continue
            f0 = {"montant": ref(HYP, hl, 1), "par_logement": f"{ref(HYP, hl, 1)}*n_logements",
                  "reference": "reference_fnap_par_logement*n_plai_adapte"}[mode]
            lignes.append((s.financeur, "subvention", f0, v0 or 0.0, None, v0 or 0.0))
        if self.avec_solveur and e.indice_inconnue is None:
            lignes.append(("Subvention d'équilibre (calculée)", "subvention", "0", 0.0, s_appl, s_val))
        lignes.append(("Fonds propres", "fonds propres", "fonds_propres", sc.fonds_propres.montant, None,
                       sc.fonds_propres.montant))
        n_avant_prets = len(lignes)
        for i, pr in enumerate(sc.prets):
            k = float(e.principaux[i])
            if pr.est_solde:
                lignes.append((pr.nom + " (prêt d'équilibre)", "prêt", "SOLDE", k, None, k - s_val))
            else:
                lignes.append((pr.nom, "prêt", ref(HYP, self.pos.prets[i], 1), k, None, k))
        derniere = premiere + len(lignes) - 1
        for j, (lib, nature, f0, v0, f1, v1) in enumerate(lignes):
            l = premiere + j
            ws.write_string(l, 0, lib)
            ws.write_string(l, 1, nature)
            if f0 == "SOLDE":
                autres = [cellule(premiere + k, 2) for k in range(len(lignes)) if k != j]
                formule(ws, l, 2, "prix_de_revient-(" + "+".join(autres) + ")", v0, self.f("euros"))
                cl.nommer("pret_equilibre_initial", FIN, l, 2)
                f1 = f"{cellule(l, 2)}-{s_appl}"
            else:
                formule(ws, l, 2, f0, v0, self.f("euros"))
            formule(ws, l, 3, f"{cellule(l, 2)}/prix_de_revient", v0 / e.prix_de_revient, self.f("pct"))
            formule(ws, l, 4, f1 or cellule(l, 2), v1, self.f("euros"))
            formule(ws, l, 5, f"{cellule(l, 4)}/prix_de_revient", v1 / e.prix_de_revient, self.f("pct"))
            self.pos.plan_lignes.append((lib, l, v1))
            if j >= n_avant_prets:
                self.pos.principal_pret.append(ref(FIN, l, 2))
        t = derniere + 1
        ws.write_string(t, 0, "Total des ressources", self.f(gras=True))
        tot0 = sum(x[3] for x in lignes)
        tot1 = sum(x[5] for x in lignes)
        for c, v in ((2, tot0), (4, tot1)):
            formule(ws, t, c, f"SUM({cellule(premiere, c)}:{cellule(derniere, c)})", v, self.f("euros", gras=True))
            formule(ws, t, c + 1, f"{cellule(t, c)}/prix_de_revient", v / e.prix_de_revient, self.f("pct", gras=True))
        ws.write_string(t + 1, 0, "Écart ressources - prix de revient")
        for c, v in ((2, tot0), (4, tot1)):
            formule(ws, t + 1, c, f"{cellule(t, c)}-prix_de_revient", v - e.prix_de_revient, self.f("euros"))
        self.mise_en_page(ws, paysage=False)

    # ------------------------------------------------------------------ Emprunts
    @staticmethod
    def debut_tableau_pret(ligne: int) -> int:
        """Ligne de l'année 1 d'un bloc de prêt qui commence à ``ligne`` (titre, en-tête, valeurs, en-tête)."""
        return ligne + 4

    def bloc_pret(self, ws, ligne: int, titre: str, hyp_ligne: int, capital: str, capital_valeur: float,
                  ech: Echeancier, i: int, montants: str = "euros2") -> int:
        """Un tableau d'amortissement ; renvoie la ligne de l'année 1. Colonnes : voir l'en-tête."""
        ws.write_string(ligne, 0, titre, self.f(gras=True))
        p = ligne + 1
        self.entete(ws, p, 0, ["Capital emprunté", "Durée (échéances)", "Index", "Taux fixe", "Marge", "Progressivité",
                               "Révisabilité", "Préfinancement (ans)", "Différé (ans)", "Profil",
                               "Capital au début de l'année 1"])
        ws.set_row(p, 30)
        v = p + 1
        formule(ws, v, 0, capital, capital_valeur, self.f("euros" if montants == "euros2" else montants))
        hyp = [ref(HYP, hyp_ligne, c) for c in range(2, 11)]
        fmts = ["entier", "texte", "pct4", "pct4", "pct4", "texte", "entier", "entier", "texte"]
        valeurs = self._valeurs_pret(hyp_ligne)
        for c, (source, fmt, val) in enumerate(zip(hyp, fmts, valeurs), start=1):
            formule(ws, v, c, source, val, self.f(fmt))
        DUR, IDX, TF, MARGE, PROG, REV, PREF, DIFF, PROF, K0 = (cellule(v, c, True) for c in range(1, 11))
        t0 = self.debut_tableau_pret(ligne)
        formule(ws, v, 10, f"{cellule(v, 0, True)}*(1+{cellule(t0, 3, True)})^{PREF}", ech.capital_initial[i],
                self.f("euros" if montants == "euros2" else montants))
        self.entete(ws, t0 - 1, 0, ["Année", "Année civile", "Livret A", "Taux", "Progressivité",
                                    "Échéances restantes", "Capital restant dû en début d'année", "Échéance",
                                    "Intérêts", "Amortissement", "Capital restant dû en fin d'année"])
        ws.set_row(t0 - 1, 30)
        for j in range(self.h):
            l = t0 + j
            t = j + 1
            A, C, D, E, F, G, H, I, J = (cellule(l, c) for c in (0, 2, 3, 4, 5, 6, 7, 8, 9))
            ws.write_number(l, 0, t, self.f("entier"))
            formule(ws, l, 1, f"mise_en_service+{A}-1", self.sc.operation.mise_en_service + j, self.f("entier"))
            formule(ws, l, 2, self.pos.livret_a[j], self.e.livret_a[j], self.f("pct"))
            formule(ws, l, 3, f'IF({IDX}="livret_a",MAX({C}+{MARGE},0),{TF})', ech.taux[i, j], self.f("pct"))
            if j == 0:
                formule(ws, l, 4, PROG, ech.progressivite[i, j], self.f("pct4"))
                formule(ws, l, 6, K0, ech.capital_initial[i], self.f(montants))
            else:
                Ep, Dp = cellule(l - 1, 4), cellule(l - 1, 3)
                rev = f"(1+{Ep})*(1+{D})/(1+{Dp})-1"
                formule(ws, l, 4, f'IF(AND({IDX}="livret_a",{REV}<>"simple"),IF({REV}="double_limitee",'
                        f'MAX({rev},0),{rev}),{Ep})', ech.progressivite[i, j], self.f("pct4"))
                formule(ws, l, 6, cellule(l - 1, 10), ech.capital_restant_du[i, j - 1], self.f(montants))
            formule(ws, l, 5, f"MAX({DUR}-{A}+1,0)", max(valeurs[0] - t + 1, 0), self.f("entier"))
            n = f"MAX({F},1)"
            facteur = f"IF(ABS({D}-{E})<1E-9,(1+{D})/{n},({D}-{E})/(1-((1+{E})/(1+{D}))^{n}))"
            formule(ws, l, 7, f'IF({A}>{DUR},0,IF({A}<={DIFF},{G}*{D},IF({PROF}="amortissement_constant",'
                    f'{G}/{n}+{G}*{D},{G}*{facteur})))', ech.echeances[i, j], self.f(montants))
            formule(ws, l, 8, f"IF({A}>{DUR},0,{G}*{D})", ech.interets[i, j], self.f(montants))
            formule(ws, l, 9, f"{H}-{I}", ech.amortissements[i, j], self.f(montants))
            formule(ws, l, 10, f"{G}-{J}", ech.capital_restant_du[i, j], self.f(montants))
        return t0

    def _valeurs_pret(self, hyp_ligne: int) -> list:
        pr = self.sc.prets[self.pos.prets.index(hyp_ligne)]
        return [pr.duree, pr.index, (pr.taux_pct or 0.0) / 100, pr.marge_pct / 100, pr.progressivite_pct / 100,
                pr.revisabilite, pr.prefinancement, pr.differe_amortissement, pr.profil]

    def emprunts(self) -> None:
        ws = self.ws[EMPRUNTS]
        self.titre(ws, "Emprunts : tableaux d'amortissement",
                   "Taux de l'année t : taux fixe, ou max(livret A + marge, 0). Échéance prioritaire : capital "
                   "restant dû x (r - p) / (1 - ((1 + p) / (1 + r)) ^ N) ; différé : les intérêts seuls.")
        ws.set_column(0, 0, 16)
        ws.set_column(1, 5, 12)
        ws.set_column(6, 10, 16)
        ws.set_column(9, 9, 22)
        ligne = 3
        ech = self.sim0.prets
        sauts = []
        for i, pr in enumerate(self.sc.prets):
            if i > 0:
                sauts.append(ligne)
            t0 = self.bloc_pret(ws, ligne, f"Prêt : {pr.nom}", self.pos.prets[i], self.pos.principal_pret[i],
                                float(self.e.principaux[i]), ech, i)
            self.pos.echeance_pret.append(t0)
            ligne = t0 + self.h + 2
        ws.set_h_pagebreaks(sauts)  # un prêt par page
        self.mise_en_page(ws)

    # ------------------------------------------------------------------ Exploitation
    COLONNES_EXPL = ("annee", "annee_civile", "revenu_locatif", "reduction_loyer_solidarite", "loyers",
                     "produits_accompagnement", "frais_gestion", "entretien_courant", "gros_entretien", "assurance",
                     "autres_charges", "charges_comprises", "charges_proportionnelles", "gestion_locative_adaptee",
                     "accompagnement", "taxe_fonciere", "charges", "annuites", "remuneration_fonds_propres",
                     "autofinancement", "tresorerie", "annuites_s", "autofinancement_s", "tresorerie_s")

    def col_expl(self, nom: str) -> int:
        return self.COLONNES_EXPL.index(nom)

    def exploitation(self) -> None:
        from plai_bilan.bilan import LIBELLES

        ws = self.ws[EXPL]
        self.titre(ws, "Compte d'exploitation prévisionnel (euros courants, flux en fin d'année)",
                   "Indexation à partir de l'année 2 : valeur de l'année 1 x (1 + taux) ^ (t - 1). "
                   "Autofinancement = loyers + produits - charges - annuités - rémunération des fonds propres.")
        libelles = dict(LIBELLES)
        libelles.update(annuites_s="Annuités avec la subvention minimale",
                        autofinancement_s="Autofinancement avec la subvention minimale",
                        tresorerie_s="Trésorerie cumulée avec la subvention minimale")
        colonnes = self.COLONNES_EXPL if self.avec_solveur else self.COLONNES_EXPL[:-3]
        self.entete(ws, 2, 0, [libelles[c] for c in colonnes])
        ws.set_row(2, 54)
        ws.set_column(0, 1, 8)
        ws.set_column(2, len(colonnes) - 1, 13)
        p = 3
        self.pos.expl_premiere = p
        c = {nom: j for j, nom in enumerate(colonnes)}
        sim0 = self.sim0
        cols0 = sim0.colonnes()
        simS = self.r.simulation if self.avec_solveur else None
        fe = self.f("euros")
        for j in range(self.h):
            l = p + j
            A = cellule(l, 0)

            def X(nom: str) -> str:
                return cellule(l, c[nom])

            il = f"(1+indexation_loyers)^({A}-1)"
            ic = f"(1+indexation_charges)^({A}-1)"
            formules = {
                "annee_civile": f"mise_en_service+{A}-1",
                "revenu_locatif": f"base_loyers*{il}*(1-vacance-impayes)",
                "reduction_loyer_solidarite": f"base_rls*{il}*(1-vacance)",
                "loyers": f"{X('revenu_locatif')}-{X('reduction_loyer_solidarite')}",
                "produits_accompagnement": f"IF({A}<=financement_accompagnement_duree,financement_accompagnement_montant"
                                           f"*n_plai_adapte*{ic},0)",
                "frais_gestion": f"frais_gestion*n_logements*{ic}",
                "entretien_courant": f"entretien_courant*n_logements*{ic}",
                "gros_entretien": f"IF(ISNUMBER(gros_entretien_pct_travaux),gros_entretien_pct_travaux*travaux,"
                                  f"gros_entretien*n_logements)*{ic}",
                "assurance": f"assurance*n_logements*{ic}",
                "autres_charges": f"autres_charges*n_logements*{ic}",
                "charges_comprises": f"charges_comprises*n_logements*{ic}",
                "charges_proportionnelles": f"charges_pct_loyers*{X('loyers')}",
                "gestion_locative_adaptee": f"IF({A}<=gla_duree,gla_montant*n_plai_adapte*{ic},0)",
                "accompagnement": f"IF({A}<=accompagnement_duree,accompagnement_montant*n_plai_adapte*{ic},0)",
                "taxe_fonciere": f"IF({A}>tfpb_exoneration,tfpb_montant*n_logements*{ic},0)",
                "charges": f"SUM({X('frais_gestion')}:{X('taxe_fonciere')})",
                "annuites": "+".join(ref(EMPRUNTS, t0 + j, 7, False) for t0 in self.pos.echeance_pret) or "0",
                "remuneration_fonds_propres": f"IF({A}<=fp_duree,fonds_propres*IF(fp_taux=0,1/fp_duree,"
                                              f"fp_taux/(1-(1+fp_taux)^(-fp_duree))),0)",
                "autofinancement": f"{X('loyers')}+{X('produits_accompagnement')}-{X('charges')}-{X('annuites')}"
                                   f"-{X('remuneration_fonds_propres')}",
                "tresorerie": (f"tresorerie_initiale+{X('autofinancement')}" if j == 0 else
                               f"{cellule(l - 1, c['tresorerie'])}+{X('autofinancement')}"),
            }
            valeurs = {k: cols0[k][j] for k in cols0 if k in c}
            if self.avec_solveur:
                uref = ref(EQUI, PREMIERE_ANNEE_EQUILIBRE + j, 1, False)
                formules.update({
                    "annuites_s": f"{X('annuites')}-subvention_appliquee*{uref}",
                    "autofinancement_s": f"{X('autofinancement')}+subvention_appliquee*{uref}",
                    "tresorerie_s": (f"tresorerie_initiale+{X('autofinancement_s')}" if j == 0 else
                                     f"{cellule(l - 1, c['tresorerie_s'])}+{X('autofinancement_s')}"),
                })
                valeurs.update(annuites_s=simS.lignes["annuites"][j], autofinancement_s=simS.autofinancement[j],
                               tresorerie_s=simS.tresorerie[j])
            ws.write_number(l, 0, j + 1, self.f("entier"))
            for nom in colonnes[1:]:
                fmt = self.f("entier") if nom == "annee_civile" else (
                    self.f("euros", gras=True) if nom in ("autofinancement", "tresorerie", "autofinancement_s",
                                                          "tresorerie_s") else fe)
                formule(ws, l, c[nom], formules[nom], valeurs[nom], fmt)
        dern = p + self.h - 1
        l = dern + 2
        rate = "taux_actualisation"
        ans = f"{cellule(p, 0, True)}:{cellule(dern, 0, True)}"
        for nom, lib, val in (("autofinancement", "VAN de l'autofinancement sans subvention", sim0.van),
                              ("autofinancement_s", "VAN de l'autofinancement avec la subvention minimale",
                               simS.van if simS else None)):
            if nom not in c:
                continue
            af = f"{cellule(p, c[nom], True)}:{cellule(dern, c[nom], True)}"
            ws.write_string(l, 0, lib, self.f(gras=True))
            formule(ws, l, 5, f'IF(ISNUMBER({rate}),SUMPRODUCT({af}/(1+{rate})^{ans}),"")', val,
                    self.f("euros", gras=True))
            self.cl.nommer("van_sans_subvention" if nom == "autofinancement" else "van_avec_subvention", EXPL, l, 5)
            l += 1
        ws.freeze_panes(3, 2)
        self.mise_en_page(ws, (2, 2), a3=True)

    # ------------------------------------------------------------------ Équilibre
    COLONNES_EQUI = ("annee", "u", "U", "v", "w", "ratio", "sans_levier", "u_positif", "loyers_principaux",
                     "v_loyer", "a", "w_loyer", "ratio_loyer", "ecart_plai", "v_plai", "ratio_plai",
                     "sans_levier_plai")
    LIBELLES_EQUI = ("Année", "u : échéance d'1 € de prêt d'équilibre", "U : cumul de u", "V : valeur du critère "
                     "sans subvention", "W : coefficient de S", "-V / W (années en échec)",
                     "Échec sans levier (W = 0)", "u > 0", "Loyers principaux nets (année t)",
                     "V_L : critère sans loyers principaux", "a : recette d'1 €/m² SU/mois", "W_L : coefficient de L",
                     "-V_L / W_L", "Écart PLAI ordinaire sur l'autofinancement", "V' : critère en PLAI ordinaire",
                     "-V' / W (échec)", "Échec sans levier (PLAI ordinaire)")

    def equilibre(self) -> None:
        ws, cl, e, sc = self.ws[EQUI], self.cl, self.e, self.sc
        self.titre(ws, "Équilibre : subvention minimale et loyer d'équilibre (formes fermées exactes)")
        ws.set_column(0, 0, 52)
        ws.set_column(1, 16, 15)
        if not self.avec_solveur:
            ws.write_string(2, 0, "Aucun prêt d'équilibre (montant = « solde ») : la subvention minimale ne peut "
                            "remplacer aucun emprunt ; seul le compte d'exploitation est donné.")
            ws.write_number(4, 0, 0)
            cl.nommer("subvention_appliquee", EQUI, 4, 0)
            self.mise_en_page(ws)
            return
        r, d = self.r, self.r.detail
        ws.write_string(1, 0, "Par homogénéité des échéanciers, l'autofinancement avec une subvention S est "
                        "AF_t(S) = AF_t(0) + S x u_t. S* = max(0, max sur les années en échec de -V_t / W_t) ; "
                        "V_t : autofinancement (annuel), trésorerie cumulée ou VAN sans subvention ; W_t : u_t, "
                        "son cumul U_t ou sa valeur actuelle.", self.f(italique=True))
        p = PREMIERE_ANNEE_EQUILIBRE
        dern = p + self.h - 1
        cols = {nom: j for j, nom in enumerate(self.COLONNES_EQUI)}

        def colr(nom: str) -> str:
            j = cols[nom]
            return f"{cellule(p, j, True)}:{cellule(dern, j, True)}"

        # Tableau par année.
        self.entete(ws, p - 1, 0, list(self.LIBELLES_EQUI))
        ws.set_row(p - 1, 54)
        unit_t0 = dern + 3 + self.debut_tableau_pret(0)
        cols0 = d.compte_zero.colonnes()
        crit = r.critere
        lot = self.lot
        t = np.arange(1, self.h + 1)
        il = (1 + lot.g_loyers[0]) ** (t - 1)
        net = 1 - lot.vacance[0] - lot.impayes[0]
        cpl = lot.charges_pct_loyers[0]
        principaux = (lot.base_loyers[0] - lot.base_accessoires[0]) * il * net
        a = lot.base_surface[0] * il * net * (1 - cpl)
        base_var = self._base_variante()
        ecart_plai = ((1 - cpl) * (base_var - lot.base_loyers[0]) * il * net + cols0["gestion_locative_adaptee"]
                      + cols0["accompagnement"] - cols0["produits_accompagnement"])
        # Valeurs en cache des colonnes intermédiaires, tirées des tableaux du solveur (NaN : cellule vide).
        compte = np.ones(self.h, bool)
        if crit == "van":
            compte[1:] = False  # la VAN n'occupe que la ligne de l'année 1

        def ratios(v: np.ndarray, w: np.ndarray, echecs_seuls: bool = True) -> tuple[np.ndarray, np.ndarray]:
            retenues = compte & (v < -TOLERANCE) if echecs_seuls else compte & (w > 1e-12)
            with np.errstate(divide="ignore", invalid="ignore"):
                r_ = np.where(retenues & (w > 1e-12), -v / w, np.nan)
            return r_, retenues & (w <= 1e-12)

        ratio, sans_levier = ratios(d.v, d.w)
        v_plai = d.v_plai if d.v_plai is not None else np.full(self.h, np.nan)
        ratio_plai, sans_levier_plai = ratios(v_plai, d.w)
        ratio_loyer, _ = ratios(d.v_loyer, d.w_loyer, echecs_seuls=False)

        def cache_v(x: np.ndarray, j: int) -> Any:
            return x[j] if compte[j] else ""

        rate = "taux_actualisation"
        ans = colr("annee")
        for j in range(self.h):
            l = p + j
            A = cellule(l, 0)

            def X(nom: str) -> str:
                return cellule(l, cols[nom])

            def ex(nom: str) -> str:
                return ref(EXPL, self.pos.expl_premiere + j, self.col_expl(nom), False)

            def cumul(nom: str) -> str:
                return f"SUM({cellule(p, cols[nom], True)}:{X(nom)})"

            def selon(annuel: str, treso: str, van: str) -> str:
                return f'IF(critere="annuel",{annuel},IF(critere="van",IF({A}=1,{van},""),{treso}))'

            ws.write_number(l, 0, j + 1, self.f("entier"))
            formule(ws, l, cols["u"], ref(EQUI, unit_t0 + j, 7, False), d.u[j], self.f("unitaire"))
            formule(ws, l, cols["U"], cumul("u"), d.u[: j + 1].sum(), self.f("unitaire"))
            formule(ws, l, cols["v"], selon(ex("autofinancement"), ex("tresorerie"), "van_sans_subvention"),
                    cache_v(d.v, j), self.f("euros2"))
            formule(ws, l, cols["w"], selon(X("u"), X("U"), f"SUMPRODUCT({colr('u')}/(1+{rate})^{ans})"),
                    cache_v(d.w, j), self.f("unitaire"))
            V, W = X("v"), X("w")
            formule(ws, l, cols["ratio"], f'IF(AND(ISNUMBER({V}),{V}<{SEUIL_ECHEC},N({W})>{NUL}),-{V}/{W},"")',
                    ratio[j], self.f("euros2"))
            formule(ws, l, cols["sans_levier"], f"IF(AND(ISNUMBER({V}),{V}<{SEUIL_ECHEC},N({W})<={NUL}),1,0)",
                    float(sans_levier[j]), self.f("entier"))
            formule(ws, l, cols["u_positif"], f"IF({X('u')}>{NUL},1,0)", float(d.u[j] > 1e-12),
                    self.f("entier"))
            formule(ws, l, cols["loyers_principaux"],
                    f"(base_loyers-base_accessoires)*(1+indexation_loyers)^({A}-1)*(1-vacance-impayes)",
                    principaux[j], self.f("euros2"))
            k = "(1-charges_pct_loyers)"
            formule(ws, l, cols["v_loyer"],
                    selon(f"{ex('autofinancement')}-{k}*{X('loyers_principaux')}",
                          f"{ex('tresorerie')}-{k}*{cumul('loyers_principaux')}",
                          f"van_sans_subvention-{k}*SUMPRODUCT({colr('loyers_principaux')}/(1+{rate})^{ans})"),
                    cache_v(d.v_loyer, j), self.f("euros2"))
            formule(ws, l, cols["a"], f"base_surface*(1+indexation_loyers)^({A}-1)*(1-vacance-impayes)*{k}", a[j],
                    self.f("euros2"))
            formule(ws, l, cols["w_loyer"], selon(X("a"), cumul("a"), f"SUMPRODUCT({colr('a')}/(1+{rate})^{ans})"),
                    cache_v(d.w_loyer, j), self.f("euros2"))
            VL, WL = X("v_loyer"), X("w_loyer")
            formule(ws, l, cols["ratio_loyer"], f'IF(AND(ISNUMBER({VL}),N({WL})>{NUL}),-{VL}/{WL},"")',
                    ratio_loyer[j], self.f("decimal4"))
            formule(ws, l, cols["ecart_plai"],
                    f"(1-charges_pct_loyers)*(base_loyers_plai_ordinaire-base_loyers)*(1+indexation_loyers)^({A}-1)"
                    f"*(1-vacance-impayes)+{ex('gestion_locative_adaptee')}+{ex('accompagnement')}"
                    f"-{ex('produits_accompagnement')}", ecart_plai[j], self.f("euros2"))
            formule(ws, l, cols["v_plai"],
                    selon(f"{ex('autofinancement')}+{X('ecart_plai')}", f"{ex('tresorerie')}+{cumul('ecart_plai')}",
                          f"van_sans_subvention+SUMPRODUCT({colr('ecart_plai')}/(1+{rate})^{ans})"),
                    cache_v(v_plai, j), self.f("euros2"))
            VP = X("v_plai")
            formule(ws, l, cols["ratio_plai"], f'IF(AND(ISNUMBER({VP}),{VP}<{SEUIL_ECHEC},N({W})>{NUL}),-{VP}/{W},"")',
                    ratio_plai[j], self.f("euros2"))
            formule(ws, l, cols["sans_levier_plai"], f"IF(AND(ISNUMBER({VP}),{VP}<{SEUIL_ECHEC},N({W})<={NUL}),1,0)",
                    float(sans_levier_plai[j]), self.f("entier"))

        # Le prêt d'équilibre pour 1 € : u_t.
        i_bal = e.indice_solde
        pr = sc.prets[i_bal]
        self.bloc_pret(ws, unit_t0 - self.debut_tableau_pret(0), f"Prêt d'équilibre pour 1 € de capital : {pr.nom}", self.pos.prets[i_bal],
                       "1", 1.0, d.unitaire, 0, montants="unitaire")

        # Résultats.
        ligne = 3
        self.entete(ws, ligne - 1, 0, ["Résultat", "Valeur", "Formule ou source"])

        def res(libelle: str, texte: str, valeur: Any, fmt: str, explication: str = "", nom: str | None = None,
                gras: bool = False) -> None:
            nonlocal ligne
            ws.write_string(ligne, 0, libelle, self.f(gras=gras))
            formule(ws, ligne, 1, texte, valeur, self.f(fmt, gras=gras))
            ws.write_string(ligne, 2, explication, self.f(italique=True))
            if nom:
                cl.nommer(nom, EQUI, ligne, 1)
            ligne += 1

        s = r.subvention_minimale
        brut = max(0.0, float(np.nanmax(ratio))) if np.isfinite(ratio).any() else 0.0
        n_sans = int(sans_levier.sum())
        res("Critère", "critere", crit, "texte", "annuel | tresorerie_cumulee | van (modifiable dans Hypothèses)")
        res("Prêt d'équilibre sans subvention (K)", "pret_equilibre_initial", r.pret_equilibre_initial, "euros",
            "prix de revient - autres ressources")
        res("Besoin : max(0, max -V/W)", f"MAX(0,MAX({colr('ratio')}))", brut, "euros2", "sur les années en échec",
            "subvention_brute")
        res("Années en échec sans levier", f"SUM({colr('sans_levier')})", n_sans, "entier",
            "déficit d'une année où le prêt d'équilibre ne paie plus rien", "annees_sans_levier")
        res("Faisable", f'IF(AND(annees_sans_levier=0,subvention_brute<=pret_equilibre_initial+{TOLERANCE}),"oui","non")',
            r.faisable, "texte", "aucune année sans levier et S* <= K", "faisable")
        res("Subvention minimale S*", 'IF(faisable="oui",subvention_brute,"aucune")', s if r.faisable else "aucune",
            "euros", "", "subvention_minimale", gras=True)
        res("Subvention appliquée au plan et au compte", 'IF(faisable="oui",subvention_brute,0)',
            r.simulation.subvention, "euros", "0 si infaisable", "subvention_appliquee")
        premier_u = f'IFERROR(MATCH(1,{colr("u_positif")},0),0)'
        motif = r.motif or ""
        res("Motif d'infaisabilité",
            f'IF(annees_sans_levier>0,IF(AND({premier_u}>0,MATCH(1,{colr("sans_levier")},0)<{premier_u}),'
            f'"{MOTIF_AVANT}","{MOTIF_APRES}"),IF(subvention_brute>pret_equilibre_initial+{TOLERANCE},'
            f'"{MOTIF_STRUCTUREL}",""))', motif, "texte")
        res("Année critique", f'IF(AND(faisable="oui",subvention_brute>0,critere<>"van"),INDEX({colr("annee")},'
            f'MATCH(MAX({colr("ratio")}),{colr("ratio")},0)),"")', r.annee_critique, "entier",
            "l'année qui atteint le maximum (la première en cas d'égalité)", "annee_critique")
        res("Année civile critique", 'IF(ISNUMBER(annee_critique),mise_en_service+annee_critique-1,"")',
            None if r.annee_critique is None else sc.operation.mise_en_service + r.annee_critique - 1, "entier")
        res("Prêt d'équilibre avec la subvention", "pret_equilibre_initial-subvention_appliquee",
            r.pret_equilibre_initial - r.simulation.subvention, "euros", "K - S*")
        res("Subvention minimale par logement", 'IF(faisable="oui",subvention_brute/n_logements,"")', r.par_logement,
            "euros")
        res("Subvention minimale par logement PLAI adapté",
            'IF(AND(faisable="oui",n_plai_adapte>0),subvention_brute/n_plai_adapte,"")', r.par_logement_plai_adapte,
            "euros")
        res("Loyer d'équilibre sans subvention (€/m² SU/mois)", f'IF(COUNT({colr("ratio_loyer")})=0,"",'
            f'MAX({colr("ratio_loyer")}))', r.loyer_equilibre_m2, "euros_m2",
            "max de -V_L / W_L sur l'horizon, non plancher", "loyer_equilibre")
        if not self.foyer:
            res("Plafond PLAI de l'opération (€/m² SU/mois)", "plafond_plai_m2", e.plafond_plai_m2, "euros_m2")
        kp = d.pret_equilibre_plai
        res("Prêt d'équilibre de la variante PLAI ordinaire", "pret_equilibre_initial+" + "+".join(
            [ref(FIN, l, 2) for (_, l, _), (_, mode) in zip(self.pos.plan_lignes, self.pos.subventions)
             if mode == "reference"] or ["0"]), kp, "euros", "sans subvention de référence PLAI adapté",
            "pret_equilibre_plai")
        res("Subvention minimale de la même opération en PLAI ordinaire",
            f'IF(AND(SUM({colr("sans_levier_plai")})=0,MAX(0,MAX({colr("ratio_plai")}))<=pret_equilibre_plai+'
            f'{TOLERANCE}),MAX(0,MAX({colr("ratio_plai")})),"aucune")',
            r.subvention_plai_ordinaire if r.subvention_plai_ordinaire is not None else "aucune", "euros",
            "loyers au plafond PLAI, sans GLA ni accompagnement", "subvention_plai_ordinaire")
        res("Coût des contreparties sociales",
            'IF(AND(faisable="oui",ISNUMBER(subvention_plai_ordinaire)),subvention_brute-subvention_plai_ordinaire,"")',
            r.cout_contreparties, "euros", "S* - S* en PLAI ordinaire", "cout_contreparties")
        ref_tot = e.reference_fnap
        res("Valeur de référence FNAP de l'opération", 'IF(ISNUMBER(reference_fnap_par_logement),'
            'reference_fnap_par_logement*n_plai_adapte,"")', ref_tot, "euros", "par logement PLAI adapté x nombre",
            "reference_fnap")
        res("Subvention minimale / référence FNAP",
            'IF(AND(faisable="oui",N(reference_fnap)>0),subvention_brute/reference_fnap,"")',
            s / ref_tot if s is not None and ref_tot else None, "pct")
        tr_range = (f"{ref(EXPL, self.pos.expl_premiere, self.col_expl('tresorerie_s'))}:"
                    f"{cellule(self.pos.expl_premiere + self.h - 1, self.col_expl('tresorerie_s'), True)}")
        t_min, a_min = r.tresorerie_minimale
        res("Trésorerie cumulée la plus basse (avec la subvention)", f"MIN({tr_range})", t_min, "euros", "",
            "tresorerie_minimale")
        res("Année de la trésorerie la plus basse", f"INDEX({ans},MATCH(tresorerie_minimale,{tr_range},0))", a_min,
            "entier")
        res("VAN sans subvention", "van_sans_subvention", d.compte_zero.van, "euros")
        res("VAN avec la subvention minimale", "van_avec_subvention", r.simulation.van, "euros")
        assert ligne < p - 1, "les résultats débordent sur le tableau de la feuille Équilibre"
        ws.freeze_panes(p, 1)
        self.mise_en_page(ws, (p - 1, p - 1), a3=True)

    def _base_variante(self) -> float:
        return sum(lg.nombre * 12.0 * (self._loyer_plai_ordinaire(i) + lg.loyer_accessoire)
                   for i, lg in enumerate(self.e.lignes))

    # ------------------------------------------------------------------ Synthèse
    def synthese(self) -> None:
        ws, e, sc = self.ws[SYNTHESE], self.e, self.sc
        op = sc.operation
        ws.set_column(0, 0, 50)
        ws.set_column(1, 1, 18)
        ws.set_column(2, 2, 12)
        ws.set_column(3, 3, 75)
        ws.write_string(0, 0, op.nom, self.f(titre=True))
        ws.write_string(1, 0, f"{op.nature} ; {sc.n_logements} logements dont {sc.n_plai_adapte} PLAI adaptés ; "
                        f"produit {op.produit} ; zone de loyer {op.zone_loyer}, zone APL {op.zone_apl} ; agrément du "
                        f"{op.date_agrement.strftime('%d/%m/%Y')} ; mise en service {op.mise_en_service}",
                        self.f(italique=True))
        ws.write_string(2, 0, f"Étude d'équilibre établie par plai-bilan {__version__} ; scénario "
                        f"{Path(sc.fichier).name} (SHA-256 {sc.sha256}) ; paramètres au "
                        f"{self.p.date_jeu.strftime('%d/%m/%Y')}", self.f(italique=True))
        ligne = 4
        self.entete(ws, ligne, 0, ["Résultat", "Valeur"])
        ligne += 1
        r = self.r

        def lien(libelle: str, nom: str, valeur: Any, fmt: str, gras: bool = False) -> None:
            nonlocal ligne
            ws.write_string(ligne, 0, libelle, self.f(gras=gras))
            formule(ws, ligne, 1, nom, valeur, self.f(fmt, gras=gras))
            ligne += 1

        lien("Prix de revient", "prix_de_revient", e.prix_de_revient, "euros")
        lien("Prix de revient par logement", "prix_de_revient/n_logements", e.prix_de_revient / sc.n_logements,
             "euros")
        if self.avec_solveur:
            lien("Critère d'équilibre", "critere", r.critere, "texte")
            lien("Subvention minimale qui équilibre l'opération", "subvention_minimale",
                 r.subvention_minimale if r.faisable else "aucune", "euros", gras=True)
            lien("par logement", 'IF(faisable="oui",subvention_minimale/n_logements,"")', r.par_logement, "euros")
            lien("par logement PLAI adapté", 'IF(AND(faisable="oui",n_plai_adapte>0),subvention_minimale/'
                 'n_plai_adapte,"")', r.par_logement_plai_adapte, "euros")
            lien("Année critique", "annee_critique", r.annee_critique, "entier")
            lien("Prêt d'équilibre avec la subvention", "pret_equilibre_initial-subvention_appliquee",
                 r.pret_equilibre_initial - r.simulation.subvention, "euros")
            lien("Loyer d'équilibre sans subvention (€/m² SU/mois)", "loyer_equilibre", r.loyer_equilibre_m2,
                 "euros_m2")
            lien("Coût des contreparties sociales", "cout_contreparties", r.cout_contreparties, "euros")
            lien("Valeur de référence FNAP", "reference_fnap", e.reference_fnap, "euros")
            t_min, _ = r.tresorerie_minimale
            lien("Trésorerie cumulée la plus basse", "tresorerie_minimale", t_min, "euros")
            lien("VAN avec la subvention minimale", "van_avec_subvention", r.simulation.van, "euros")
            if not r.faisable:
                ws.write_string(ligne, 0, f"Infaisable : {r.motif}", self.f(gras=True))
                ligne += 1
        else:
            lien("VAN de l'autofinancement", "van_sans_subvention", self.sim0.van, "euros")

        ligne += 1
        self.entete(ws, ligne, 0, ["Plan de financement", "Montant", "Part"])
        ligne += 1
        for lib, l, fin_val in self.pos.plan_lignes:
            ws.write_string(ligne, 0, lib)
            formule(ws, ligne, 1, ref(FIN, l, 4), fin_val, self.f("euros"))
            formule(ws, ligne, 2, f"{cellule(ligne, 1)}/prix_de_revient", fin_val / e.prix_de_revient, self.f("pct"))
            ligne += 1

        ligne += 1
        controles = list(r.controles) if r is not None else controler(e)
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
        for a in (r.avertissements if r is not None else e.avertissements):
            ws.write_string(ligne, 0, "Avertissement : " + a, self.f(italique=True))
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
        quoi = "avec la subvention minimale" if self.avec_solveur else "sans subvention"
        barres.set_title({"name": f"Autofinancement et trésorerie cumulée {quoi}", "name_font": {"size": 11}})
        barres.set_x_axis({"name": "Année d'exploitation", "interval_unit": 5, "interval_tick": 5,
                           "label_position": "low", "num_font": {"size": 8}})
        barres.set_y_axis({"name": "Autofinancement (€)", "num_format": '#,##0', "num_font": {"size": 8},
                           "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
        courbe.set_y2_axis({"name": "Trésorerie cumulée (€)", "num_format": '#,##0', "num_font": {"size": 8}})
        barres.set_legend({"position": "bottom"})
        barres.set_size({"width": 760, "height": 360})
        ws.insert_chart(4, 3, barres, {"x_offset": 10, "y_offset": 0})


def ecrire_classeur(chemin: str, e: Entrees, sim0: Simulation, r: ResultatSubvention | None,
                    parametres: Parametres | None = None, supplements: tuple = ()) -> None:
    """Écrit le classeur à ``chemin`` (sans précaution d'atomicité : voir :func:`exporter`).

    ``supplements`` : des feuilles de plus (instruction, sensibilité), chacune un objet avec ``nom`` et
    ``ecrire(export, feuille)``, placées après la Synthèse et écrites en dernier.
    """
    cl = Classeur(chemin)
    x = _Export(cl, e, sim0, r, parametres or charger_parametres(), supplements)
    x.cl.wb.set_properties({"title": f"Étude d'équilibre : {e.scenario.operation.nom}",
                            "subject": "Équilibre financier d'une opération PLAI / PLAI adapté",
                            "author": f"plai-bilan {__version__}",
                            "comments": f"scénario {e.scenario.sha256}"})
    x.hypotheses()
    x.parametres()
    x.loyers()
    x.financement()
    x.emprunts()
    x.exploitation()
    x.equilibre()
    x.synthese()
    for supplement in supplements:
        supplement.ecrire(x, x.ws[supplement.nom])
    cl.fermer()


def exporter(scenario: Scenario, chemin: str | Path, parametres: Parametres | None = None,
             resultat: ResultatSubvention | None = None, supplements: tuple = ()) -> ResultatSubvention | None:
    """Calcule l'opération et écrit son classeur de façon atomique ; renvoie le résultat du solveur (ou None)."""
    from plai_bilan.sortie import ecrire_atomique

    p = parametres or charger_parametres()
    if resultat is None and any(pr.est_solde for pr in scenario.prets):
        resultat = resoudre([preparer(scenario, p)], parametres=p)[0]
    if resultat is not None:
        e, sim0 = resultat.entrees, resultat.detail.compte_zero
    else:
        sim0 = simuler(scenario, p)
        e = sim0.entrees
    ecrire_atomique(chemin, lambda tmp: ecrire_classeur(tmp, e, sim0, resultat, p, supplements))
    return resultat
