"""Noodwijzer core logic: plain Python, no Rasa imports."""
