"""SQLAlchemy 2 typed models: the schema of record (migrations/ must agree with it).

Every tenant-owned table carries ``tenant_id`` and its natural keys are unique per
tenant, so two tenants can hold a client or user with the same identifier without
ever seeing each other's rows. Secrets appear only as digests or ciphertexts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite would otherwise return naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # The tenant's data key, AES-GCM-wrapped by the master key (envelope encryption).
    wrapped_data_key: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(32))
    # Per-tenant refresh token limits; NULL means the global setting.
    refresh_token_idle_ttl: Mapped[int | None] = mapped_column(Integer)
    refresh_token_absolute_ttl: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SigningKey(Base):
    """A key pair; its lifecycle is driven by timestamps so every instance agrees on it.

    published (JWKS only) → active (signs) at ``activates_at`` → retired at
    ``retires_at`` (JWKS only) → gone from JWKS at ``expires_at``. ``revoked_at`` removes
    it at once (key compromise).
    """

    __tablename__ = "signing_keys"
    __table_args__ = (Index(None, "tenant_id", "alg"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    # PKCS#8 DER private key sealed with the tenant's data key, bound to the kid.
    private_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    activates_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    retires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("tenant_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 of a generated high-entropy secret; NULL for public / private_key_jwt clients.
    secret_digest: Mapped[str | None] = mapped_column(String(64))
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32))
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    allowed_scopes: Mapped[list[str]] = mapped_column(JSON)
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)
    # Refresh token limits for this client; NULL means the tenant's or global setting.
    refresh_token_idle_ttl: Mapped[int | None] = mapped_column(Integer)
    refresh_token_absolute_ttl: Mapped[int | None] = mapped_column(Integer)
    require_pkce: Mapped[bool] = mapped_column(Boolean, default=True)
    require_state: Mapped[bool] = mapped_column(Boolean, default=True)
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(16), default="RS256")
    access_token_signed_response_alg: Mapped[str] = mapped_column(
        String(16), default="ES256", server_default="ES256")
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    jwks_uri: Mapped[str | None] = mapped_column(Text)
    # Browser origins allowed to call the token, revocation and userinfo endpoints (CORS).
    web_origins: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # "web" or "native" (OIDC Registration §2): only native apps may vary a loopback
    # redirect URI's port (RFC 8252 §7.3, RFC 9700 §2.1).
    application_type: Mapped[str] = mapped_column(String(16), default="web",
                                                  server_default="web")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sub"),
        UniqueConstraint("tenant_id", "email"),
        UniqueConstraint("tenant_id", "username"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # Opaque, random and stable: never the email, which can change.
    sub: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    username: Mapped[str | None] = mapped_column(String(150))
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """An append-only record of who did what; written in the same transaction as the act."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "tenant_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LoginSession(Base):
    """A signed-in browser. The cookie holds a random token; only its digest is stored."""

    __tablename__ = "login_sessions"
    __table_args__ = (UniqueConstraint("tenant_id", "sid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # Public session id for the ``sid`` claim and logout; not a credential.
    sid: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    amr: Mapped[list[str]] = mapped_column(JSON)
    acr: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Consent(Base):
    """Scopes a user has granted a client; remembered until revoked."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuthorizationCode(Base):
    """A single-use code; looked up by digest, bound to client, redirect URI, PKCE, nonce."""

    __tablename__ = "authorization_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sid: Mapped[str | None] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(String(512))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    resources: Mapped[list[str]] = mapped_column(JSON)
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acr: Mapped[str] = mapped_column(String(100))
    amr: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The grant its redemption created, so a replay can revoke what it issued.
    grant_id: Mapped[str | None] = mapped_column(String(64))


class Grant(Base):
    """What one authorization produced: the family of refresh and access tokens."""

    __tablename__ = "grants"
    __table_args__ = (Index(None, "tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    grant_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sid: Mapped[str | None] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    resources: Mapped[list[str]] = mapped_column(JSON)
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acr: Mapped[str] = mapped_column(String(100))
    amr: Mapped[list[str]] = mapped_column(JSON)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    absolute_expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class RefreshToken(Base):
    """One link of a rotation chain; ``used_at`` set on rotation makes reuse detectable."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    grant_id: Mapped[str] = mapped_column(
        ForeignKey("grants.grant_id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class IssuedAccessToken(Base):
    """jti → grant for user access tokens, so revoking a grant deactivates its JWTs."""

    __tablename__ = "issued_access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    grant_id: Mapped[str] = mapped_column(
        ForeignKey("grants.grant_id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class RevokedToken(Base):
    """Access tokens revoked by jti (RFC 7009), kept until they would have expired."""

    __tablename__ = "revoked_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class UsedAssertion(Base):
    """``jti`` of private_key_jwt client assertions already seen (RFC 7523 §3 replay)."""

    __tablename__ = "used_client_assertions"
    __table_args__ = (UniqueConstraint("tenant_id", "client_id", "jti"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class ThrottleBucket(Base):
    """Failed attempts against one key (an identifier, an address, a client) in a window.

    Only failures write here; a blocked key is also remembered in-process, so the token
    endpoint's success path never touches this table.
    """

    __tablename__ = "throttle_buckets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of "tenant:scope:key": identifiers and addresses are not stored in clear.
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)


from authserver.storage.models.interactions import PendingInteraction  # noqa: E402, F401
