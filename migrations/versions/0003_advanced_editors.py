"""National "geavanceerd" accounts (issue 16): only they see and edit templates with logic.

A flag next to the role, not a new role value: a geavanceerd account is a national
editor in every other way, and the users.role CHECK constraint stays as it is.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing national accounts become plain (words only); an operator adds geavanceerd accounts.
    op.add_column("users", sa.Column("advanced", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("advanced")
