"""Feuilles de calcul : Emprunts, Exploitation, Équilibre (formes fermées de la subvention et du loyer)."""

from __future__ import annotations

from typing import Any

import numpy as np

from plai_bilan.export.base import (
    van_cache,
    van_ou_motif,
    EMPRUNTS,
    EQUI,
    EXPL,
    FIN,
    HYP,
    NUL,
    PREMIERE_ANNEE_EQUILIBRE,
    SEUIL_ECHEC,
    ExportBase,
    Rangees,
)
from plai_bilan.bilan import EcheancierPret
from plai_bilan.catalogue import LIGNES_COMPTE, LigneSimple, catalogue, lignes_simples
from plai_bilan.conventions import EGALITE_RELATIVE, TOLERANCE
from plai_bilan.export.classeur import cellule, formule, ref

_MOTIFS = catalogue().valeurs["motif"]
SIMPLES = lignes_simples()
ROLES = {k: d.role for k, d in SIMPLES.items()}
LIGNES_CHARGES = tuple(k for k in LIGNES_COMPTE if ROLES.get(k) == "charge")
PRODUITS = ("loyers",) + tuple(k for k in LIGNES_COMPTE if ROLES.get(k) == "produit")
assert all(ROLES.get(k) == "charge" for k in LIGNES_COMPTE[LIGNES_COMPTE.index(LIGNES_CHARGES[0]):
                                                       LIGNES_COMPTE.index(LIGNES_CHARGES[-1]) + 1]), \
    "les charges du compte doivent se suivre (la colonne des charges en est la somme d'une plage)"


def formule_simple(d: LigneSimple, annee: str, cellule_ligne, annees: str = "siennes") -> str:
    """La formule d'une ligne simple pour l'année dont ``annee`` est la cellule ; ``cellule_ligne(cle)`` : la
    cellule d'une ligne du compte de la même année. ``annees`` : comme ``exploitation.ligne_simple``."""
    if d.assiette_ligne:
        coeur = f"{d.montant}*{cellule_ligne(d.assiette)}"
    else:
        coeur = d.montant + (f"*{d.assiette}" if d.assiette else "") + (
            f"*(1+indexation_{d.indexation})^({annee}-1)" if d.indexation else "")
    if annees == "toutes" or d.bornes is None:
        return coeur
    dedans = annees == "siennes"
    if d.pendant:
        condition = f"{annee}<={d.pendant}" if dedans else f"{annee}>{d.pendant}"
    else:
        condition = f"{annee}>{d.apres}" if dedans else f"{annee}<={d.apres}"
    return f"IF({condition},{coeur},0)"
MOTIF_APRES, MOTIF_AVANT, MOTIF_STRUCTUREL = _MOTIFS["apres"], _MOTIFS["avant"], _MOTIFS["structurel"]


class FeuillesCalcul(ExportBase):
    """Les tableaux d'amortissement, le compte annuel et le solveur en formules."""

    # ------------------------------------------------------------------ Emprunts
    @staticmethod
    def debut_tableau_pret(ligne: int) -> int:
        """Ligne de l'année 1 d'un bloc de prêt qui commence à ``ligne`` (titre, en-tête, valeurs, en-tête)."""
        return ligne + 4

    def bloc_pret(self, ws, ligne: int, titre: str, hyp_ligne: int, capital: str, capital_valeur: float,
                  pret: EcheancierPret, montants: str = "euros2") -> int:
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
        formule(ws, v, 10, f"{cellule(v, 0, True)}*(1+{cellule(t0, 3, True)})^{PREF}", pret.capital_initial,
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
            formule(ws, l, 3, f'IF({IDX}="livret_a",MAX({C}+{MARGE},0),{TF})', pret.taux[j], self.f("pct"))
            if j == 0:
                formule(ws, l, 4, PROG, pret.progressivite[j], self.f("pct4"))
                formule(ws, l, 6, K0, pret.capital_initial, self.f(montants))
            else:
                Ep, Dp = cellule(l - 1, 4), cellule(l - 1, 3)
                rev = f"(1+{Ep})*(1+{D})/(1+{Dp})-1"
                formule(ws, l, 4, f'IF(AND({IDX}="livret_a",{REV}<>"simple"),IF({REV}="double_limitee",'
                        f'MAX({rev},0),{rev}),{Ep})', pret.progressivite[j], self.f("pct4"))
                formule(ws, l, 6, cellule(l - 1, 10), pret.capital_restant_du[j - 1], self.f(montants))
            formule(ws, l, 5, f"MAX({DUR}-{A}+1,0)", max(valeurs[0] - t + 1, 0), self.f("entier"))
            n = f"MAX({F},1)"
            facteur = f"IF(ABS({D}-{E})<1E-9,(1+{D})/{n},({D}-{E})/(1-((1+{E})/(1+{D}))^{n}))"
            formule(ws, l, 7, f'IF({A}>{DUR},0,IF({A}<={DIFF},{G}*{D},IF({PROF}="amortissement_constant",'
                    f'{G}/{n}+{G}*{D},{G}*{facteur})))', pret.echeances[j], self.f(montants))
            formule(ws, l, 8, f"IF({A}>{DUR},0,{G}*{D})", pret.interets[j], self.f(montants))
            formule(ws, l, 9, f"{H}-{I}", pret.amortissements[j], self.f(montants))
            formule(ws, l, 10, f"{G}-{J}", pret.capital_restant_du[j], self.f(montants))
        return t0

    def _valeurs_pret(self, hyp_ligne: int) -> list:
        pr = self.b.prets_caracteristiques[self.pos.prets.index(hyp_ligne)]
        return [pr.duree, pr.index, pr.taux_fixe, pr.marge, pr.progressivite, pr.revisabilite, pr.prefinancement,
                pr.differe, pr.profil]

    def emprunts(self) -> None:
        ws = self.ws[EMPRUNTS]
        self.titre(ws, "Emprunts : tableaux d'amortissement",
                   "Taux de l'année t : taux fixe, ou max(livret A + marge, 0). Échéance prioritaire : capital "
                   "restant dû x (r - p) / (1 - ((1 + p) / (1 + r)) ^ N) ; différé : les intérêts seuls.")
        self.largeurs(ws, (0, 0, 16), (1, 5, 12), (6, 10, 16), (9, 9, 22))
        ligne = 3
        sauts = []
        for i, pr in enumerate(self.sc.prets):
            if i > 0:
                sauts.append(ligne)
            t0 = self.bloc_pret(ws, ligne, f"Prêt : {pr.nom}", self.pos.prets[i], self.pos.principal_pret[i],
                                float(self.e.principaux[i]), self.sim0.prets[i])
            self.pos.echeance_pret.append(t0)
            ligne = t0 + self.h + 2
            self.avancer()
        ws.set_h_pagebreaks(sauts)  # un prêt par page
        # Échelle telle qu'un tableau entier (titre, caractéristiques, en-tête, H années) tienne sur une page A4
        # paysage, et la largeur aussi : points imprimables / points du bloc (lignes de 15 pt, 5,6 pt par caractère
        # de largeur de colonne).
        hauteur = 4 * 15 + 2 * 30 + self.h * 15
        largeur = (16 + 5 * 12 + 4 * 16 + 22) * 5.6
        echelle = int(min(100, 100 * 470 / hauteur, 100 * 780 / largeur))
        self.mise_en_page(ws, echelle=max(echelle, 10))

    # ------------------------------------------------------------------ Exploitation
    COLONNES_EXPL = LIGNES_COMPTE + ("annuites_s", "autofinancement_s", "tresorerie_s")

    def col_expl(self, nom: str) -> int:
        return self.COLONNES_EXPL.index(nom)

    def exploitation(self) -> None:
        ws = self.ws[EXPL]
        self.titre(ws, "Compte d'exploitation prévisionnel (euros courants, flux en fin d'année)",
                   "Indexation à partir de l'année 2 : valeur de l'année 1 x (1 + taux) ^ (t - 1). "
                   "Autofinancement = loyers + produits - charges - annuités - rémunération des fonds propres.")
        libelles = {k: catalogue().libelle(k) for k in LIGNES_COMPTE}
        libelles.update(annuites_s="Annuités avec la subvention d'équilibre",
                        autofinancement_s="Autofinancement avec la subvention d'équilibre",
                        tresorerie_s="Trésorerie cumulée avec la subvention d'équilibre")
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
        simS = self.b.compte if self.avec_solveur else None
        fe = self.f("euros")
        for j in range(self.h):
            l = p + j
            A = cellule(l, 0)

            def X(nom: str) -> str:
                return cellule(l, c[nom])

            il = f"(1+indexation_loyers)^({A}-1)"
            formules = {
                "annee_civile": f"mise_en_service+{A}-1",
                "revenu_locatif": f"base_loyers*{il}*(1-vacance-impayes)",
                "loyers_accessoires": f"base_accessoires*{il}*(1-vacance-impayes)",
                "reduction_loyer_solidarite": f"base_rls*{il}*(1-vacance)",
                "loyers": f"{X('revenu_locatif')}-{X('reduction_loyer_solidarite')}",
                "charges": f"SUM({X(LIGNES_CHARGES[0])}:{X(LIGNES_CHARGES[-1])})",
                "annuites": "+".join(ref(EMPRUNTS, t0 + j, 7, False) for t0 in self.pos.echeance_pret) or "0",
                "remuneration_fonds_propres": f"IF({A}<=fonds_propres_duree,fonds_propres*IF(fonds_propres_taux=0,"
                                              f"1/fonds_propres_duree,fonds_propres_taux/(1-(1+fonds_propres_taux)"
                                              f"^(-fonds_propres_duree))),0)",
                "autofinancement": "+".join(X(k) for k in PRODUITS) + f"-{X('charges')}-{X('annuites')}"
                                   f"-{X('remuneration_fonds_propres')}",
                "tresorerie": (f"tresorerie_initiale+{X('autofinancement')}" if j == 0 else
                               f"{cellule(l - 1, c['tresorerie'])}+{X('autofinancement')}"),
            }
            formules.update({cle: formule_simple(d, A, X) for cle, d in SIMPLES.items()})
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
                              ("autofinancement_s", "VAN de l'autofinancement avec la subvention d'équilibre",
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
    COLONNES_EQUI = ("annee", "u", "cumul_u", "v", "w", "ratio", "sans_levier", "u_positif", "loyers_principaux",
                     "v_loyer", "a", "w_loyer", "ratio_loyer", "ecart_plai", "v_plai", "ratio_plai",
                     "sans_levier_plai", "atteint_maximum")

    def equilibre(self) -> None:
        ws, cl, e, sc = self.ws[EQUI], self.cl, self.e, self.sc
        self.titre(ws, "Équilibre : subvention d'équilibre et loyer d'équilibre (formes fermées exactes)")
        self.largeurs(ws, (0, 0, 52), (1, 16, 15))
        if not self.avec_solveur:
            ws.write_string(2, 0, "Aucun prêt d'équilibre (montant = « solde ») : la subvention d'équilibre ne peut "
                            "remplacer aucun emprunt ; seul le compte d'exploitation est donné.")
            ws.write_number(4, 0, 0)
            cl.nommer("subvention_appliquee", EQUI, 4, 0)
            self.mise_en_page(ws)
            return
        r, d = self.b, self.b.equilibre
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
        self.entete(ws, p - 1, 0, [catalogue().libelle(k) for k in self.COLONNES_EQUI])
        ws.set_row(p - 1, 54)
        unit_t0 = dern + 3 + self.debut_tableau_pret(0)
        crit = r.critere
        # Valeurs en cache : les grandeurs intermédiaires du solveur (nan : cellule vide).
        principaux, a, ecart_plai = d.loyers_principaux, d.a, d.ecart_plai
        ratio, sans_levier = d.ratio, d.sans_levier
        v_plai, ratio_plai, sans_levier_plai = d.v_plai, d.ratio_plai, d.sans_levier_plai
        ratio_loyer = d.ratio_loyer
        finis = np.isfinite(ratio)
        maxi_ratio = ratio[finis].max() if finis.any() else np.nan
        atteint = finis & (np.nan_to_num(ratio, nan=-np.inf) >= maxi_ratio - EGALITE_RELATIVE * max(abs(maxi_ratio), 1.0))

        def cache_v(x: np.ndarray, j: int) -> Any:
            return "" if np.isnan(x[j]) else x[j]

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
            formule(ws, l, cols["cumul_u"], cumul("u"), d.cumul_u[j], self.f("unitaire"))
            formule(ws, l, cols["v"], selon(ex("autofinancement"), ex("tresorerie"), "van_sans_subvention"),
                    cache_v(d.v, j), self.f("euros2"))
            formule(ws, l, cols["w"], selon(X("u"), X("cumul_u"), f"SUMPRODUCT({colr('u')}/(1+{rate})^{ans})"),
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
                    f"*(1-vacance-impayes)+{ex('gla')}+{ex('accompagnement')}"
                    f"-IF(financement_accompagnement_contrepartie,{ex('financement_accompagnement')},0)"
                    f"-subventions_propres_plai_adapte*{X('u')}", ecart_plai[j], self.f("euros2"))
            formule(ws, l, cols["v_plai"],
                    selon(f"{ex('autofinancement')}+{X('ecart_plai')}", f"{ex('tresorerie')}+{cumul('ecart_plai')}",
                          f"van_sans_subvention+SUMPRODUCT({colr('ecart_plai')}/(1+{rate})^{ans})"),
                    cache_v(v_plai, j), self.f("euros2"))
            VP = X("v_plai")
            formule(ws, l, cols["ratio_plai"], f'IF(AND(ISNUMBER({VP}),{VP}<{SEUIL_ECHEC},N({W})>{NUL}),-{VP}/{W},"")',
                    ratio_plai[j], self.f("euros2"))
            formule(ws, l, cols["sans_levier_plai"], f"IF(AND(ISNUMBER({VP}),{VP}<{SEUIL_ECHEC},N({W})<={NUL}),1,0)",
                    float(sans_levier_plai[j]), self.f("entier"))
            R = X("ratio")
            maxi = f"MAX({colr('ratio')})"
            formule(ws, l, cols["atteint_maximum"], f"IF(ISNUMBER({R}),IF({R}>={maxi}-{EGALITE_RELATIVE:g}*MAX(ABS({maxi}),1)"
                    f",1,0),0)", float(atteint[j]), self.f("entier"))

        # Le prêt d'équilibre pour 1 € : u_t.
        i_bal = e.indice_solde
        pr = sc.prets[i_bal]
        self.bloc_pret(ws, unit_t0 - self.debut_tableau_pret(0), f"Prêt d'équilibre pour 1 € de capital : {pr.nom}", self.pos.prets[i_bal],
                       "1", 1.0, d.unitaire, montants="unitaire")

        # Résultats.
        ligne = 3
        self.entete(ws, ligne - 1, 0, ["Résultat", "Valeur", "Formule ou source"])

        rg = Rangees(self, ws, EQUI, ligne)
        res = rg.formule

        s = r.subvention_minimale
        brut = d.besoin_brut
        n_sans = int(sans_levier.sum())
        res("Critère", "critere", crit, "texte", "annuel | tresorerie_cumulee | van (modifiable dans Hypothèses)")
        res("Prêt d'équilibre sans subvention (K)", "pret_equilibre_initial", r.pret_equilibre_initial, "euros",
            "prix de revient - autres ressources")
        res("Besoin : max(0, max -V/W)", f"MAX(0,MAX({colr('ratio')}))", brut, "euros2", "sur les années en échec",
            "besoin_brut")
        res("Années en échec sans levier", f"SUM({colr('sans_levier')})", n_sans, "entier",
            "déficit d'une année où le prêt d'équilibre ne paie plus rien", "annees_sans_levier")
        res("Faisable", f'IF(alerte_saisie<>"","saisie à corriger",IF(AND(annees_sans_levier=0,'
            f'besoin_brut<=pret_equilibre_initial+{TOLERANCE}),"oui","non"))',
            "oui" if r.faisable else "non", "texte", "aucune année sans levier et S* <= K", "faisable")
        res("Subvention d'équilibre S*", 'IF(faisable="oui",besoin_brut,IF(alerte_saisie<>"","saisie à corriger",'
            '"aucune"))', s if r.faisable else "aucune",
            "euros", "", "subvention_minimale", gras=True)
        res("Subvention appliquée au plan et au compte", 'IF(faisable="oui",besoin_brut,0)',
            r.compte.subvention, "euros", "0 si infaisable", "subvention_appliquee")
        premier_u = f'IFERROR(MATCH(1,{colr("u_positif")},0),0)'
        motif = r.motif or ""
        res("Motif d'infaisabilité",
            f'IF(annees_sans_levier>0,IF(OR({premier_u}=0,MATCH(1,{colr("sans_levier")},0)<{premier_u}),'
            f'"{MOTIF_AVANT}","{MOTIF_APRES}"),IF(besoin_brut>pret_equilibre_initial+{TOLERANCE},'
            f'"{MOTIF_STRUCTUREL}",""))', motif, "texte")
        res("Année critique", f'IF(AND(faisable="oui",besoin_brut>0,critere<>"van"),INDEX({colr("annee")},'
            f'MATCH(1,{colr("atteint_maximum")},0)),"")', r.annee_critique, "entier",
            "l'année qui atteint le maximum (la première en cas d'égalité à 1e-9 près)", "annee_critique")
        res("Année civile critique", 'IF(ISNUMBER(annee_critique),mise_en_service+annee_critique-1,"")',
            None if r.annee_critique is None else sc.operation.mise_en_service + r.annee_critique - 1, "entier")
        res("Prêt d'équilibre avec la subvention", "pret_equilibre_initial-subvention_appliquee",
            r.pret_equilibre, "euros", "K - S*")
        res("Subvention d'équilibre par logement", 'IF(faisable="oui",besoin_brut/n_logements,"")', r.subvention_minimale_par_logement,
            "euros")
        res("Subvention d'équilibre par logement PLAI adapté",
            'IF(AND(faisable="oui",n_plai_adapte>0),besoin_brut/n_plai_adapte,"")', r.subvention_minimale_par_logement_plai_adapte,
            "euros")
        res("Loyer d'équilibre sans subvention (€/m² SU/mois)", f'IF(COUNT({colr("ratio_loyer")})=0,"",'
            f'MAX({colr("ratio_loyer")}))', r.loyer_equilibre_m2, "euros_m2",
            "max de -V_L / W_L sur l'horizon, non plancher", "loyer_equilibre_m2")
        if not self.foyer:
            res("Plafond PLAI de l'opération (€/m² SU/mois)", "plafond_plai_m2", e.plafond_plai_m2, "euros_m2")
        kp = d.pret_equilibre_plai
        propres = [ref(FIN, l, 2) for (_, l, _), f in zip(self.pos.plan_lignes, e.financement)
                   if f.propre_au_plai_adapte and not f.inconnue]
        res("Subventions propres au PLAI adapté (hors inconnue)", "+".join(propres) or "0",
            e.subventions_propres_au_plai_adapte, "euros", "référence FNAP, montants par PLAI adapté, nature FNAP",
            "subventions_propres_plai_adapte")
        res("Prêt d'équilibre de la variante PLAI ordinaire", "pret_equilibre_initial+subventions_propres_plai_adapte",
            kp, "euros", "sans les subventions propres au PLAI adapté", "pret_equilibre_plai")
        res("Subvention d'équilibre de la même opération en PLAI ordinaire",
            f'IF(AND(SUM({colr("sans_levier_plai")})=0,MAX(0,MAX({colr("ratio_plai")}))<=pret_equilibre_plai+'
            f'{TOLERANCE}),MAX(0,MAX({colr("ratio_plai")})),"aucune")',
            r.subvention_plai_ordinaire if r.subvention_plai_ordinaire is not None else "aucune", "euros",
            "loyers au plafond PLAI, sans GLA ni accompagnement", "subvention_plai_ordinaire")
        res("Coût des contreparties sociales",
            'IF(AND(faisable="oui",ISNUMBER(subvention_plai_ordinaire)),besoin_brut-subvention_plai_ordinaire,"")',
            r.cout_contreparties, "euros", "S* - S* en PLAI ordinaire", "cout_contreparties")
        ref_tot = e.reference_fnap
        res("Valeur de référence FNAP de l'opération", 'IF(ISNUMBER(reference_fnap_par_logement),'
            'reference_fnap_par_logement*n_plai_adapte,"")', ref_tot, "euros", "par logement PLAI adapté x nombre",
            "reference_fnap")
        res("Subvention d'équilibre / référence FNAP",
            'IF(AND(faisable="oui",N(reference_fnap)>0),besoin_brut/reference_fnap,"")',
            s / ref_tot if s is not None and ref_tot else None, "pct")
        tr_range = (f"{ref(EXPL, self.pos.expl_premiere, self.col_expl('tresorerie_s'))}:"
                    f"{cellule(self.pos.expl_premiere + self.h - 1, self.col_expl('tresorerie_s'), True)}")
        t_min, a_min = r.tresorerie_minimale
        res("Trésorerie cumulée la plus basse (avec la subvention)", f"MIN({tr_range})", t_min, "euros", "",
            "tresorerie_minimale")
        res("Année de la trésorerie la plus basse", f"INDEX({ans},MATCH(tresorerie_minimale,{tr_range},0))", a_min,
            "entier")
        res("VAN sans subvention", van_ou_motif("van_sans_subvention"), van_cache(r.compte_zero.van), "euros")
        res("VAN avec la subvention d'équilibre", van_ou_motif("van_avec_subvention"), van_cache(r.compte.van),
            "euros")
        assert rg.ligne < p - 1, "les résultats débordent sur le tableau de la feuille Équilibre"
        ws.freeze_panes(p, 1)
        self.mise_en_page(ws, (p - 1, p - 1), a3=True)
