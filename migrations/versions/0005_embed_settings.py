"""Embed settings per region and gemeente, edited in the Redactie (issue 20).

Every save is a new row (versions, restorable); the newest row of a party is live.
party: "VR19" for a region, "VR19/goes" for a gemeente under it. data: JSON.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embed_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("party", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.Float, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_embed_settings_party", "embed_settings", ["party", "id"])


def downgrade() -> None:
    op.drop_index("ix_embed_settings_party", table_name="embed_settings")
    op.drop_table("embed_settings")
