"""per-client access token algorithm

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 23:51:56.834057
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "access_token_signed_response_alg",
                sa.String(length=16),
                server_default="ES256",
                nullable=False,
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("access_token_signed_response_alg")
