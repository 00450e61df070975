"""audit chain: actor kind, request context, event id, MAC and seal on audit events; the
per-tenant chain heads

Revision ID: 0013
Revises: 0016
Create Date: 2026-12-03 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_kind", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("ip", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(256), nullable=True))
        batch_op.add_column(sa.Column("request_id", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("event_id", sa.String(32), nullable=True))
        batch_op.add_column(sa.Column("mac", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("chain_hash", sa.String(64), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_audit_events_event_id"), ["event_id"])
        batch_op.create_index(op.f("ix_audit_events_tenant_id_seq"), ["tenant_id", "seq"])
        batch_op.create_index(op.f("ix_audit_events_seq_id"), ["seq", "id"])
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("chain_hash", sa.String(64), nullable=True),
        sa.Column("anchor_seq", sa.Integer(), nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=True),
        sa.Column("mac", sa.String(64), nullable=True),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain_heads")),
    )
    # Records written before the chain existed have no MAC and cannot get one here (the
    # master key is not at hand): chain -1 remembers the last of them, so the sealer and
    # `audit verify` leave exactly those alone (services/audit_chain.py, "legacy").
    op.execute("INSERT INTO audit_chain_heads (chain, seq, anchor_seq) "
               "SELECT -1, COALESCE(MAX(id), 0), 0 FROM audit_events")


def downgrade() -> None:
    op.drop_table("audit_chain_heads")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_audit_events_seq_id"))
        batch_op.drop_index(op.f("ix_audit_events_tenant_id_seq"))
        batch_op.drop_constraint(op.f("uq_audit_events_event_id"), type_="unique")
        for column in ("chain_hash", "prev_hash", "seq", "mac", "event_id", "request_id",
                       "user_agent", "ip", "actor_kind"):
            batch_op.drop_column(column)
