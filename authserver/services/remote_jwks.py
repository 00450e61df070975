"""Fetching a client's JWK Set from its registered ``jwks_uri`` (private_key_jwt).

The URI is registered by an operator (https only), fetched with a short timeout and a
size cap, and cached with the client record, so a slow or hostile endpoint costs one
bounded fetch per cache period, never one per token request.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

log = logging.getLogger(__name__)
MAX_BYTES = 64 * 1024
TIMEOUT = 3.0


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead from https to http or to an internal address: refuse them all.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def fetch_jwks(uri: str) -> dict[str, Any] | None:
    if not uri.startswith("https://"):
        return None
    request = urllib.request.Request(uri, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            body = response.read(MAX_BYTES + 1)
    except OSError as exc:
        log.warning("cannot fetch client JWKS from %s: %s", uri, type(exc).__name__)
        return None
    if len(body) > MAX_BYTES:
        log.warning("client JWKS at %s is larger than %d bytes", uri, MAX_BYTES)
        return None
    try:
        data = json.loads(body)
    except ValueError:
        log.warning("client JWKS at %s is not JSON", uri)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        return None
    return data
