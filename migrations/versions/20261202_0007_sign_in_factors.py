"""sign-in factors: TOTP, recovery codes, one-time codes, magic links, WebAuthn
credentials; users' phone numbers; tenants' sign-in policy

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def _owned(name: str, *columns: sa.Column, constraints: tuple = ()) -> None:
    """A table owned by a tenant and a user, both deleting it with them."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f(f"fk_{name}_tenant_id_tenants"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f(f"fk_{name}_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        *constraints,
    )


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mfa_mode", sa.String(length=16), nullable=False,
                                      server_default="off"))
        batch_op.add_column(sa.Column("mfa_methods", sa.String(length=100), nullable=False,
                                      server_default="totp,sms,email,webauthn"))
        batch_op.add_column(sa.Column("magic_links", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("phone_sign_in", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("phone_verified", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_unique_constraint(batch_op.f("uq_users_tenant_id_phone"),
                                          ["tenant_id", "phone"])
    _owned(
        "totp_credentials",
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("confirmed_at", UTC_DATETIME, nullable=True),
        sa.Column("last_used_step", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        constraints=(sa.UniqueConstraint("user_id", name=op.f("uq_totp_credentials_user_id")),),
    )
    _owned(
        "recovery_codes",
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        constraints=(sa.UniqueConstraint("user_id", "code_digest",
                                         name=op.f("uq_recovery_codes_user_id_code_digest")),),
    )
    _owned(
        "one_time_codes",
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("destination", sa.String(length=320), nullable=False),
        sa.Column("attempt_digest", sa.String(length=64), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("consumed_at", UTC_DATETIME, nullable=True),
        constraints=(sa.UniqueConstraint("user_id", "purpose",
                                         name=op.f("uq_one_time_codes_user_id_purpose")),),
    )
    _owned(
        "magic_links",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("interaction_uid", sa.String(length=64), nullable=False),
        sa.Column("browser_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        constraints=(sa.UniqueConstraint("token_digest",
                                         name=op.f("uq_magic_links_token_digest")),),
    )
    _owned(
        "webauthn_credentials",
        sa.Column("credential_id", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("transports", sa.String(length=200), nullable=False),
        sa.Column("aaguid", sa.String(length=36), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_used_at", UTC_DATETIME, nullable=True),
        constraints=(sa.UniqueConstraint(
            "tenant_id", "credential_id",
            name=op.f("uq_webauthn_credentials_tenant_id_credential_id")),),
    )
    op.create_index(op.f("ix_one_time_codes_expires_at"), "one_time_codes", ["expires_at"])
    op.create_index(op.f("ix_magic_links_expires_at"), "magic_links", ["expires_at"])
    op.create_index(op.f("ix_webauthn_credentials_user_id"), "webauthn_credentials",
                    ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webauthn_credentials_user_id"), table_name="webauthn_credentials")
    op.drop_index(op.f("ix_magic_links_expires_at"), table_name="magic_links")
    op.drop_index(op.f("ix_one_time_codes_expires_at"), table_name="one_time_codes")
    for table in ("webauthn_credentials", "magic_links", "one_time_codes", "recovery_codes",
                  "totp_credentials"):
        op.drop_table(table)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_tenant_id_phone"), type_="unique")
        batch_op.drop_column("phone_verified")
        batch_op.drop_column("phone")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        for column in ("phone_sign_in", "magic_links", "mfa_methods", "mfa_mode"):
            batch_op.drop_column(column)
