"""``private_key_jwt`` client authentication (RFC 7523 §2.2, §3; OIDC Core §9).

The assertion must be signed by a key the client registered, name the client as both
``iss`` and ``sub``, carry this server's issuer or token endpoint as a single ``aud``
(RFC 9700 §2.3 mix-up hardening), expire within the configured maximum lifetime, and
use a ``jti`` never seen before. The ``jti`` is remembered until the assertion could no
longer be accepted (``exp`` plus leeway), so a replay is refused for as long as it could
otherwise succeed (RFC 7523 §3 item 7).

The maximum lifetime defaults to one hour (``CLIENT_ASSERTION_MAX_LIFETIME``) because that
is what common client libraries sign, Authlib's ``PrivateKeyJWT`` among them: refusing
them would only teach integrators to see ``invalid_client`` and give up.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from authserver.protocol import jws
from authserver.protocol.numeric_date import to_datetime
from authserver.protocol.ports import AssertionReplayGuard, ClientRecord, Clock

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_MAX_LIFETIME = dt.timedelta(hours=1)
LEEWAY = dt.timedelta(seconds=30)


class PrivateKeyJWTAuthenticator:
    """Callable for Authlib's ``register_client_auth_method('private_key_jwt', …)``."""

    def __init__(self, audiences: tuple[str, ...], replay: AssertionReplayGuard,
                 clock: Clock, max_lifetime: dt.timedelta = DEFAULT_MAX_LIFETIME) -> None:
        self.audiences = audiences
        self.replay = replay
        self.clock = clock
        self.max_lifetime = max_lifetime

    def __call__(self, query_client: Callable[[str], ClientRecord | None],
                 request: Any) -> ClientRecord | None:
        form = request.form
        assertion = form.get("client_assertion")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not assertion:
            return None
        try:
            _header, unverified, _, _ = jws.parse_unverified(assertion)
        except jws.JWSError as exc:
            log.info("client assertion rejected: %s", exc)
            return None
        client_id = unverified.get("sub")
        if not isinstance(client_id, str) or form.get("client_id", client_id) != client_id:
            return None
        client = query_client(client_id)
        if client is None or client.token_endpoint_auth_method != "private_key_jwt":
            return None
        return client if self._valid(client, assertion) else None

    def _valid(self, client: ClientRecord, assertion: str) -> bool:
        keys = (client.jwks or {}).get("keys", [])
        try:
            claims = jws.verify(assertion, keys, jws.SIGNING_ALGS)
        except jws.JWSError as exc:
            log.info("client %s: assertion signature rejected: %s", client.client_id, exc)
            return False
        problem = self._claims_problem(client.client_id, claims)
        if problem:
            log.info("client %s: assertion rejected: %s", client.client_id, problem)
            return False
        expires = to_datetime(claims["exp"])
        assert expires is not None  # _claims_problem checked it
        # Kept past exp by the leeway: until then the same assertion would still pass.
        if not self.replay.first_use(client.client_id, claims["jti"], expires + LEEWAY):
            log.warning("client %s: client assertion jti replayed", client.client_id)
            return False
        return True

    def _claims_problem(self, client_id: str, claims: dict[str, Any]) -> str | None:
        now = self.clock()
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            return "iss and sub must both be the client_id"
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) == 1:
            aud = aud[0]
        if not isinstance(aud, str) or aud not in self.audiences:
            return "aud must be the issuer or the token endpoint, as a single value"
        expires = to_datetime(claims.get("exp"))
        if expires is None:
            return "exp missing or not a NumericDate"
        if expires <= now - LEEWAY:
            return "expired"
        # Leeway here too: a client clock a little ahead must not fail a full-length one.
        if expires > now + self.max_lifetime + LEEWAY:
            return f"exp more than {int(self.max_lifetime.total_seconds())} s in the future"
        for name in ("iat", "nbf"):
            if name not in claims:
                continue
            when = to_datetime(claims[name])
            if when is None:
                return f"{name} is not a NumericDate"
            if when > now + LEEWAY:
                return f"{name} in the future"
        if not isinstance(claims.get("jti"), str) or not claims["jti"] or len(claims["jti"]) > 255:
            return "jti missing"
        return None
