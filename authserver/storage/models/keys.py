"""Signing keys, sealed at rest under the tenant's data key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime, utcnow


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
