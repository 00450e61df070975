"""Sign-in factors beyond the password: TOTP, recovery codes, one-time codes sent by
email or SMS, magic links and WebAuthn credentials (passkeys).

Secrets follow the storage rule (models/__init__.py): the TOTP seed is sealed under the
tenant's data key; recovery codes, one-time codes and magic-link tokens are stored only
as SHA-256 digests; a WebAuthn credential's public key is public by nature.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime, utcnow


class TotpCredential(Base):
    """A user's authenticator app (RFC 6238); one per user, usable once confirmed."""

    __tablename__ = "totp_credentials"
    __table_args__ = (UniqueConstraint("user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The base32 seed sealed with the tenant's data key, bound to the user.
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Re-enrolment of a confirmed credential: the new seed (sealed the same way) waits
    # here, and the confirmed one keeps working, until a code from the new one is typed.
    pending_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # NULL until the person typed a code from the new seed (enrolment confirmed).
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The RFC 6238 time step of the last accepted code: a conditional UPDATE that only
    # raises it makes each code (and each concurrent submission of it) succeed once.
    last_used_step: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(Base):
    """One single-use recovery code, as a digest; a user holds a batch of ten."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OneTimeCode(Base):
    """A short code sent by email or SMS: one live code per user and purpose.

    ``attempt_digest`` binds it to the sign-in attempt (pending interaction) that asked
    for it, so a code from one attempt fails in another.
    """

    __tablename__ = "one_time_codes"
    __table_args__ = (UniqueConstraint("user_id", "purpose"), Index(None, "expires_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    destination: Mapped[str] = mapped_column(String(320))
    attempt_digest: Mapped[str] = mapped_column(String(64))
    code_digest: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    consumed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class MagicLink(Base):
    """An emailed sign-in link: single use, and completed only in the browser that asked
    (``browser_digest`` is the digest of that browser's flow-cookie handle)."""

    __tablename__ = "magic_links"
    __table_args__ = (Index(None, "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    interaction_uid: Mapped[str] = mapped_column(String(64))
    browser_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WebAuthnCredential(Base):
    """A registered passkey or security key (WebAuthn Level 2 §6.1 credential record)."""

    __tablename__ = "webauthn_credentials"
    __table_args__ = (UniqueConstraint("tenant_id", "credential_id"), Index(None, "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE_Key
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(100))
    transports: Mapped[str] = mapped_column(String(200), default="")
    aaguid: Mapped[str] = mapped_column(String(36), default="")
    # Backup eligible = a synced passkey (amr "swk"); otherwise device-bound ("hwk").
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
