"""Un classeur comme scénario : la feuille Hypothèses d'un classeur d'étude ou de saisie, relue en scénario.

Chaque valeur est repérée par sa clé du scénario : colonne D des lignes simples (« exploitation.vacance_pct »),
ligne de clés au-dessus des tableaux (« logements[].nombre »). Les valeurs sont lues telles que le classeur les
montre (valeurs calculées des formules) ; une cellule vide prend la valeur par défaut du scénario. Les taux sont en
pour cent dans le classeur (0,02 affiché 2 %), en pour cent aussi dans le scénario (2.0).
"""

from __future__ import annotations

import io
import math
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from plai_bilan.erreurs import ScenarioInvalide
from plai_bilan.fichiers import lire_fichier_borne

TAILLE_MAX_CLASSEUR = 50_000_000  # octets : une étude de mille prêts en fait quelques mégaoctets

FEUILLE = "Hypothèses"
TEXTES_SUBVENTION = {"a calculer": "a_calculer", "a_calculer": "a_calculer", "reference fnap": "reference",
                     "reference": "reference", "bareme": "bareme", "bareme local": "bareme"}
VRAI = {"vrai", "true", "oui", "1", "x"}
FAUX = {"faux", "false", "non", "0"}


def _sans_accents(texte: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", texte) if unicodedata.category(c) != "Mn").lower().strip()


DECOMPRESSE_MAX = 20_000_000  # octets de l'archive une fois décompressée (un classeur de plai-bilan : moins de 2 Mo)
MEMBRES_MAX = 2_000


def _milliers(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def verifier_archive(octets: bytes, nom: str) -> None:
    """Borne un classeur avant que la bibliothèque ne le lise : taille décompressée des membres de l'archive et leur
    nombre (une archive de quelques Mo peut se décompresser en Go)."""
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(octets))
        membres = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ScenarioInvalide(nom, "", f"classeur illisible ({type(exc).__name__}) : enregistrez-le au format "
                               "Excel .xlsx") from None
    total = sum(m.file_size for m in membres)
    if len(membres) > MEMBRES_MAX or total > DECOMPRESSE_MAX:
        raise ScenarioInvalide(nom, "", f"classeur trop gros une fois décompressé ({_milliers(total)} octets dans "
                               f"{len(membres)} fichiers, au plus {_milliers(DECOMPRESSE_MAX)} octets et {MEMBRES_MAX} "
                               "fichiers) : ce n'est pas un classeur de plai-bilan")
    # La dimension déclarée d'une feuille n'est pas une borne : openpyxl ne la lit pas, et LibreOffice y écrit
    # A1:S1048576 dès qu'une ligne est insérée. Les cellules sont bornées par la taille décompressée.


class _Lecteur:
    def __init__(self, chemin: Path, nom: str) -> None:
        import openpyxl

        octets = lire_fichier_borne(chemin, nom, "classeur .xlsx", TAILLE_MAX_CLASSEUR)
        verifier_archive(octets, nom)
        self.nom = nom
        self.octets = octets
        try:
            wb = openpyxl.load_workbook(io.BytesIO(octets), data_only=True)
        except Exception as exc:  # zip abîmé, xml invalide : openpyxl lève des erreurs de types variés
            raise ScenarioInvalide(nom, "", f"classeur illisible ({type(exc).__name__}) : enregistrez-le au format "
                                   "Excel .xlsx") from None
        if FEUILLE not in wb.sheetnames:
            raise ScenarioInvalide(nom, "", f"feuille « {FEUILLE} » introuvable : ce classeur n'est ni une étude "
                                   "ni un classeur de saisie de plai-bilan (plai-bilan modele -o SAISIE.xlsx)")
        self.wb = wb
        self.ws = wb[FEUILLE]
        self.cellules: dict[str, str] = {}  # clé du scénario -> cellule (« B23 »)
        self.ligne_element: dict[str, str] = {}  # « logements[2] » -> première cellule de sa ligne

    def formules(self):
        """Le classeur relu sans les valeurs calculées (les formules), une fois ; None s'il ne se relit pas."""
        if getattr(self, "_wb_formules", None) is None:
            import openpyxl

            try:
                self._wb_formules = openpyxl.load_workbook(io.BytesIO(self.octets), data_only=False)
            except Exception:  # déjà lu une fois : une seconde lecture ne devrait pas échouer
                return None
        return self._wb_formules

    def _formule(self, ligne: int, colonne: int) -> Any:
        """Le contenu brut d'une cellule (sa formule)."""
        wb = self.formules()
        if wb is None:
            return None
        v = wb[FEUILLE].cell(row=ligne, column=colonne).value
        return v if isinstance(v, str) and v.startswith("=") else None

    def erreur(self, cellule: str, cle: str, message: str) -> ScenarioInvalide:
        return ScenarioInvalide(self.nom, "", f"feuille « {FEUILLE} », cellule {cellule} ({cle}) : {message}")

    # ------------------------------------------------------------------ conversions
    def valeur(self, ligne: int, colonne: int, cle: str) -> Any:
        """La valeur d'une cellule, convertie vers le scénario ; None si vide."""
        c = self.ws.cell(row=ligne, column=colonne)
        adresse = c.coordinate
        self.cellules[cle] = adresse
        v = c.value
        # Une formule sans valeur calculée ne se lit pas comme vide (sauf dans la trajectoire du livret A, où une
        # formule recopie l'année précédente, comme une cellule vide).
        if v is None and not cle.startswith("livret_a.trajectoire") and isinstance(self._formule(ligne, colonne), str):
            raise self.erreur(adresse, cle, "formule sans valeur calculée (classeur enregistré par un programme qui ne "
                              "calcule pas) : ouvrez-le et enregistrez-le dans Excel ou LibreOffice, ou saisissez la "
                              "valeur")
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        feuille = cle.rsplit(".", 1)[-1]
        if isinstance(v, str) and v.startswith("#"):
            raise self.erreur(adresse, cle, f"la cellule montre une erreur ({v}) : corrigez la formule ou la saisie")
        if isinstance(v, datetime):
            v = v.date()
        if "_pct" in cle and isinstance(v, int | float) and not isinstance(v, bool):
            return round(float(v) * 100, 10)
        if isinstance(v, float) and math.isfinite(v) and v == int(v) and abs(v) < 1e15:
            return int(v) if feuille in ENTIERS else v
        if isinstance(v, str):
            return v.strip()
        return v

    def booleen(self, ligne: int, colonne: int, cle: str) -> bool | None:
        v = self.valeur(ligne, colonne, cle)
        if v is None or isinstance(v, bool):
            return v
        t = _sans_accents(str(v))
        if t in VRAI:
            return True
        if t in FAUX:
            return False
        raise self.erreur(self.cellules[cle], cle, f"VRAI ou FAUX est attendu, pas « {v} »")


ENTIERS = {"nombre", "mise_en_service", "duree", "prefinancement", "differe_amortissement", "exoneration",
           "personnes_a_charge", "plai_adaptes_meme_adresse", "duree_amortissement"}
BOOLEENS = {"rls", "ascenseur", "qpv", "anru", "refinancement", "plai_adapte", "contrepartie",
            "criteres_environnementaux", "couple", "individualisation"}


# Les postes du prix de revient : 0 par défaut dans un fichier TOML, mais une cellule vidée par erreur ne doit pas
# compter pour 0 €.
MONTANTS_OBLIGATOIRES = {"prix_de_revient.charge_fonciere", "prix_de_revient.travaux", "prix_de_revient.honoraires"}
RACINES = ("operation.", "prix_de_revient.", "subventions[", "fonds_propres.", "exploitation.", "analyse.", "sieg.")


def _placer(doc: dict, cle: str, valeur: Any) -> None:
    """doc["a"]["b"] = valeur pour la clé « a.b »."""
    parties = cle.split(".")
    for p in parties[:-1]:
        doc = doc.setdefault(p, {})
    doc[parties[-1]] = valeur


def document_du_classeur(chemin: str | Path) -> tuple[dict, _Lecteur]:
    """Le dictionnaire du scénario (même forme que le fichier TOML) et le lecteur (cellule de chaque clé)."""
    chemin = Path(chemin)
    lecteur = _Lecteur(chemin, str(chemin))
    ws = lecteur.ws
    doc: dict[str, Any] = {}
    subventions: list[dict] = []
    autres: dict[str, float] = {}
    ligne_max = ws.max_row
    # Lignes simples : la clé en colonne D.
    section = None
    for ligne in range(1, ligne_max + 1):
        cle = ws.cell(row=ligne, column=4).value
        if ws.cell(row=ligne, column=2).value == "Valeur" and ws.cell(row=ligne, column=3).value == "Unité":
            section = ws.cell(row=ligne, column=1).value  # l'en-tête d'une section (Opération, Subventions...)
            continue
        if not isinstance(cle, str) or not cle.strip().startswith(RACINES):
            # Une ligne insérée dans une section (sans clé en colonne D) : une subvention ou un autre poste du prix
            # de revient de plus, lu comme les autres.
            vide = all(ws.cell(row=ligne, column=c).value in (None, "") for c in (1, 2))
            if vide or cle not in (None, ""):
                continue
            if section == "Subventions":
                cle = "subventions[]"
            elif section == "Prix de revient":
                cle = "prix_de_revient.autres"
            else:
                continue
        cle = cle.strip()
        if cle.startswith("subventions["):
            s = _subvention(lecteur, ligne, len(subventions))
            if s is not None:
                subventions.append(s)
            continue
        if cle.startswith("prix_de_revient.autres"):
            nom = str(ws.cell(row=ligne, column=1).value or "")
            nom = nom[len("Autre :"):].strip() if nom.startswith("Autre :") else nom.strip()
            v = lecteur.valeur(ligne, 2, f"prix_de_revient.autres.{nom}")
            if nom and v is not None:
                autres[nom] = v
            elif v is not None:
                raise lecteur.erreur(f"A{ligne}", "prix_de_revient.autres", "donnez le nom du poste après "
                                     "« Autre : »")
            continue
        dernier = cle.rsplit(".", 1)[-1]
        v = lecteur.booleen(ligne, 2, cle) if dernier in BOOLEENS else lecteur.valeur(ligne, 2, cle)
        if v is None and cle in MONTANTS_OBLIGATOIRES:
            raise lecteur.erreur(f"B{ligne}", cle, "montant manquant : saisissez 0 s'il n'y en a pas (une cellule "
                                 "vide n'est pas lue comme 0)")
        if v is not None:
            _placer(doc, cle, v)
    if autres:
        doc.setdefault("prix_de_revient", {})["autres"] = autres
    doc["subventions"] = subventions
    doc["logements"] = _tableau(lecteur, "logements")
    doc["prets"] = _tableau(lecteur, "prets")
    trajectoire = _trajectoire(lecteur)
    if trajectoire:
        doc["livret_a"] = {"trajectoire": trajectoire}
    if CONTROLE in lecteur.wb.sheetnames:
        verifier_etude(lecteur)
    _nettoyer(doc)
    return doc, lecteur


# ---------------------------------------------------------------------- une étude relue : une seule réponse
CONTROLE = "Contrôle"  # la feuille masquée d'une étude (plai_bilan/export/controle.py)
_REFERENCE = re.compile(r"^=(?:ROWS\()?(?:'((?:[^']|'')+)'|([^!'(]+))!\$?([A-Z]{1,3})\$?(\d+)"
                        r"(?::\$?([A-Z]{1,3})\$?(\d+))?\)?$")
REGENERER = ("exportez à nouveau l'étude depuis le scénario modifié (plai-bilan exporter), ou saisissez l'opération "
             "dans un classeur de saisie (plai-bilan modele)")


def _reference(formule: Any) -> tuple[str, int, int, int, int] | None:
    """(feuille, colonne 1, ligne 1, colonne 2, ligne 2) d'une référence de la feuille Contrôle ; None si elle est
    rompue (#REF! : lignes supprimées)."""
    from openpyxl.utils import column_index_from_string

    m = _REFERENCE.match(formule) if isinstance(formule, str) else None
    if m is None:
        return None
    feuille = (m.group(1) or "").replace("''", "'") or m.group(2)
    c1, l1 = column_index_from_string(m.group(3)), int(m.group(4))
    c2, l2 = (column_index_from_string(m.group(5)), int(m.group(6))) if m.group(5) else (c1, l1)
    return feuille, c1, l1, c2, l2


def _egales(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    if isinstance(a, datetime | date) or isinstance(b, datetime | date):
        return str(a)[:10] == str(b)[:10]
    return str(a).strip() == str(b).strip()


def _texte(v: Any) -> str:
    if v in (None, ""):
        return "vide"
    if isinstance(v, bool):
        return "VRAI" if v else "FAUX"
    if isinstance(v, float) and v == int(v):
        v = int(v)
    return f"« {v} »"


def verifier_etude(lecteur: _Lecteur) -> None:
    """Une étude relue en scénario doit donner ce que ses formules donnent : chaque formule verrouillée l'est
    encore, chaque valeur que les formules lisent sans que la relecture la suive (barèmes de Paramètres), ou que la
    relecture lit sans que les formules la suivent (valeurs verrouillées de Hypothèses), est celle de l'export, et
    chaque ligne des tableaux de Hypothèses est couverte par les formules. Sinon : une erreur qui nomme la cellule
    ou la ligne."""
    wbf = lecteur.formules()
    if wbf is None or CONTROLE not in wbf.sheetnames:
        return
    ctrl = wbf[CONTROLE]
    cle_de = {v: k for k, v in lecteur.cellules.items()}
    couvertes: dict[str, set[int]] = {}
    ctrl_valeurs = lecteur.wb[CONTROLE]  # les valeurs d'origine : un booléen enregistré par LibreOffice y est
    # une formule (=FALSE()) côté formules
    rangees = []
    for rangee in ctrl.iter_rows(min_row=3, max_col=4):
        formule, sorte, _, tableau = (c.value for c in rangee)
        if sorte in ("formules", "valeur", "ligne"):
            rangees.append((formule, sorte, ctrl_valeurs.cell(row=rangee[0].row, column=3).value, tableau))
    for formule, sorte, origine, tableau in rangees:
        if sorte != "ligne":
            continue
        r = _reference(formule)
        if r is None:
            raise ScenarioInvalide(lecteur.nom, "", f"feuille « {FEUILLE} » : une ligne du tableau des {tableau} "
                                   "a été supprimée et les formules qui la lisaient sont en erreur (#REF!) : "
                                   + REGENERER)
        couvertes.setdefault(str(tableau), set()).add(r[2])
    lues: dict[str, dict[int, str]] = {t: {} for t in couvertes}
    for element, adresse in lecteur.ligne_element.items():
        tableau = element.split("[", 1)[0]
        lues.setdefault(tableau, {})[int(re.sub(r"[A-Z]+", "", adresse))] = element
    for cle, adresse in lecteur.cellules.items():
        if cle.startswith("prix_de_revient.autres."):
            lues.setdefault("autres", {})[int(re.sub(r"[A-Z]+", "", adresse))] = cle
    noms = {"logements": "logements", "prets": "prêts", "subventions": "subventions", "autres": "autres postes du "
            "prix de revient"}
    for tableau, lignes in lues.items():
        for ligne in sorted(lignes):
            if ligne not in couvertes.get(tableau, set()):
                raise ScenarioInvalide(
                    lecteur.nom, "", f"feuille « {FEUILLE} », ligne {ligne} : ligne ajoutée au tableau des "
                    f"{noms.get(tableau, tableau)}, que les formules de l'étude ne couvrent pas (le classeur l'ignore, "
                    "la relecture la compterait) : " + REGENERER)
    for tableau, lignes in couvertes.items():
        for ligne in sorted(lignes - set(lues.get(tableau, {}))):
            raise ScenarioInvalide(
                lecteur.nom, "", f"feuille « {FEUILLE} », ligne {ligne} : ligne du tableau des "
                f"{noms.get(tableau, tableau)} vidée, que les formules de l'étude comptent encore (la relecture "
                "l'ignorerait) : " + REGENERER)
    # Puis les formules et les valeurs (une ligne insérée dans une plage de formules y laisse des cellules vides :
    # la ligne ajoutée est dite d'abord).
    for formule, sorte, origine, tableau in rangees:
        if sorte == "ligne":
            continue
        r = _reference(formule)
        if r is None:
            raise ScenarioInvalide(lecteur.nom, "", "des lignes ou des colonnes des feuilles de calcul ont été "
                                   "supprimées : les formules de l'étude sont en erreur (#REF!) ; " + REGENERER)
        feuille, c1, l1, c2, l2 = r
        if feuille not in wbf.sheetnames:
            raise ScenarioInvalide(lecteur.nom, "", f"feuille « {feuille} » introuvable : elle a été renommée ou "
                                   "supprimée ; " + REGENERER)
        if sorte == "formules":
            wsf = wbf[feuille]
            for ligne in range(l1, l2 + 1):
                for col in range(c1, c2 + 1):
                    c = wsf.cell(row=ligne, column=col)
                    if not (isinstance(c.value, str) and c.value.startswith("=")) and c.data_type != "f":
                        raise ScenarioInvalide(
                            lecteur.nom, "", f"feuille « {feuille} », cellule {c.coordinate} : la formule a été "
                            f"remplacée ({_texte(c.value)}) ; la relecture en scénario ne lit que les cellules jaunes "
                            "de Hypothèses et donnerait un autre résultat que le classeur : rétablissez la formule, "
                            "ou " + REGENERER)
        elif sorte == "valeur":
            c = lecteur.wb[feuille].cell(row=l1, column=c1)
            if _egales(origine, c.value):
                continue
            if feuille == FEUILLE:
                cle = cle_de.get(c.coordinate) or str(lecteur.ws.cell(row=l1, column=4).value or "")
                raise ScenarioInvalide(
                    lecteur.nom, "", f"feuille « {feuille} », cellule {c.coordinate}{f' ({cle})' if cle else ''} : "
                    f"valeur verrouillée modifiée ({_texte(origine)} à l'export, {_texte(c.value)} maintenant) ; les "
                    "formules de l'étude ne la suivent pas : " + REGENERER)
            libelle = lecteur.wb[feuille].cell(row=l1, column=1).value or ""
            raise ScenarioInvalide(
                lecteur.nom, "", f"feuille « {feuille} », cellule {c.coordinate} ({libelle}) : valeur modifiée "
                f"({_texte(origine)} à l'export, {_texte(c.value)} maintenant) ; c'est une variante du classeur, que "
                "la relecture en scénario ne suit pas (elle lit les barèmes de plai-bilan) : rétablissez la valeur, "
                "ou donnez-la dans un dossier de paramètres locaux (operation.parametres_locaux)")


def _subvention(lecteur: _Lecteur, ligne: int, i: int) -> dict | None:
    ws = lecteur.ws
    financeur = ws.cell(row=ligne, column=1).value
    brut = ws.cell(row=ligne, column=2).value
    if (financeur is None or not str(financeur).strip()) and brut is None:
        return None
    s: dict[str, Any] = {"financeur": "" if financeur is None else str(financeur).strip()}
    lecteur.ligne_element[f"subventions[{i}]"] = f"A{ligne}"
    lecteur.cellules[f"subventions[{i}].financeur"] = f"A{ligne}"
    nature = lecteur.valeur(ligne, 5, f"subventions[{i}].nature")
    if nature is not None:
        s["nature"] = nature
    produit = lecteur.valeur(ligne, 6, f"subventions[{i}].produit")
    if produit is not None:
        s["produit"] = produit
    unite = _sans_accents(str(ws.cell(row=ligne, column=3).value or "€"))
    if isinstance(brut, str) and not brut.startswith("#"):
        texte = TEXTES_SUBVENTION.get(_sans_accents(brut).replace("é", "e"))
        if texte is None:
            raise lecteur.erreur(f"B{ligne}", f"subventions[{i}].montant", f"un montant, « à calculer », « référence "
                                 f"FNAP » ou « barème » est attendu, pas « {brut} »")
        lecteur.cellules[f"subventions[{i}].montant"] = f"B{ligne}"
        s["montant"] = texte
        return s
    cle = {"€": "montant", "€ par logement": "montant_par_logement", "€ par plai adapte": "montant_par_plai_adapte",
           "€ par logement (bareme local)": "montant_par_logement"}.get(unite, "montant")
    v = lecteur.valeur(ligne, 2, f"subventions[{i}].{cle}")
    if v is None:
        raise lecteur.erreur(f"B{ligne}", f"subventions[{i}].{cle}", "montant manquant")
    s[cle] = v
    return s


FINS_DE_TABLEAU = {"Prêts", "Trajectoire du livret A (une cellule vide ou une formule recopie l'année précédente)"}


def _ligne_cles(lecteur: _Lecteur, tableau: str) -> int | None:
    for c in lecteur.ws["A"]:
        if c.value == f"{tableau}[].typologie" or c.value == f"{tableau}[].nom":
            return c.row
    return None


def _tableau(lecteur: _Lecteur, tableau: str) -> list[dict]:
    ws = lecteur.ws
    ligne_cles = _ligne_cles(lecteur, tableau)
    if ligne_cles is None:
        raise ScenarioInvalide(lecteur.nom, "", f"feuille « {FEUILLE} » : tableau des {tableau} introuvable (ligne de "
                               f"clés « {tableau}[]... » en colonne A)")
    colonnes = {}
    for cell in ws[ligne_cles]:
        if isinstance(cell.value, str) and cell.value.startswith(f"{tableau}[]."):
            colonnes[cell.column] = cell.value[len(tableau) + 3:]
    lignes = []
    ligne = ligne_cles + 2  # sous l'en-tête
    vides = 0
    while ligne <= ws.max_row and vides < 8:
        titre = ws.cell(row=ligne, column=1).value
        if isinstance(titre, str) and (titre in FINS_DE_TABLEAU or "[]." in titre or titre.startswith("livret_a")):
            break  # le titre du tableau suivant
        valeurs = [ws.cell(row=ligne, column=c).value for c in colonnes]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in valeurs):
            vides += 1  # une ligne laissée vide est ignorée
            ligne += 1
            continue
        vides = 0
        i = len(lignes)
        lecteur.ligne_element[f"{tableau}[{i}]"] = f"A{ligne}"
        element: dict[str, Any] = {}
        for c, cle in colonnes.items():
            complete = f"{tableau}[{i}].{cle}"
            dernier = cle.rsplit(".", 1)[-1]
            v = lecteur.booleen(ligne, c, complete) if dernier in BOOLEENS else lecteur.valeur(ligne, c, complete)
            if v is not None:
                _placer(element, cle, v)
        lignes.append(element)
        ligne += 1
    for element in lignes:
        _nettoyer_element(tableau, element)
    return lignes


def _nettoyer_element(tableau: str, e: dict) -> None:
    if tableau == "logements":
        if e.get("rls") is True:
            e.pop("rls")  # exposé : la valeur par défaut (les ressources déclarées décident)
        if e.get("produit") == "PLAI":
            e.pop("produit")  # la valeur par défaut
        if "typologie" in e:
            e["typologie"] = str(e["typologie"])
    if tableau == "prets":
        # Une étude écrit le taux et la marge de chaque prêt : seul compte celui de son index. Sans index (classeur
        # de saisie), un taux fixe saisi seul fait un prêt à taux fixe.
        fixe = e.get("index") == "fixe" or ("index" not in e and "taux_pct" in e and "marge_pct" not in e)
        e.pop("marge_pct" if fixe else "taux_pct", None)
        if "nom" in e:
            e["nom"] = str(e["nom"])
        if e.get("objet") == ("foncier" if "foncier" in str(e.get("nom", "")).lower() else "construction"):
            e.pop("objet")  # la valeur par défaut, déduite du nom


def _trajectoire(lecteur: _Lecteur) -> list[float]:
    ws = lecteur.ws
    debut = next((c.row for c in ws["A"] if c.value == "livret_a.trajectoire"), None)
    if debut is None:
        return []
    taux: list[float | None] = []
    ligne = debut + 2
    while isinstance(ws.cell(row=ligne, column=1).value, int | float):
        j = len(taux)
        v = lecteur.valeur(ligne, 3, f"livret_a.trajectoire[{j}]")
        taux.append(round(v * 100, 10) if isinstance(v, int | float) and not isinstance(v, bool) else v)
        ligne += 1
    # Vide : l'année précédente ; les dernières années égales se résument à la dernière valeur. La valeur lue est
    # déjà en pour cent (clé en _pct implicite : voir valeur()).
    remplis: list[float] = []
    for j, t in enumerate(taux):
        if t is None:
            if not remplis:
                return []
            t = remplis[-1]
        elif not isinstance(t, int | float) or isinstance(t, bool):
            raise lecteur.erreur(lecteur.cellules[f"livret_a.trajectoire[{j}]"], f"livret_a.trajectoire[{j}]",
                                 f"un taux en pour cent est attendu, pas « {t} »")
        remplis.append(float(t))
    while len(remplis) > 1 and remplis[-1] == remplis[-2]:
        remplis.pop()
    return remplis


def _nettoyer(doc: dict) -> None:
    """Les tables facultatives vides ou nulles retirées, comme un fichier TOML qui ne les écrit pas."""
    ex = doc.get("exploitation", {})
    for cle in ("gls", "gla", "accompagnement", "financement_accompagnement"):
        t = ex.get(cle)
        if t is not None and not t.get("montant") and not t.get("duree") and "contrepartie" not in t:
            ex.pop(cle)
    t = ex.get("financement_accompagnement")
    if t is not None and "montant" not in t:
        ex.pop("financement_accompagnement")
    tf = ex.get("tfpb")
    if tf is not None and "montant" not in tf:
        ex.pop("tfpb")
    if ex.get("gros_entretien") is not None and not ex.get("gros_entretien_pct_travaux"):
        ex.pop("gros_entretien_pct_travaux", None)
    elif ex.get("gros_entretien_pct_travaux") and not ex.get("gros_entretien"):
        ex.pop("gros_entretien", None)
    fp = doc.get("fonds_propres", {})
    rem = fp.get("remuneration")
    if rem is not None and not rem.get("taux_pct") and not rem.get("duree"):
        fp.pop("remuneration")
    op = doc.get("operation", {})
    for cle in ("date_agrement", "fin_droit"):
        if isinstance(op.get(cle), str):
            try:
                op[cle] = date.fromisoformat(op[cle])
            except ValueError:
                pass  # la validation du scénario le dit
    if op.get("droit") == "propriete":
        op.pop("droit")  # la valeur par défaut
    for cle in ("zone_loyer", "zone_apl"):  # « 1 » saisi comme nombre
        if isinstance(op.get(cle), int | float) and not isinstance(op.get(cle), bool) and op[cle] == int(op[cle]):
            op[cle] = str(int(op[cle]))


ORDRE = ("operation", "logements", "prix_de_revient", "subventions", "fonds_propres", "prets", "exploitation",
         "livret_a", "analyse", "sieg")


def toml_du_classeur(doc: dict, source: str, version: str, entete: str | None = None) -> str:
    """Le texte TOML d'un scénario relu d'un classeur (tomli-w : un écrivain TOML sûr, dates et échappements
    compris), ses tables dans l'ordre des scénarios livrés."""
    import tomli_w

    cles = [k for k in ORDRE if k in doc] + [k for k in doc if k not in ORDRE]
    entete = (entete or f"# Scénario plai-bilan converti du classeur {Path(source).name} par plai-bilan {version}.\n"
              "# Format : docs/format-scenario.md. Taux en pour cent, montants en euros TTC.\n")
    morceaux = []
    for k in cles:
        v = doc[k]
        if v in ([], {}):
            continue
        if isinstance(v, list):  # [[logements]] : une table par élément, ses sous-tables nommées en entier
            for element in v:
                simples = {x: y for x, y in element.items() if not isinstance(y, dict)}
                texte = f"[[{k}]]\n" + tomli_w.dumps(simples)
                for x, y in element.items():
                    if isinstance(y, dict):
                        texte += tomli_w.dumps({x: y}).replace(f"[{x}]", f"[{k}.{x}]", 1)
                morceaux.append(texte)
        else:
            morceaux.append(tomli_w.dumps({k: v}))
    return entete + "".join("\n" + m for m in morceaux)
