"""Learning from what was not understood (issue 19, item 3): opt-in per region, off by
default, and the kept messages, de-identified, deleted after 30 days.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learn_optin",
        sa.Column("region", sa.Text, primary_key=True),  # VRxx; no row means off
        sa.Column("enabled", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.Float, nullable=False),
    )
    op.create_table(
        "learn_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),  # de-identified only, never the raw message
        sa.Column("created_at", sa.Float, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("learn_messages_region", "learn_messages", ["region", "created_at"])


def downgrade() -> None:
    op.drop_index("learn_messages_region", "learn_messages")
    op.drop_table("learn_messages")
    op.drop_table("learn_optin")
