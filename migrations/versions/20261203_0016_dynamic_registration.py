"""dynamic client registration: tenants' registration mode, initial access tokens, the
registrations of dynamically registered clients, trusted software statement issuers

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

UTC_DATETIME = sa.DateTime(timezone=True)

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                   name=op.f(f"fk_{table}_tenant_id_tenants"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration_mode", sa.String(32), nullable=False,
                                      server_default="off"))
        batch_op.add_column(sa.Column("registration_requires_statement", sa.Boolean(),
                                      nullable=False, server_default=sa.false()))
    op.create_table(
        "initial_access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.String(32), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("description", sa.String(200), nullable=True),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        _tenant_fk("initial_access_tokens"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initial_access_tokens")),
        sa.UniqueConstraint("tenant_id", "token_id",
                            name=op.f("uq_initial_access_tokens_tenant_id_token_id")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_initial_access_tokens_token_digest")),
    )
    op.create_table(
        "client_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("access_token_digest", sa.String(64), nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("extra_metadata", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        _tenant_fk("client_registrations"),
        sa.ForeignKeyConstraint(["client_pk"], ["clients.id"],
                                name=op.f("fk_client_registrations_client_pk_clients"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_registrations")),
        sa.UniqueConstraint("client_pk", name=op.f("uq_client_registrations_client_pk")),
    )
    op.create_table(
        "software_statement_issuers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("jwks", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        _tenant_fk("software_statement_issuers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_software_statement_issuers")),
        sa.UniqueConstraint("tenant_id", "issuer",
                            name=op.f("uq_software_statement_issuers_tenant_id_issuer")),
    )


def downgrade() -> None:
    op.drop_table("software_statement_issuers")
    op.drop_table("client_registrations")
    op.drop_table("initial_access_tokens")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("registration_requires_statement")
        batch_op.drop_column("registration_mode")
