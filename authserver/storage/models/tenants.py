"""Tenants: the owner of every other row."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, Text, false
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
    # Self sign-up (services/account_policy.py): off by default; when on, only emails in
    # these domains may sign up (an empty list: any domain). New users get default_role.
    signup_enabled: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())
    signup_domains: Mapped[list[str]] = mapped_column(JSON, default=list,
                                                      server_default="[]")
    default_role: Mapped[str | None] = mapped_column(String(100))
    # Password policy: lengths in characters (never truncated), the zxcvbn score a new
    # password must reach, how many earlier passwords (and for how long, seconds) cannot
    # be reused, and how long a password stays valid (NULL: forever).
    password_min_length: Mapped[int] = mapped_column(Integer, default=12, server_default="12")
    password_max_length: Mapped[int] = mapped_column(Integer, default=128,
                                                     server_default="128")
    password_min_score: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    password_history: Mapped[int] = mapped_column(Integer, default=0, server_default=false())
    password_history_period: Mapped[int | None] = mapped_column(Integer)
    password_max_age: Mapped[int | None] = mapped_column(Integer)
    # A new sign-in ends the user's other sessions (users.single_session overrides).
    single_session: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Branding of the hosted pages: a logo by URL or uploaded (bytes and media type) and
    # the primary colour as #rrggbb.
    brand_logo_url: Mapped[str | None] = mapped_column(Text)
    brand_logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    brand_logo_type: Mapped[str | None] = mapped_column(String(32))
    brand_color: Mapped[str | None] = mapped_column(String(7))
    # Dynamic client registration (docs/dynamic-registration.md): off, initial-access-token
    # or open; and whether a trusted software statement is required.
    registration_mode: Mapped[str] = mapped_column(String(32), default="off",
                                                   server_default="off")
    registration_requires_statement: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
