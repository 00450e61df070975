"""totp: a pending seed beside the confirmed one, so re-enrolling an authenticator app
keeps the current one working until the new one is confirmed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("totp_credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_secret_sealed", sa.LargeBinary(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("totp_credentials", schema=None) as batch_op:
        batch_op.drop_column("pending_secret_sealed")
