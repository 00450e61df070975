"""Dynamic client registration (RFC 7591, RFC 7592): initial access tokens, the
registration of each dynamically registered client, and the software statement issuers
a tenant trusts. Tokens appear only as SHA-256 digests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime, utcnow


class InitialAccessToken(Base):
    """RFC 7591 §3: a Bearer token an operator hands a developer so that they may
    register clients; expiring and, when ``max_uses`` is set, good for that many."""

    __tablename__ = "initial_access_tokens"
    __table_args__ = (UniqueConstraint("tenant_id", "token_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # Public: printed by `dcr token list`, and the audit actor `dcr:<token_id>`.
    token_id: Mapped[str] = mapped_column(String(32))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClientRegistration(Base):
    """What RFC 7591 registered beyond the client row: the registration access token's
    digest (RFC 7592 §1), who registered it, and the metadata the client row does not hold
    (client_uri, logo_uri, contacts, software_id …). Deleted with its client."""

    __tablename__ = "client_registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           unique=True)
    access_token_digest: Mapped[str] = mapped_column(String(64))
    # dcr:<initial access token id> or dcr:open.
    registered_by: Mapped[str] = mapped_column(String(200))
    extra_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SoftwareStatementIssuer(Base):
    """RFC 7591 §2.3: an issuer whose signed software statements this tenant accepts,
    with the JWKS its statements are verified against."""

    __tablename__ = "software_statement_issuers"
    __table_args__ = (UniqueConstraint("tenant_id", "issuer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(Text)
    jwks: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
