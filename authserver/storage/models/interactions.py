"""Pending authorization requests, kept server-side while the person signs in.

A row is found by its interaction id (in the page URLs) together with the digest of a
random handle held in the browser's flow cookie, so only the browser that began a
request can continue it. ``finished_at`` makes a row single-use; rows leave at
``expires_at``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime


class PendingInteraction(Base):
    __tablename__ = "pending_interactions"
    __table_args__ = (Index(None, "browser_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # A random identifier of at least 128 bits; public (it is in URLs), not a credential.
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the browser's binding handle; the handle itself is never stored.
    browser_digest: Mapped[str] = mapped_column(String(64))
    authorization_request: Mapped[dict[str, Any]] = mapped_column(JSON)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
