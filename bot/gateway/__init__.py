"""The public gateway: widget assets, JSON API, editor, in front of Rasa."""
