"""Registered clients (applications)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime, utcnow


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
    # OIDC Back-Channel Logout 1.0: where logout tokens are POSTed, and whether they
    # must carry ``sid``.
    backchannel_logout_uri: Mapped[str | None] = mapped_column(Text)
    backchannel_logout_session_required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false())
    # Granted by an operator: the sign-up API tells this client the precise reason for a
    # refusal (which would otherwise say whether an account exists).
    explicit_errors: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Which of the user's roles and attributes its tokens carry (services/claim_mapping.py):
    # {"roles": ["id_token", ...], "attributes": {"department": "dept"}}; NULL: none.
    claim_mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
