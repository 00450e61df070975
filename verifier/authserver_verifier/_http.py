"""Minimal stdlib HTTP client for discovery, JWKS and introspection."""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import __about__

__all__ = ["FetchError", "Response", "check_url", "parse_max_age", "request_json"]

MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = f"authserver-verifier/{__about__.__version__}"


class FetchError(Exception):
    """A metadata/JWKS/introspection request failed (network, status or body)."""


@dataclass(frozen=True, slots=True)
class Response:
    """A decoded JSON response and the headers we care about."""

    status: int
    data: Any
    headers: Mapping[str, str]


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_http: bool) -> str:
    """Refuse URLs that would let a network attacker substitute keys.

    Plain ``http`` is accepted only for loopback hosts (local development and
    tests) unless ``allow_http`` is set; anything other than http(s) (``file:``,
    ``ftp:``) is always refused since urllib would happily open it.

    Example::

        >>> check_url("http://127.0.0.1:8000/jwks", allow_http=False)
        'http://127.0.0.1:8000/jwks'
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and (allow_http or _is_loopback(parts.hostname)):
        return url
    raise ValueError(
        f"refusing URL {url!r}: use https (http is only allowed for loopback hosts "
        "unless allow_http=True)"
    )


def parse_max_age(headers: Mapping[str, str]) -> float | None:
    """Return the freshness lifetime from ``Cache-Control``/``Age``, or None if absent.

    ``no-store``/``no-cache`` count as zero (the caller clamps to its minimum).

    Example::

        >>> parse_max_age({"cache-control": "public, max-age=600", "age": "100"})
        500.0
        >>> parse_max_age({}) is None
        True
    """
    value = headers.get("cache-control")
    if not value:
        return None
    max_age: float | None = None
    for directive in value.split(","):
        name, _, arg = directive.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-store", "no-cache"):
            return 0.0
        if name == "max-age":
            try:
                max_age = float(int(arg.strip().strip('"')))
            except ValueError:
                continue
    if max_age is None:
        return None
    try:
        age = float(int(headers.get("age", "0")))
    except ValueError:
        age = 0.0
    return max(0.0, max_age - max(0.0, age))


def request_json(
    url: str,
    *,
    timeout: float,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """GET (or POST when ``data`` is given) ``url`` and decode its JSON body.

    Non-2xx statuses are returned, not raised, so callers can decide (e.g.
    introspection treats 401 from the endpoint as a configuration problem).
    Network failures and undecodable bodies raise :class:`FetchError`.

    Example::

        resp = request_json("https://issuer.example/jwks", timeout=5)
        resp.data["keys"]
    """
    req_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if headers:
        req_headers.update(headers)
    req = urllib.request.Request(url, data=data, headers=req_headers)  # noqa: S310 - scheme checked
    try:
        # The scheme was validated by check_url when the URL was configured or discovered.
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            status = resp.status
            body = resp.read(MAX_BODY_BYTES + 1)
            resp_headers = {k.lower(): v for k, v in resp.headers.items()}
    except urllib.error.HTTPError as exc:
        status = exc.code
        try:
            body = exc.read(MAX_BODY_BYTES + 1)
        except OSError:
            body = b""
        resp_headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        exc.close()
    except (OSError, ValueError) as exc:  # URLError, timeouts, connection refused, bad URL
        raise FetchError(f"{url}: {exc}") from exc
    if len(body) > MAX_BODY_BYTES:
        raise FetchError(f"{url}: response larger than {MAX_BODY_BYTES} bytes")
    try:
        parsed = json.loads(body) if body else None
    except ValueError as exc:
        if 200 <= status < 300:
            raise FetchError(f"{url}: response is not JSON") from exc
        parsed = None
    return Response(status=status, data=parsed, headers=resp_headers)
