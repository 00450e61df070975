"""client secret rotation with an overlap (previous secret and its end) and the RFC 7591
client_secret_expires_at of the current secret

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_expires_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("previous_secret_digest", sa.String(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("previous_secret_expires_at")
        batch_op.drop_column("previous_secret_digest")
        batch_op.drop_column("secret_expires_at")
