"""API resources, clients' grants to them, access groups and the tenant default group

Revision ID: 0014
Revises: 0017
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

UTC_DATETIME = sa.DateTime(timezone=True)

revision = "0014"
down_revision = "0017"
branch_labels = None
depends_on = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                   name=op.f(f"fk_{table}_tenant_id_tenants"),
                                   ondelete="CASCADE")


def _client_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["client_pk"], ["clients.id"],
                                   name=op.f(f"fk_{table}_client_pk_clients"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "api_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(2000), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("access_token_ttl", sa.Integer(), nullable=True),
        sa.Column("access_token_alg", sa.String(16), nullable=True),
        sa.Column("introspection_clients", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        _tenant_fk("api_resources"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_resources")),
        sa.UniqueConstraint("tenant_id", "identifier",
                            name=op.f("uq_api_resources_tenant_id_identifier")),
    )
    op.create_table(
        "client_api_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("api_key", sa.String(2000), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        _tenant_fk("client_api_grants"),
        _client_fk("client_api_grants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_api_grants")),
        sa.UniqueConstraint("client_pk", "api_key",
                            name=op.f("uq_client_api_grants_client_pk_api_key")),
    )
    op.create_index("ix_client_api_grants_tenant_id_api_key", "client_api_grants",
                    ["tenant_id", "api_key"])
    op.create_table(
        "access_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_folded", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        _tenant_fk("access_groups"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_groups")),
        sa.UniqueConstraint("tenant_id", "name_folded",
                            name=op.f("uq_access_groups_tenant_id_name_folded")),
    )
    op.create_table(
        "client_access_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("group_ref", sa.String(80), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        _tenant_fk("client_access_groups"),
        _client_fk("client_access_groups"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_access_groups")),
        sa.UniqueConstraint("client_pk", "group_ref",
                            name=op.f("uq_client_access_groups_client_pk_group_ref")),
    )
    op.create_index("ix_client_access_groups_tenant_id_group_ref", "client_access_groups",
                    ["tenant_id", "group_ref"])
    op.create_table(
        "tenant_access_defaults",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("default_group_ref", sa.String(80), nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        _tenant_fk("tenant_access_defaults"),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenant_access_defaults")),
    )


def downgrade() -> None:
    op.drop_table("tenant_access_defaults")
    op.drop_index("ix_client_access_groups_tenant_id_group_ref", "client_access_groups")
    op.drop_table("client_access_groups")
    op.drop_table("access_groups")
    op.drop_index("ix_client_api_grants_tenant_id_api_key", "client_api_grants")
    op.drop_table("client_api_grants")
    op.drop_table("api_resources")
