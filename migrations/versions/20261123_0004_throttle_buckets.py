"""throttle buckets

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 01:07:45.817416
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
        "throttle_buckets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_buckets")),
        sa.UniqueConstraint("key_digest", name=op.f("uq_throttle_buckets_key_digest")),
    )
    with op.batch_alter_table("throttle_buckets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_throttle_buckets_blocked_until"), ["blocked_until"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("throttle_buckets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_throttle_buckets_blocked_until"))

    op.drop_table("throttle_buckets")
