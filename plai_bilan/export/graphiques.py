"""Graphiques PNG (matplotlib, sans écran) : tornade de sensibilité, distribution de la subvention d'équilibre."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from plai_bilan.bilan import LECTURE_MIXTE, Provenance
from plai_bilan.catalogue import catalogue
from plai_bilan.etudes import QUANTILES, Risque, Sensibilite, Verdict
from plai_bilan.format import compte as compter, euros
from plai_bilan.sortie import ecrire_atomique

BLEU, ROUGE, GRIS = "#2E75B6", "#C00000", "#7F7F7F"


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _metadonnees(p: Provenance) -> dict:
    """Traçabilité dans le PNG : version, empreinte du scénario, date du jeu de paramètres."""
    return {"Software": f"plai-bilan {p.version}",
            "Description": f"scénario {p.fichier} sha256 {p.sha256} ; paramètres au {p.parametres_date.isoformat()}"}


def _milliers(x, _pos=None) -> str:
    return euros(x)[:-2] if math.isfinite(x) else ""


def tornade(s: Sensibilite, chemin: str | Path) -> None:
    """Écarts de S* à la valeur de référence, hypothèse basse et haute, de la plus grande amplitude à la plus
    petite. Une variante infaisable est tracée jusqu'au bord et annotée."""
    plt = _figure()
    from matplotlib.ticker import FuncFormatter

    lignes = list(reversed(s.triees()))
    base = s.subvention_base
    ecarts = np.array([[l.subvention_basse - base, l.subvention_haute - base] for l in lignes], float)
    finis = ecarts[np.isfinite(ecarts)]
    bord = (np.abs(finis).max() if finis.size else 1.0) * 1.15 or 1.0
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(lignes) + 1.8), dpi=110)
    y = np.arange(len(lignes))
    for j, (couleur, nom) in enumerate(((BLEU, "hypothèse basse"), (ROUGE, "hypothèse haute"))):
        v = np.where(np.isfinite(ecarts[:, j]), ecarts[:, j], np.sign(np.nan_to_num(ecarts[:, j], posinf=1, neginf=-1))
                     * bord)
        ax.barh(y + (0.2 if j == 0 else -0.2), v, height=0.38, color=couleur, label=nom)
        for i, x in enumerate(ecarts[:, j]):
            if not np.isfinite(x):
                ax.text(v[i], y[i] + (0.2 if j == 0 else -0.2), " infaisable", va="center", fontsize=8,
                        ha="left" if v[i] > 0 else "right")
    libelles = [l.libelle for l in lignes]
    ax.set_yticks(y, libelles, fontsize=9)
    ax.axvline(0, color=GRIS, linewidth=1)
    ax.xaxis.set_major_formatter(FuncFormatter(_milliers))
    ax.set_xlabel("Écart de la subvention d'équilibre (€)")
    ax.set_xlim(-bord * 1.25, bord * 1.25)
    ax.set_title(f"Sensibilité de la subvention d'équilibre ({euros(base)})\n{s.nom}",
                 fontsize=11)
    ax.legend(loc="lower right", fontsize=9)
    ax.grid(axis="x", color="#E0E0E0")
    fig.tight_layout()
    ecrire_atomique(chemin, lambda tmp: fig.savefig(tmp, format="png", metadata=_metadonnees(s.provenance)))
    plt.close(fig)


def histogramme(r: Risque, chemin: str | Path) -> None:
    """Distribution de S* sur les trajectoires aléatoires, avec P50, P90 et P99."""
    d = r.distribution
    plt = _figure()
    from matplotlib.ticker import FuncFormatter

    finis = d.subventions[np.isfinite(d.subventions)]
    fig, ax = plt.subplots(figsize=(10, 5), dpi=110)
    if finis.size:
        ax.hist(finis, bins=60, color=BLEU, alpha=0.85)
    for q, style in zip(QUANTILES, ("-", "--", ":")):
        x = d.quantile(q)
        if math.isfinite(x):
            ax.axvline(x, color=ROUGE, linestyle=style, linewidth=1.5, label=f"P{round(q * 100)} : {euros(x)}")
    # Les trajectoires de résistance sur la même échelle : une ligne grise chacune, ou dites infaisables.
    infaisables_resistance = []
    for t in r.trajectoires:
        if t.faisable:
            ax.axvline(t.subvention_minimale, color="#595959", linestyle=(0, (2, 2)), linewidth=1.2,
                       label=f"{t.libelle} : {euros(t.subvention_minimale)}")
        else:
            infaisables_resistance.append(t.libelle)
    if infaisables_resistance:
        ax.text(0.99, 0.97, "Infaisables : " + " ; ".join(infaisables_resistance), transform=ax.transAxes,
                ha="right", va="top", fontsize=8, color=ROUGE, wrap=True)
    ax.xaxis.set_major_formatter(FuncFormatter(_milliers))
    ax.set_xlabel("Subvention d'équilibre (€)")
    ax.set_ylabel("Nombre de trajectoires")
    infaisables = f" ; sans subvention suffisante : {d.part_infaisable:.1%}".replace(".", ",").replace("%", " %")
    ax.set_title(f"Subvention d'équilibre sur {d.n} trajectoires du livret A (graine {d.graine}){infaisables}\n"
                 f"{r.nom}", fontsize=11)
    ax.legend(fontsize=9)
    ax.grid(axis="y", color="#E0E0E0")
    fig.tight_layout()
    ecrire_atomique(chemin, lambda tmp: fig.savefig(tmp, format="png", metadata=_metadonnees(r.provenance)))
    plt.close(fig)


def avis(v: Verdict, chemin: str | Path, service: str | None = None, instructeur: str | None = None,
         jour=None) -> None:
    """L'avis d'instruction sur une page A4 (PDF ou PNG selon l'extension) : l'opération, la demande, S*, G, C et
    le montant justifiable, le verdict et sa raison, les critères d'éligibilité, puis le service instructeur,
    l'instructeur, la date et la place de la signature (à remplir à la main quand ils ne sont pas donnés)."""
    import textwrap

    plt = _figure()
    b = v.bilan
    sc = b.scenario
    fig = plt.figure(figsize=(8.27, 11.69), dpi=110)
    y = [0.96]

    def ecrire(texte: str, taille: float = 9.5, gras: bool = False, couleur: str = "black", largeur: int = 100,
               retrait: float = 0.07) -> None:
        for ligne in textwrap.wrap(texte, largeur) or [""]:
            fig.text(retrait, y[0], ligne, fontsize=taille, fontweight="bold" if gras else "normal", color=couleur,
                     va="top", family="DejaVu Sans")
            y[0] -= 0.0165 * taille / 9.5

    def montant(x: float | None) -> str:
        return "-" if x is None else euros(x, 2)

    ecrire("Avis d'instruction : subvention PLAI adapté (FNAP)", 14, gras=True)
    ecrire(sc.operation.nom, 11, gras=True)
    ecrire(f"{catalogue().valeurs['nature'].get(sc.operation.nature, sc.operation.nature)} ; {compter(b.n_logements, 'logement')}{b.repartition_produits} dont "
           f"{compter(b.n_plai_adapte, 'PLAI adapté', 'PLAI adaptés')} ; agrément du "
           f"{sc.operation.date_agrement.strftime('%d/%m/%Y')} ; mise en service {sc.operation.mise_en_service} ; "
           f"critère : {catalogue().valeurs['critere'].get(b.critere, b.critere)}, horizon {b.horizon} ans", 8.5)
    # Les lectures réglementaires dont dépend le résultat (barème estimé, durée légale en débat), dites ici aussi.
    for a in b.avertissements:
        if a.startswith("Exonération de TFPB :") or "non publié ; estimation" in a:
            ecrire(a.split(" » : ", 1)[-1] if " : clé « " in a else a, 7.5, couleur=GRIS, largeur=125)
    y[0] -= 0.01
    lignes = [("Subvention instruite", f"{v.financeur}"), ("Montant demandé", montant(v.demande)),
              ("Besoin de financement de l'opération (S*)", montant(v.subvention_minimale)),
              ("Même opération en PLAI ordinaire (G)", montant(b.subvention_plai_ordinaire)),
              ("Coût des contreparties sociales (C = S* - G)", montant(b.cout_contreparties))]
    noms = catalogue().valeurs["cause"]
    lignes += [(f"    dont {noms[k]}", montant(x)) for k, x in (b.contreparties or {}).items()]
    lignes += [("Subvention PLAI adapté justifiable, min(S*, C)", montant(v.justifiable)),
               ("Besoin hors contreparties (autres financeurs)", montant(b.besoin_hors_contreparties)),
               ("Valeur de référence FNAP", montant(b.reference_fnap))]
    if v.subvention_maximale is not None:
        lignes.append(("Subvention maximale sans surcompensation (SIEG)", montant(v.subvention_maximale)))
    lignes.append(("Tolérance", montant(v.tolerance)))
    for libelle, valeur in lignes:
        fig.text(0.07, y[0], libelle, fontsize=9.5, va="top")
        fig.text(0.93, y[0], valeur, fontsize=9.5, va="top", ha="right")
        y[0] -= 0.0185
    y[0] -= 0.01
    couleur = "#1E7B34" if v.justifiee else ROUGE
    ecrire(f"VERDICT : {v.libelle.upper()}", 12, gras=True, couleur=couleur)
    ecrire(v.raison[0].upper() + v.raison[1:] + ".", 9.5, largeur=95)
    lp = b.lecture_part_plai
    if lp is not None:  # opération mixte : la part PLAI lue seule, et la lecture que suit le verdict
        ecrire(f"Opération mixte, part PLAI lue seule : S* {montant(lp['subvention_minimale'])}, G "
               f"{montant(lp['subvention_plai_ordinaire'])}, C {montant(lp['cout_contreparties'])}, justifiable "
               f"{montant(lp['subvention_justifiable'])}. Lecture retenue : {LECTURE_MIXTE}.", 8, couleur=GRIS,
               largeur=115)
    montage = [c for c in b.controles if c.code == "montage"]
    if montage:  # le montage financier est-il optimisé ? (information de l'instructeur)
        ecrire(f"Montage financier : {montage[0].detail}.", 8, couleur=GRIS, largeur=115)
    y[0] -= 0.01
    ecrire("Critères d'éligibilité et contrôles", 10.5, gras=True)
    for c in b.controles:
        ecrire(f"[{c.statut}] {c.code} : {c.libelle}", 8, gras=c.statut == "non conforme", largeur=115)
        ecrire(c.detail, 7.5, couleur=GRIS, largeur=125, retrait=0.1)
        if y[0] < 0.215:  # la place du bloc de signature
            ecrire("(suite des contrôles dans le classeur d'étude)", 7.5, couleur=GRIS)
            break
    # Bloc de signature : service, instructeur, date ; la signature à la main.
    a_remplir = "." * 40
    bas = 0.165
    fig.text(0.07, bas, f"Service instructeur : {service or a_remplir}", fontsize=9.5, va="top")
    fig.text(0.07, bas - 0.022, f"Instruit par : {instructeur or a_remplir}", fontsize=9.5, va="top")
    fig.text(0.07, bas - 0.044, f"Le : {jour.strftime('%d/%m/%Y') if jour else a_remplir[:14]}", fontsize=9.5,
             va="top")
    fig.text(0.58, bas, "Signature :", fontsize=9.5, va="top")
    fig.add_artist(plt.Rectangle((0.58, bas - 0.115), 0.35, 0.09, fill=False, edgecolor=GRIS, linewidth=0.8,
                                 transform=fig.transFigure))
    p = b.provenance
    fig.text(0.07, 0.025, f"plai-bilan {p.version} ; scénario {p.fichier} (SHA-256 {p.sha256[:16]}...) ; "
             f"{p.baremes_connus()}", fontsize=6.5, color=GRIS, wrap=True)
    format_ = "pdf" if str(chemin).lower().endswith(".pdf") else "png"
    meta = _metadonnees(p)
    metadonnees = {"Creator": meta["Software"], "Subject": meta["Description"], "CreationDate": None} \
        if format_ == "pdf" else meta
    ecrire_atomique(chemin, lambda tmp: fig.savefig(tmp, format=format_, metadata=metadonnees))
    plt.close(fig)


def compte(b, chemin) -> None:
    """Autofinancement annuel (barres) et trésorerie cumulée (courbe), avec la subvention d'équilibre : le compte de
    l'opération en une image (page web, PNG). ``chemin`` : un fichier ou un flux binaire."""
    plt = _figure()
    c = b.compte.colonnes()
    annees = c["annee"]
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    ax.bar(annees, c["autofinancement"], color=[BLEU if x >= 0 else ROUGE for x in c["autofinancement"]],
           label="Autofinancement de l'année")
    ax.plot(annees, c["tresorerie"], color=GRIS, linewidth=2, label="Trésorerie cumulée")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.yaxis.set_major_formatter(_milliers)
    ax.set_xlabel("Année d'exploitation")
    ax.set_ylabel("€")
    ax.set_title("Compte de l'opération avec la subvention d'équilibre", fontsize=10)
    ax.legend(loc="best", fontsize=8)
    ax.grid(axis="y", color="#E0E0E0")
    fig.tight_layout()
    if isinstance(chemin, (str, Path)):
        ecrire_atomique(chemin, lambda tmp: fig.savefig(tmp, format="png", metadata=_metadonnees(b.provenance)))
    else:
        fig.savefig(chemin, format="png", metadata=_metadonnees(b.provenance))
    plt.close(fig)
