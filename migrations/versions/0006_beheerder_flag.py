"""Beheerders (issue 20): a flag next to the role, like `advanced` (0003).

A beheerder is an editor (regional with a region, national without) who also
manages the widget's embed settings; the users.role CHECK constraint stays as it is.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("beheerder", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("beheerder")
