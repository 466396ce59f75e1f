"""Small Rasa extensions (the only project code besides actions/ that imports Rasa)."""
