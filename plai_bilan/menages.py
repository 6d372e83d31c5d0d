"""La vue des ménages : quittance, aide au logement et reste à charge de chaque ligne, calculés par openfisca-france.

openfisca-france est une dépendance facultative (``pip install -e ".[menages]"``) : sans elle, la vue dit qu'elle
est indisponible et comment l'obtenir, et rien d'autre ne change. Le système socio-fiscal est construit une fois
par exécution ; toutes les lignes et tous les niveaux de ressources tiennent dans une seule simulation.

Par ligne et par niveau de ressources R (ressources annuelles prises en compte pour l'aide, par défaut 0 : un
ménage au RSA, dont le RSA n'entre pas dans la base des ressources de l'APL) : un ménage de la composition de la
ligne (couple ou personne seule, personnes à charge), locataire du logement au loyer de l'année 1 (loyer et
loyer accessoire), en zone APL de l'opération, dans un logement conventionné ; locataire HLM (réduction de loyer
de solidarité) quand l'opération est soumise à la RLS. Quittance = loyer - RLS + charges récupérables ; reste à
charge = quittance - aide au logement ; taux d'effort = reste à charge / (R / 12).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from plai_bilan.bilan import Bilan, Constat, LigneMenage, VueMenages

INDISPONIBLE = ("vue des ménages indisponible : openfisca-france n'est pas installé ; installez-le avec "
                "pip install -e \".[menages]\" (ou pipx inject plai-bilan openfisca-france)")
CONFORME, NON_CONFORME = "conforme", "non conforme"


def dossier_cache() -> Path | None:
    """Le dossier du cache du système socio-fiscal : $PLAI_BILAN_CACHE, sinon $XDG_CACHE_HOME/plai-bilan, sinon
    ~/.cache/plai-bilan ; None quand PLAI_BILAN_CACHE vaut « non » (pas de cache)."""
    choix = os.environ.get("PLAI_BILAN_CACHE", "")
    if choix.strip().lower() in {"non", "0", "false", "off"}:
        return None
    if choix:
        return Path(choix)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "plai-bilan"


def _cle_cache() -> str:
    from importlib.metadata import version

    versions = [version(p) for p in ("openfisca-core", "openfisca-france", "numpy")]
    brut = "|".join([sys.version, sys.platform, *versions])
    return hashlib.sha256(brut.encode()).hexdigest()[:20]


def _sur(chemin: Path) -> bool:
    """Un fichier ou un dossier à soi, que nul autre ne peut écrire : seul un tel cache est relu (pickle)."""
    try:
        st = chemin.lstat()
    except OSError:
        return False
    return (not stat.S_ISLNK(st.st_mode) and (not hasattr(os, "getuid") or st.st_uid == os.getuid())
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _lire_cache(fichier: Path):
    if not (_sur(fichier.parent) and _sur(fichier)):
        return None
    try:
        with open(fichier, "rb") as f:
            return pickle.load(f)
    except Exception:  # cache illisible ou d'une autre version : reconstruit
        return None


def _ecrire_cache(dossier: Path, fichier: Path, systeme) -> None:
    try:
        dossier.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _sur(dossier):
            return
        fd, tmp = tempfile.mkstemp(dir=dossier, prefix=".systeme-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(systeme, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, fichier)
        except BaseException:
            os.unlink(tmp)
            raise
    except Exception:  # disque plein, dossier en lecture seule : la vue marche sans cache
        pass


@lru_cache(maxsize=1)
def _systeme():
    """Le système socio-fiscal français, construit une fois par processus. Ses paramètres (plus de 4 000 fichiers
    YAML, les deux tiers de la construction) sont gardés en cache d'une exécution à l'autre, un fichier par version
    d'openfisca ; les variables sont relues à chaque exécution (sans leur texte source, inutile ici)."""
    import importlib.util

    from openfisca_core.variables import Variable
    from openfisca_france import FranceTaxBenefitSystem

    dossier = dossier_cache()
    fichier = dossier / f"parametres-openfisca-{_cle_cache()}.pickle" if dossier else None

    class Systeme(FranceTaxBenefitSystem):
        def add_variables_from_file(self, chemin):
            """Comme openfisca-core, sans l'arbre syntaxique de chaque fichier (la moitié de la lecture des
            variables) : il ne sert qu'au texte source des variables de l'API web (introspection_data)."""
            nom = f"{id(self)}_{hash(os.path.abspath(chemin))}_{Path(chemin).stem}"
            spec = importlib.util.spec_from_file_location(nom, chemin)
            module = importlib.util.module_from_spec(spec)
            sys.modules[nom] = module
            spec.loader.exec_module(module)
            source = chemin.replace(self.get_package_metadata()["location"], "")
            for objet in list(vars(module).values()):
                if (isinstance(objet, type) and issubclass(objet, Variable) and objet.__module__ == nom):
                    objet.introspection_data = (source, "", 0)
                    self.add_variable(objet)

        def load_parameters(self, chemin):
            parametres = _lire_cache(fichier) if fichier is not None else None
            if parametres is not None:
                self.parameters = parametres
                return
            super().load_parameters(chemin)
            if fichier is not None:
                _ecrire_cache(dossier, fichier, self.parameters)

    return Systeme()


def disponible() -> bool:
    try:
        import openfisca_france  # noqa: F401
    except ImportError:
        return False
    return True


def vue_menages(b: Bilan, ressources: tuple[float, ...] | None = None, seuil_reste_a_charge: float | None = None
                ) -> VueMenages:
    """Quittance, APL et reste à charge de chaque ligne à chaque niveau de ressources, en une simulation.

    ``ressources`` None : les ressources déclarées de chaque ligne (menage.ressources), 0 (ménage au RSA) pour une
    ligne qui n'en déclare pas ; la vue dit lesquelles elle a prises."""
    if not disponible():
        return VueMenages(disponible=False, message=INDISPONIBLE)
    from importlib.metadata import version

    from openfisca_core.simulation_builder import SimulationBuilder

    op = b.scenario.operation
    lignes = [l for l in b.loyers_par_logement if l.couple is not None]
    if not lignes:
        return VueMenages(disponible=False,
                          message="vue des ménages sans objet : aucune ligne ne déclare de ménage (clé menage)")
    tbs = _systeme()
    periode = f"{op.mise_en_service}-01"
    foyer = op.produit == "foyer"
    individus, familles, foyers, menages, cas = {}, {}, {}, {}, []
    if ressources is None:
        declarees = [l.ressources for l in lignes if l.ressources is not None]
        origine = ("déclarées (menage.ressources)" + (", 0 € pour une ligne sans ressources déclarées"
                                                      if len(declarees) < len(lignes) else "")
                   if declarees else "0 € (ménage au RSA ; aucune ressource déclarée, --ressources pour d'autres niveaux)")
    else:
        origine = "saisies (--ressources)"
    for i, l in enumerate(lignes):
        niveaux = ressources if ressources is not None else (l.ressources or 0.0,)
        for k, r in enumerate(niveaux):
            m = f"m{i}_{k}"
            parents = [f"{m}_d"] + ([f"{m}_c"] if l.couple else [])
            enfants = [f"{m}_e{j}" for j in range(l.personnes_a_charge)]
            for p in parents:
                individus[p] = {"date_naissance": {"ETERNITY": "1980-01-01"}}
            for e in enfants:
                individus[e] = {"date_naissance": {"ETERNITY": "2015-01-01"}}
            familles[m] = {"parents": parents, "enfants": enfants}
            foyers[m] = {"declarants": parents, "personnes_a_charge": enfants}
            loyer = l.loyer + l.loyer_accessoire
            menage = {"personne_de_reference": parents[:1], "conjoint": parents[1:], "enfants": enfants,
                      "loyer": {periode: loyer}, "zone_apl": {periode: f"zone_{op.zone_apl}"},
                      # Hors RLS (association, organisme non HLM), le ménage est modélisé hors logement conventionné :
                      # OpenFisca applique la baisse de 98 % de la RLS à tout logement conventionné ; le barème de
                      # l'aide est le même.
                      "statut_occupation_logement": {periode: "locataire_hlm" if op.rls and not foyer
                                                     else ("locataire_foyer" if foyer else "locataire_vide")},
                      "logement_conventionne": {periode: bool(op.rls) or foyer}}
            if foyer:
                menage["logement_crous"] = {periode: False}
            menages[m] = menage
            cas.append((l, r, loyer))
    situation = {"individus": individus, "familles": familles, "foyers_fiscaux": foyers, "menages": menages}
    sim = SimulationBuilder().build_from_entities(tbs, situation)
    sim.set_input("aide_logement_base_ressources", periode, [r for _, r, _ in cas])
    # Les enfants du ménage sont à charge (la composition de la ligne) : sans cette saisie, openfisca recalcule leurs
    # salaires des six derniers mois pour le vérifier, les deux tiers du temps de la vue.
    sim.set_input("autonomie_financiere", periode, [False] * len(individus))
    sim.set_input("prestations_familiales_base_ressources", periode, [r for _, r, _ in cas])
    sim.set_input("prestations_familiales_base_ressources_individu", periode, [0.0] * len(individus))
    apl = sim.calculate("aide_logement_montant", periode)
    rls = sim.calculate("reduction_loyer_solidarite", periode) if op.rls and not foyer else [0.0] * len(cas)
    sortie, constats = [], []
    for (l, r, loyer), a, red in zip(cas, apl, rls):
        charges = 0.0 if foyer else (l.charges_locatives or 0.0)  # la redevance d'un foyer comprend les charges
        origine_charges = ("comprises dans la redevance" if foyer else "saisies" if l.charges_saisies else
                           "forfait APL, pas une estimation des charges")
        # Les prestations d'un foyer sont quittancées avec la redevance, hors assiette de l'aide.
        quittance = loyer - float(red) + charges + l.prestations
        reste = quittance - float(a)
        revenu = l.revenu_total if l.revenu_total is not None else (r if r > 0 else None)
        sortie.append(LigneMenage(typologie=l.typologie, nombre=l.nombre, menage=l.menage, ressources=float(r),
                                  loyer=loyer, reduction_loyer_solidarite=float(red), charges=charges,
                                  quittance=quittance, apl=float(a), reste_a_charge=reste,
                                  taux_effort=reste / (revenu / 12.0) if revenu else None, produit=l.produit,
                                  charges_origine=origine_charges, revenu_total=l.revenu_total,
                                  reste_pour_vivre=None if l.revenu_total is None else l.revenu_total / 12.0 - reste,
                                  prestations=l.prestations))
        if seuil_reste_a_charge is not None:
            ok = reste <= seuil_reste_a_charge + 0.005
            constats.append(Constat(
                "reste_a_charge", f"Reste à charge sous le seuil de l'instruction : {l.typologie or 'ligne'} - "
                f"{l.menage} - ressources {r:,.0f} €/an".replace(",", " "), CONFORME if ok else NON_CONFORME,
                f"reste à charge {reste:.2f} € / mois pour un seuil de {seuil_reste_a_charge:.2f} €".replace(".", ",")))
    statut = ("résident d'un logement-foyer conventionné (redevance, sans RLS)" if foyer else
              "locataire HLM d'un logement conventionné (RLS déduite de la quittance, aide baissée de 98 % de la RLS)"
              if op.rls else "locataire d'un logement conventionné d'un bailleur non soumis à la RLS (association, "
              "maître d'ouvrage d'insertion) : ni RLS ni baisse de l'aide")
    return VueMenages(disponible=True, message="", lignes=tuple(sortie), periode=periode, statut_locataire=statut,
                      openfisca_version=version("openfisca-france"), seuil_reste_a_charge=seuil_reste_a_charge,
                      constats=tuple(constats), ressources_origine=origine)
