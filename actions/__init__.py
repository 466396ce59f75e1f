"""Custom actions: thin adapters from the Rasa tracker to bot.* (one module per topic)."""
