"""NumericDate (RFC 7519 §2): "the number of seconds from 1970-01-01T00:00:00Z UTC until
the specified UTC date/time, ignoring leap seconds", integer or not.

``exp``, ``iat`` and ``nbf`` come from tokens other parties sign, so they can be any JSON
value: a string, ``true``, a float, a number of 400 digits. ``datetime.fromtimestamp``
raises ``OverflowError``, ``ValueError`` or ``OSError`` for many of those, so every claim
we read as a date goes through :func:`to_datetime`, which answers ``None`` instead.
"""

from __future__ import annotations

import datetime as dt
import math

# 9999-12-31T23:59:59Z, the last second datetime can hold; nothing real lies beyond it.
LATEST = 253402300799


def to_datetime(value: object) -> dt.datetime | None:
    """The UTC datetime a NumericDate names, or None if ``value`` is not one we accept:
    not a JSON number (``bool`` is not one), not finite, before 1970, or after 9999."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not 0 <= value <= LATEST:
        return None
    return dt.datetime.fromtimestamp(value, dt.UTC)
