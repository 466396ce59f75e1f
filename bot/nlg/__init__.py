"""Rasa's NLG endpoint: renders every utter_* from templates/."""
