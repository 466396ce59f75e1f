"""Small Rasa extensions (the only project code besides actions/ that imports Rasa).

Rasa imports this package when it loads our tracker store (endpoints.yml), so
the speedups below are active in every Rasa server process.
"""
from bot_rasa import speedups

speedups.apply()
