"""roles, user groups, user attributes, clients' claim mapping; users.role becomes a role

Each distinct users.role value and tenants.default_role becomes a role of its tenant
(no permissions, so nobody gains access by the move) and each user holding it is given
that role; the plain column then goes.

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def _audit_columns() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    ]


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE",
                                   name=f"fk_{table}_tenant_id_tenants")


def upgrade() -> None:
    op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        *_audit_columns(),
        _tenant_fk("roles"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_roles_tenant_id_name"),
    )
    op.create_table(
        "user_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        *_audit_columns(),
        _tenant_fk("user_groups"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_user_groups_tenant_id_name"),
    )
    for table, left, left_table, right, right_table in (
            ("user_roles", "user_id", "users", "role_id", "roles"),
            ("user_group_members", "group_id", "user_groups", "user_id", "users"),
            ("user_group_roles", "group_id", "user_groups", "role_id", "roles")):
        op.create_table(
            table,
            sa.Column(left, sa.Integer(), nullable=False),
            sa.Column(right, sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint([left], [f"{left_table}.id"], ondelete="CASCADE",
                                    name=f"fk_{table}_{left}_{left_table}"),
            sa.ForeignKeyConstraint([right], [f"{right_table}.id"], ondelete="CASCADE",
                                    name=f"fk_{table}_{right}_{right_table}"),
            sa.PrimaryKeyConstraint(left, right, name=f"pk_{table}"),
        )
        op.create_index(f"ix_{table}_{right}", table, [right])
    op.create_table(
        "user_attributes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        _tenant_fk("user_attributes"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_user_attributes_user_id_users"),
        sa.UniqueConstraint("user_id", "key", name="uq_user_attributes_user_id_key"),
    )
    # Natively on both databases (no table rebuild: see the users column below).
    op.add_column("clients", sa.Column("claim_mapping", sa.JSON(), nullable=True))
    _roles_from_plain_column()
    # Natively (SQLite 3.35+), not in batch mode: rebuilding users would drop the old
    # table, and with foreign keys on, SQLite's implicit DELETE would cascade to every
    # row referencing a user (the user_roles just written, sessions, grants, factors).
    op.execute("ALTER TABLE users DROP COLUMN role")


def _roles_from_plain_column() -> None:
    bind = op.get_bind()
    names = set(bind.execute(sa.text(
        "SELECT tenant_id, role FROM users WHERE role IS NOT NULL AND role <> ''")).all())
    names |= set(bind.execute(sa.text(
        "SELECT id, default_role FROM tenants WHERE default_role IS NOT NULL "
        "AND default_role <> ''")).all())
    now = dt.datetime.now(dt.UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as UTCDateTime stores it there
    roles = sa.table("roles", sa.column("tenant_id"), sa.column("name"),
                     sa.column("description"), sa.column("permissions", sa.JSON),
                     sa.column("created_at"), sa.column("created_by"),
                     sa.column("updated_at"), sa.column("updated_by"))
    for tenant_id, name in sorted(names):
        bind.execute(roles.insert().values(
            tenant_id=tenant_id, name=name, description="", permissions=[], created_at=now,
            created_by="migration", updated_at=now, updated_by="migration"))
    bind.execute(sa.text(
        "INSERT INTO user_roles (user_id, role_id) SELECT users.id, roles.id FROM users "
        "JOIN roles ON roles.tenant_id = users.tenant_id AND roles.name = users.role"))


def downgrade() -> None:
    op.add_column("users", sa.Column("role", sa.String(100), nullable=True))
    # One role back in the plain column (the first by name): it held only one.
    op.execute("UPDATE users SET role = (SELECT MIN(roles.name) FROM user_roles JOIN roles "
               "ON roles.id = user_roles.role_id WHERE user_roles.user_id = users.id)")
    op.execute("ALTER TABLE clients DROP COLUMN claim_mapping")
    op.drop_table("user_attributes")
    for table in ("user_group_roles", "user_group_members", "user_roles"):
        op.drop_table(table)
    op.drop_table("user_groups")
    op.drop_table("roles")
