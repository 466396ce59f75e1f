"""Alembic environment: runs on the connection Database.migrate() hands over, or on the configured database."""

from __future__ import annotations

from alembic import context

from bot.redactie.db import Database

connection = context.config.attributes.get("connection")

if context.is_offline_mode():
    # `alembic upgrade head --sql`: print the SQL for a database administrator.
    url = context.config.get_main_option("sqlalchemy.url") or Database().url
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif connection is not None:
    # Database.migrate(): already inside its transaction (and its lock).
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
else:
    # The alembic command line: NW_DATABASE_URL, or the SQLite file at NOODWIJZER_DB.
    database = Database()
    with database.engine.connect() as own:
        context.configure(connection=own)
        with context.begin_transaction():
            context.run_migrations()
    database.close()
