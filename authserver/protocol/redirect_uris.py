"""Redirect URI matching (RFC 9700 §4.1.3, RFC 8252 §7.3).

Registered URIs are compared with the requested one character for character. The one
exception is native apps on loopback: the port is chosen by the operating system at run
time, so for ``http://127.0.0.1``, ``http://[::1]`` and ``http://localhost`` redirect
URIs the port may differ and nothing else may. Only native apps get this: for a web
client a loopback URI is a fixed development server, and any other port on the same
machine may belong to someone else (RFC 9700 §2.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_LOOPBACK = re.compile(
    r"^http://(?P<host>127\.0\.0\.1|\[::1\]|localhost)(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<rest>(?:/[^?#@\\]*)?(?:\?[^#]*)?)$"
)


def _without_port(uri: str) -> str | None:
    match = _LOOPBACK.fullmatch(uri)
    if match is None:
        return None
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        return None
    return f"http://{match.group('host')}{match.group('rest')}"


def redirect_uri_registered(requested: str, registered: Iterable[str],
                            any_loopback_port: bool = False) -> bool:
    registered = tuple(registered)
    if requested in registered:
        return True
    if not any_loopback_port:
        return False
    loose = _without_port(requested)
    if loose is None:
        return False
    return any(_without_port(uri) == loose for uri in registered)
