"""Baseline: the Redactie's tables as they were on SQLite before alembic.

Creates only what is missing, so a SQLite file made by an older version
(same tables, no alembic_version yet) is adopted as it is.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import CreateIndex, CreateTable

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> list[sa.Table]:
    meta = sa.MetaData()
    return [
        sa.Table(
            "users",
            meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("username", sa.Text, nullable=False, unique=True),
            sa.Column("password_hash", sa.Text, nullable=False),
            sa.Column("role", sa.Text, nullable=False),
            sa.Column("region", sa.Text),
            sa.Column("active", sa.Integer, nullable=False, server_default="1"),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.CheckConstraint("role IN ('national', 'regional')", name="users_role"),
        ),
        sa.Table(
            "sessions",
            meta,
            sa.Column("token_hash", sa.Text, primary_key=True),
            sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
            sa.Column("csrf_token", sa.Text, nullable=False),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("expires_at", sa.Float, nullable=False),
        ),
        sa.Table(
            "login_failures",
            meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("username", sa.Text, nullable=False),
            sa.Column("ip", sa.Text, nullable=False),
            sa.Column("at", sa.Float, nullable=False),
            sa.Index("login_failures_at", "at"),
        ),
        sa.Table(
            "template_versions",
            meta,
            # AUTOINCREMENT on SQLite: version ids are never reused.
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("region", sa.Text),  # NULL = national
            sa.Column("source", sa.Text),  # NULL = back to the repository text
            sa.Column("author", sa.Text, nullable=False),
            sa.Column("note", sa.Text, nullable=False, server_default=""),
            sa.Column("restored_from", sa.Integer),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Index("template_versions_key", "name", "region", "id"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "notices",
            meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("region", sa.Text),  # NULL = every region
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("url", sa.Text, nullable=False),
            sa.Column("expires_at", sa.Float, nullable=False),
            sa.Column("author", sa.Text, nullable=False),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Index("notices_region", "region", "expires_at"),
            sqlite_autoincrement=True,
        ),
        sa.Table(
            "audit_log",
            meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("at", sa.Float, nullable=False),
            sa.Column("actor", sa.Text, nullable=False),
            sa.Column("action", sa.Text, nullable=False),
            sa.Column("target", sa.Text, nullable=False, server_default=""),
            sa.Column("detail", sa.Text, nullable=False, server_default=""),
            sqlite_autoincrement=True,
        ),
    ]


def upgrade() -> None:
    # `alembic upgrade head --sql` (offline) prints every table; online only the missing ones.
    existing = set() if op.get_context().as_sql else set(sa.inspect(op.get_bind()).get_table_names())
    for table in _tables():
        if table.name not in existing:
            op.execute(CreateTable(table))
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                op.execute(CreateIndex(index))


def downgrade() -> None:
    for table in reversed(_tables()):
        op.drop_table(table.name)
