"""Small Rasa extensions (the only project code besides actions/ that imports Rasa).

Rasa imports this package when it loads our tracker store (endpoints.yml) and
the entity normaliser (config.yml). Importing it changes nothing in Rasa: the
patches in bot_rasa/patches/ are switched on explicitly by bot_rasa.launch.
"""
