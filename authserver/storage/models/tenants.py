"""Tenants: the owner of every other row."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime, utcnow


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
    # Per-tenant sign-in session limits; NULL means the SESSION_* settings.
    session_idle_ttl: Mapped[int | None] = mapped_column(Integer)
    session_absolute_ttl: Mapped[int | None] = mapped_column(Integer)
    # Sign-in policy (protocol/policies.py): second factor off | optional | required, the
    # second-factor methods offered (comma-separated), and the passwordless switches.
    mfa_mode: Mapped[str] = mapped_column(String(16), default="off")
    mfa_methods: Mapped[str] = mapped_column(String(100), default="totp,sms,email,webauthn")
    magic_links: Mapped[bool] = mapped_column(Boolean, default=False)
    phone_sign_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
