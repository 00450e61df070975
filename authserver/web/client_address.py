"""The address a request comes from, as throttling sees it.

Without trusted proxies (``TRUSTED_PROXIES=0``, the default) it is the connection's
``REMOTE_ADDR``: anything in ``X-Forwarded-For`` could have been written by the client.
With N trusted proxies it is the entry N hops from the right of ``X-Forwarded-For``, the
one the outermost trusted proxy appended (werkzeug ``ProxyFix(x_for=N)`` semantics); if
the header has fewer entries, the request did not pass through all the proxies and
``REMOTE_ADDR`` is used.

IPv6 addresses are reduced to their /64 network: one subscriber usually holds a whole
/64, so counting single addresses would give an attacker 2^64 fresh throttle keys.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any


def source_address(environ: Mapping[str, Any], trusted_proxies: int) -> str:
    remote = str(environ.get("REMOTE_ADDR") or "")
    if trusted_proxies > 0:
        hops = str(environ.get("HTTP_X_FORWARDED_FOR") or "").split(",")
        if len(hops) >= trusted_proxies and hops[-trusted_proxies].strip():
            forwarded = _normalized(hops[-trusted_proxies].strip())
            if forwarded is not None:
                return forwarded
    return _normalized(remote) or "unknown"


def _normalized(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
