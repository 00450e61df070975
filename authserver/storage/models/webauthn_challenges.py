"""WebAuthn ceremony challenges, kept server-side so that each one is used at most once.

A challenge in the browser's signed session cookie could be replayed with an old copy of
that cookie; a row consumed by a conditional DELETE cannot. One live challenge per
(purpose, binding): ``binding`` is the digest of what the ceremony belongs to (the
pending interaction for a sign-in, the account session for a registration), so a newer
options request replaces the older challenge and an assertion made for one sign-in
attempt fails in another.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime


class WebAuthnChallenge(Base):
    __tablename__ = "webauthn_challenges"
    __table_args__ = (UniqueConstraint("tenant_id", "purpose", "binding_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))  # "register", "passwordless", "second"
    binding_digest: Mapped[str] = mapped_column(String(64))
    # Random, not a secret (it is sent to the browser); kept to compare with clientData.
    challenge: Mapped[bytes] = mapped_column(LargeBinary)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
