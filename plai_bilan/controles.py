"""Les contrôles d'un instructeur (model.md 9) : des constats, jamais des exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from plai_bilan.format import euros
from plai_bilan.preparation import Entrees

if TYPE_CHECKING:
    from plai_bilan.bilan import ResultatSubvention

CONFORME, NON_CONFORME, INFORMATION, NON_VERIFIABLE = "conforme", "non conforme", "information", "non vérifiable"
TOLERANCE_LOYER = 0.005  # euros par mois


@dataclass(frozen=True)
class Constat:
    code: str
    libelle: str
    statut: str
    detail: str

    def vers_json(self) -> dict:
        return {"code": self.code, "libelle": self.libelle, "statut": self.statut, "detail": self.detail}


def _designation(ligne) -> str:
    nom = ligne.typologie or "logement"
    return f"{nom} ({ligne.nombre} logement{'s' if ligne.nombre > 1 else ''}, {ligne.menage or 'ménage non précisé'})"


def controler(e: Entrees, resultat: ResultatSubvention | None = None) -> list[Constat]:
    """Critères d'éligibilité du FNAP (seed 001) et contrôles de cohérence de l'opération."""
    sc = e.scenario
    op = sc.operation
    ex = sc.exploitation
    constats: list[Constat] = []
    foyer = op.produit == "foyer"

    for ligne in e.lignes:
        if not ligne.plai_adapte:
            continue
        if foyer:
            ok = ligne.loyer <= ligne.plafond_apl + TOLERANCE_LOYER
            constats.append(Constat(
                "2.2", f"Redevance sous l'équivalence APL foyer : {_designation(ligne)}",
                CONFORME if ok else NON_CONFORME,
                f"redevance {euros(ligne.loyer, 2)} {'<=' if ok else '>'} équivalence E {euros(ligne.plafond_apl, 2)}"))
        else:
            total = ligne.loyer + ligne.loyer_accessoire
            ok = total <= ligne.plafond_apl + TOLERANCE_LOYER
            constats.append(Constat(
                "2.1", f"Loyer sous le plafond APL du ménage : {_designation(ligne)}",
                CONFORME if ok else NON_CONFORME,
                f"loyer {euros(ligne.loyer, 2)} + accessoire {euros(ligne.loyer_accessoire, 2)} = "
                f"{euros(total, 2)} {'<=' if ok else '>'} plafond APL {euros(ligne.plafond_apl, 2)}"))

    if sc.n_plai_adapte > 0:
        nom = "GLS renforcée" if foyer else "gestion locative adaptée (GLA)"
        gla = ex.gla
        ok = gla is not None and gla.montant > 0 and gla.duree > 0
        detail = (f"{euros(gla.montant)} par logement PLAI adapté et par an pendant {gla.duree} ans" if ok
                  else "aucun coût de GLA dans exploitation.gla : le critère 3 du FNAP n'est pas démontré")
        constats.append(Constat("3", f"Présence d'une {nom}", CONFORME if ok else NON_CONFORME, detail))

    for ligne in e.lignes:
        if ligne.plafond_plai != ligne.plafond_plai:  # nan : foyer sans redevance maximale
            constats.append(Constat("plafond", f"Loyer dans le plafond PLAI : {_designation(ligne)}", NON_VERIFIABLE,
                                    "pas de redevance_max pour cette ligne"))
            continue
        ok = ligne.loyer <= ligne.plafond_plai + TOLERANCE_LOYER
        quoi = "redevance maximale" if foyer else "plafond PLAI"
        constats.append(Constat("plafond", f"Loyer dans le {quoi} : {_designation(ligne)}",
                                CONFORME if ok else NON_CONFORME,
                                f"{euros(ligne.loyer, 2)} {'<=' if ok else '>'} {quoi} {euros(ligne.plafond_plai, 2)}"))

    if not foyer:
        if op.marge_locale_pct > 15.0:
            constats.append(Constat("marge", "Marge locale au plus 15 %", NON_CONFORME,
                                    f"marge locale {op.marge_locale_pct:g} % > 15 %"))
        if e.lmzone is None or e.cs is None:
            constats.append(Constat("annexes", "Règle des annexes importantes", NON_VERIFIABLE,
                                    "loyer maximal de zone (LMzone) inconnu à la date d'agrément"))
        else:
            limite_pct = 25.0 if op.ascenseur else 18.0
            produit = sum(lg.nombre * lg.loyer for lg in e.lignes)
            base = sum(lg.nombre * lg.surface_habitable for lg in e.lignes) * e.cs * e.lmzone
            limite = base * (1 + limite_pct / 100.0)
            ok = produit <= limite + TOLERANCE_LOYER
            constats.append(Constat(
                "annexes", f"Annexes importantes : loyers au plus {limite_pct:g} % au-dessus de SH x CS x LMzone",
                CONFORME if ok else NON_CONFORME,
                f"produit des loyers {euros(produit, 2)} par mois {'<=' if ok else '>'} {euros(limite, 2)} "
                f"(SH x CS {e.cs:.4f} x LMzone {e.lmzone:.2f} €/m2 x {1 + limite_pct / 100:.2f})".replace(".", ",")))

    ressources = sum(f.montant for f in e.financement)
    constats.append(Constat("plan", "Plan de financement équilibré", CONFORME if abs(ressources - e.prix_de_revient) <= 1
                            else NON_CONFORME,
                            f"ressources {euros(ressources)} pour un prix de revient de {euros(e.prix_de_revient)}"
                            " (subvention à calculer comptée pour 0)"))
    cofin = [f for f in e.financement if f.nature == "subvention" and not f.inconnue
             and not f.libelle.lower().replace("é", "e").startswith("etat")]
    if cofin:
        constats.append(Constat("cofinancements", "Cofinancements comptés dans le plan", INFORMATION,
                                " ; ".join(f"{f.libelle} {euros(f.montant)}" for f in cofin)))
    else:
        constats.append(Constat("cofinancements", "Cofinancements comptés dans le plan", INFORMATION,
                                "aucun cofinancement hors État : le FNAP demande qu'ils soient recherchés"))

    if resultat is not None and resultat.faisable and e.reference_fnap:
        s = resultat.subvention_minimale
        constats.append(Constat(
            "reference", "Subvention minimale et valeur de référence FNAP", INFORMATION,
            f"subvention minimale {euros(s)} ; référence FNAP {euros(e.reference_fnap)} "
            f"({euros(e.reference_fnap_par_logement)} x {sc.n_plai_adapte} PLAI adaptés) ; "
            f"rapport {s / e.reference_fnap:.0%}".replace("%", " %")))
    if resultat is not None and resultat.cout_contreparties is not None:
        constats.append(Constat(
            "contreparties", "Coût des contreparties sociales", INFORMATION,
            f"{euros(resultat.cout_contreparties)} = subvention minimale {euros(resultat.subvention_minimale)} "
            f"- subvention minimale de la même opération en PLAI ordinaire {euros(resultat.subvention_plai_ordinaire)}"))
    return constats
