"""accounts and sessions: sign-up, password policy and history, account links, single
session, session details, back-channel logout, explicit errors, branding, the outbox

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

UTC_DATETIME = sa.DateTime(timezone=True)

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signup_enabled", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("signup_domains", sa.JSON(), nullable=False,
                                      server_default="[]"))
        batch_op.add_column(sa.Column("default_role", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("password_min_length", sa.Integer(), nullable=False,
                                      server_default="12"))
        batch_op.add_column(sa.Column("password_max_length", sa.Integer(), nullable=False,
                                      server_default="128"))
        batch_op.add_column(sa.Column("password_min_score", sa.Integer(), nullable=False,
                                      server_default="2"))
        batch_op.add_column(sa.Column("password_history", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("password_history_period", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("password_max_age", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("single_session", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("brand_logo_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("brand_logo", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("brand_logo_type", sa.String(32), nullable=True))
        batch_op.add_column(sa.Column("brand_color", sa.String(7), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_change_required", sa.Boolean(),
                                      nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("verification_required", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("role", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("single_session", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(35), nullable=True))
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backchannel_logout_uri", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("backchannel_logout_session_required", sa.Boolean(),
                                      nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("explicit_errors", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_reason", sa.String(32), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(512), nullable=True))
        batch_op.add_column(sa.Column("ip", sa.String(64), nullable=True))
        batch_op.create_index("ix_login_sessions_open", ["tenant_id", "ended_at"])

    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("interaction_uid", sa.String(64), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_account_tokens_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_account_tokens_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_account_tokens_token_digest")),
    )
    op.create_index("ix_account_tokens_user_purpose", "account_tokens",
                    ["tenant_id", "user_id", "purpose"])

    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("set_at", UTC_DATETIME, nullable=False),
        sa.Column("replaced_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_password_history_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_password_history_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_history")),
    )
    op.create_index(op.f("ix_password_history_user_id"), "password_history", ["user_id"])

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("locked_until", UTC_DATETIME, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("delivered_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_outbox_messages_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages",
                    ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_index(op.f("ix_password_history_user_id"), table_name="password_history")
    op.drop_table("password_history")
    op.drop_index("ix_account_tokens_user_purpose", table_name="account_tokens")
    op.drop_table("account_tokens")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_login_sessions_open")
        batch_op.drop_column("ip")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("ended_reason")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("explicit_errors")
        batch_op.drop_column("backchannel_logout_session_required")
        batch_op.drop_column("backchannel_logout_uri")
    with op.batch_alter_table("users", schema=None) as batch_op:
        for column in ("locale", "single_session", "role", "verification_required",
                       "password_change_required"):
            batch_op.drop_column(column)
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        for column in ("brand_color", "brand_logo_type", "brand_logo", "brand_logo_url",
                       "single_session", "password_max_age", "password_history_period",
                       "password_history", "password_min_score", "password_max_length",
                       "password_min_length", "default_role", "signup_domains",
                       "signup_enabled"):
            batch_op.drop_column(column)
