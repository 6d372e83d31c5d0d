"""La page web et l'API JSON : un scénario (.toml) ou un classeur (.xlsx) envoyé, les résultats de la ligne de
commande rendus.

Sans état : chaque envoi est écrit dans un dossier temporaire propre à la requête, calculé, puis effacé avant la
réponse ; un téléchargement renvoie le fichier envoyé (champ caché de la page) et le recalcule. Un envoi ne peut
nommer aucun fichier du serveur : ``operation.parametres_locaux`` est refusé, la colonne ``modele`` d'une table de
programme ne peut nommer qu'un exemple livré. Les calculs sont ceux de la ligne de commande, et l'API rend son
contrat JSON (docs/contrat-json.md).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import tempfile
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from plai_bilan.erreurs import ErreurPlaiBilan, ScenarioInvalide

TAILLE_MAX = 5_000_000  # octets d'un envoi : un scénario réel en fait quelques milliers, un classeur quelques centaines
EXTENSIONS = (".toml", ".xlsx")
COMMANDES_API = ("subvention", "simuler", "instruire", "sieg", "lot")


class EnvoiRefuse(Exception):
    """Un envoi refusé : ``statut`` HTTP (400, 413) et le message français."""

    def __init__(self, statut: int, message: str) -> None:
        super().__init__(message)
        self.statut, self.message = statut, message


def _milliers(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _exemples() -> dict[str, str]:
    dossier = resources.files("plai_bilan.exemples")
    return {f.name: f.read_text(encoding="utf-8") for f in sorted(dossier.iterdir(), key=lambda f: f.name)
            if f.name.endswith(".toml")}


async def _envoi(request: Request) -> tuple[str, bytes, dict]:
    """Le fichier envoyé (champ « fichier »), ou l'exemple choisi (champ « exemple »), ou le contenu renvoyé par un
    bouton de téléchargement (champs « contenu » et « nom ») ; et les autres champs du formulaire."""
    taille = int(request.headers.get("content-length") or 0)
    if taille > TAILLE_MAX + 100_000:
        # Le corps est lu et jeté (jusqu'à dix fois la borne) : le client reçoit la réponse 413 au lieu d'une
        # connexion coupée pendant son envoi ; rien n'est gardé.
        lus = 0
        async for morceau in request.stream():
            lus += len(morceau)
            if lus > 10 * TAILLE_MAX:
                break
        raise EnvoiRefuse(413, f"envoi trop gros ({_milliers(taille)} octets, au plus {_milliers(TAILLE_MAX)})")
    async with request.form(max_files=1, max_fields=20, max_part_size=TAILLE_MAX + 1) as form:
        champs = {k: v for k, v in form.items() if isinstance(v, str)}
        fichier = form.get("fichier")
        if fichier is not None and not isinstance(fichier, str) and fichier.filename:
            contenu = await fichier.read(TAILLE_MAX + 1)
            nom = Path(fichier.filename).name
        elif champs.get("contenu"):
            contenu, nom = base64.b64decode(champs["contenu"]), Path(champs.get("nom", "scenario.toml")).name
        elif champs.get("exemple"):
            exemples = _exemples()
            if champs["exemple"] not in exemples:
                raise EnvoiRefuse(400, f"exemple inconnu : {champs['exemple']}")
            nom, contenu = champs["exemple"], exemples[champs["exemple"]].encode("utf-8")
        else:
            raise EnvoiRefuse(400, "aucun fichier envoyé : un scénario .toml ou un classeur .xlsx est attendu "
                                   "(champ « fichier »)")
    if len(contenu) > TAILLE_MAX:
        raise EnvoiRefuse(413, f"fichier trop gros (au plus {_milliers(TAILLE_MAX)} octets)")
    return nom, contenu, champs


def _scenario(dossier: Path, nom: str, contenu: bytes, montant: str | None = None):
    """Le scénario d'un envoi, écrit dans le dossier temporaire de la requête et validé comme par la ligne de
    commande ; ``montant`` : la demande à instruire (la subvention PLAI adapté devient ce montant)."""
    import dataclasses

    from plai_bilan.scenario import charger_scenario

    suffixe = Path(nom).suffix.lower()
    if suffixe not in EXTENSIONS:
        raise EnvoiRefuse(400, f"{nom} : un scénario .toml ou un classeur .xlsx est attendu")
    chemin = dossier / f"envoi{suffixe}"
    chemin.write_bytes(contenu)
    try:
        sc = charger_scenario(chemin)
    except ErreurPlaiBilan as exc:
        raise EnvoiRefuse(400, str(exc).replace(str(chemin), nom)) from None
    sc = dataclasses.replace(sc, fichier=nom, avertissements=tuple(
        a.replace(str(chemin), nom) for a in sc.avertissements))
    if sc.operation.parametres_locaux is not None:
        raise EnvoiRefuse(400, f"{nom} : clé « operation.parametres_locaux » : un envoi ne peut pas nommer un dossier "
                               "du serveur ; retirez-la (les barèmes nationaux s'appliquent)")
    if montant not in (None, ""):
        try:
            valeur = float(montant.replace(",", ".").replace(" ", "").replace("\u202f", ""))
        except ValueError:
            raise EnvoiRefuse(400, f"montant demandé « {montant} » : un nombre d'euros est attendu") from None
        if not 0 <= valeur <= 1e9:
            raise EnvoiRefuse(400, f"montant demandé « {montant} » : entre 0 et 1 000 000 000 € attendu")
        fnap = [i for i, s in enumerate(sc.subventions) if s.nature == "fnap_plai_adapte"]
        if len(fnap) != 1:
            raise EnvoiRefuse(400, f"{nom} : une subvention de nature « fnap_plai_adapte » (et une seule) est attendue "
                                   "pour instruire une demande")
        s = sc.subventions[fnap[0]]
        sc = dataclasses.replace(sc, subventions=sc.subventions[:fnap[0]] + (dataclasses.replace(
            s, montant=valeur, montant_par_logement=None, montant_par_plai_adapte=None),) + sc.subventions[fnap[0] + 1:])
    return sc


def _euros(texte: str | None, quoi: str) -> float | None:
    if texte in (None, ""):
        return None
    try:
        valeur = float(texte.replace(",", ".").replace(" ", "").replace("\u202f", ""))
    except ValueError:
        raise EnvoiRefuse(400, f"{quoi} « {texte} » : un nombre d'euros est attendu") from None
    if not 0 <= valeur <= 1e12:
        raise EnvoiRefuse(400, f"{quoi} « {texte} » : un montant positif est attendu")
    return valeur


def _avec_avertissements(objet: dict, avertissements) -> dict:
    objet.setdefault("avertissements", list(dict.fromkeys(avertissements)))
    return objet


def calculer(commande: str, sc) -> dict:
    """Le JSON de la ligne de commande pour ``commande`` sur le scénario ``sc`` (mêmes fonctions, même contrat)."""
    from plai_bilan.calcul import exiger_pret_equilibre, simuler, subvention_minimale
    from plai_bilan.sorties import json as sorties_json

    if commande == "simuler":
        b = simuler(sc)
        return sorties_json.simulation(b, None)
    exiger_pret_equilibre(sc)
    if commande == "subvention":
        r = subvention_minimale(sc)
        return sorties_json.subvention(r, None)
    if commande == "sieg":
        from plai_bilan.calcul import bilan_etude

        b = bilan_etude(sc)
        return _avec_avertissements(sorties_json.sieg(b), b.avertissements)
    if commande == "instruire":
        from plai_bilan.instruction import instruire

        v = instruire(sc)
        return _avec_avertissements(sorties_json.verdict(v, None), v.bilan.avertissements)
    raise ValueError(commande)


def _lot(dossier: Path, nom: str, contenu: bytes, budget: float | None = None) -> dict:
    """Un programme envoyé en table CSV : chaque ligne part d'un exemple livré (colonne « modele ») ; le JSON de
    plai-bilan lot, et le tableau."""
    from plai_bilan.programme import resoudre_programme
    from plai_bilan.sorties import programme as sortie_programme

    if Path(nom).suffix.lower() != ".csv":
        raise EnvoiRefuse(400, f"{nom} : une table de programme .csv est attendue (une ligne par opération, colonne "
                               "« modele » : un exemple livré)")
    try:
        texte = contenu.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EnvoiRefuse(400, f"{nom} : la table n'est pas encodée en UTF-8") from None
    exemples = _exemples()
    lecteur = csv.DictReader(io.StringIO(texte), delimiter=";" if texte.count(";") >= texte.count(",") else ",")
    colonnes = lecteur.fieldnames or []
    if "modele" not in colonnes:
        raise EnvoiRefuse(400, f"{nom} : colonne « modele » introuvable (le nom d'un exemple livré par ligne)")
    if any(c and c.strip().startswith("operation.parametres_locaux") for c in colonnes):
        raise EnvoiRefuse(400, f"{nom} : colonne « operation.parametres_locaux » : un envoi ne peut pas nommer un "
                               "dossier du serveur")
    for k, ligne in enumerate(lecteur, start=2):
        modele = (ligne.get("modele") or "").strip()
        if modele not in exemples:
            raise EnvoiRefuse(400, f"{nom}, ligne {k} : clé « modele » : « {modele} » n'est pas un exemple livré ; "
                                   f"exemples : {', '.join(exemples)}")
    for nom_exemple, texte_exemple in exemples.items():
        (dossier / nom_exemple).write_text(texte_exemple, encoding="utf-8")
    table = dossier / "programme.csv"
    table.write_bytes(contenu)
    try:
        lignes = resoudre_programme(table)
    except ErreurPlaiBilan as exc:
        raise EnvoiRefuse(400, str(exc).replace(str(dossier) + "/", "")) from None
    repartition = None
    if budget is not None:
        from plai_bilan.programme import allouer_budget

        repartition = {l.source.replace(str(dossier) + "/", ""): (f, reste)
                       for l, f, reste in allouer_budget(lignes, budget)}
    rangs = [(l.source.replace(str(dossier) + "/", ""), l.resultats,
              None if l.erreur is None else l.erreur.replace(str(dossier) + "/", "")) for l in lignes]
    tableau = sortie_programme.tableau(rangs, repartition)
    s = sortie_programme.synthese(tableau, budget)
    return {"programme": s, "erreurs": [l["erreur"] for l in tableau if l["erreur"]], "avertissements": [],
            "_tableau": tableau}


def _png(b) -> str:
    from plai_bilan.export.graphiques import compte

    flux = io.BytesIO()
    compte(b, flux)
    return base64.b64encode(flux.getvalue()).decode("ascii")


def _gabarits():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("plai_bilan.web", "gabarits"),
                             autoescape=jinja2.select_autoescape(["html"]))
    from plai_bilan.format import euros

    def montant(x, decimales: int = 0) -> str:
        if x is None or (isinstance(x, float) and not math.isfinite(x)):
            return "-"
        return euros(x, decimales)

    env.filters["euros"] = montant
    return env


GABARITS = None


def _page(gabarit: str, statut: int = 200, **contexte) -> HTMLResponse:
    global GABARITS
    if GABARITS is None:
        GABARITS = _gabarits()
    from plai_bilan import __version__

    css = resources.files("plai_bilan.web").joinpath("page.css").read_text(encoding="utf-8")
    from plai_bilan.bilan import LECTURE_MIXTE

    return HTMLResponse(GABARITS.get_template(gabarit).render(version=__version__, css=css, lecture_mixte=LECTURE_MIXTE,
                                                              **contexte),
                        status_code=statut)


async def accueil(request: Request) -> HTMLResponse:
    return _page("accueil.html", exemples=list(_exemples()))


async def resultat(request: Request) -> HTMLResponse:
    """La page des résultats d'une opération envoyée (ou d'un exemple)."""
    from plai_bilan.calcul import bilan_etude

    try:
        nom, contenu, champs = await _envoi(request)
        with tempfile.TemporaryDirectory(prefix="plai-bilan-") as dossier:
            montant = champs.get("montant") or None
            sc = _scenario(Path(dossier), nom, contenu, montant)
            from plai_bilan.calcul import exiger_pret_equilibre

            exiger_pret_equilibre(sc if montant is None else _avec_inconnue(sc))
            r = bilan_etude(sc if montant is None else _avec_inconnue(sc))
            verdict = None
            if montant is not None:
                from plai_bilan.instruction import instruire

                verdict = instruire(sc)
            contexte = dict(nom=nom, b=r, verdict=verdict, image=_png(r) if r.faisable else None,
                            contenu=base64.b64encode(contenu).decode("ascii"), montant=montant or "",
                            statuts=_statuts())
    except EnvoiRefuse as exc:
        return _page("accueil.html", statut=exc.statut, exemples=list(_exemples()), erreur=exc.message)
    except ErreurPlaiBilan as exc:
        return _page("accueil.html", statut=400, exemples=list(_exemples()), erreur=str(exc))
    return _page("resultat.html", **contexte)


def _avec_inconnue(sc):
    from plai_bilan.instruction import avec_inconnue

    return avec_inconnue(sc)[0]


def _statuts() -> dict[str, str]:
    from plai_bilan.catalogue import catalogue

    return dict(catalogue().valeurs["statut"])


async def telecharger(request: Request) -> Response:
    """Le classeur d'étude, l'avis PDF ou le JSON de l'opération renvoyée par la page (recalculés)."""
    quoi = request.path_params["quoi"]
    try:
        nom, contenu, champs = await _envoi(request)
        with tempfile.TemporaryDirectory(prefix="plai-bilan-") as dossier:
            montant = champs.get("montant") or None
            sc = _scenario(Path(dossier), nom, contenu, montant)
            base = Path(nom).stem
            if quoi == "classeur.xlsx":
                from plai_bilan.api import exporter

                cible = Path(dossier) / "etude.xlsx"
                exporter(sc if montant is None else _avec_inconnue(sc), cible)
                return Response(cible.read_bytes(), media_type="application/vnd.openxmlformats-officedocument."
                                "spreadsheetml.sheet", headers={"Content-Disposition":
                                                                f'attachment; filename="{base}-etude.xlsx"'})
            if quoi == "avis.pdf":
                if montant is None:
                    raise EnvoiRefuse(400, "l'avis d'instruction demande un montant demandé")
                from plai_bilan.export.graphiques import avis
                from plai_bilan.instruction import instruire

                cible = Path(dossier) / "avis.pdf"
                avis(instruire(sc), cible)
                return Response(cible.read_bytes(), media_type="application/pdf",
                                headers={"Content-Disposition": f'attachment; filename="{base}-avis.pdf"'})
            if quoi == "resultat.json":
                d = calculer("instruire" if montant is not None else "subvention", sc)
                return Response(json.dumps(d, ensure_ascii=False, indent=2, allow_nan=False) + "\n",
                                media_type="application/json",
                                headers={"Content-Disposition": f'attachment; filename="{base}.json"'})
    except EnvoiRefuse as exc:
        return Response(exc.message + "\n", status_code=exc.statut, media_type="text/plain; charset=utf-8")
    except ErreurPlaiBilan as exc:
        return Response(str(exc) + "\n", status_code=400, media_type="text/plain; charset=utf-8")
    return Response("téléchargement inconnu\n", status_code=404, media_type="text/plain; charset=utf-8")


async def modele(request: Request) -> Response:
    """Le classeur de saisie vierge (celui de plai-bilan modele)."""
    from plai_bilan.calcul import simuler
    from plai_bilan.export.excel import exporter_modele
    from plai_bilan.scenario import charger_scenario

    with tempfile.TemporaryDirectory(prefix="plai-bilan-") as dossier:
        with resources.as_file(resources.files("plai_bilan.exemples") / "aa-villeurbanne-3-plai-adaptes.toml") as f:
            b = simuler(charger_scenario(f))
        cible = Path(dossier) / "saisie.xlsx"
        exporter_modele(b, cible, vide=True)
        return Response(cible.read_bytes(), media_type="application/vnd.openxmlformats-officedocument."
                        "spreadsheetml.sheet", headers={"Content-Disposition":
                                                        'attachment; filename="saisie-plai-bilan.xlsx"'})


async def programme(request: Request) -> Response:
    """La page d'un programme ; /programme/tableau.xlsx (ou .csv) : son tableau, recalculé depuis l'envoi renvoyé."""
    if request.method == "GET":
        return _page("programme.html", exemples=list(_exemples()))
    quoi = request.path_params.get("quoi")
    try:
        nom, contenu, champs = await _envoi(request)
        budget = _euros(champs.get("budget"), "budget FNAP")
        with tempfile.TemporaryDirectory(prefix="plai-bilan-") as dossier:
            d = _lot(Path(dossier), nom, contenu, budget)
            tableau = d.pop("_tableau")
            if quoi in ("tableau.xlsx", "tableau.csv"):
                from plai_bilan.sorties import programme as sortie_programme

                cible = Path(dossier) / quoi
                sortie_programme.ecrire(tableau, d["programme"], cible)
                types = {"tableau.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         "tableau.csv": "text/csv; charset=utf-8"}
                return Response(cible.read_bytes(), media_type=types[quoi], headers={
                    "Content-Disposition": f'attachment; filename="programme-{quoi}"'})
    except EnvoiRefuse as exc:
        if quoi is not None:
            return Response(exc.message + "\n", status_code=exc.statut, media_type="text/plain; charset=utf-8")
        return _page("programme.html", statut=exc.statut, exemples=list(_exemples()), erreur=exc.message)
    return _page("programme.html", exemples=list(_exemples()), s=d["programme"], lignes=tableau, erreurs=d["erreurs"],
                 contenu=base64.b64encode(contenu).decode("ascii"), nom=nom, budget=champs.get("budget") or "")


async def api(request: Request) -> JSONResponse:
    """POST /api/{commande} : le JSON de la ligne de commande (contrat docs/contrat-json.md) ; 400 et le message
    français pour un envoi invalide, 413 au-delà de la taille permise."""
    commande = request.path_params["commande"]
    if commande not in COMMANDES_API:
        return JSONResponse({"erreur": f"commande inconnue : {commande} ; commandes : {', '.join(COMMANDES_API)}"},
                            status_code=404)
    try:
        nom, contenu, champs = await _envoi(request)
        with tempfile.TemporaryDirectory(prefix="plai-bilan-") as dossier:
            if commande == "lot":
                d = _lot(Path(dossier), nom, contenu, _euros(champs.get("budget"), "budget FNAP"))
                d.pop("_tableau")
                return JSONResponse(d)
            montant = champs.get("montant") or None
            if commande == "instruire" and montant is None:
                raise EnvoiRefuse(400, "instruire : le champ « montant » (la subvention demandée, en euros) est attendu"
                                  " ; ou envoyez un fichier dont la subvention PLAI adapté est chiffrée")
            sc = _scenario(Path(dossier), nom, contenu, montant if commande == "instruire" else None)
            return JSONResponse(json.loads(json.dumps(calculer(commande, sc), ensure_ascii=False)))
    except EnvoiRefuse as exc:
        return JSONResponse({"erreur": exc.message}, status_code=exc.statut)
    except ErreurPlaiBilan as exc:
        return JSONResponse({"erreur": str(exc)}, status_code=400)


def application() -> Starlette:
    return Starlette(routes=[
        Route("/", accueil),
        Route("/resultat", resultat, methods=["POST"]),
        Route("/telecharger/{quoi}", telecharger, methods=["POST"]),
        Route("/modele.xlsx", modele),
        Route("/programme", programme, methods=["GET", "POST"]),
        Route("/programme/{quoi}", programme, methods=["POST"]),
        Route("/api/{commande}", api, methods=["POST"]),
    ])


def servir(hote: str = "127.0.0.1", port: int = 8765) -> None:
    import uvicorn

    uvicorn.run(application(), host=hote, port=port, log_level="warning", access_log=False)


__all__ = ["application", "servir", "calculer", "EnvoiRefuse", "ScenarioInvalide"]
