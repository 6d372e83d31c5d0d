"""Paramètres réglementaires datés : des fichiers TOML, une valeur en vigueur à une date.

Chaque fichier décrit un barème : ``description``, ``unite``, ``reference`` (texte légal), ``prolongation``
(comment la valeur s'étend au-delà de sa dernière date) et une liste ``valeurs`` datées, chacune avec son
``statut`` (V vérifié, V2 source secondaire, D dérivé, E estimation) et sa ``reference``. La valeur en vigueur à
une date D est la dernière datée au plus tard D ; une date antérieure à la première valeur est une erreur.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from plai_bilan.erreurs import ParametreInvalide

DOSSIER = Path(__file__).parent
STATUTS = ("V", "V2", "D", "E")


def _plus_mois(d: date, mois: int) -> date:
    """Le premier jour du mois, ``mois`` mois après celui de ``d``."""
    m = d.month - 1 + mois
    return date(d.year + m // 12, m % 12 + 1, 1)


BAREMES_LOYERS_MAXIMAUX = {"PLAI": "loyers_maximaux_plai", "PLUS": "loyers_maximaux_plus", "PLS": "loyers_maximaux_pls"}

@dataclass(frozen=True)
class ValeurDatee:
    """Une valeur d'un barème, en vigueur à partir de ``date``."""

    bareme: str
    date: date
    statut: str
    reference: str
    donnees: dict[str, Any] = field(compare=False)


@dataclass(frozen=True)
class Bareme:
    """Un fichier de paramètres : ses métadonnées et ses valeurs triées par date."""

    nom: str
    description: str
    unite: str
    reference: str
    prolongation: str
    estimation: bool
    valeurs: tuple[ValeurDatee, ...]
    periodicite_mois: int | None = None  # revalorisation attendue tous les N mois (None : pas de rythme)

    def revalorisation_attendue(self) -> date | None:
        """La date à laquelle la valeur suivant la dernière connue aurait dû paraître (None : pas de rythme)."""
        if self.periodicite_mois is None:
            return None
        return _plus_mois(self.valeurs[-1].date, self.periodicite_mois)

    def revalorisations_manquantes(self, jour: date) -> int:
        """Le nombre de revalorisations attendues après la dernière valeur connue et au plus tard le ``jour``."""
        attendue, n = self.revalorisation_attendue(), 0
        while attendue is not None and attendue <= jour:
            attendue, n = _plus_mois(attendue, self.periodicite_mois), n + 1
        return n

    def perime(self, jour: date) -> bool:
        """La valeur en vigueur le ``jour`` est la dernière connue, prolongée au-delà de sa revalorisation attendue."""
        attendue = self.revalorisation_attendue()
        return attendue is not None and jour >= attendue

    def en_vigueur(self, jour: date) -> ValeurDatee:
        """La valeur en vigueur le ``jour`` : la dernière datée au plus tard ce jour-là."""
        retenue = None
        for valeur in self.valeurs:
            if valeur.date <= jour:
                retenue = valeur
            else:
                break
        if retenue is None:
            premiere = self.valeurs[0].date
            raise ParametreInvalide(
                f"{self.description} : aucune valeur en vigueur au {jour.isoformat()} "
                f"(première valeur connue au {premiere.isoformat()})"
            )
        return retenue


TAILLE_MAX_PARAMETRES = 2_000_000  # octets d'un fichier de paramètres (les plus gros en font quelques dizaines de milliers)


def _lire_document(chemin: Path) -> dict:
    """Un fichier de paramètres, par le lecteur borné des scénarios (ni tube, ni périphérique, ni fichier géant),
    chaque erreur en une phrase française."""
    from plai_bilan.erreurs import ScenarioInvalide
    from plai_bilan.scenario import lire_toml

    try:
        return lire_toml(chemin, str(chemin), "fichier de paramètres .toml", TAILLE_MAX_PARAMETRES)[0]
    except ScenarioInvalide as exc:
        raise ParametreInvalide(f"fichier de paramètres illisible : {exc}") from None


def _lire_valeurs(chemin: Path, doc: dict) -> list[ValeurDatee]:
    if not isinstance(doc.get("valeurs"), list):
        raise ParametreInvalide(f"{chemin} : clé « valeurs » : une liste de valeurs datées [[valeurs]] est attendue")
    valeurs = []
    for i, brute in enumerate(doc["valeurs"]):
        if not isinstance(brute, dict):
            raise ParametreInvalide(f"{chemin} : clé « valeurs[{i}] » : une table est attendue")
        brute = dict(brute)
        ou = f"{chemin} : clé « valeurs[{i}]"
        jour = brute.pop("date", None)
        if not isinstance(jour, date) or hasattr(jour, "hour"):
            raise ParametreInvalide(f"{ou}.date » : une date AAAA-MM-JJ est attendue")
        statut = brute.pop("statut", None)
        if statut not in STATUTS:
            raise ParametreInvalide(f"{ou}.statut » : l'un de {', '.join(STATUTS)} est attendu")
        reference = brute.pop("reference", None)
        if not isinstance(reference, str) or not reference:
            raise ParametreInvalide(f"{ou}.reference » : le texte légal ou la source de la valeur est attendu")
        valeurs.append(ValeurDatee(chemin.stem, jour, statut, reference, brute))
    return valeurs


def _lire_bareme(chemin: Path) -> Bareme:
    doc = _lire_document(chemin)
    for cle in ("description", "unite", "reference", "prolongation", "valeurs"):
        if cle not in doc:
            raise ParametreInvalide(f"{chemin} : clé « {cle} » manquante")
    valeurs = _lire_valeurs(chemin, doc)
    valeurs.sort(key=lambda v: v.date)
    if not valeurs:
        raise ParametreInvalide(f"{chemin} : aucune valeur")
    return Bareme(
        nom=chemin.stem,
        description=doc["description"],
        unite=doc["unite"],
        reference=doc["reference"],
        prolongation=doc["prolongation"],
        estimation=bool(doc.get("estimation", False)),
        valeurs=tuple(valeurs),
        periodicite_mois=doc.get("periodicite_mois"),
    )


@dataclass(frozen=True)
class BornesPret:
    """Ce que la fiche CDC permet à un prêt (regles_prets.toml), et la règle de durée dite en une phrase."""

    duree_min: int
    duree_max: int
    regle_duree: str
    progressivite_min_pct: float
    progressivite_max_pct: float
    differe_max: int
    prefinancement_max: int
    prefinancement_max_demolition: int
    revisabilites: tuple[str, ...]


def _rang_menage(couple: bool, personnes_a_charge: int) -> tuple[str, int]:
    """Colonne d'un barème isolé / couple / un_pac / pac_supp et nombre de personnes à charge en sus."""
    if personnes_a_charge <= 0:
        return ("couple" if couple else "isole"), 0
    return "un_pac", personnes_a_charge - 1


@dataclass(frozen=True)
class Parametres:
    """Le jeu de paramètres réglementaires, un barème par fichier."""

    baremes: dict[str, Bareme]
    origine: str = "paramètres nationaux de plai-bilan"

    def __getitem__(self, nom: str) -> Bareme:
        return self.baremes[nom]

    @cached_property
    def date_jeu(self) -> date:
        """Date du jeu de paramètres : la plus récente valeur datée de tous les barèmes (calculée une fois)."""
        return max(v.date for b in self.baremes.values() for v in b.valeurs)

    def _zone(self, valeur: ValeurDatee, zone: str) -> dict[str, float]:
        try:
            return valeur.donnees[f"zone_{zone}"]
        except KeyError:
            raise ParametreInvalide(f"{valeur.bareme} : zone « {zone} » inconnue") from None

    def plafond_apl(self, zone: str, couple: bool, personnes_a_charge: int, jour: date) -> tuple[float, ValeurDatee]:
        """Loyer plafond APL (L) du ménage, logement ordinaire, en euros par mois."""
        valeur = self["apl_loyers_plafonds"].en_vigueur(jour)
        z = self._zone(valeur, zone)
        colonne, sus = _rang_menage(couple, personnes_a_charge)
        return z[colonne] + sus * z["pac_supp"], valeur

    def reduction_loyer_solidarite(self, zone: str, couple: bool, personnes_a_charge: int, jour: date) -> tuple[float, ValeurDatee]:
        """RLS mensuelle du ménage, en euros."""
        valeur = self["rls"].en_vigueur(jour)
        z = self._zone(valeur, zone)
        colonne, sus = _rang_menage(couple, personnes_a_charge)
        return z[colonne] + sus * z["pac_supp"], valeur

    def _par_personnes_a_charge(self, bareme: str, zone: str, couple: bool, personnes_a_charge: int, jour: date,
                                colonnes: int) -> tuple[float, ValeurDatee]:
        """Un barème par zone aux colonnes isole, couple, pac_1..pac_N puis pac_supp par personne à charge en plus."""
        valeur = self[bareme].en_vigueur(jour)
        z = self._zone(valeur, zone)
        if personnes_a_charge <= 0:
            return z["couple" if couple else "isole"], valeur
        if personnes_a_charge <= colonnes:
            return z[f"pac_{personnes_a_charge}"], valeur
        return z[f"pac_{colonnes}"] + (personnes_a_charge - colonnes) * z["pac_supp"], valeur

    def equivalence_foyer(self, zone: str, couple: bool, personnes_a_charge: int, jour: date) -> tuple[float, ValeurDatee]:
        """Équivalence de loyer et de charges (E) d'un logement-foyer, charges comprises, en euros par mois."""
        return self._par_personnes_a_charge("apl_equivalence_foyer", zone, couple, personnes_a_charge, jour, 4)

    def plafond_ressources_rls(self, zone: str, couple: bool, personnes_a_charge: int, jour: date
                               ) -> tuple[float, ValeurDatee]:
        """Plafond de ressources mensuelles de la RLS du ménage, en euros."""
        return self._par_personnes_a_charge("rls_plafonds_ressources", zone, couple, personnes_a_charge, jour, 6)

    def forfait_charges(self, personnes_a_charge: int, jour: date) -> tuple[float, ValeurDatee]:
        """Forfait de charges C des aides au logement (secteur locatif), en euros par mois."""
        valeur = self["forfait_charges"].en_vigueur(jour)
        d = valeur.donnees
        return d["cas_general"] + max(personnes_a_charge, 0) * d["par_pac"], valeur

    def irl(self, trimestre: str) -> tuple[tuple[float, float], ValeurDatee] | None:
        """L'IRL d'un trimestre (« T2 2025 ») : (indice, variation annuelle en pour cent) ; None s'il n'est pas chargé."""
        for v in self["irl"].valeurs:
            if v.donnees["trimestre"] == trimestre:
                return (v.donnees["indice"], v.donnees["variation_pct"]), v
        return None

    def variation_irl_t2(self, annee: int) -> tuple[float, ValeurDatee] | None:
        """Variation annuelle (pour cent) de l'IRL du 2e trimestre de ``annee`` ; None si elle n'est pas chargée."""
        trouve = self.irl(f"T2 {annee}")
        return None if trouve is None else (trouve[0][1], trouve[1])

    def revision_loyers_fixee(self, annee: int) -> tuple[float, ValeurDatee] | None:
        """La révision du 1er janvier de ``annee`` fixée par la loi (pour cent), à la place de l'IRL ; None sinon."""
        if "revision_loyers" not in self.baremes:
            return None
        for v in self["revision_loyers"].valeurs:
            if v.date == date(annee, 1, 1):
                return float(v.donnees["taux_pct"]), v
        return None

    def exoneration_tfpb(self, nature: str, criteres_environnementaux: bool, jour: date) -> tuple[int, ValeurDatee]:
        """Durée légale d'exonération de TFPB (années) pour une décision du ``jour`` (CGI 1384 A et 1384 C)."""
        valeur = self["tfpb_exoneration"].en_vigueur(jour)
        if nature in ("acquisition", "acquisition-amelioration"):
            return int(valeur.donnees["acquisition"]), valeur
        colonne = "construction_criteres_environnementaux" if criteres_environnementaux else "construction"
        return int(valeur.donnees[colonne]), valeur

    def taux_tva(self, nature: str, jour: date) -> tuple[float, ValeurDatee]:
        """Taux de TVA (pour cent) des logements PLAI d'une opération de cette nature."""
        valeur = self["tva"].en_vigueur(jour)
        colonne = "plai_acquisition" if nature in ("acquisition", "acquisition-amelioration") else "plai_construction"
        return valeur.donnees[colonne], valeur

    def taux_tva_postes(self, nature: str, jour: date, produit: str = "PLAI", renouvellement_urbain: bool = False
                        ) -> tuple[dict[str, float], ValeurDatee]:
        """Taux de TVA (pour cent) de chaque poste du prix de revient des logements d'un produit, et le taux normal
        (clé « normal »).

        Construction neuve et VEFA : tout le prix de revient au taux du produit (livraison à soi-même, CGI 278
        sexies) ; acquisition-amélioration : la charge foncière hors TVA (immeuble ancien), les travaux et honoraires
        au taux du produit. PLUS en renouvellement urbain : son taux réduit."""
        valeur = self["tva"].en_vigueur(jour)
        d = valeur.donnees
        ancien = nature in ("acquisition", "acquisition-amelioration")
        if produit == "PLAI":
            taux = d["plai_acquisition"] if ancien else d["plai_construction"]
        elif produit == "PLUS":
            taux = d["plus_renouvellement_urbain"] if renouvellement_urbain else d["plus"]
        else:
            taux = d["pls"]
        return ({"charge_fonciere": d["charge_fonciere_ancien"] if ancien else taux, "travaux": taux,
                 "honoraires": taux, "autres": taux, "normal": d["taux_normal"]}, valeur)

    def sieg(self, jour: date) -> tuple[dict[str, float], ValeurDatee]:
        """Le bénéfice raisonnable du contrôle de surcompensation en vigueur (sieg.toml)."""
        valeur = self["sieg"].en_vigueur(jour)
        return {"prime_benefice_pb": float(valeur.donnees["prime_benefice_pb"])}, valeur

    def sieg_marche(self, jour: date) -> tuple[dict[str, float], ValeurDatee]:
        """La durée d'amortissement du bâti du contrôle SIEG (sieg_marche.toml)."""
        valeur = self["sieg_marche"].en_vigueur(jour)
        return {"duree_amortissement_bati": int(valeur.donnees["duree_amortissement_bati"])}, valeur

    def taux_swap(self, maturite: float, jour: date) -> tuple[float, ValeurDatee]:
        """Taux de swap EUR (pour cent) d'une maturité (années), interpolé entre les maturités de la table en vigueur
        (constant au-delà) : swap_eur.toml."""
        valeur = self["swap_eur"].en_vigueur(jour)
        maturites = valeur.donnees["maturites"]
        points = sorted((float(m), float(maturites[m])) for m in maturites)
        if maturite <= points[0][0]:
            return points[0][1], valeur
        for (m0, x0), (m1, x1) in zip(points, points[1:]):
            if maturite <= m1:
                return x0 + (x1 - x0) * (maturite - m0) / (m1 - m0), valeur
        return points[-1][1], valeur

    def marge_locale(self, zone_loyer: str, jour: date) -> tuple[float, ValeurDatee]:
        """Marge locale du barème en vigueur (pour cent) pour la zone de loyer."""
        valeur = self["marges_locales"].en_vigueur(jour)
        try:
            return float(valeur.donnees["zones"][zone_loyer]), valeur
        except KeyError:
            raise ParametreInvalide(f"marges_locales : zone « {zone_loyer} » inconnue") from None

    def subvention_plai(self, region: str, nature: str, jour: date) -> tuple[float, ValeurDatee]:
        """Subvention PLAI de droit commun de l'État, par logement, du barème local (aucun barème national)."""
        if "subvention_plai" not in self.baremes:
            raise ParametreInvalide("aucun barème de subvention PLAI de droit commun (subvention_plai) : donnez un "
                                    "dossier de paramètres locaux (--parametres) qui le contient, ou un montant")
        valeur = self["subvention_plai"].en_vigueur(jour)
        colonne = "acquisition" if nature in ("acquisition", "acquisition-amelioration") else "construction"
        try:
            return float(valeur.donnees[region][colonne]), valeur
        except KeyError:
            raise ParametreInvalide(f"subvention_plai : pas de montant pour « {region} », « {colonne} »") from None

    def loyer_accessoire_maximal(self, jour: date) -> tuple[float, ValeurDatee] | None:
        """Plafond local du loyer accessoire (euros par mois et par logement) ; None sans barème local."""
        if "loyers_accessoires_maximaux" not in self.baremes:
            return None
        try:
            valeur = self["loyers_accessoires_maximaux"].en_vigueur(jour)
        except ParametreInvalide:
            return None
        return float(valeur.donnees["par_logement"]), valeur

    def taux_livret_a(self, jour: date) -> tuple[float, ValeurDatee]:
        """Taux du livret A en vigueur, en pour cent."""
        valeur = self["livret_a"].en_vigueur(jour)
        return valeur.donnees["taux_pct"], valeur

    def marge_pret(self, produit: str, jour: date) -> tuple[float, ValeurDatee]:
        """Marge (points de pour cent) du prêt CDC d'un produit sur le livret A (prets_cdc.toml)."""
        valeur = self["prets_cdc"].en_vigueur(jour)
        return float(valeur.donnees["marges"][produit]), valeur

    def bornes_pret(self, objet: str, zone_abc: str | None, jour: date) -> tuple[BornesPret, ValeurDatee]:
        """Les bornes d'un prêt CDC d'objet ``objet`` (construction, foncier) agréé le ``jour`` (regles_prets.toml) :
        durée de base plus ou moins l'ajustement, 60 ans pour un foncier agréé dans la fenêtre et la zone dites."""
        valeur = self["regles_prets"].en_vigueur(jour)
        d = valeur.donnees
        base, ajustement = d[objet]["base"], d[objet]["ajustement"]
        duree_max = base + ajustement
        regle = f"{objet} : {base} ans à la fiche CDC, ajustable de {ajustement} ans"
        if objet == "foncier":
            long = d["foncier_long"]
            dans = long["agrement_debut"] <= jour <= long["agrement_fin"]
            if dans and zone_abc in long["zones_abc"]:
                duree_max = max(duree_max, long["duree"])
                regle += f", {long['duree']} ans pour cet agrément en zone {zone_abc}"
            else:
                regle += (f" ; {long['duree']} ans réservés aux agréments du {long['agrement_debut'].strftime('%d/%m/%Y')}"
                          f" au {long['agrement_fin'].strftime('%d/%m/%Y')} en zones {', '.join(long['zones_abc'])}")
        return BornesPret(duree_min=base - ajustement, duree_max=duree_max, regle_duree=regle,
                          progressivite_min_pct=d["progressivite_min_pct"], progressivite_max_pct=d["progressivite_max_pct"],
                          differe_max=d["differe_max"], prefinancement_max=d["prefinancement_max"],
                          prefinancement_max_demolition=d["prefinancement_max_demolition"],
                          revisabilites=tuple(d["revisabilites"])), valeur

    def loyer_maximal_plai(self, zone_loyer: str, jour: date) -> tuple[float, ValeurDatee]:
        """LMzone PLAI, euros par m2 SU et par mois."""
        return self.loyer_maximal("PLAI", zone_loyer, jour)

    def loyer_maximal(self, produit: str, zone: str, jour: date) -> tuple[float, ValeurDatee]:
        """LMzone d'un produit (PLAI, PLUS : zone de loyer ; PLS : zone A/B/C), euros par m2 SU et par mois."""
        bareme = BAREMES_LOYERS_MAXIMAUX[produit]
        valeur = self[bareme].en_vigueur(jour)
        try:
            return valeur.donnees["zones"][zone], valeur
        except KeyError:
            raise ParametreInvalide(f"{bareme} : zone « {zone} » inconnue") from None

    def reference_fnap(self, region: str, produit: str, n_plai_adapte: int, jour: date) -> tuple[float, ValeurDatee]:
        """Valeur de référence FNAP par logement PLAI adapté (seed 001, III)."""
        tranches, valeur = self.tranches_fnap(region, produit, jour)
        return next(v for borne, v in tranches if borne is None or n_plai_adapte <= borne), valeur

    def tranches_fnap(self, region: str, produit: str, jour: date
                      ) -> tuple[tuple[tuple[int | None, float], ...], ValeurDatee]:
        """Les tranches de la référence FNAP : ((nombre maximal de PLAI adaptés ou None, euros par logement), ...)."""
        valeur = self["fnap_plai_adapte"].en_vigueur(jour)
        groupe = valeur.donnees[region]
        if produit == "foyer":
            return ((None, float(groupe["foyer"])),), valeur
        t = valeur.donnees["tranches"]
        return ((int(t["ordinaire_1_3"]), float(groupe["ordinaire_1_3"])),
                (int(t["ordinaire_4_8"]), float(groupe["ordinaire_4_8"])),
                (None, float(groupe["ordinaire_9_plus"]))), valeur

    def plafond_ressources_plai(self, zone_loyer: str, couple: bool, personnes_a_charge: int, jour: date
                                ) -> tuple[float, ValeurDatee]:
        """Plafond de ressources annuelles PLAI du ménage (arrêté du 29/07/1987) : catégorie = nombre de personnes,
        plus une pour une personne seule avec des personnes à charge, jusqu'à 6, puis par personne en plus ; groupe
        de régions selon la zone de loyers (1bis : Paris et communes limitrophes ; 1 : Île-de-France)."""
        return self.plafond_ressources("plai", zone_loyer, couple, personnes_a_charge, jour)

    def plafond_ressources(self, produit: str, zone_loyer: str, couple: bool, personnes_a_charge: int, jour: date
                           ) -> tuple[float, ValeurDatee]:
        """Plafond de ressources annuelles du ménage pour un produit (plai, plus, pls : PLUS majoré de 30 %)."""
        nom = "plafonds_ressources_plai" if produit == "plai" else "plafonds_ressources_plus"
        valeur = self[nom].en_vigueur(jour)
        groupe = {"1bis": "paris_communes_limitrophes", "1": "ile_de_france"}.get(zone_loyer, "autres_regions")
        g = valeur.donnees[groupe]
        personnes = 1 + int(couple) + personnes_a_charge
        categorie = personnes + (1 if not couple and personnes_a_charge > 0 else 0)
        if categorie <= 6:
            plafond = float(g[f"categorie_{categorie}"])
        else:
            plafond = float(g["categorie_6"] + (categorie - 6) * g["personne_supplementaire"])
        if produit == "pls":
            plafond = float(round(plafond * (1.0 + valeur.donnees["majoration_pls_pct"] / 100.0)))
        return plafond, valeur

    def regles_loyers(self, jour: date) -> tuple[dict[str, float], ValeurDatee]:
        """Coefficient de structure (a, b), part des annexes dans la SU, marge locale maximale et majorations
        maximales des annexes importantes (pour cent), en vigueur le ``jour``."""
        valeur = self["coefficient_structure"].en_vigueur(jour)
        cles = ("a", "b", "part_annexes_su", "marge_locale_max_pct", "majoration_annexes_max_pct",
                "majoration_annexes_max_ascenseur_pct")
        return {c: float(valeur.donnees[c]) for c in cles}, valeur


def _completer(national: Bareme, chemin: Path, doc: dict) -> Bareme:
    """Un barème national complété par un fichier local : ses valeurs datées remplacent celles de même date et
    s'ajoutent aux autres ; ses métadonnées (description, référence...) remplacent celles qu'il donne."""
    locales = _lire_valeurs(chemin, doc)
    for v in locales:
        manquantes = set(national.valeurs[-1].donnees) - set(v.donnees)
        if manquantes:
            raise ParametreInvalide(f"{chemin} : clé « valeurs » du {v.date.isoformat()} : il manque "
                                    f"{', '.join(sorted(manquantes))} (clés du barème national {national.nom})")
    par_date = {v.date: v for v in national.valeurs}
    par_date.update({v.date: v for v in locales})
    return replace(national, valeurs=tuple(sorted(par_date.values(), key=lambda v: v.date)),
                   **{k: doc[k] for k in ("description", "unite", "reference", "prolongation") if k in doc},
                   estimation=bool(doc.get("estimation", national.estimation)))


def _pack_local(dossier: Path, baremes: dict[str, Bareme]) -> dict[str, Bareme]:
    """Le dossier de paramètres locaux : un fichier par barème, même format que les fichiers nationaux."""
    if not dossier.is_dir():
        raise ParametreInvalide(f"{dossier} : dossier de paramètres locaux introuvable")
    fichiers = sorted(dossier.glob("*.toml"))
    if not fichiers:
        raise ParametreInvalide(f"{dossier} : aucun fichier de paramètres (.toml) dans ce dossier")
    resultat = dict(baremes)
    for f in fichiers:
        if f.stem in resultat:
            resultat[f.stem] = _completer(resultat[f.stem], f, _lire_document(f))
        else:
            resultat[f.stem] = _lire_bareme(f)
        _verifier_local(f, resultat[f.stem], resultat)
    return resultat


def _verifier_local(chemin: Path, bareme: Bareme, baremes: dict[str, Bareme]) -> None:
    """Les valeurs d'un fichier local bornées comme les nationales : chaque nombre fini ; une marge locale au plus la
    marge maximale réglementaire (coefficient_structure.toml), positive."""
    import math

    def nombres(d, chemin_cle=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from nombres(v, f"{chemin_cle}{k}.")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                yield f"{chemin_cle}{k}", float(v)

    maximum = None
    if bareme.nom == "marges_locales" and "coefficient_structure" in baremes:
        maximum = baremes["coefficient_structure"].valeurs[-1].donnees.get("marge_locale_max_pct")
    for v in bareme.valeurs:
        for cle, x in nombres(v.donnees):
            if not math.isfinite(x):
                raise ParametreInvalide(f"{chemin} : valeur du {v.date.isoformat()}, clé « {cle} » : un nombre fini "
                                        f"est attendu, pas {x}")
            if maximum is not None and not 0 <= x <= maximum:
                raise ParametreInvalide(f"{chemin} : valeur du {v.date.isoformat()}, clé « {cle} » : une marge locale "
                                        f"de 0 à {maximum:g} % est attendue (avis loyers), pas {x:g} %")


@lru_cache(maxsize=8)
def charger_parametres(dossier: str | None = None, locaux: tuple[str, ...] = ()) -> Parametres:
    """Lit tous les barèmes du dossier (par défaut, celui du paquet), complétés par les dossiers de paramètres
    locaux dans l'ordre donné (valeurs régionales ou locales : table FNAP régionale...)."""
    racine = Path(dossier) if dossier else DOSSIER
    fichiers = sorted(racine.glob("*.toml"))
    if not fichiers:
        raise ParametreInvalide(f"{racine} : aucun fichier de paramètres")
    baremes = {f.stem: _lire_bareme(f) for f in fichiers}
    origine = "paramètres nationaux de plai-bilan" if dossier is None else str(racine)
    for local in locaux:
        baremes = _pack_local(Path(local), baremes)
        origine += f" + paramètres locaux {local}"
    return Parametres(baremes, origine)
