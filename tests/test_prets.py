"""Moteur de prêts : valeurs réglementaires, numpy-financial, propriétés et implémentation en boucle."""

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plai_bilan.moteur.prets import (
    AMORTISSEMENT_CONSTANT, DOUBLE, DOUBLE_LIMITEE, SIMPLE, echeancier, facteur_annuite)
from reference import pret as pret_reference


def test_arrete_1979_pret_cdc_prefinancement_et_progressivite():
    # Arrêté du 13/03/1979, art. 13 (lola-notes T2, recalculé) : 4,94 %, 2 ans de préfinancement,
    # 32 échéances progressant de 1,95 % : première échéance 5,456 % du nominal.
    e = echeancier(1.0, np.full((1, 32), 0.0494), 32, progressivite=0.0195, indexe=False, prefinancement=2)
    assert e.capital_initial[0] == pytest.approx(1.0494 ** 2)
    assert e.echeances[0, 0] * 100 == pytest.approx(5.456, abs=5e-4)
    assert e.capital_restant_du[0, -1] == pytest.approx(0.0, abs=1e-12)


def test_arrete_1979_pret_cff_differe_interets_payes():
    # Même arrêté (lola-notes T3) : 7 %, 25 échéances dont 2 d'intérêts seuls, progressivité 2,5 % :
    # première échéance amortissante 7,168 % du nominal.
    e = echeancier(1.0, np.full((1, 25), 0.07), 25, progressivite=0.025, indexe=False, differe=2)
    assert e.echeances[0, :2] == pytest.approx([0.07, 0.07])
    assert e.amortissements[0, :2] == pytest.approx([0.0, 0.0])
    assert e.echeances[0, 2] * 100 == pytest.approx(7.168, abs=5e-4)
    assert e.echeances[0, 3] / e.echeances[0, 2] == pytest.approx(1.025)


@given(taux=st.floats(0.001, 0.12), n=st.integers(1, 80), k=st.floats(1.0, 1e7))
def test_taux_fixe_egal_numpy_financial(taux, n, k):
    e = echeancier(k, np.full((1, n), taux), n, indexe=False)
    periodes = np.arange(1, n + 1)
    assert e.echeances[0] == pytest.approx(np.full(n, -npf.pmt(taux, n, k)), rel=1e-9)
    assert e.interets[0] == pytest.approx(-npf.ipmt(taux, periodes, n, k), rel=1e-9, abs=1e-6)
    assert e.amortissements[0] == pytest.approx(-npf.ppmt(taux, periodes, n, k), rel=1e-9)


def test_facteur_annuite_cas_r_egal_p():
    assert facteur_annuite(0.02, 0.02, 10) == pytest.approx(1.02 / 10)
    # Continuité près de r = p.
    assert facteur_annuite(0.02, 0.02 - 1e-10, 10) == pytest.approx(1.02 / 10, rel=1e-8)


def test_taux_nul():
    e = echeancier(1200.0, np.zeros((1, 12)), 12, indexe=False)
    assert e.echeances[0] == pytest.approx(np.full(12, 100.0))


def _taux(mini, maxi):
    # Taux au millionième (0,0001 point), comme dans les contrats : pas de valeurs sous-normales.
    return st.floats(mini, maxi).map(lambda x: round(x, 6))


def _chemin_taux():
    return st.lists(_taux(0.0, 0.08), min_size=1, max_size=70)


pret_aleatoire = st.fixed_dictionaries({
    "duree": st.integers(1, 60),
    "progressivite": _taux(-0.03, 0.03),
    "revisabilite": st.sampled_from(["simple", "double", "double_limitee"]),
    "indexe": st.booleans(),
    "prefinancement": st.integers(0, 3),
    "profil": st.sampled_from(["echeance_prioritaire", "amortissement_constant"]),
    "fraction_differe": st.floats(0, 0.9),
    "taux": _chemin_taux(),
    "principal": st.floats(1.0, 1e7),
})
CODES = {"simple": SIMPLE, "double": DOUBLE, "double_limitee": DOUBLE_LIMITEE}


def _preparer(d, horizon=None):
    duree = d["duree"]
    differe = min(int(d["fraction_differe"] * duree), duree - 1)
    p = d["progressivite"]
    if d["revisabilite"] == "double_limitee" and d["indexe"]:
        p = abs(p)
    h = horizon or max(duree, 1)
    taux = (d["taux"] * (h // len(d["taux"]) + 1))[:h]
    return duree, differe, p, taux


@settings(max_examples=200)
@given(pret_aleatoire)
def test_boucle_simple_egale_moteur(d):
    duree, differe, p, taux = _preparer(d, horizon=70)
    ref = pret_reference(d["principal"], taux, duree, p, d["revisabilite"], d["indexe"], d["prefinancement"],
                         differe, d["profil"], 70)
    e = echeancier(d["principal"], np.array([taux]), duree, progressivite=p, revisabilite=CODES[d["revisabilite"]],
                   indexe=d["indexe"], prefinancement=d["prefinancement"], differe=differe,
                   profil=AMORTISSEMENT_CONSTANT if d["profil"] == "amortissement_constant" else 0)
    echelle = d["principal"] * 1e-9
    for calcule, attendu in zip((e.echeances, e.interets, e.amortissements, e.capital_restant_du), ref):
        assert np.allclose(calcule[0], attendu, rtol=1e-9, atol=echelle)


@settings(max_examples=200)
@given(pret_aleatoire)
def test_capital_rembourse_et_crd_final(d):
    duree, differe, p, taux = _preparer(d)
    e = echeancier(d["principal"], np.array([taux]), duree, progressivite=p, revisabilite=CODES[d["revisabilite"]],
                   indexe=d["indexe"], prefinancement=d["prefinancement"], differe=differe)
    k0 = e.capital_initial[0]
    assert e.amortissements[0].sum() == pytest.approx(k0, rel=1e-9)
    assert abs(e.capital_restant_du[0, duree - 1]) <= 1e-9 * k0


@settings(max_examples=200)
@given(pret_aleatoire, st.floats(0.01, 1000.0).map(lambda x: round(x, 3)))
def test_homogeneite(d, facteur):
    duree, differe, p, taux = _preparer(d)
    kw = dict(progressivite=p, revisabilite=CODES[d["revisabilite"]], indexe=d["indexe"],
              prefinancement=d["prefinancement"], differe=differe)
    a = echeancier(d["principal"], np.array([taux]), duree, **kw)
    b = echeancier(d["principal"] * facteur, np.array([taux]), duree, **kw)
    assert np.allclose(b.echeances, a.echeances * facteur, rtol=1e-12, atol=0)
    assert np.allclose(b.capital_restant_du, a.capital_restant_du * facteur, rtol=1e-9,
                       atol=1e-9 * d["principal"] * facteur)


def test_plusieurs_prets_en_un_appel_egaux_un_par_un():
    rng = np.random.default_rng(7)
    taux = rng.uniform(0.0, 0.05, (5, 40))
    duree = np.array([40, 30, 25, 40, 10])
    k = rng.uniform(1e4, 1e6, 5)
    tous = echeancier(k, taux, duree, progressivite=0.005)
    for i in range(5):
        un = echeancier(k[i], taux[i:i + 1], duree[i], progressivite=0.005)
        assert np.allclose(tous.echeances[i], un.echeances[0], rtol=1e-14)


def test_double_revisabilite_suit_le_taux():
    # (1 + p_t) = (1 + p_{t-1}) (1 + r_t) / (1 + r_{t-1}) : une hausse de taux relève la progressivité.
    taux = np.array([[0.02, 0.03, 0.03, 0.01]])
    e = echeancier(1.0, taux, 4, progressivite=0.005, revisabilite=DOUBLE)
    assert e.progressivite[0, 1] == pytest.approx(1.005 * 1.03 / 1.02 - 1)
    limitee = echeancier(1.0, taux, 4, progressivite=0.005, revisabilite=DOUBLE_LIMITEE)
    p3 = (1.005 * 1.03 / 1.02) * 1.01 / 1.03 - 1
    assert p3 < 0 and limitee.progressivite[0, 3] == 0.0
    simple = echeancier(1.0, taux, 4, progressivite=0.005, revisabilite=SIMPLE)
    assert np.all(simple.progressivite == 0.005)
