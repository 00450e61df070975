"""RFC 7662 token introspection for opaque (non-JWT) access tokens."""

from __future__ import annotations

import base64
import hashlib
import math
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from . import _forksafe
from ._http import FetchError, check_url, request_json
from .errors import InvalidToken, VerificationUnavailable

__all__ = ["Introspector"]


class Introspector:
    """Ask the authorization server whether an opaque token is active, with a small cache.

    Authenticates with ``client_secret_basic`` (RFC 6749 §2.3.1: id and
    secret are form-urlencoded before base64). Active answers are cached for
    ``cache_ttl`` seconds but never past the token's ``exp``; inactive answers
    for ``negative_ttl`` seconds (0 disables), short so that a token that was
    merely not yet replicated is retried soon. The cache is keyed by the
    SHA-256 of the token so raw tokens are never kept in memory longer than the
    request.

    Example::

        intro = Introspector("https://auth.example.com/t/default/introspect",
                             "stores-api", "s3cret")
        response = intro.introspect(b"opaque-token")   # the RFC 7662 JSON dict
    """

    def __init__(
        self,
        endpoint: str,
        client_id: str,
        client_secret: str,
        *,
        cache_ttl: float = 30.0,
        negative_ttl: float = 5.0,
        max_entries: int = 10_000,
        timeout: float = 5.0,
        allow_http: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint = check_url(endpoint, allow_http=allow_http)
        credentials = (
            urllib.parse.quote(client_id, safe="")
            + ":"
            + urllib.parse.quote(client_secret, safe="")
        )
        self._auth = "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
        self.cache_ttl = cache_ttl
        self.negative_ttl = negative_ttl
        self.max_entries = max_entries
        self.timeout = timeout
        self._clock = clock
        #: Number of HTTP calls made to the endpoint.
        self.request_count = 0
        # sha256(token) -> (expires_at, response or None for inactive)
        self._cache: dict[bytes, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()
        _forksafe.register(self)

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()

    def introspect(self, token: bytes) -> dict[str, Any]:
        """Return the introspection response for an active token.

        Raises :class:`InvalidToken` if the server says ``active: false`` and
        :class:`VerificationUnavailable` if the endpoint cannot be used.

        Example::

            data = intro.introspect(b"2YotnFZFEjr1zCsicMWpAA")
            data["scope"]
        """
        key = hashlib.sha256(token).digest()
        now = self._clock()
        hit = self._cache.get(key)
        if hit is not None and now < hit[0]:
            if hit[1] is None:
                raise InvalidToken("token is not active")
            return hit[1]
        data = self._call(token)
        active = data.get("active") is True
        now = self._clock()
        if active:
            ttl = self.cache_ttl
            exp = data.get("exp")
            if type(exp) in (int, float) and math.isfinite(exp):
                ttl = min(ttl, exp - now)
            self._store(key, now + ttl, data, now)
            return data
        self._store(key, now + self.negative_ttl, None, now)
        raise InvalidToken("token is not active")

    def _store(self, key: bytes, expires: float, value: dict[str, Any] | None, now: float) -> None:
        if expires <= now:
            return
        with self._lock:
            if len(self._cache) >= self.max_entries:
                # Drop expired entries first; if still full, forget everything
                # rather than grow without bound under a flood of tokens.
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                if len(self._cache) >= self.max_entries:
                    self._cache = {}
            self._cache[key] = (expires, value)

    def _call(self, token: bytes) -> dict[str, Any]:
        body = urllib.parse.urlencode(
            {"token": token.decode("ascii"), "token_type_hint": "access_token"}
        ).encode("ascii")
        self.request_count += 1
        try:
            resp = request_json(
                self.endpoint,
                timeout=self.timeout,
                data=body,
                headers={
                    "Authorization": self._auth,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        except FetchError as exc:
            raise VerificationUnavailable("token introspection failed") from exc
        if resp.status != 200 or not isinstance(resp.data, dict):
            # 401 here means *our* credentials are wrong, not the caller's token.
            raise VerificationUnavailable(f"token introspection failed (HTTP {resp.status})")
        return resp.data
