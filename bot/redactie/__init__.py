"""Redactie: communication staff edit the bot's texts and publish incident notices.

Plain Python (no Rasa). Live edits live in SQLite (see db.py), layered over the
repository's templates/ by bot.texts.render; nothing here writes to templates/.
"""
