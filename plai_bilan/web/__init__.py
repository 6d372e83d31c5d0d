"""La page web et l'API de plai-bilan (plai-bilan serve ; extra facultatif [web])."""
