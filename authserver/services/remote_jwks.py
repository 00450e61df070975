"""Fetching a client's JWK Set from its registered ``jwks_uri`` (private_key_jwt).

The URI is registered by an operator (https only), fetched with a short timeout and a
size cap, and cached with the client record, so a slow or hostile endpoint costs one
bounded fetch per cache period, never one per token request.

Server-side request forgery (RFC 9700 §4.16, OWASP SSRF): the host is resolved once, every
address it resolves to must be public (:func:`address_allowed`), and the connection goes
to exactly that address, with the name kept for SNI, certificate checks and ``Host``. So a
name that changes its answer between a check and the connect (DNS rebinding) cannot reach
loopback, a private network or a cloud metadata endpoint. No redirects, no proxies (a
proxy would connect on our behalf to an address we cannot check).
``JWKS_URI_ALLOW_PRIVATE`` (development and tests only) lifts the address rule, nothing else.

The network is one injected callable, a :data:`Transport` (httpx's transport seam):
every rule above except the pinned connection itself is decided outside it, so a fake
transport exercises them without a socket.
"""

from __future__ import annotations

import enum
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)
MAX_BYTES = 64 * 1024
TIMEOUT = 3.0
# The whole fetch, however slowly the body trickles in (TIMEOUT bounds each socket call).
DEADLINE = 2 * TIMEOUT

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Refusal(enum.StrEnum):
    NOT_HTTPS = "not_https"
    UNRESOLVABLE = "unresolvable"
    ADDRESS_NOT_ALLOWED = "address_not_allowed"
    UNREACHABLE = "unreachable"
    NOT_OK = "not_ok"  # any status but 200, redirects included
    TOO_LARGE = "too_large"
    NOT_A_KEY_SET = "not_a_key_set"


class JwksFetchError(Exception):
    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason


def _tunnelled_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4, Teredo or NAT64 address leads to."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_allowed(address: IPAddress) -> bool:
    """Whether a jwks_uri may be fetched from ``address``: public unicast only."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            # ::ffff:a.b.c.d is the IPv4 address itself, whatever ::/8 says.
            return address_allowed(address.ipv4_mapped)
        tunnelled = _tunnelled_ipv4(address)
        if tunnelled is not None and not address_allowed(tunnelled):
            return False
        if address.is_site_local:  # deprecated fec0::/10, still not public
            return False
    # is_global alone lets multicast through, so every range is named.
    return address.is_global and not (
        address.is_loopback or address.is_private or address.is_link_local
        or address.is_multicast or address.is_reserved or address.is_unspecified)


def resolve_host(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``address``, while SNI, the certificate check and Host use the name."""

    def __init__(self, host: str, port: int, address: str, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=TIMEOUT, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), TIMEOUT)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _addresses(host: str, port: int, allow_private: bool, resolve: Resolver) -> list[str]:
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise JwksFetchError(Refusal.UNRESOLVABLE, type(exc).__name__) from None
    if not found:
        raise JwksFetchError(Refusal.UNRESOLVABLE)
    if not allow_private:
        # All of them, not just the first: the one that answers must not be the bad one.
        refused = [a for a in found if not address_allowed(ipaddress.ip_address(a))]
        if refused:
            raise JwksFetchError(Refusal.ADDRESS_NOT_ALLOWED, ", ".join(refused))
    return found


@dataclass(frozen=True, slots=True)
class JwksRequest:
    """One GET of ``target``, connected to ``address``; ``host`` is the name, for SNI,
    the certificate check and ``Host``."""

    host: str
    port: int
    target: str
    address: str


@dataclass(frozen=True, slots=True)
class JwksResponse:
    status: int
    body: bytes  # at most MAX_BYTES + 1: a transport stops reading there


# The one I/O seam (httpx's transport): tests inject a fake instead of patching. A
# transport raises OSError, or JwksFetchError(UNREACHABLE), when it gets no answer.
Transport = Callable[[JwksRequest], JwksResponse]


def https_transport(request: JwksRequest) -> JwksResponse:
    """The real transport: HTTPS pinned to the checked address, no redirects, no proxy,
    a bounded read within DEADLINE."""
    connection = _PinnedHTTPSConnection(request.host, request.port, request.address,
                                        ssl.create_default_context())
    deadline = time.monotonic() + DEADLINE
    try:
        connection.request("GET", request.target, headers={"Accept": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            return JwksResponse(response.status, b"")  # refused unread
        body = b""
        while len(body) <= MAX_BYTES and time.monotonic() < deadline:
            chunk = response.read1(MAX_BYTES + 1 - len(body))
            if not chunk:
                return JwksResponse(200, body)
            body += chunk
        if len(body) > MAX_BYTES:
            return JwksResponse(200, body)
        raise JwksFetchError(Refusal.UNREACHABLE, f"no complete answer in {DEADLINE:g} s")
    except (OSError, http.client.HTTPException) as exc:
        raise JwksFetchError(Refusal.UNREACHABLE, type(exc).__name__) from None
    finally:
        connection.close()


def _get(request: JwksRequest, transport: Transport) -> bytes:
    try:
        response = transport(request)
    except OSError as exc:
        raise JwksFetchError(Refusal.UNREACHABLE, type(exc).__name__) from None
    if response.status != 200:
        # Redirects too: one could lead to http or to an internal address.
        raise JwksFetchError(Refusal.NOT_OK, str(response.status))
    if len(response.body) > MAX_BYTES:
        raise JwksFetchError(Refusal.TOO_LARGE, f"over {MAX_BYTES} bytes")
    return response.body


def download_jwks(uri: str, *, allow_private: bool = False, resolve: Resolver = resolve_host,
                  transport: Transport = https_transport) -> dict[str, Any]:
    """The key set at ``uri``, or :class:`JwksFetchError` saying why not."""
    parts = urlsplit(uri)
    if parts.scheme != "https" or not parts.hostname:
        raise JwksFetchError(Refusal.NOT_HTTPS)
    try:
        port = parts.port or 443
    except ValueError:
        raise JwksFetchError(Refusal.UNRESOLVABLE, "bad port") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    addresses = _addresses(parts.hostname, port, allow_private, resolve)
    body = b""
    for index, address in enumerate(addresses):
        try:
            body = _get(JwksRequest(parts.hostname, port, target, address), transport)
            break
        except JwksFetchError as exc:
            if exc.reason != Refusal.UNREACHABLE or index == len(addresses) - 1:
                raise
    try:
        data = json.loads(body)
    except ValueError:
        raise JwksFetchError(Refusal.NOT_A_KEY_SET, "not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise JwksFetchError(Refusal.NOT_A_KEY_SET)
    return data


def fetch_jwks(uri: str, *, allow_private: bool = False,
               transport: Transport = https_transport) -> dict[str, Any] | None:
    """The key set, or None (logged) when it cannot be had: the client then fails
    authentication, as with no registered key."""
    try:
        return download_jwks(uri, allow_private=allow_private, transport=transport)
    except JwksFetchError as exc:
        log.warning("cannot fetch client JWKS from %s: %s", uri, exc)
        return None
