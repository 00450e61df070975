"""User accounts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sub"),
        UniqueConstraint("tenant_id", "email"),
        UniqueConstraint("tenant_id", "username"),
        UniqueConstraint("tenant_id", "phone"),
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
    # E.164 (+15551234567); verified once a code sent to it came back.
    phone: Mapped[str | None] = mapped_column(String(16))
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by an operator (or an expired password): change it at the next sign-in, before
    # any code is issued.
    password_change_required: Mapped[bool] = mapped_column(Boolean, default=False,
                                                           server_default=false())
    # Signed up by themselves: no token until the emailed verification link was followed.
    verification_required: Mapped[bool] = mapped_column(Boolean, default=False,
                                                        server_default=false())
    # Per-user "single active session": NULL follows the tenant's setting.
    single_session: Mapped[bool | None] = mapped_column(Boolean)
    # BCP 47 tag of the language the person last used, for mail sent without a request.
    locale: Mapped[str | None] = mapped_column(String(35))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
