"""URI forms for registration: the canonical spelling of a URI, and hosts that are internal.

Redirect URIs are compared byte for byte (RFC 9700 §4.1.3), while clients build the
``redirect_uri`` they send with URL libraries that normalise it (WHATWG URL, RFC 3986
§6.2.2): lower-case scheme and host, no default port, ``/`` for an empty path, dot
segments removed, unreserved characters not percent-encoded. A URI registered in any
other spelling could never match what a client sends, so registration refuses it and
names the canonical form instead of silently storing something else.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import string
from urllib.parse import SplitResult

DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# RFC 3986 §2.2 reserved characters, plus unreserved and '%': everything else in a URI
# must be percent-encoded.
_ALLOWED = _UNRESERVED | frozenset(":/?#[]@!$&'()*+,;=%")
_PERCENT = re.compile(r"%(?P<hex>[0-9A-Fa-f]{2})")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


class NotAUri(ValueError):
    """The text cannot be read as a URI; ``str()`` says why, for the operator."""


def port_of(parts: SplitResult) -> int | None:
    """The explicit port, or None; raises NotAUri for 0, > 65535 or non-numeric."""
    try:
        port = parts.port
    except ValueError:
        raise NotAUri("has an invalid port (use 1-65535)") from None
    if port == 0:
        raise NotAUri("has an invalid port (use 1-65535)")
    return port


def _normalise_component(text: str) -> str:
    """RFC 3986 §6.2.2.1-2: decode percent-encoded unreserved characters, upper-case the
    hex digits of the rest, and percent-encode characters a URI may not contain."""
    if _BAD_PERCENT.search(text):
        raise NotAUri("has a '%' that is not followed by two hex digits")

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match["hex"], 16))
        return char if char in _UNRESERVED else "%" + match["hex"].upper()

    decoded = _PERCENT.sub(fix, text)
    return "".join(c if c in _ALLOWED else f"%{ord(c):02X}" for c in decoded)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4."""
    out: list[str] = []
    rest = path
    while rest:
        if rest.startswith("../"):
            rest = rest[3:]
        elif rest.startswith("./"):
            rest = rest[2:]
        elif rest.startswith("/./") or rest == "/.":
            rest = "/" + rest[3:]
        elif rest.startswith("/../") or rest == "/..":
            rest = "/" + rest[4:]
            if out:
                out.pop()
        elif rest in (".", ".."):
            rest = ""
        else:
            segment = re.match(r"/?[^/]*", rest)
            assert segment is not None  # the pattern matches any string
            out.append(segment.group())
            rest = rest[segment.end():]
    return "".join(out)


def canonical_uri(uri: str, parts: SplitResult) -> str:
    """``uri`` spelt as URL libraries normalise it. The caller has already refused
    fragments, user information and non-ASCII text."""
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        # Private-use schemes (RFC 8252 §7.1): only the scheme is case-insensitive.
        return scheme + ":" + _normalise_component(uri[len(parts.scheme) + 1:])
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal, in its RFC 5952 text form
        try:
            host = f"[{ipaddress.IPv6Address(host)}]"
        except ValueError:
            raise NotAUri("has an invalid IPv6 address") from None
    port = port_of(parts)
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = remove_dot_segments(_normalise_component(parts.path)) or "/"
    query = "?" + _normalise_component(parts.query) if "?" in uri else ""
    return f"{scheme}://{netloc}{path}{query}"


def internal_host(host: str) -> str | None:
    """Why ``host`` names this machine or a private network, or None for a public name.

    Registration-time only and literal only: a DNS name that resolves to an internal
    address is caught when the URL is fetched. IPv4 is parsed as the resolver would
    (``127.1``, ``2130706433`` and ``0x7f.0.0.1`` are all 127.0.0.1).
    """
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return "is this machine (localhost)"
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        if not re.fullmatch(r"[0-9a-fx.]+", name):
            return None
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    if address.is_loopback:
        return "is a loopback address"
    if not address.is_global or address.is_multicast:
        return "is a private, link-local, multicast or reserved address"
    return None
