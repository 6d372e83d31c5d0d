"""Pilote LibreOffice par UNO, avec ses réglages par défaut (un xlsx n'est pas recalculé au chargement).

Lancé par l'interpréteur du système (celui qui a le module ``uno``) : lit une commande JSON sur l'entrée standard,
écrit le relevé JSON des cellules sur la sortie standard.

Commande : {"fichier": ..., "profil": ..., "feuilles": [...] ou null (toutes),
            "modifications": [[feuille, "B5", valeur], ...],   valeur : nombre, texte, booléen ou "=formule" ;
                             ["!deproteger", feuille, null], ["!inserer", feuille, ligne], ["!supprimer", feuille, ligne]
            "enregistrer": chemin xlsx ou null (après les modifications, sans recalcul complet),
            "recalcul_complet": bool, "invalides": bool (les cellules que « Marquer les données incorrectes » cercle)}
Relevé : {"ouverture": {feuille: {cellule: valeur}}, "apres": {...}, "complet": {...}}
où une valeur est un nombre, un texte ou {"erreur": code}.
"""

import json
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.sheet.FormulaResult import ERROR


def propriete(nom, valeur):
    p = PropertyValue()
    p.Name, p.Value = nom, valeur
    return p


def nom_colonne(c):
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def releve(doc, feuilles):
    sortie = {}
    for feuille in doc.Sheets:
        if feuilles and feuille.Name not in feuilles:
            continue
        curseur = feuille.createCursor()
        curseur.gotoEndOfUsedArea(False)
        fin = curseur.getRangeAddress()
        plage = feuille.getCellRangeByPosition(0, 0, fin.EndColumn, fin.EndRow)
        donnees = plage.getDataArray()
        erreurs = set()
        for bloc in feuille.queryFormulaCells(ERROR).getRangeAddresses():
            for l in range(bloc.StartRow, bloc.EndRow + 1):
                for c in range(bloc.StartColumn, bloc.EndColumn + 1):
                    erreurs.add((l, c))
        cellules = {}
        for l, rangee in enumerate(donnees):
            for c, v in enumerate(rangee):
                if (l, c) in erreurs:
                    cellules[nom_colonne(c) + str(l + 1)] = {"erreur": feuille.getCellByPosition(c, l).getError()}
                elif v != "":
                    cellules[nom_colonne(c) + str(l + 1)] = v
        sortie[feuille.Name] = cellules
    return sortie


def main():
    cmd = json.load(sys.stdin)
    tube = "plai_bilan_%d" % os.getpid()
    profil = "file://" + os.path.abspath(cmd["profil"])
    office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore", "--nologo",
                               "-env:UserInstallation=" + profil, "--accept=pipe,name=%s;urp;" % tube],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        local = uno.getComponentContext()
        resolveur = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(600):
            try:
                ctx = resolveur.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % tube)
                break
            except Exception:
                if office.poll() is not None:
                    raise SystemExit("LibreOffice s'est arrêté au démarrage")
                time.sleep(0.1)
        else:
            raise SystemExit("LibreOffice ne répond pas")
        bureau = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        url = uno.systemPathToFileUrl(os.path.abspath(cmd["fichier"]))
        doc = bureau.loadComponentFromURL(url, "_blank", 0, (propriete("Hidden", True),))
        feuilles = cmd.get("feuilles")
        resultat = {"ouverture": releve(doc, feuilles)}
        for nom, adresse, valeur in cmd.get("modifications", []):
            if nom == "!deproteger":  # Outils > Protéger la feuille, décoché (sans mot de passe)
                doc.Sheets.getByName(adresse).unprotect("")
                continue
            if nom == "!inserer":  # insérer une ligne au-dessus de la ligne ``valeur`` (comptée à partir de 1)
                doc.Sheets.getByName(adresse).Rows.insertByIndex(int(valeur) - 1, 1)
                continue
            if nom == "!supprimer":  # supprimer la ligne ``valeur``
                doc.Sheets.getByName(adresse).Rows.removeByIndex(int(valeur) - 1, 1)
                continue
            cell = doc.Sheets.getByName(nom).getCellRangeByName(adresse)
            if isinstance(valeur, bool):  # comme une saisie de VRAI / FAUX : la cellule garde son format booléen
                cell.setValue(1.0 if valeur else 0.0)
            elif isinstance(valeur, (int, float)):
                cell.setValue(valeur)
            elif valeur.startswith("="):
                cell.setFormula(valeur)
            else:
                cell.setString(valeur)
        if cmd.get("modifications"):
            resultat["apres"] = releve(doc, feuilles)
        if cmd.get("invalides"):  # Outils > Détective > Marquer les données incorrectes : un cercle par cellule
            controleur = doc.getCurrentController()
            aide = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
            resultat["invalides"] = {}
            for feuille in doc.Sheets:
                controleur.setActiveSheet(feuille)
                avant = feuille.DrawPage.Count
                aide.executeDispatch(controleur.getFrame(), ".uno:ShowInvalid", "", 0, ())
                cercles = [feuille.DrawPage.getByIndex(k) for k in range(avant, feuille.DrawPage.Count)]
                resultat["invalides"][feuille.Name] = [
                    nom_colonne(c.Anchor.CellAddress.Column) + str(c.Anchor.CellAddress.Row + 1)
                    if hasattr(c, "Anchor") and hasattr(c.Anchor, "CellAddress") else "?" for c in cercles]
        if cmd.get("enregistrer"):
            doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(cmd["enregistrer"])),
                           (propriete("FilterName", "Calc MS Excel 2007 XML"),))
        if cmd.get("recalcul_complet"):
            doc.calculateAll()
            resultat["complet"] = releve(doc, feuilles)
        doc.close(True)
        try:
            bureau.terminate()
        except Exception:
            pass
        json.dump(resultat, sys.stdout)
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:  # soffice.bin, enfant de oosplash, ne doit pas survivre à une erreur
            os.killpg(office.pid, 9)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    main()
