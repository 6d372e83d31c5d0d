"""Les choix fermés du scénario : lus par la validation et proposés en listes déroulantes par les classeurs."""

NATURES = ("construction-neuve", "acquisition-amelioration", "vefa", "acquisition")
PRODUITS = ("ordinaire", "foyer")
TYPES_FOYER = ("pension-de-famille", "residence-sociale")  # un foyer du programme PLAI adapté
PRODUITS_LOGEMENT = ("PLAI", "PLUS", "PLS")  # le prêt qui finance une ligne de logements
ZONES_ABC = ("Abis", "A", "B1", "B2", "C")  # zonage A/B/C (loyers maximaux PLS)
DROITS = ("propriete", "usufruit", "bail_emphyteotique", "bail_rehabilitation")  # le droit du bailleur sur le bien
REGIONS = ("idf-paca", "hors-idf-paca")
ZONES_LOYER = ("1bis", "1", "2", "3")
ZONES_APL = ("1", "2", "3")
REVISABILITES = ("simple", "double", "double_limitee")
PROFILS = ("echeance_prioritaire", "amortissement_constant")
CRITERES = ("annuel", "tresorerie_cumulee", "van")
NATURES_SUBVENTION = ("fnap_plai_adapte", "etat_plai", "collectivite", "action_logement", "autre")
INDEX = ("livret_a", "fixe")
OBJETS_PRET = ("construction", "foncier")  # ce que finance un prêt (ses durées CDC)
