"""Cross-origin access for browser apps: the rules, in one place (Fetch standard §3.2, the
CORS protocol), the way node-oidc-provider's ``clientBasedCORS`` and Keycloak's web origins
decide it.

- Only the token, revocation, userinfo, JWKS and discovery endpoints answer CORS; the
  authorization endpoint, the pages and introspection (for resource servers) never do.
- An origin is allowed only if a client registered it (``--web-origin``). Which client:
  the one the request is identified as (the authenticated client, the public client named
  by ``client_id``, the access token's client); until a client is identified (preflights,
  public documents, errors before authentication), any client of the tenant.
- ``Access-Control-Allow-Origin`` echoes the exact origin, never ``*``, with
  ``Vary: Origin``; never ``Access-Control-Allow-Credentials``: these endpoints take no
  cookies, so a browser never sends ambient credentials with them.
- A public client's token or revocation request from an origin that client did not
  register is refused (``invalid_request``) before the grant runs, so a misconfigured or
  foreign page cannot spend a code or rotate a refresh token whose answer it cannot read.

The rules are plain functions over strings, so the token endpoint's WSGI fast path
(token_endpoint.py) applies them without Flask; ``apply``/``preflight`` are the Flask glue.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Response, g, request

from authserver.protocol.errors import InvalidRequestError
from authserver.protocol.ports import ClientDirectory, ClientRecord
from authserver.services.client_directory import ClientDirectoryCache
from authserver.web.context import runtime, tenant

Header = tuple[str, str]
MAX_AGE = "600"  # preflight cache, seconds (Chromium caps it at 7200)
REFUSED = "This client did not register the origin of this request."
_PREFLIGHT_VARY = ("Vary", "Origin, Access-Control-Request-Method, "
                           "Access-Control-Request-Headers")


@dataclass(frozen=True)
class Policy:
    """What one endpoint allows cross-origin. ``cacheable`` endpoints send ``Vary: Origin``
    even without an Origin, so a shared cache never hands a browser a copy without it."""

    methods: str
    allow_headers: str = ""
    expose_headers: str = ""
    cacheable: bool = False

    @property
    def allow(self) -> str:
        return f"OPTIONS, {self.methods}"


TOKEN = Policy("POST", allow_headers="Authorization, Content-Type")
REVOCATION = TOKEN
# A 401 or 403 explains itself only in WWW-Authenticate (RFC 6750 §3).
USERINFO = Policy("GET, POST", allow_headers="Authorization, Content-Type",
                  expose_headers="WWW-Authenticate")
PUBLIC_DOCUMENT = Policy("GET", cacheable=True)


def is_preflight(method: str, origin: str | None, requested_method: str | None) -> bool:
    return method == "OPTIONS" and bool(origin) and bool(requested_method)


def preflight_headers(policy: Policy, origin: str, allowed: Collection[str]) -> list[Header]:
    """Headers for a preflight; none that grant anything unless ``origin`` is allowed."""
    if origin not in allowed:
        return [_PREFLIGHT_VARY]
    headers = [("Access-Control-Allow-Origin", origin),
               ("Access-Control-Allow-Methods", policy.methods)]
    if policy.allow_headers:
        headers.append(("Access-Control-Allow-Headers", policy.allow_headers))
    return [*headers, ("Access-Control-Max-Age", MAX_AGE), _PREFLIGHT_VARY]


def response_headers(policy: Policy, origin: str | None, allowed: Collection[str]
                     ) -> list[Header]:
    """Headers for an actual request (success or error alike)."""
    if not origin:
        return [("Vary", "Origin")] if policy.cacheable else []
    if origin not in allowed:
        return [("Vary", "Origin")]
    headers = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    if policy.expose_headers:
        headers.append(("Access-Control-Expose-Headers", policy.expose_headers))
    return headers


def named_public_client(clients: ClientDirectory, form: Mapping[str, str]
                        ) -> ClientRecord | None:
    """The public client a token or revocation request names; it has no secret, so naming
    it is all the identification there is. Confidential clients are identified only once
    authenticated (saying whether one exists would help guessing)."""
    client_id = form.get("client_id")
    client = clients.get(client_id) if client_id else None
    return client if client is not None and client.is_public else None


def check_origin(origin: str | None, client: ClientRecord | None) -> None:
    """Refuse a request from a browser origin that ``client`` (the public client the request
    names, from ``named_public_client``) did not register."""
    if origin and client is not None and origin not in client.web_origins:
        raise InvalidRequestError(REFUSED)


def allowed_origins(cache: ClientDirectoryCache, tenant_id: int, client: ClientRecord | None
                    ) -> Collection[str]:
    """The identified client's origins; any client's of the tenant until one is identified."""
    return client.web_origins if client is not None else cache.tenant_origins(tenant_id)


# --- Flask glue ----------------------------------------------------------------------------


def identify(client_id: str | None) -> None:
    """A view says which client the request turned out to be (node-oidc-provider's
    ``assign.client``); resolved only if the request has an Origin."""
    g.cors_client_id = client_id


def _set(response: Response, headers: list[Header]) -> None:
    for name, value in headers:
        if name == "Vary":
            for token in value.split(","):
                response.vary.add(token.strip())
        else:
            response.headers[name] = value


def _identified_client() -> ClientRecord | None:
    client_id = g.get("cors_client_id")
    if not client_id:
        return None
    client: ClientRecord | None = runtime().clients.get(tenant().id, client_id)
    return client


def apply(response: Response, policy: Policy) -> Response:
    origin = request.headers.get("Origin")
    allowed: Collection[str] = ()
    if origin:
        allowed = allowed_origins(runtime().clients, tenant().id, _identified_client())
    _set(response, response_headers(policy, origin, allowed))
    return response


def preflight(policy: Policy) -> Response:
    """``OPTIONS``: 204 with ``Allow``; CORS headers only for a preflight from an origin a
    client of this tenant registered (the request names no client yet)."""
    response = Response(status=204)
    del response.headers["Content-Type"]  # no body, so no type
    response.headers["Allow"] = policy.allow
    origin = request.headers.get("Origin")
    if is_preflight(request.method, origin, request.headers.get("Access-Control-Request-Method")):
        allowed = runtime().clients.tenant_origins(tenant().id)
        _set(response, preflight_headers(policy, origin or "", allowed))
    return response


def cors(policy: Policy) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Decorate a view: its every answer, success or error, gets the policy's headers."""
    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            return apply(view(*args, **kwargs), policy)
        return wrapper
    return decorate
