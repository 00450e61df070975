"""Refresh token limits: a client's own, else its tenant's, else the global settings.

One rule for tenants and clients alike: an idle limit longer than the absolute limit
that applies can never take effect (RFC 9700 §4.14.2 bounds a refresh token by both),
so it is refused where it is set rather than silently capped, naming where the
absolute limit comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from authserver.services.errors import InvalidInput

# Ten years: long enough for any policy, short enough for a 32-bit INTEGER column and
# for datetime arithmetic (a larger value would fail on PostgreSQL or overflow).
MAX_TTL = 10 * 365 * 86400


@dataclass(frozen=True, slots=True)
class RefreshLimits:
    """Seconds; None where this level sets nothing (its parent's applies)."""

    idle: int | None = None
    absolute: int | None = None


@dataclass(frozen=True, slots=True)
class InheritedAbsolute:
    """The absolute limit a level inherits when it sets none, and where it comes from."""

    seconds: int | None
    source: str


def describe(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def inherited_absolute(tenant: RefreshLimits | None, global_limits: RefreshLimits | None,
                       ) -> InheritedAbsolute:
    """What a client without its own absolute limit gets: the tenant's, else global."""
    if tenant is not None and tenant.absolute is not None:
        return InheritedAbsolute(tenant.absolute, "the tenant's refresh_token_absolute_ttl")
    return global_absolute(global_limits)


def global_absolute(global_limits: RefreshLimits | None) -> InheritedAbsolute:
    value = global_limits.absolute if global_limits is not None else None
    return InheritedAbsolute(value, "AUTHSERVER_REFRESH_TOKEN_ABSOLUTE_TTL")


def check_refresh_limits(own: RefreshLimits, inherited: InheritedAbsolute) -> None:
    for name, value in (("refresh_token_idle_ttl", own.idle),
                        ("refresh_token_absolute_ttl", own.absolute)):
        if value is not None and not 0 < value <= MAX_TTL:
            raise InvalidInput(name, f"must be between 1 second and {describe(MAX_TTL)}")
    if own.idle is None:
        return
    if own.absolute is not None:
        if own.idle > own.absolute:
            raise InvalidInput("refresh_token_idle_ttl", "must not exceed the absolute limit")
    elif inherited.seconds is not None and own.idle > inherited.seconds:
        raise InvalidInput(
            "refresh_token_idle_ttl",
            f"{describe(own.idle)} must not exceed the absolute limit, which is "
            f"{describe(inherited.seconds)} ({inherited.source}); lower it or set "
            "refresh_token_absolute_ttl too")
