"""tenants' own sign-in session limits (idle and absolute; NULL = the settings)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_idle_ttl", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("session_absolute_ttl", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("session_absolute_ttl")
        batch_op.drop_column("session_idle_ttl")
