"""Inzicht (issue 19): counts per region, day, metric and key. Counted, never recorded:
no message text, no session id, no address; rows older than 2 years are deleted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inzicht_counts",
        sa.Column("day", sa.Text, nullable=False),  # YYYY-MM-DD, Dutch calendar day
        sa.Column("region", sa.Text, nullable=False),  # VRxx, or "" when the conversation named none
        sa.Column("metric", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("day", "region", "metric", "key"),
    )


def downgrade() -> None:
    op.drop_table("inzicht_counts")
