"""pending interactions: authorization requests kept server-side, bound to a browser

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_interactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("browser_digest", sa.String(length=64), nullable=False),
        sa.Column("authorization_request", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_pending_interactions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_interactions")),
        sa.UniqueConstraint("uid", name=op.f("uq_pending_interactions_uid")),
    )
    with op.batch_alter_table("pending_interactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_interactions_browser_digest"), ["browser_digest"],
            unique=False)
        batch_op.create_index(
            batch_op.f("ix_pending_interactions_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_interactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_interactions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_pending_interactions_browser_digest"))
    op.drop_table("pending_interactions")
