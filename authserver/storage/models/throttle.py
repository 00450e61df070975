"""Throttle buckets: failed attempts per key."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime


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
