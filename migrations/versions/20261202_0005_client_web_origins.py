"""client web origins (CORS) and application type (loopback port rule)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("web_origins", sa.JSON(), nullable=False,
                                      server_default="[]"))
        batch_op.add_column(sa.Column("application_type", sa.String(length=16),
                                      nullable=False, server_default="web"))
    # Public clients registered before application types existed were treated as native
    # apps on loopback (any port); keep them working as they did.
    op.execute("UPDATE clients SET application_type = 'native' WHERE is_public")


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("application_type")
        batch_op.drop_column("web_origins")
