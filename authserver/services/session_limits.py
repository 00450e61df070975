"""How long a sign-in session lasts: idle and absolute limits, per tenant or from the
SESSION_IDLE_TTL / SESSION_ABSOLUTE_TTL settings (OWASP ASVS 5.0 V7.3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from authserver.services.errors import InvalidInput
from authserver.services.refresh_limits import describe
from authserver.storage.models import Tenant


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """Seconds; a session ends ``idle`` after it was last seen, ``absolute`` after it
    started, whichever comes first."""

    idle: int
    absolute: int

    @property
    def idle_delta(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.idle)

    @property
    def absolute_delta(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.absolute)

    def for_tenant(self, idle: int | None, absolute: int | None) -> SessionLimits:
        """These (global) limits with a tenant's own where it has them."""
        return SessionLimits(idle or self.idle, absolute or self.absolute)


@dataclass(frozen=True, slots=True)
class SessionLimitsChange:
    idle: int | None = None
    absolute: int | None = None

    def is_empty(self) -> bool:
        return self.idle is None and self.absolute is None


def apply_change(row: Tenant, change: SessionLimitsChange,
                 global_limits: SessionLimits | None) -> None:
    """Set a tenant's limits; its own idle limit must not exceed the absolute limit that
    applies (its own, else the setting's). A global idle limit above a tenant's shorter
    absolute one is harmless: whichever comes first ends the session."""
    if change.idle is not None:
        row.session_idle_ttl = change.idle
    if change.absolute is not None:
        row.session_absolute_ttl = change.absolute
    if global_limits is None:
        return
    applied = global_limits.for_tenant(row.session_idle_ttl, row.session_absolute_ttl)
    if row.session_idle_ttl and applied.idle > applied.absolute:
        source = ("session_absolute_ttl" if row.session_absolute_ttl
                  else "AUTHSERVER_SESSION_ABSOLUTE_TTL")
        raise InvalidInput("session_idle_ttl",
                           f"{describe(applied.idle)} must not exceed the absolute limit, "
                           f"which is {describe(applied.absolute)} ({source})")
