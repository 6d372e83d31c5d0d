"""Feuilles de saisie et de données : Hypothèses, Paramètres, Loyers, Prix de revient et financement."""

from __future__ import annotations

import re
from typing import Any

from plai_bilan.export.base import (
    FIN,
    HYP,
    LOYERS,
    PARAM,
    PREMIERE_LIGNE_LOYERS,
    STATUTS,
    ExportBase,
)
from plai_bilan.choix import (
    CRITERES,
    INDEX,
    NATURES,
    NATURES_SUBVENTION,
    OBJETS_PRET,
    PRODUITS,
    PRODUITS_LOGEMENT,
    PROFILS,
    REGIONS,
    REVISABILITES,
    ZONES_APL,
    ZONES_LOYER,
)
from plai_bilan.catalogue import lignes_simples, montants_par_logement
from plai_bilan.export.classeur import cellule, ecrire, formule, oui_non, ref

# Choix fermés des clés du scénario : listes déroulantes.
CHOIX = {"operation.nature": NATURES, "operation.produit": PRODUITS, "operation.region": REGIONS,
         "operation.zone_loyer": ZONES_LOYER, "operation.zone_apl": ZONES_APL, "analyse.critere": CRITERES,
         "subventions[].nature": NATURES_SUBVENTION, "prets[].index": INDEX, "prets[].revisabilite": REVISABILITES,
         "prets[].profil": PROFILS, "logements[].produit": PRODUITS_LOGEMENT, "prets[].produit": PRODUITS_LOGEMENT,
         "prets[].objet": OBJETS_PRET}
UNITES_SUBVENTION = ("€", "€ par logement", "€ par PLAI adapté")
# Colonnes des tableaux de Hypothèses : clé du scénario (« logements[].nombre »), relue par plai-bilan.
COLONNES_LOGEMENTS = ("typologie", "nombre", "surface_habitable", "surface_annexes", "surface_utile", "plai_adapte",
                      "", "loyer_m2", "loyer_mensuel", "loyer_accessoire", "redevance_max", "rls", "menage.couple",
                      "menage.personnes_a_charge", "menage.ressources", "produit", "charges_locatives",
                      "menage.revenu_total", "prestations_mensuelles")
COL_PRODUIT = COLONNES_LOGEMENTS.index("produit")  # colonne du produit dans le tableau des logements (Hypothèses)
COLONNES_PRETS = ("nom", "montant", "duree", "index", "taux_pct", "marge_pct", "progressivite_pct", "revisabilite",
                  "prefinancement", "differe_amortissement", "profil", "produit", "objet")
# Les cellules de montant qui acceptent aussi un mot (classeur de saisie) : le contrôle admet le nombre ou le mot.
MOTS_MONTANT = {"subventions[].montant": ("à calculer", "référence FNAP", "barème"),
                "subventions[].montant_par_logement": ("à calculer", "référence FNAP", "barème"),
                "subventions[].montant_par_plai_adapte": ("à calculer", "référence FNAP", "barème"),
                "prets[].montant": ("solde",)}
LIGNES_EN_PLUS = {"logements": 6, "prets": 3, "subventions": 3, "autres": 3}  # place libre du classeur de saisie
LIGNES_VIDE = {"logements": 12, "prets": 6, "subventions": 8, "autres": 3}  # le classeur de saisie vide


def _cle_subvention(i: int, mode: str) -> str:
    """La clé du scénario qui porte le montant de la subvention i selon sa forme."""
    return {"par_logement": f"subventions[{i}].montant_par_logement",
            "par_plai_adapte": f"subventions[{i}].montant_par_plai_adapte"}.get(mode, f"subventions[{i}].montant")


COL_LOYERS_PRODUIT = 17  # colonne du produit dans le tableau de la feuille Loyers


def _plafond_plus(b) -> float | str:
    """Le plafond PLUS d'une opération sans ligne PLUS, pour la valeur en cache de sa cellule (même formule)."""
    if b.scenario.operation.loyer_plafond_m2_plus is not None:
        return b.scenario.operation.loyer_plafond_m2_plus * b.revalorisation.facteur
    lm = b.lmzones.get("PLUS")
    if lm is None or b.coefficient_structure is None:
        return ""
    r = b.revalorisation.facteur
    maj = b.regles_loyers["majoration_annexes_max_ascenseur_pct" if b.scenario.operation.ascenseur else
                          "majoration_annexes_max_pct"] / 100.0
    su = sum(l.nombre * l.surface_utile for l in b.loyers_par_logement)
    sh = sum(l.nombre * l.surface_habitable for l in b.loyers_par_logement)
    return min(lm * b.coefficient_structure * (1 + b.hypotheses.marge_locale) * r,
               (1 + maj) * sh * b.coefficient_structure * lm * r / su)


def _plafond_pls(b) -> float | str:
    """Le plafond PLS d'une opération sans ligne PLS, pour la valeur en cache de sa cellule (même formule)."""
    if b.scenario.operation.loyer_plafond_m2_pls is not None:
        return b.scenario.operation.loyer_plafond_m2_pls * b.revalorisation.facteur
    lm = b.lmzones.get("PLS")
    if lm is None or b.coefficient_structure is None:
        return ""
    return lm * b.coefficient_structure * b.revalorisation.facteur


class FeuillesEntrees(ExportBase):
    """Les feuilles que les formules de calcul lisent."""

    # ------------------------------------------------------------------ Hypothèses
    def hypotheses(self) -> None:
        ws, sc, cl = self.ws[HYP], self.sc, self.cl
        hyp = self.b.hypotheses
        modele = self.modele
        from plai_bilan.catalogue import catalogue

        cles = catalogue().scenario
        if modele:
            self.titre(ws, "Saisie d'une opération pour plai-bilan",
                       "Remplissez les cellules jaunes (un commentaire explique chaque champ), puis : plai-bilan "
                       "subvention CE_CLASSEUR.xlsx. Une ligne de tableau laissée vide est ignorée.")
        else:
            self.titre(ws, "Hypothèses de l'opération",
                       "Les cellules sur fond jaune sont modifiables : le classeur se recalcule (Excel, LibreOffice). "
                       "Le classeur se relit aussi comme scénario (plai-bilan subvention ETUDE.xlsx).")
        ws.write_string(2, 0, "Cellule modifiable", self.f(saisie=True))
        ws.write_string(2, 1, "VRAI ou FAUX : TRUE ou FALSE ; taux en pour cent (2 % s'écrit 2 %) ; montants en "
                        "euros TTC", self.f(italique=True))
        self.largeurs(ws, (0, 0, 62), (1, 1, 17), (2, 2, 16), (3, 3, 40), (4, 14, 14))

        def aide(l: int, c: int, cle: str, en_plus: str = "", commentaire: bool = True, controle: bool = True) -> None:
            """Commentaire d'aide (classeur de saisie) et liste déroulante ou contrôle de la valeur (``controle`` :
            sur une cellule de saisie seulement, pas sur un en-tête)."""
            generique = cle.replace("[]", "")
            generique = re.sub(r"\[\d+\]", "", generique)
            info = cles.get(generique)
            liste = CHOIX.get(re.sub(r"\[\d+\]", "[]", cle)) if controle else None
            mots = MOTS_MONTANT.get(re.sub(r"\[\d+\]", "[]", cle))
            if mots and controle and modele:  # un nombre ou l'un des mots (« à calculer », « solde »)
                adresse = cellule(l, c)
                choix = ",".join(f'{adresse}="{m}"' for m in mots)
                ws.data_validation(l, c, l, c, {"validate": "custom", "value": f"OR(ISNUMBER({adresse}),{choix})",
                                                "error_title": "Valeur non prévue",
                                                "error_message": "Un nombre, ou : " + ", ".join(mots)})
                controle = False
            if liste:
                ws.data_validation(l, c, l, c, {"validate": "list", "source": list(liste),
                                                "error_title": "Valeur non prévue",
                                                "error_message": "Choisissez dans la liste : " + ", ".join(liste)})
            if not modele:
                return
            if info and commentaire:
                texte = info.get("libelle", "")
                if info.get("defaut") not in (None, "obligatoire", "facultatif"):
                    texte += f" (par défaut : {info['defaut']})"
                if info.get("defaut") == "obligatoire":
                    texte += " (obligatoire)"
                ws.write_comment(l, c, f"{cle}\n{texte}{en_plus}", {"x_scale": 2.2, "y_scale": 1.6})
            if info and not liste and controle:
                if info.get("type") == "booléen":
                    # TRUE et FALSE aussi : une case cochée est un booléen, que LibreOffice ne compare pas au texte
                    # « VRAI » de la liste (« Marquer les données incorrectes » la cerclerait).
                    ws.data_validation(l, c, l, c, {"validate": "list", "source": ["VRAI", "FAUX", "TRUE", "FALSE"],
                                                    "error_message": "VRAI ou FAUX"})
                elif info.get("type") == "entier":
                    ws.data_validation(l, c, l, c, {"validate": "integer", "criteria": "between", "minimum": -1,
                                                    "maximum": 100000, "error_message": "Un nombre entier"})
                elif info.get("type") == "nombre" and cle.endswith("_pct"):
                    ws.data_validation(l, c, l, c, {"validate": "decimal", "criteria": "between", "minimum": -0.1,
                                                    "maximum": 1, "error_message": "Un pourcentage (2 % s'écrit 2 %)"})
                elif info.get("type") == "nombre":
                    ws.data_validation(l, c, l, c, {"validate": "decimal", "criteria": "between",
                                                    "minimum": -1e12, "maximum": 1e12,
                                                    "error_message": "Un nombre (sans espace ni texte)"})
        ligne = 4

        def exemple(valeur: Any, fmt: str) -> str:
            """Dans le classeur de saisie vide, l'exemple livré (commentaire) ; rien sinon."""
            if not self.vide or valeur is None or valeur == "":
                return ""
            if isinstance(valeur, bool):
                texte = "VRAI" if valeur else "FAUX"
            elif fmt.startswith("pct") and isinstance(valeur, int | float):
                texte = f"{valeur * 100:.4g} %".replace(".", ",")
            elif isinstance(valeur, float):
                texte = f"{valeur:,.2f}".replace(",", "\u202f").replace(".", ",").removesuffix(",00")
            else:
                texte = str(valeur)
            return f"\nExemple ({sc.operation.nom}) : {texte}"

        def section(titre: str) -> None:
            nonlocal ligne
            ligne += 1
            self.entete(ws, ligne, 0, [titre, "Valeur", "Unité", "Clé du scénario"])
            ligne += 1

        def entree(cle: str, valeur: Any, fmt: str, nom: str | None = None, modifiable: bool = True,
                   libelle: str | None = None, unite: str | None = None) -> int:
            """Une ligne « libellé, valeur, unité, clé du scénario » ; libellé (court) et unité lus au catalogue
            pour la clé, sauf s'ils sont donnés. Non modifiable : la valeur ne change pas les formules (elle est
            relue telle quelle) ; tout est modifiable dans le classeur de saisie."""
            nonlocal ligne
            info = cles.get(re.sub(r"\[\d*\]", "", cle), {})
            libelle = info.get("court", info.get("libelle", "")) if libelle is None else libelle
            if unite is None:  # l'unité du catalogue, sauf celle que le format de la valeur affiche déjà
                unite = info.get("unite", "")
                if (unite == "€" and fmt.startswith("euros")) or (unite == "%" and fmt.startswith("pct")):
                    unite = ""
            ws.write_string(ligne, 0, libelle)
            ecrire(ws, ligne, 1, None if self.vide else valeur, self.f(fmt, saisie=modifiable or modele))
            ws.write_string(ligne, 2, unite, self.f(retrait=True))
            ws.write_string(ligne, 3, cle, self.f(italique=True))
            aide(ligne, 1, cle, exemple(valeur, fmt))
            if nom:
                cl.nommer(nom, HYP, ligne, 1)
            if not (modifiable or modele):
                self.pos.relues_verrouillees.append((ligne, 1))  # relue, mais les formules ne la suivent pas
            ligne += 1
            return ligne - 1

        def calcule(libelle: str, texte: str, valeur: Any, fmt: str, unite: str, nom: str) -> None:
            """Une grandeur calculée des saisies (classeur d'étude seulement) : lue par les formules, pas relue."""
            nonlocal ligne
            if modele:
                return
            ws.write_string(ligne, 0, libelle)
            formule(ws, ligne, 1, texte, valeur, self.f(fmt))
            ws.write_string(ligne, 2, unite, self.f(retrait=True))
            ws.write_string(ligne, 3, "calculé", self.f(italique=True))
            cl.nommer(nom, HYP, ligne, 1)
            ligne += 1

        op = sc.operation
        section("Opération")
        entree("operation.nom", op.nom, "texte", modifiable=False)
        entree("operation.nature", op.nature, "texte", modifiable=False)
        entree("operation.produit", op.produit, "texte", modifiable=False)
        entree("operation.region", op.region, "texte", modifiable=False)
        # Une zone numérique en nombre : la liste « 1bis,1,2,3 » de LibreOffice n'admet pas le texte « 2 ».
        entree("operation.zone_loyer", int(op.zone_loyer) if op.zone_loyer.isdigit() else op.zone_loyer, "texte",
               modifiable=False)
        entree("operation.zone_apl", int(op.zone_apl) if op.zone_apl.isdigit() else op.zone_apl, "texte",
               modifiable=False)
        entree("operation.date_agrement", op.date_agrement.isoformat(), "texte", modifiable=False)
        entree("operation.mise_en_service", op.mise_en_service, "entier", "mise_en_service")
        entree("operation.rls", op.rls, "booleen", "rls_operation")
        entree("operation.ascenseur", op.ascenseur, "booleen", "ascenseur")
        entree("operation.plai_adaptes_meme_adresse", op.plai_adaptes_meme_adresse, "entier",
               "plai_adaptes_meme_adresse")
        entree("operation.qpv", op.qpv, "booleen", modifiable=False)
        entree("operation.anru", op.anru, "booleen", modifiable=False)
        entree("operation.refinancement", op.refinancement, "booleen", modifiable=False)
        entree("operation.parametres_locaux", op.parametres_locaux, "texte", modifiable=False)
        entree("operation.droit", op.droit, "texte", modifiable=False)
        entree("operation.fin_droit", op.fin_droit.isoformat() if op.fin_droit else None, "texte", modifiable=False)
        if self.foyer:
            entree("operation.type_foyer", op.type_foyer, "texte", modifiable=False)
        if not self.foyer:
            entree("operation.marge_locale_pct", hyp.marge_locale, "pct", "marge_locale")
            entree("operation.loyer_plafond_m2", op.loyer_plafond_m2, "euros_m2_4", "loyer_plafond_m2_saisi")
            entree("operation.loyer_plafond_m2_plus", op.loyer_plafond_m2_plus, "euros_m2_4",
                   "loyer_plafond_m2_plus_saisi")
            entree("operation.loyer_plafond_m2_pls", op.loyer_plafond_m2_pls, "euros_m2_4",
                   "loyer_plafond_m2_pls_saisi")
            entree("operation.zone_abc", op.zone_abc, "texte", modifiable=False)

        section("Prix de revient")
        pr = sc.prix_de_revient
        entree("prix_de_revient.charge_fonciere", pr.charge_fonciere, "euros", "charge_fonciere")
        entree("prix_de_revient.travaux", pr.travaux, "euros", "travaux")
        entree("prix_de_revient.honoraires", pr.honoraires, "euros", "honoraires")
        for nom, montant in () if self.vide else pr.autres:
            self.pos.autres_couts.append(entree(f"prix_de_revient.autres.{nom}", montant, "euros",
                                                libelle=f"Autre : {nom}", unite="€"))
        for _ in range(LIGNES_EN_PLUS["autres"] if modele else 0):
            l = entree("prix_de_revient.autres", None, "euros")
            ws.write_string(l, 0, "Autre : ", self.f(saisie=True))
            ws.write_comment(l, 0, "Écrivez le nom du poste après « Autre : » (laissez vide pour ignorer)")
        taux_tva = self.b.tva_produits["PLAI"]  # un taux saisi est celui des logements PLAI
        for groupe, libelle in (("charge_fonciere", "charge foncière"), ("travaux", "travaux"),
                                ("honoraires", "honoraires"), ("autres", "autres postes")):
            entree(f"prix_de_revient.taux_tva_pct.{groupe}", taux_tva[groupe], "pct", f"tva_{groupe}",
                   libelle=f"TVA : {libelle}, logements PLAI (montants TTC, lus HT à ce taux)", unite="")

        section("Subventions")
        ws.write_string(ligne - 1, 4, "Nature", self.f(entete=True))
        ws.write_string(ligne - 1, 5, "Produit financé", self.f(entete=True))
        if modele:
            ws.write_comment(ligne - 1, 1, "Un montant, ou le texte : à calculer (la subvention que plai-bilan "
                             "résout), référence FNAP, barème (barème local)")
        for i, s in enumerate(() if self.vide else sc.subventions):
            if s.montant == "a_calculer":
                mode, valeur, unite, modifiable = "a_calculer", "à calculer", "", False
            elif s.montant == "reference":
                mode, valeur, unite, modifiable = "reference", "référence FNAP", "", False
            elif s.montant_par_logement is not None:
                mode, valeur, unite, modifiable = "par_logement", s.montant_par_logement, "€ par logement", True
            elif s.montant_par_plai_adapte is not None:
                mode, valeur, unite, modifiable = ("par_plai_adapte", s.montant_par_plai_adapte, "€ par PLAI adapté",
                                                   True)
            elif s.montant == "bareme":
                montant = next(f.montant for f in self.b.financement if f.cle == f"subventions[{i}].montant")
                n_plai = sum(l.nombre for l in self.b.loyers_par_logement if l.produit == "PLAI")
                mode, valeur, unite, modifiable = ("bareme", montant / n_plai if n_plai else 0.0,
                                                   "€ par logement (barème local)", True)
            else:
                mode, valeur, unite, modifiable = "montant", float(s.montant), "€", True
            cle = _cle_subvention(i, mode)
            l = entree(cle, valeur, "euros" if modifiable else "texte", modifiable=modifiable, libelle=s.financeur,
                       unite=unite)
            if modele:  # le financeur et l'unité se changent ou s'effacent comme le montant
                ws.write_string(l, 0, s.financeur, self.f(saisie=True))
                ws.write_string(l, 2, unite, self.f(saisie=True))
            self._nature_subvention(ws, l, i, s.nature, modele, s.produit)
            self.pos.subventions.append((l, mode))
            self.pos.relues_verrouillees += [(l, 4), (l, 5)]
        deja = 0 if self.vide else len(sc.subventions)
        libres = LIGNES_VIDE["subventions"] if self.vide else LIGNES_EN_PLUS["subventions"]
        for i in range(deja, deja + (libres if modele else 0)):
            l = entree(f"subventions[{i}].montant", None, "euros", libelle="", unite="€")
            ws.write_blank(l, 0, None, self.f(saisie=True))
            ws.write_string(l, 2, "€", self.f(saisie=True))
            if self.vide and i == 0:
                ws.write_comment(l, 1, "Un montant, ou : à calculer (la subvention d'équilibre que plai-bilan "
                                 "résout), référence FNAP, barème. Exemple : « à calculer » pour la subvention "
                                 "PLAI adapté du FNAP (nature fnap_plai_adapte)")
            ws.write_comment(l, 0, "Le financeur (laissez vide pour ignorer la ligne)")
            self._nature_subvention(ws, l, i, "autre", modele)

        section("Fonds propres")
        fp = sc.fonds_propres
        rem = fp.remuneration
        entree("fonds_propres.montant", fp.montant, "euros", "fonds_propres")
        entree("fonds_propres.remuneration.taux_pct", hyp.fonds_propres_taux, "pct", "fonds_propres_taux")
        entree("fonds_propres.remuneration.duree", rem.duree if rem else 0, "entier", "fonds_propres_duree")

        section("Exploitation (par logement et par an, prix de l'année 1)")
        ex = sc.exploitation
        entree("exploitation.vacance_pct", hyp.vacance, "pct", "vacance")
        entree("exploitation.impayes_pct", hyp.impayes, "pct", "impayes")
        for d in lignes_simples().values():
            if d.montant in montants_par_logement():  # un montant par logement et par an, lu de sa clé
                entree(d.scenario, getattr(ex, d.montant), "euros", d.montant)
            elif d.cle == "gros_entretien":
                entree("exploitation.gros_entretien", ex.gros_entretien, "euros", "gros_entretien")
                entree("exploitation.gros_entretien_pct_travaux", hyp.gros_entretien_pct_travaux, "pct",
                       "gros_entretien_pct_travaux")
                calcule("Gros entretien de l'opération, année 1", "IF(ISNUMBER(gros_entretien_pct_travaux),"
                        "gros_entretien_pct_travaux*travaux,N(gros_entretien)*n_logements)", hyp.gros_entretien_total,
                        "euros", "€/an", "gros_entretien_total")
        entree("exploitation.charges_pct_loyers", hyp.charges_pct_loyers, "pct", "charges_pct_loyers")
        entree("exploitation.tfpb.montant", ex.tfpb.montant if ex.tfpb else 0.0, "euros", "tfpb_montant")
        entree("exploitation.tfpb.exoneration", hyp.tfpb_exoneration, "entier", "tfpb_exoneration",
               libelle="TFPB : années d'exonération" + (" (durée légale, CGI 1384 A ou 1384 C)" if hyp.tfpb_exoneration_legale else ""),
               unite="années")
        for cle, libelle in (("gls", "Gestion locative sociale de droit commun (par logement)"),
                             ("gla", "Gestion locative adaptée (par PLAI adapté)"),
                             ("accompagnement", "Accompagnement (par PLAI adapté)"),
                             ("financement_accompagnement", "Financement de l'accompagnement (par PLAI adapté)")):
            md = getattr(ex, cle)
            entree(f"exploitation.{cle}.montant", md.montant if md else 0.0, "euros", f"{cle}_montant", libelle=libelle,
                   unite="€/logement/an")
            entree(f"exploitation.{cle}.duree", md.duree if md else 0, "entier", f"{cle}_duree",
                   libelle=f"{libelle.split(' (')[0]} : durée", unite="années")
        l = entree("exploitation.financement_accompagnement.contrepartie", hyp.financement_accompagnement_contrepartie,
                   "booleen", "financement_accompagnement_contrepartie")
        calcule("Logements comptés par le financement de l'accompagnement",
                "IF(financement_accompagnement_contrepartie,n_plai_adapte,n_logements)",
                self.b.assiettes["n_financement_accompagnement"], "nombre", "logements", "n_financement_accompagnement")
        entree("exploitation.indexation.loyers_pct", hyp.indexation_loyers, "pct", "indexation_loyers")
        entree("exploitation.indexation.charges_pct", hyp.indexation_charges, "pct", "indexation_charges")
        apl_pct = ex.indexation.plafonds_apl_pct
        entree("exploitation.indexation.plafonds_apl_pct", None if apl_pct is None else apl_pct / 100, "pct",
               modifiable=False)
        entree("exploitation.tfpb.criteres_environnementaux", bool(ex.tfpb and ex.tfpb.criteres_environnementaux),
               "booleen", modifiable=False)

        section("Analyse")
        entree("analyse.critere", sc.analyse.critere, "texte", "critere")
        entree("analyse.taux_actualisation_pct", hyp.taux_actualisation, "pct", "taux_actualisation")
        entree("analyse.tresorerie_initiale", sc.analyse.tresorerie_initiale, "euros", "tresorerie_initiale")
        entree("analyse.duree", sc.analyse.duree if modele else self.h, "entier", modifiable=False,
               libelle="Horizon (lignes du classeur)" if not modele else "Horizon (vide : max(40, plus long prêt))",
               unite="années")

        section("Contrôle de surcompensation (SIEG)")
        hs = self.b.hypotheses_sieg
        entree("sieg.duree", hs.duree, "entier", "periode")
        entree("sieg.taux_swap_pct", hs.taux_swap, "pct", "sieg_swap")
        entree("sieg.taux_actualisation_pct", hs.taux_actualisation, "pct", "sieg_actualisation")
        marche = sc.sieg.taux_marche_pct
        entree("sieg.taux_marche_pct", None if marche is None else marche / 100, "pct", "sieg_marche",
               libelle="Taux de marché de l'avantage des prêts (vide : un seul taux, celui d'actualisation)")
        entree("sieg.duree_amortissement", hs.duree_amortissement, "entier", "sieg_amortissement")
        entree("sieg.rabais_foncier", hs.rabais_foncier, "euros", "sieg_rabais")
        entree("sieg.garanties", hs.garanties, "euros", "sieg_garanties")
        entree("sieg.individualisation", hs.individualisation, "booleen", modifiable=False)
        vr = sc.sieg.valeur_residuelle
        entree("sieg.valeur_residuelle", vr, "texte" if isinstance(vr, str) else "euros", modifiable=False)

        # Logements
        ligne += 1
        ws.write_string(ligne, 0, "Logements", self.f(gras=True))
        ligne += 1
        self.cles_tableau(ws, ligne, "logements", COLONNES_LOGEMENTS)
        ligne += 1
        self.entete(ws, ligne, 0, ["Typologie", "Nombre", "Surface habitable (m²)", "Annexes (m²)",
                                   "Surface utile saisie (m²)", "PLAI adapté", "Ménage", "Loyer saisi (€/m² SU)",
                                   "Loyer saisi (€/mois)", "Loyer accessoire (€/mois)", "Redevance maximale (€/mois)",
                                   "Soumis à la RLS", "Ménage : couple", "Ménage : personnes à charge",
                                   "Ménage : ressources annuelles (€)", "Produit (PLAI, PLUS, PLS)",
                                   "Charges récupérables (€/mois)", "Ménage : revenu total annuel (€)",
                                   "Foyer : prestations (€/mois)"])
        ws.set_row(ligne, 42)
        if modele:
            lg0 = sc.logements[0]
            m0 = lg0.menage
            valeurs0 = [lg0.typologie, lg0.nombre, lg0.surface_habitable, lg0.surface_annexes, lg0.surface_utile_saisie,
                        lg0.plai_adapte, None, lg0.loyer_m2, lg0.loyer_mensuel, lg0.loyer_accessoire,
                        lg0.redevance_max, lg0.rls, m0 and m0.couple, m0 and m0.personnes_a_charge,
                        m0 and m0.ressources, lg0.produit]
            self.aide_ligne(ws, ligne, "logements", COLONNES_LOGEMENTS, aide, entete=True,
                            exemples={c: exemple(v, "decimal") for c, v in enumerate(valeurs0)})
        ligne += 1
        s = self.f("booleen", saisie=True)
        # Le ménage : modifiable, il change le plafond APL et la RLS de la ligne (Loyers, barèmes de Paramètres).
        m = self.f("booleen", saisie=True)
        for i, (lg, ll) in enumerate(() if self.vide else zip(sc.logements, self.b.loyers_par_logement)):
            ws.write_string(ligne, 0, lg.typologie or f"ligne {i + 1}", self.f(saisie=modele))
            ecrire(ws, ligne, 1, lg.nombre, self.f("nombre", saisie=True))
            ecrire(ws, ligne, 2, lg.surface_habitable, self.f("decimal", saisie=True))
            ecrire(ws, ligne, 3, lg.surface_annexes, self.f("decimal", saisie=True))
            ecrire(ws, ligne, 4, lg.surface_utile_saisie, self.f("decimal", saisie=True))
            ecrire(ws, ligne, 5, lg.plai_adapte, s)
            if modele:
                ws.write_string(ligne, 6, ll.menage or "-")
            else:
                formule(ws, ligne, 6, self.formules_menage(ligne)["texte"], ll.menage or "-")
            ecrire(ws, ligne, 7, lg.loyer_m2, self.f("decimal", saisie=True))
            ecrire(ws, ligne, 8, lg.loyer_mensuel, self.f("euros2", saisie=True))
            ecrire(ws, ligne, 9, lg.loyer_accessoire, self.f("euros2", saisie=True))
            ecrire(ws, ligne, 10, lg.redevance_max, self.f("euros2", saisie=True))
            ecrire(ws, ligne, 11, lg.soumis_rls, s)  # la déclaration ; Loyers y ajoute le plafond de ressources
            if lg.menage is not None:
                ecrire(ws, ligne, 12, lg.menage.couple, m)
                ecrire(ws, ligne, 13, lg.menage.personnes_a_charge, self.f("entier", saisie=True))
                ecrire(ws, ligne, 14, lg.menage.ressources, self.f("euros", saisie=True))
            else:
                for c, fmt in ((12, "booleen"), (13, "entier"), (14, "euros")):
                    ws.write_blank(ligne, c, None, self.f(fmt, saisie=True))
            ecrire(ws, ligne, COL_PRODUIT, lg.produit, self.f(saisie=True))
            # Vue des ménages et prestations d'un foyer : relues, sans effet sur les formules du classeur.
            ecrire(ws, ligne, COL_PRODUIT + 1, lg.charges_locatives, self.f("euros2", saisie=modele))
            ecrire(ws, ligne, COL_PRODUIT + 2, None if lg.menage is None else lg.menage.revenu_total,
                   self.f("euros", saisie=modele))
            ecrire(ws, ligne, COL_PRODUIT + 3, lg.prestations_mensuelles or None, self.f("euros2", saisie=modele))
            self.aide_ligne(ws, ligne, "logements", COLONNES_LOGEMENTS, aide)
            self.pos.logements.append(ligne)
            self.pos.relues_verrouillees += [(ligne, COL_PRODUIT + k) for k in (1, 2, 3)]
            ligne += 1
        for _ in range((LIGNES_VIDE if self.vide else LIGNES_EN_PLUS)["logements"] if modele else 0):
            for c, fmt in enumerate(("texte", "nombre", "decimal", "decimal", "decimal", "booleen", "texte", "decimal",
                                     "euros2", "euros2", "euros2", "booleen", "booleen", "entier", "euros", "texte",
                                     "euros2", "euros", "euros2")):
                if c != 6:
                    ws.write_blank(ligne, c, None, self.f(fmt, saisie=True))
            self.aide_ligne(ws, ligne, "logements", COLONNES_LOGEMENTS, aide)
            ligne += 1

        # Prêts
        ligne += 1
        ws.write_string(ligne, 0, "Prêts", self.f(gras=True))
        ligne += 1
        self.cles_tableau(ws, ligne, "prets", COLONNES_PRETS)
        ligne += 1
        self.entete(ws, ligne, 0, ["Nom", "Montant (€ ou « solde »)", "Durée (échéances)", "Index (livret_a ou fixe)",
                                   "Taux fixe", "Marge sur le livret A", "Progressivité", "Révisabilité",
                                   "Préfinancement (ans)", "Différé d'amortissement (ans)", "Profil",
                                   "Produit financé (vide : l'opération)", "Objet (construction ou foncier)"])
        ws.set_row(ligne, 30)
        if modele:
            p0 = self.b.prets_caracteristiques[0]
            valeurs0 = [p0.nom, "solde" if p0.est_solde else p0.montant, p0.duree, p0.index, p0.taux_fixe, p0.marge,
                        p0.progressivite, p0.revisabilite, p0.prefinancement, p0.differe, p0.profil, p0.produit]
            self.aide_ligne(ws, ligne, "prets", COLONNES_PRETS, aide, entete=True,
                            exemples={c: exemple(v, "pct" if c in (4, 5, 6) else "decimal")
                                      for c, v in enumerate(valeurs0)})
        ligne += 1
        for pr, pret in () if self.vide else zip(self.b.prets_caracteristiques, self.b.scenario.prets):
            ws.write_string(ligne, 0, pr.nom, self.f(saisie=modele))
            if pr.est_solde:
                ws.write_string(ligne, 1, "solde", self.f(saisie=modele))
            else:
                ecrire(ws, ligne, 1, pr.montant, self.f("euros", saisie=True))
            ecrire(ws, ligne, 2, pr.duree, self.f("entier", saisie=True))
            ecrire(ws, ligne, 3, pr.index, self.f(saisie=True))
            ecrire(ws, ligne, 4, pr.taux_fixe, self.f("pct4", saisie=True))
            ecrire(ws, ligne, 5, pr.marge, self.f("pct4", saisie=True))
            ecrire(ws, ligne, 6, pr.progressivite, self.f("pct4", saisie=True))
            ecrire(ws, ligne, 7, pr.revisabilite, self.f(saisie=True))
            ecrire(ws, ligne, 8, pr.prefinancement, self.f("entier", saisie=True))
            ecrire(ws, ligne, 9, pr.differe, self.f("entier", saisie=True))
            ecrire(ws, ligne, 10, pr.profil, self.f(saisie=True))
            ecrire(ws, ligne, 11, pr.produit, self.f(saisie=True))
            ecrire(ws, ligne, 12, pret.objet, self.f(saisie=True))  # relu ; sans effet sur les formules
            self.aide_ligne(ws, ligne, "prets", COLONNES_PRETS, aide)
            self.pos.prets.append(ligne)
            self.pos.relues_verrouillees += [(ligne, 1), (ligne, 12)]
            ligne += 1
        for _ in range((LIGNES_VIDE if self.vide else LIGNES_EN_PLUS)["prets"] if modele else 0):
            for c, fmt in enumerate(("texte", "euros", "entier", "texte", "pct4", "pct4", "pct4", "texte", "entier",
                                     "entier", "texte", "texte", "texte")):
                ws.write_blank(ligne, c, None, self.f(fmt, saisie=True))
            self.aide_ligne(ws, ligne, "prets", COLONNES_PRETS, aide)
            ligne += 1

        # Trajectoire du livret A.
        ligne += 1
        ws.write_string(ligne, 0, "Trajectoire du livret A (une cellule vide ou une formule recopie l'année "
                        "précédente)", self.f(gras=True))
        ligne += 1
        ws.write_string(ligne, 0, "livret_a.trajectoire", self.f(italique=True))
        ws.set_row(ligne, None, None, {"hidden": True})
        ligne += 1
        self.entete(ws, ligne, 0, ["Année d'exploitation", "Année civile", "Livret A"])
        ligne += 1
        n_saisis = hyp.n_livret_a_saisis
        for j in range(self.h):
            l = ligne + j
            ws.write_number(l, 0, j + 1, self.f("entier"))
            taux = float(self.e.livret_a[j])
            if modele:
                ecrire(ws, l, 2, taux if j < n_saisis and not self.vide else None, self.f("pct", saisie=True))
                if j == 0:
                    ws.write_comment(l, 2, "Taux du livret A de l'année 1 ; les années laissées vides reprennent "
                                     "le taux de l'année précédente ; toutes vides : la trajectoire par défaut de "
                                     "plai-bilan (le taux en vigueur, prolongé)")
                continue
            formule(ws, l, 1, f"mise_en_service+{cellule(l, 0)}-1", sc.operation.mise_en_service + j,
                    self.f("entier"))
            if j < n_saisis:
                ws.write_number(l, 2, taux, self.f("pct", saisie=True))
            else:
                formule(ws, l, 2, cellule(l - 1, 2), taux, self.f("pct", saisie=True))
            self.pos.livret_a.append(ref(HYP, l, 2))
        if modele:
            ws.freeze_panes(3, 0)
            # Sans mot de passe ; des lignes s'insèrent dans les tableaux (plai-bilan les relit).
            ws.protect("", {"format_columns": True, "format_rows": True, "insert_rows": True, "delete_rows": True})
            self.mise_en_page(ws)
            return
        self.alerte_saisie(ws)
        ws.freeze_panes(3, 0)
        self.mise_en_page(ws)

    def cles_tableau(self, ws, ligne: int, tableau: str, colonnes: tuple[str, ...]) -> None:
        """La ligne des clés du scénario au-dessus d'un tableau : c'est elle que plai-bilan relit."""
        for c, cle in enumerate(colonnes):
            if cle:
                ws.write_string(ligne, c, f"{tableau}[].{cle}", self.f(italique=True))
        ws.set_row(ligne, None, None, {"hidden": True})  # lue par plai-bilan ; l'en-tête dessous dit la même chose

    @staticmethod
    def aide_ligne(ws, ligne: int, tableau: str, colonnes: tuple[str, ...], aide, entete: bool = False,
                   exemples: dict[int, str] | None = None) -> None:
        """Listes et contrôles d'une ligne de tableau ; les commentaires d'aide (et l'exemple du classeur de saisie
        vide) vont sur l'en-tête, qui n'a pas de contrôle."""
        for c, cle in enumerate(colonnes):
            if cle:
                aide(ligne, c, f"{tableau}[].{cle}", (exemples or {}).get(c, ""), commentaire=entete,
                     controle=not entete)

    def _nature_subvention(self, ws, l: int, i: int, nature: str, modele: bool, produit: str | None = None) -> None:
        ws.write_string(l, 4, nature, self.f(saisie=modele))
        ws.data_validation(l, 4, l, 4, {"validate": "list", "source": list(NATURES_SUBVENTION)})
        ecrire(ws, l, 5, produit, self.f(saisie=modele))  # vide : toute l'opération
        ws.data_validation(l, 5, l, 5, {"validate": "list", "source": list(PRODUITS_LOGEMENT)})
        if modele:
            ws.write_comment(l, 4, "Nature de la subvention : fnap_plai_adapte (la subvention PLAI adapté du FNAP), "
                             "etat_plai, collectivite, action_logement, autre")
            ws.data_validation(l, 2, l, 2, {"validate": "list", "source": list(UNITES_SUBVENTION)})

    def alerte_saisie(self, ws) -> None:
        """Ligne 4 de Hypothèses (nom « alerte_saisie ») : vide, ou ce qu'une saisie demande que le classeur ne peut
        pas calculer ; les résultats affichent alors « saisie à corriger »."""
        l1, l2 = self.pos.logements[0], self.pos.logements[-1]
        parties = []
        if not self.foyer:
            # Le plafond APL d'une ligne sans ménage est vide (Loyers, colonne I) : PLAI adapté impossible.
            drapeaux = f"{ref(HYP, l1, 5)}:{cellule(l2, 5, True)}"
            apl = f"{ref(LOYERS, PREMIERE_LIGNE_LOYERS, 8)}:{cellule(PREMIERE_LIGNE_LOYERS + l2 - l1, 8, True)}"
            # (plage="") plutôt que NOT(ISNUMBER(plage)) : Gnumeric n'évalue pas ISNUMBER en tableau dans SUMPRODUCT.
            parties.append(f'IF(SUMPRODUCT(({drapeaux}=TRUE)*({apl}=""))>0,"Un logement PLAI adapté '
                           'demande un ménage et son plafond APL (clé menage du scénario, puis ré-export). ","")')
            produits = f"{ref(HYP, l1, COL_PRODUIT)}:{cellule(l2, COL_PRODUIT, True)}"
            parties.append(f'IF(AND(COUNTIF({produits},"PLS")>0,NOT(ISNUMBER(plafond_pls_m2))),"Un logement PLS '
                           'demande la zone A/B/C de la commune (operation.zone_abc, puis ré-export). ","")')
            parties.append(f'IF(SUMPRODUCT(({drapeaux}=TRUE)*({produits}<>"PLAI")*({produits}<>""))>0,"Un logement '
                           'PLAI adapté est financé en PLAI. ","")')
        p1, p2 = (self.pos.prets or [0])[0], (self.pos.prets or [0])[-1]
        parties.append(f'IF(MAX({ref(HYP, p1, 2)}:{cellule(p2, 2, True)})>{self.h},"Un prêt a plus de {self.h} '
                       f'échéances, au-delà des {self.h} années du classeur (fixez analyse.duree, puis ré-exportez). '
                       '","")')
        parties.append('IF(AND(critere="van",NOT(ISNUMBER(taux_actualisation))),"Critère van : saisissez le taux '
                       "d'actualisation. \",\"\")")
        parties.append('IF(AND(critere<>"annuel",critere<>"tresorerie_cumulee",critere<>"van"),"Critère : annuel, '
                       'tresorerie_cumulee ou van. ","")')
        formule(ws, 3, 0, "&".join(parties), "", self.f(gras=True, alerte=True))
        self.cl.nommer("alerte_saisie", HYP, 3, 0)

    # ------------------------------------------------------------------ Paramètres
    def parametres(self) -> None:
        ws, e, cl, sc = self.ws[PARAM], self.e, self.cl, self.sc
        op = sc.operation
        self.titre(ws, "Paramètres réglementaires appliqués",
                   f"Valeurs en vigueur au {op.date_agrement.strftime('%d/%m/%Y')} (date d'agrément), appliquées "
                   "telles quelles en année 1. Sur fond jaune : modifiables pour une variante.")
        self.largeurs(ws, (0, 0, 48), (1, 1, 14), (2, 2, 16), (3, 3, 24), (4, 5, 12), (6, 6, 90))
        self.entete(ws, 3, 0, ["Paramètre", "Valeur", "Unité", "Barème", "En vigueur depuis", "Statut", "Référence"])
        ligne = 4

        def valeur(libelle: str, v: Any, fmt: str, unite: str, bareme: str, nom: str | None = None) -> int:
            nonlocal ligne
            ws.write_string(ligne, 0, libelle)
            ecrire(ws, ligne, 1, v, self.f(fmt, saisie=True))
            ws.write_string(ligne, 2, unite, self.f(retrait=True))
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

        reval = e.revalorisation
        chaine = " ; ".join(f"{a} : {x:+.2%} ({s})".replace(".", ",").replace("%", " %") for a, x, s in reval.etapes)
        ligne_reval = valeur(f"Revalorisation des loyers maximaux de l'agrément ({op.date_agrement.year}) à l'année 1 "
                             f"({op.mise_en_service}), chaque 1er janvier (CCH L.353-9-2)", reval.facteur, "decimal4", "",
                             "irl", "revalorisation_loyers")
        ws.write_string(ligne_reval, 6, chaine or "aucune : mise en service l'année de l'agrément")
        if e.revalorisations_apl_supposees:
            ws.write_string(ligne, 0, f"Plafonds APL de l'année 1 : {e.revalorisations_apl_supposees} revalorisation(s) "
                            "du 1er octobre non publiée(s), projetée(s) par l'hypothèse", self.f(italique=True))
            ligne += 1
        if not self.foyer:
            valeur(f"Loyer maximal de zone PLAI (LMzone), zone {op.zone_loyer}, à l'agrément", e.lmzone, "euros_m2",
                   "€/m² SU/mois", "loyers_maximaux_plai", "lmzone")
            valeur(f"Loyer maximal de zone PLUS (LMzone), zone {op.zone_loyer}, à l'agrément (ESTIMATION)",
                   e.lmzones.get("PLUS"), "euros_m2", "€/m² SU/mois", "loyers_maximaux_plus", "lmzone_plus")
            valeur(f"Loyer maximal PLS, zone {op.zone_abc or '(zone_abc non donnée)'}, à l'agrément (ESTIMATION)",
                   e.lmzones.get("PLS"), "euros_m2", "€/m² SU/mois", "loyers_maximaux_pls", "lmzone_pls")
            valeur("Coefficient de structure : a dans a x (1 + b x N / SU)", e.cs_a, "decimal4", "",
                   "coefficient_structure", "cs_a")
            valeur("Coefficient de structure : b dans a x (1 + b x N / SU)", e.cs_b, "decimal", "",
                   "coefficient_structure", "cs_b")
        valeur("Part des annexes dans la surface utile", e.regles_loyers["part_annexes_su"], "decimal", "",
               "coefficient_structure", "part_annexes_su")
        valeur("Taux de TVA des logements PLAI (information : les montants sont TTC)", e.hypotheses.taux_tva, "pct",
               "", "tva", "taux_tva")
        valeur("Taux de TVA des logements PLUS (travaux ; renouvellement urbain : taux réduit)",
               e.tva_produits["PLUS"]["travaux"], "pct", "", "tva", "taux_tva_plus")
        valeur("Taux de TVA des logements PLS (travaux)", e.tva_produits["PLS"]["travaux"], "pct", "", "tva",
               "taux_tva_pls")
        if not self.foyer:
            sans = valeur("Annexes importantes : majoration maximale du produit des loyers, sans ascenseur",
                          e.regles_loyers["majoration_annexes_max_pct"] / 100, "pct", "", "coefficient_structure")
            avec = valeur("Annexes importantes : majoration maximale du produit des loyers, avec ascenseur",
                          e.regles_loyers["majoration_annexes_max_ascenseur_pct"] / 100, "pct", "",
                          "coefficient_structure")
            ws.write_string(ligne, 0, "Annexes importantes : majoration appliquée (selon l'ascenseur, Hypothèses)")
            cle_maj = "majoration_annexes_max_ascenseur_pct" if op.ascenseur else "majoration_annexes_max_pct"
            formule(ws, ligne, 1, f"IF(ascenseur,{cellule(avec, 1)},{cellule(sans, 1)})",
                    e.regles_loyers[cle_maj] / 100, self.f("pct"))
            cl.nommer("majoration_annexes", PARAM, ligne, 1)
            ligne += 1
        # Les barèmes du ménage à l'année 1, par composition : chaque ligne de Loyers en tire son plafond APL (ou son
        # équivalence E) et sa RLS, de sorte qu'un ménage modifié dans Hypothèses change le classeur comme le moteur.
        tables = self.b.baremes_menage
        compositions = {"isole": "personne seule", "couple": "couple sans personne à charge",
                        "un_pac": "une personne à charge", "pac_supp": "par personne à charge en plus",
                        **{f"pac_{k}": f"{k} personne{'s' if k > 1 else ''} à charge" for k in range(1, 7)}}
        quoi = {"apl": ("Équivalence de loyer et de charges APL foyer (E)" if self.foyer else "Loyer plafond APL (L)",
                        "apl_equivalence_foyer" if self.foyer else "apl_loyers_plafonds"),
                "rls": ("Réduction de loyer de solidarité (montant)", "rls"),
                "rls_plafond": ("Réduction de loyer de solidarité : plafond de ressources mensuelles",
                                "rls_plafonds_ressources")}
        self.baremes_menage = {}
        for cle, (libelle, bareme) in quoi.items():
            t = tables.get(cle)
            if t is None:
                continue
            self.baremes_menage[cle] = t
            for col, v in t.items():
                valeur(f"{libelle}, zone {op.zone_apl}, année 1 : {compositions.get(col, col)}", v, "euros2", "€/mois",
                       bareme, f"{cle}_{col}")
        if e.tranches_fnap:
            # La tranche suit le nombre de PLAI adaptés (Loyers) et ceux d'autres opérations à la même adresse.
            choix, bornes, precedente = [], [], 0
            for borne, v in e.tranches_fnap:
                quoi = (f"{precedente + 1} PLAI adaptés et plus" if borne is None else
                        f"de {precedente + 1} à {borne} PLAI adaptés")
                l_t = valeur(f"Valeur de référence FNAP par logement PLAI adapté, région {op.region} : "
                             + ("foyer" if self.foyer else quoi), v, "euros", "€/logement", "fnap_plai_adapte")
                choix.append(cellule(l_t, 1))
                bornes.append(borne)
                precedente = borne or precedente
            texte = choix[-1]
            for borne, c in reversed(list(zip(bornes[:-1], choix[:-1]))):
                texte = f"IF(n_plai_adapte+plai_adaptes_meme_adresse<={borne},{c},{texte})"
            ws.write_string(ligne, 0, "Valeur de référence FNAP par logement PLAI adapté (tranche de l'opération)")
            formule(ws, ligne, 1, texte, e.reference_fnap_par_logement, self.f("euros"))
            cl.nommer("reference_fnap_par_logement", PARAM, ligne, 1)
            ligne += 1
        else:
            valeur("Valeur de référence FNAP par logement PLAI adapté", e.reference_fnap_par_logement, "euros",
                   "€/logement", "fnap_plai_adapte", "reference_fnap_par_logement")

        ligne += 1
        ws.write_string(ligne, 0, "Barèmes consultés", self.f(gras=True))
        ligne += 1
        self.entete(ws, ligne, 0, ["Barème", "", "", "Fichier", "En vigueur depuis", "Statut", "Référence"])
        ligne += 1
        for vd in e.provenance.parametres_utilises:
            ws.write_string(ligne, 0, vd.description)
            ws.write_string(ligne, 3, vd.bareme)
            ws.write_string(ligne, 4, vd.date.strftime("%d/%m/%Y"))
            ws.write_string(ligne, 5, STATUTS[vd.statut])
            ws.write_string(ligne, 6, vd.reference)
            ligne += 1
        if any(vd.estimation for vd in e.provenance.parametres_utilises):
            ligne += 1
            ws.write_string(ligne, 0, "Attention : une valeur au statut ESTIMATION est une estimation à vérifier "
                            "dans le texte officiel avant de s'y fier.", self.f(gras=True))
        self.mise_en_page(ws, (3, 3))

    def formules_menage(self, hr: int) -> dict[str, str | None]:
        """Les formules d'une ligne de logements (ligne ``hr`` de Hypothèses) tirées de son ménage : texte, plafond
        APL (ou équivalence E) et RLS, sur les barèmes par composition de Paramètres (comme le moteur)."""
        def h(c: int) -> str:
            return ref(HYP, hr, c)

        present = f"COUNTA({h(12)}:{cellule(hr, 14, True)},{h(COL_PRODUIT + 2)})>0"
        couple, pac = h(12), f"N({h(13)})"
        tables = getattr(self, "baremes_menage", {})

        def selon(cle: str, colonnes_pac: int) -> str:
            """La valeur du barème ``cle`` pour la composition de la ligne (comme Parametres._rang_menage et
            _par_personnes_a_charge)."""
            seul = f"IF({couple},{cle}_couple,{cle}_isole)"
            if colonnes_pac == 0:
                return f"IF({pac}<=0,{seul},{cle}_un_pac+({pac}-1)*{cle}_pac_supp)"
            choix = ",".join(f"{cle}_pac_{k}" for k in range(1, colonnes_pac + 1))
            return (f"IF({pac}<=0,{seul},IF({pac}<={colonnes_pac},CHOOSE({pac},{choix}),"
                    f"{cle}_pac_{colonnes_pac}+({pac}-{colonnes_pac})*{cle}_pac_supp))")

        texte = (f'IF({present},IF({couple},"couple","personne seule")&IF({pac}=0,"",", "&{pac}&" pers. à charge"),'
                 '"-")')
        apl = f'IF({present},{selon("apl", 4 if self.foyer else 0)},"")' if "apl" in tables else '""'
        rls = None
        if "rls" in tables:
            # Exposée : la ligne déclarée soumise, et ses ressources (si elles sont données) sous le plafond de la RLS.
            sous_plafond = (f"IF(ISNUMBER({h(14)}),{h(14)}/12<={selon('rls_plafond', 6)},TRUE)"
                            if "rls_plafond" in tables else "TRUE")
            rls = f"IF(AND({present},rls_operation,{h(11)},{sous_plafond}),{selon('rls', 0)},0)"
        return {"texte": texte, "apl": apl, "rls": rls}

    # ------------------------------------------------------------------ Loyers
    def loyers(self) -> None:
        ws, e, cl = self.ws[LOYERS], self.e, self.cl
        self.titre(ws, "Loyers (euros par mois et par logement)",
                   "Surface utile = surface habitable + annexes / 2 (CCH R.331-10). " +
                   ("Redevance appliquée : la saisie, sinon min(redevance maximale, équivalence E) pour un PLAI "
                    "adapté." if self.foyer else
                    "Loyer appliqué : la saisie, sinon min(plafond PLAI, plafond APL - loyer accessoire) pour un "
                    "PLAI adapté, sinon le plafond PLAI."))
        self.largeurs(ws, (0, 0, 14), (1, 5, 10), (6, 6, 27), (7, 10, 12), (11, 11, 27), (12, 16, 11))
        n_lignes = len(e.loyers_par_logement)
        premiere = PREMIERE_LIGNE_LOYERS  # ligne du premier logement dans le tableau
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

        agregat("Nombre de logements", f"SUM({col(1)})", e.n_logements, "nombre", "n_logements")
        agregat("Logements PLAI adaptés", f"SUMPRODUCT(({col(5)}=TRUE)*{col(1)})", e.n_plai_adapte, "nombre",
                "n_plai_adapte")
        for produit in PRODUITS_LOGEMENT:  # les logements de chaque produit (colonne Produit du tableau)
            agregat(f"Logements {produit}", f'SUMPRODUCT(({col(COL_LOYERS_PRODUIT)}="{produit}")*{col(1)})',
                    sum(l.nombre for l in e.loyers_par_logement if l.produit == produit), "nombre",
                    f"n_logements_{produit.lower()}")
        su_tot = sum(l.nombre * l.surface_utile for l in e.loyers_par_logement)
        for produit in PRODUITS_LOGEMENT:
            agregat(f"Part de la surface utile {produit}",
                    f'SUMPRODUCT(({col(COL_LOYERS_PRODUIT)}="{produit}")*{col(1)}*{col(4)})/su_totale',
                    sum(l.nombre * l.surface_utile for l in e.loyers_par_logement if l.produit == produit) / su_tot,
                    "pct", f"part_su_{produit.lower()}")
        agregat("Surface utile totale", f"SUMPRODUCT({col(1)},{col(4)})", e.su_totale, "m2", "su_totale")
        agregat("Surface habitable totale", f"SUMPRODUCT({col(1)},{col(2)})",
                sum(lg.nombre * lg.surface_habitable for lg in e.loyers_par_logement), "m2", "sh_totale")
        if not self.foyer:
            agregat("Coefficient de structure CS", "cs_a*(1+cs_b*n_logements/su_totale)", e.coefficient_structure, "decimal4",
                    "coefficient_structure")
            plus = ("IF(ISNUMBER(loyer_plafond_m2_plus_saisi),loyer_plafond_m2_plus_saisi*revalorisation_loyers,"
                    "IF(ISNUMBER(lmzone_plus),MIN(lmzone_plus*coefficient_structure*(1+marge_locale)*"
                    "revalorisation_loyers,(1+majoration_annexes)*sh_totale*coefficient_structure*lmzone_plus"
                    '*revalorisation_loyers/su_totale),""))')
            agregat("Plafond PLUS de l'opération (avis saisi, sinon LMzone PLUS x CS x (1 + marge), règle des annexes)",
                    plus, e.plafonds_m2.get("PLUS", _plafond_plus(e)), "euros_m2_4", "plafond_plus_m2")
            agregat("Plafond PLS de l'opération (avis saisi, sinon LMzone PLS x CS, sans marge locale)",
                    "IF(ISNUMBER(loyer_plafond_m2_pls_saisi),loyer_plafond_m2_pls_saisi*revalorisation_loyers,"
                    'IF(ISNUMBER(lmzone_pls),lmzone_pls*coefficient_structure*revalorisation_loyers,""))',
                    e.plafonds_m2.get("PLS", _plafond_pls(e)), "euros_m2_4", "plafond_pls_m2")
            agregat("Plafond PLAI de l'opération (avis loyers saisi, sinon LMzone x CS x (1 + marge) abaissé par la "
                    "règle des annexes importantes)",
                    "IF(ISNUMBER(loyer_plafond_m2_saisi),loyer_plafond_m2_saisi*revalorisation_loyers,MIN(lmzone*coefficient_structure*"
                    "(1+marge_locale)*revalorisation_loyers,(1+majoration_annexes)*sh_totale*coefficient_structure*lmzone"
                    "*revalorisation_loyers/su_totale))",
                    e.plafond_plai_m2, "euros_m2_4", "plafond_plai_m2")
        variante = [ll.loyer_plai_ordinaire for ll in e.loyers_par_logement]
        agregat("Assiette annuelle des loyers et accessoires (année 1)", f"12*SUMPRODUCT({col(1)},{col(10)}+{col(9)})",
                e.assiettes["base_loyers"], "euros", "base_loyers")
        agregat("dont loyers accessoires", f"12*SUMPRODUCT({col(1)},{col(9)})", e.assiettes["base_accessoires"], "euros",
                "base_accessoires")
        agregat("Assiette annuelle de la RLS (année 1)", f"12*SUMPRODUCT({col(1)},{col(13)})", e.assiettes["base_rls"],
                "euros", "base_rls")
        agregat("Surface utile x 12 (assiette du loyer d'équilibre)", "12*su_totale", e.assiettes["base_surface"],
                "decimal", "base_surface")
        base_variante = e.assiettes["base_loyers_plai_ordinaire"]
        agregat("Assiette annuelle en PLAI ordinaire (loyers au plafond)", f"12*SUMPRODUCT({col(1)},{col(14)}+{col(9)})",
                base_variante, "euros", "base_loyers_plai_ordinaire")

        l_tab = premiere - 1
        quoi_plafond = "Redevance maximale" if self.foyer else "Plafond du produit"
        quoi_apl = "Équivalence APL foyer E" if self.foyer else "Plafond APL du ménage"
        self.entete(ws, l_tab, 0, ["Typologie", "Nombre", "Surface habitable", "Annexes", "Surface utile",
                                   "PLAI adapté", "Ménage", quoi_plafond, quoi_apl, "Loyer accessoire",
                                   "Redevance appliquée" if self.foyer else "Loyer appliqué", "Origine",
                                   "€/m² SU", "RLS mensuelle", "En PLAI ordinaire",
                                   "Sous le plafond APL (2.2)" if self.foyer else "Sous le plafond APL (2.1)",
                                   f"Dans le {quoi_plafond.lower()}", "Produit"])
        ws.set_row(l_tab, 42)
        for i, ll in enumerate(e.loyers_par_logement):
            l = premiere + i
            hr = self.pos.logements[i]

            def h(c: int) -> str:
                return ref(HYP, hr, c)

            C, D, E, F, H, I, J, K = (cellule(l, c) for c in (2, 3, 4, 5, 7, 8, 9, 10))
            P = cellule(l, COL_LOYERS_PRODUIT)
            ws.write_string(l, 0, ll.typologie or f"ligne {i + 1}")
            formule(ws, l, COL_LOYERS_PRODUIT, f'IF({h(COL_PRODUIT)}="","PLAI",{h(COL_PRODUIT)})', ll.produit)
            formule(ws, l, 1, h(1), ll.nombre, self.f("nombre"))
            formule(ws, l, 2, h(2), ll.surface_habitable, self.f("decimal"))
            formule(ws, l, 3, h(3), ll.surface_annexes, self.f("decimal"))
            formule(ws, l, 4, f"IF(ISNUMBER({h(4)}),{h(4)},{C}+part_annexes_su*{D})", ll.surface_utile, self.f("decimal"))
            formule(ws, l, 5, h(5), ll.plai_adapte, self.f("booleen"))
            menage = self.formules_menage(hr)
            formule(ws, l, 6, menage["texte"], ll.menage or "-")
            # Sans ménage, pas de plafond APL : un texte vide, qui met en erreur le loyer d'un PLAI adapté.
            formule(ws, l, 8, menage["apl"], ll.plafond_apl if ll.plafond_apl is not None else "", self.f("euros2"))
            formule(ws, l, 9, h(9), ll.loyer_accessoire, self.f("euros2"))
            if self.foyer:
                formule(ws, l, 7, f'IF(ISNUMBER({h(10)}),{h(10)}*revalorisation_loyers,"")', ll.plafond_loyer,
                        self.f("euros2"))
                formule(ws, l, 10, f"IF(ISNUMBER({h(8)}),{h(8)},IF({F},MIN({H},{I}),{H}))", ll.loyer,
                        self.f("euros2"))
                formule(ws, l, 11, f'IF(ISNUMBER({h(8)}),"saisi (loyer_mensuel)",IF(AND({F},N({I})<{H}),'
                        f'"équivalence APL foyer","redevance maximale"))', ll.origine)
                formule(ws, l, 14, f"IF(ISNUMBER({h(10)}),{h(10)}*revalorisation_loyers,{h(8)})", variante[i],
                        self.f("euros2"))
                ok_apl = ll.loyer <= (ll.plafond_apl or 0) + 0.005
                formule(ws, l, 15, f'IF({F},IF({K}<={I}+0.005,"oui","non"),"")', oui_non(ok_apl) if ll.plai_adapte else "")
            else:
                formule(ws, l, 7, f'IF({P}="PLUS",plafond_plus_m2,IF({P}="PLS",plafond_pls_m2,plafond_plai_m2))*{E}',
                        ll.plafond_loyer, self.f("euros2"))
                formule(ws, l, 10, f"IF(ISNUMBER({h(8)}),{h(8)},IF(ISNUMBER({h(7)}),{h(7)}*{E},"
                        f"IF({F},MIN({H},{I}-{J}),{H})))", ll.loyer, self.f("euros2"))
                formule(ws, l, 11, f'IF(ISNUMBER({h(8)}),"saisi (loyer_mensuel)",IF(ISNUMBER({h(7)}),'
                        f'"saisi (loyer_m2 x SU)",IF(AND({F},N({I})-{J}<{H}),"plafond APL - loyer accessoire",'
                        f'"plafond "&{P})))', ll.origine)
                formule(ws, l, 14, f'IF({P}="PLAI",{H},{K})', variante[i], self.f("euros2"))
                ok_apl = ll.loyer + ll.loyer_accessoire <= (ll.plafond_apl or 0) + 0.005
                formule(ws, l, 15, f'IF({F},IF({K}+{J}<={I}+0.005,"oui","non"),"")',
                        oui_non(ok_apl) if ll.plai_adapte else "")
            formule(ws, l, 12, f"{K}/{E}", ll.loyer / ll.surface_utile, self.f("decimal"))
            if menage["rls"] is not None:
                formule(ws, l, 13, menage["rls"], ll.reduction_loyer_solidarite, self.f("euros2"))
            else:
                ws.write_number(l, 13, 0.0, self.f("euros2"))
            plafond_ok = "non vérifiable" if ll.plafond_loyer != ll.plafond_loyer else (
                ll.loyer <= ll.plafond_loyer + 0.005)
            formule(ws, l, 16, f'IF(ISNUMBER({H}),IF({K}<={H}+0.005,"oui","non"),"non vérifiable")', oui_non(plafond_ok))
        ws.freeze_panes(premiere, 1)
        self.mise_en_page(ws, (l_tab, l_tab))

    # ------------------------------------------------------------------ Prix de revient et financement
    def financement(self) -> None:
        ws, e, cl, sc = self.ws[FIN], self.e, self.cl, self.sc
        self.titre(ws, "Prix de revient et plan de financement",
                   "Le prêt d'équilibre (montant « solde ») reçoit le prix de revient moins toutes les autres "
                   "ressources ; la subvention d'équilibre le remplace à due concurrence.")
        self.largeurs(ws, (0, 0, 44), (1, 1, 16), (2, 6, 18))
        self.entete(ws, 3, 0, ["Poste du prix de revient", "", "Montant TTC", "Part", "Taux de TVA", "Montant HT",
                               "TVA"])
        ligne = 4
        postes = [("Charge foncière", "charge_fonciere", sc.prix_de_revient.charge_fonciere),
                  ("Travaux", "travaux", sc.prix_de_revient.travaux),
                  ("Honoraires et frais", "honoraires", sc.prix_de_revient.honoraires)]
        postes += [(f"Autre : {nom}", ref(HYP, l, 1), m)
                   for (nom, m), l in zip(sc.prix_de_revient.autres, self.pos.autres_couts)]
        premiere = ligne
        total_l = premiere + len(postes)
        for (lib, source, montant), poste in zip(postes, e.postes_prix_de_revient):
            ws.write_string(ligne, 0, lib)
            formule(ws, ligne, 2, source, montant, self.f("euros"))
            formule(ws, ligne, 3, f"{cellule(ligne, 2)}/prix_de_revient", montant / e.prix_de_revient, self.f("pct"))
            # Taux effectif du poste : chaque produit pour sa part de surface utile (Loyers), au taux de ses logements
            # (Hypothèses pour le PLAI, Paramètres pour le PLUS et le PLS ; charge foncière hors TVA d'un ancien).
            ancien = poste.groupe == "charge_fonciere" and sc.operation.nature in ("acquisition",
                                                                                  "acquisition-amelioration")
            t = f"tva_{poste.groupe}"
            autres = {p: t if ancien else f"taux_tva_{p.lower()}" for p in ("PLUS", "PLS")}
            formule(ws, ligne, 4, f"1/(part_su_plai/(1+{t})+part_su_plus/(1+{autres['PLUS']})+part_su_pls/(1+"
                    f"{autres['PLS']}))-1", poste.taux_tva, self.f("pct"))
            formule(ws, ligne, 5, f"{cellule(ligne, 2)}/(1+{cellule(ligne, 4)})", poste.ht, self.f("euros"))
            formule(ws, ligne, 6, f"{cellule(ligne, 2)}-{cellule(ligne, 5)}", poste.tva, self.f("euros"))
            if poste.groupe == "charge_fonciere":
                cl.nommer("ht_foncier", FIN, ligne, 5)
            ligne += 1
        self.pos.postes_tva = (premiere, total_l - 1)
        for c, v in ((5, e.prix_de_revient_ht), (6, e.tva_prix_de_revient)):
            formule(ws, total_l, c, f"SUM({cellule(premiere, c)}:{cellule(total_l - 1, c)})", v,
                    self.f("euros", gras=True))
        cl.nommer("prix_de_revient_ht", FIN, total_l, 5)
        ws.write_string(total_l, 0, "Prix de revient", self.f(gras=True))
        formule(ws, total_l, 2, f"SUM({cellule(premiere, 2)}:{cellule(total_l - 1, 2)})", e.prix_de_revient,
                self.f("euros", gras=True))
        cl.nommer("prix_de_revient", FIN, total_l, 2)
        formule(ws, total_l, 3, "1", 1.0, self.f("pct", gras=True))
        ligne = total_l + 1
        formule(ws, ligne, 2, "prix_de_revient/n_logements", e.prix_de_revient / e.n_logements, self.f("euros"))
        ws.write_string(ligne, 0, "par logement")
        ligne += 1
        formule(ws, ligne, 2, "prix_de_revient/su_totale", e.prix_de_revient / e.su_totale, self.f("euros"))
        ws.write_string(ligne, 0, "par m² de surface utile")

        ligne += 2
        self.entete(ws, ligne, 0, ["Ressource", "Nature", "Montant (subvention à calculer = 0)", "Part",
                                   "Montant avec la subvention d'équilibre", "Part"])
        ws.set_row(ligne, 30)
        ligne += 1
        premiere = ligne
        s_appl = "subvention_appliquee"
        s_val = self.b.compte.subvention if self.avec_solveur else 0.0
        lignes: list[tuple[str, str, str, float, str, float]] = []  # libellé, nature, f0, v0, f1, v1
        fin = {f.cle: f for f in e.financement}
        for i, (s, (hl, mode)) in enumerate(zip(sc.subventions, self.pos.subventions)):
            v0 = fin[_cle_subvention(i, mode)].montant
            if mode == "a_calculer":
                lignes.append((s.financeur + " (subvention d'équilibre)", "subvention", "0", 0.0, s_appl, s_val))
                continue
            produit = s.produit or ("PLAI" if s.nature == "etat_plai" else None)
            n_produit = "n_logements" if produit is None else f"n_logements_{produit.lower()}"
            f0 = {"montant": ref(HYP, hl, 1), "par_logement": f"{ref(HYP, hl, 1)}*{n_produit}",
                  "bareme": f"{ref(HYP, hl, 1)}*n_logements_plai", "par_plai_adapte": f"{ref(HYP, hl, 1)}*n_plai_adapte",
                  "reference": "reference_fnap_par_logement*n_plai_adapte"}[mode]
            lignes.append((s.financeur, "subvention", f0, v0 or 0.0, None, v0 or 0.0))
        if self.avec_solveur and e.indice_inconnue is None:
            lignes.append(("Subvention d'équilibre (calculée)", "subvention", "0", 0.0, s_appl, s_val))
        lignes.append(("Fonds propres", "fonds propres", "fonds_propres", sc.fonds_propres.montant, None,
                       sc.fonds_propres.montant))
        n_avant_prets = len(lignes)
        j_solde = None if e.indice_solde is None else n_avant_prets + e.indice_solde
        for i, pr in enumerate(sc.prets):
            k = float(e.principaux[i])
            if pr.est_solde:
                # Le prêt d'équilibre : le prix de revient moins toutes les autres ressources du plan.
                autres = "+".join(cellule(premiere + x, 2) for x in range(len(sc.prets) + n_avant_prets)
                                  if x != j_solde)
                lignes.append((pr.nom + " (prêt d'équilibre)", "prêt", f"prix_de_revient-({autres})", k,
                               f"{cellule(premiere + j_solde, 2)}-{s_appl}", k - s_val))
            else:
                lignes.append((pr.nom, "prêt", ref(HYP, self.pos.prets[i], 1), k, None, k))
        derniere = premiere + len(lignes) - 1
        self.pos.plan = (premiere, derniere)
        for j, (lib, nature, f0, v0, f1, v1) in enumerate(lignes):
            l = premiere + j
            ws.write_string(l, 0, lib)
            ws.write_string(l, 1, nature)
            formule(ws, l, 2, f0, v0, self.f("euros"))
            if j == j_solde:
                cl.nommer("pret_equilibre_initial", FIN, l, 2)
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

