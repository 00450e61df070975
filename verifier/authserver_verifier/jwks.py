"""Authorization-server metadata discovery and the JWKS cache."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import _forksafe
from ._http import FetchError, check_url, parse_max_age, request_json
from .errors import VerificationUnavailable
from .keys import KeySet, parse_jwks

__all__ = ["JWKSCache", "discover"]

log = logging.getLogger("authserver_verifier")


def _metadata_urls(issuer: str) -> list[str]:
    base = issuer.rstrip("/")
    urls = [base + "/.well-known/openid-configuration"]
    # RFC 8414 §3 inserts the well-known segment *before* the issuer's path;
    # many servers instead append it like OIDC does, so try both.
    scheme, sep, rest = base.partition("://")
    host, slash, path = rest.partition("/")
    if slash and path:
        urls.append(f"{scheme}{sep}{host}/.well-known/oauth-authorization-server/{path}")
    urls.append(base + "/.well-known/oauth-authorization-server")
    return urls


def discover(issuer: str, *, timeout: float = 5.0, allow_http: bool = False) -> dict[str, Any]:
    """Fetch the issuer's metadata (OIDC discovery, then RFC 8414) and validate it.

    The document's ``issuer`` must equal the configured one exactly (OIDC
    Discovery §4.3 / RFC 8414 §3.3): otherwise a compromised or misrouted
    metadata URL could point us at someone else's keys.

    Example::

        meta = discover("https://auth.example.com/t/default")
        meta["jwks_uri"]
    """
    check_url(issuer, allow_http=allow_http)
    errors: list[str] = []
    for url in _metadata_urls(issuer):
        try:
            resp = request_json(url, timeout=timeout)
        except FetchError as exc:
            errors.append(str(exc))
            continue
        if resp.status != 200 or not isinstance(resp.data, dict):
            errors.append(f"{url}: HTTP {resp.status}")
            continue
        meta = resp.data
        if meta.get("issuer") != issuer:
            raise FetchError(
                f"{url}: metadata issuer {meta.get('issuer')!r} does not match {issuer!r}"
            )
        jwks_uri = meta.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise FetchError(f"{url}: metadata has no jwks_uri")
        check_url(jwks_uri, allow_http=allow_http)
        return meta
    raise FetchError("metadata discovery failed: " + "; ".join(errors))


class JWKSCache:
    """Thread- and fork-safe cache of an issuer's signing keys.

    Keys are fetched on first use, kept for the response's ``Cache-Control:
    max-age`` clamped to ``[min_ttl, max_ttl]`` (``default_ttl`` when the
    header is absent), and refreshed by a background thread once
    ``refresh_ahead`` of that lifetime has passed, so verification never waits
    on the network while keys are valid. An unknown ``kid`` triggers at most
    one re-fetch per ``refetch_interval`` seconds. If a refresh fails, the old
    keys keep being served for up to ``stale_if_error`` seconds past expiry.

    Exactly one of ``jwks_uri``, ``issuer`` (discovery) or ``jwks`` (static
    dict, never fetched) is used, in that order of preference.

    ``clock`` is the monotonic time source; tests inject a fake one.

    Example::

        cache = JWKSCache("https://auth.example.com/t/default/jwks", min_ttl=60)
        keyset = cache.get_keyset()
    """

    def __init__(
        self,
        jwks_uri: str | None = None,
        *,
        issuer: str | None = None,
        jwks: Mapping[str, Any] | None = None,
        min_ttl: float = 60.0,
        max_ttl: float = 86400.0,
        default_ttl: float = 300.0,
        refresh_ahead: float = 0.8,
        refetch_interval: float = 30.0,
        error_retry_interval: float = 5.0,
        stale_if_error: float = 86400.0,
        timeout: float = 5.0,
        allow_http: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if jwks_uri is None and issuer is None and jwks is None:
            raise ValueError("JWKSCache needs jwks_uri, issuer (for discovery) or a static jwks")
        if not 0 <= min_ttl <= max_ttl:
            raise ValueError("need 0 <= min_ttl <= max_ttl")
        if not 0 < refresh_ahead <= 1:
            raise ValueError("refresh_ahead is a fraction of the TTL in (0, 1]")
        self.jwks_uri = check_url(jwks_uri, allow_http=allow_http) if jwks_uri else None
        self.issuer = issuer
        self.min_ttl = min_ttl
        self.max_ttl = max_ttl
        self.default_ttl = min(max(default_ttl, min_ttl), max_ttl)
        self.refresh_ahead = refresh_ahead
        self.refetch_interval = refetch_interval
        self.error_retry_interval = error_retry_interval
        self.stale_if_error = stale_if_error
        self.timeout = timeout
        self.allow_http = allow_http
        self._clock = clock
        #: Number of successful JWKS fetches (handy for metrics and tests).
        self.fetch_count = 0
        #: Last fetch error message, or None after a success.
        self.last_error: str | None = None
        self._static = jwks is not None
        self._keyset: KeySet | None = None
        inf = float("inf")
        self._refresh_at = -inf  # fast path valid while now < this
        self._fresh_until = -inf
        self._stale_until = -inf
        self._last_attempt = -inf
        self._next_retry = -inf
        self._bg_running = False
        self._bg_thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()
        if jwks is not None:
            self._keyset = parse_jwks(jwks)
            self._refresh_at = self._fresh_until = self._stale_until = inf
        _forksafe.register(self)

    # -- fork safety -----------------------------------------------------
    def _after_fork_in_child(self) -> None:
        # The parent's lock may have been held by its refresher thread, which
        # does not exist here; a fresh lock and flag let the child refresh.
        self._lock = threading.Lock()
        self._bg_running = False
        self._pid = os.getpid()

    # -- public API --------------------------------------------------------
    def get_keyset(self) -> KeySet:
        """Return the current keys, fetching or refreshing as needed.

        Raises :class:`VerificationUnavailable` only when no usable keys exist
        at all (never fetched successfully, or stale beyond ``stale_if_error``).

        Example::

            entry = cache.get_keyset().find("key-1", "ES256")
        """
        keyset = self._keyset
        if keyset is not None and self._clock() < self._refresh_at:
            return keyset
        return self._get_slow()

    @property
    def is_fresh(self) -> bool:
        """True when :meth:`get_keyset` can answer without any network I/O.

        Example::

            if not cache.is_fresh:
                keyset = await asyncio.to_thread(cache.get_keyset)
        """
        return self._keyset is not None and self._clock() < self._fresh_until

    def refresh(self) -> bool:
        """Fetch the JWKS now (blocking), e.g. at application start-up.

        Returns True on success. Ignores the unknown-kid rate limit.

        Example::

            verifier.jwks.refresh() or log.warning("authserver not reachable yet")
        """
        if self._static:
            return True
        with self._lock:
            return self._fetch_locked(self._clock())

    def refresh_for_unknown_kid(self) -> KeySet | None:
        """Re-fetch because a token named a ``kid`` we do not know, rate-limited.

        At most one fetch (of any kind) happens per ``refetch_interval``, so a
        flood of tokens with forged kids costs the authorization server one
        request per interval. Returns the current key set (re-fetched or not),
        since another thread may have just loaded the missing key.

        Example::

            keyset = cache.refresh_for_unknown_kid()
        """
        if self._static:
            return self._keyset
        with self._lock:
            now = self._clock()
            if now - self._last_attempt >= self.refetch_interval:
                self._fetch_locked(now)
            return self._keyset

    # -- internals ---------------------------------------------------------
    def _get_slow(self) -> KeySet:
        now = self._clock()
        keyset = self._keyset
        if keyset is not None and now < self._fresh_until:
            self._start_background_refresh(now)
            return keyset
        with self._lock:
            now = self._clock()
            keyset = self._keyset
            if keyset is not None and now < self._fresh_until:
                return keyset  # another thread refreshed while we waited
            if now >= self._next_retry:
                self._fetch_locked(now)
                keyset = self._keyset
                if keyset is not None and now < self._fresh_until:
                    return keyset
        if keyset is not None and now < self._stale_until:
            return keyset  # stale-if-error
        raise VerificationUnavailable("signing keys are unavailable")

    def _start_background_refresh(self, now: float) -> None:
        if self._bg_running or self._static or now < self._next_retry:
            return
        if self._pid != os.getpid():  # belt and braces if the fork hook did not run
            self._after_fork_in_child()
        if not self._lock.acquire(blocking=False):
            return  # someone is fetching right now
        try:
            if self._bg_running:
                return
            self._bg_running = True
        finally:
            self._lock.release()
        thread = threading.Thread(
            target=self._background_refresh, name="authserver-verifier-jwks", daemon=True
        )
        self._bg_thread = thread
        try:
            thread.start()
        except RuntimeError:  # interpreter shutting down
            self._bg_running = False

    def _background_refresh(self) -> None:
        try:
            with self._lock:
                now = self._clock()
                if now >= self._refresh_at and now >= self._next_retry:
                    self._fetch_locked(now)
        finally:
            self._bg_running = False

    def _resolve_jwks_uri(self) -> str:
        if self.jwks_uri is None:
            assert self.issuer is not None  # noqa: S101 - guaranteed by __init__
            meta = discover(self.issuer, timeout=self.timeout, allow_http=self.allow_http)
            self.jwks_uri = meta["jwks_uri"]
        return self.jwks_uri

    def _fetch_locked(self, now: float) -> bool:
        """Fetch and install a new key set. Caller holds ``self._lock``."""
        if self._static:
            return True
        self._last_attempt = now
        try:
            url = self._resolve_jwks_uri()
            resp = request_json(url, timeout=self.timeout)
            if resp.status != 200:
                raise FetchError(f"{url}: HTTP {resp.status}")
            keyset = parse_jwks(resp.data, previous=self._keyset)
        except (FetchError, ValueError) as exc:
            self.last_error = str(exc)
            self._next_retry = now + self.error_retry_interval
            if self._keyset is not None:
                log.warning("JWKS refresh failed, serving cached keys: %s", exc)
            else:
                log.error("JWKS fetch failed: %s", exc)
            return False
        max_age = parse_max_age(resp.headers)
        ttl = self.default_ttl if max_age is None else min(max(max_age, self.min_ttl), self.max_ttl)
        self._keyset = keyset
        self._fresh_until = now + ttl
        self._refresh_at = now + ttl * self.refresh_ahead
        self._stale_until = self._fresh_until + self.stale_if_error
        self._next_retry = -float("inf")
        self.fetch_count += 1
        self.last_error = None
        return True
