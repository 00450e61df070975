"""The token-side authorization server, built on Authlib's framework-agnostic core.

Authlib dispatches on ``grant_type``, authenticates clients through its registry of
methods (plus our ``private_key_jwt``), and renders RFC 6749 §5.2 errors. Our grant
subclasses (grants/) decide what is issued. No Flask here: the web layer hands in a
:class:`FormRequest` and gets back ``(status, body, headers)``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from authlib.oauth2.rfc6749 import AuthorizationServer
from authlib.oauth2.rfc6749 import errors as authlib_errors
from authlib.oauth2.rfc6749.grants import BaseGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, OAuth2Request

from authserver.protocol import jws
from authserver.protocol.client_auth import PrivateKeyJWTAuthenticator
from authserver.protocol.context import TenantContext
from authserver.protocol.errors import (
    InvalidClientError,
    InvalidRequestError,
    OAuth2Error,
    UnsupportedGrantTypeError,
    error_response,
)
from authserver.protocol.ports import ClientRecord
from authserver.protocol.registry import AUTH_METHODS, GRANT_TYPES

NO_STORE = [("Content-Type", "application/json"), ("Cache-Control", "no-store"),
            ("Pragma", "no-cache")]

Response = tuple[int, Any, list[tuple[str, str]]]
# Refusals that are authorization failures, audited (ctx.audit) with their error code;
# malformed requests (invalid_request, unsupported_grant_type) are not. invalid_client
# is audited where the client authentication fails, with the endpoint.
AUDITED_REFUSALS = frozenset({"invalid_grant", "invalid_scope", "invalid_target",
                              "unauthorized_client", "access_denied"})


def no_store(headers: Iterable[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """NO_STORE plus ``headers``; one of the same name replaces the default (RFC 6749 §5.1)."""
    merged = dict(NO_STORE)
    merged.update(dict(headers or []))
    return list(merged.items())


class FormRequest(OAuth2Request):
    """A parsed POST: single-valued form fields, plus the repeatable ``resource``.

    ``OAuth2Request.__init__`` is not called: it only re-checks the URL's transport, which
    settings already enforce for the whole server (production requires https), and it
    costs a URL parse on the hottest path.
    """

    def __init__(self, method: str, uri: str, headers: Mapping[str, str],
                 form: Mapping[str, str], resources: Sequence[str] = (),
                 source: str = "") -> None:
        self.method = method
        self.uri = uri
        self.headers = headers
        self._body = None
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None
        self._form = dict(form)
        self.resources = tuple(resources)
        # The client's address as the web layer resolved it (trusted proxies), for
        # counting authentication failures per source.
        self.source = source
        self.payload = BasicOAuth2Payload(self._form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


def _basic_client_id(header: str) -> str | None:
    """The client_id of a well-formed RFC 7617 header (``Basic`` + base64 of UTF-8
    ``id:secret``), or None for anything else, which then authenticates nothing."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    client_id, colon, _ = decoded.partition(":")
    return unquote(client_id)[:64] if colon else None


def _presented_method(header: str, in_body: list[str]) -> str:
    """The one authentication method the request's shape presents (RFC 6749 §2.3.1,
    RFC 7523 §2.2); Authlib would otherwise try each in turn and, for example, accept a
    public client's client_id once a Basic header with an empty password failed."""
    if header:
        return "client_secret_basic"
    if in_body == ["client_assertion"]:
        return "private_key_jwt"
    if in_body == ["client_secret"]:
        return "client_secret_post"
    return "none"


def _claimed_client_id(request: FormRequest) -> str | None:
    """Which client a request without Basic credentials says it is (for throttling)."""
    if request.form.get("client_id"):
        return request.form["client_id"][:64]
    assertion = request.form.get("client_assertion")
    if assertion:
        try:
            sub = jws.parse_unverified(assertion)[1].get("sub")
        except jws.JWSError:
            return None
        return sub[:64] if isinstance(sub, str) else None
    return None


def _accepting(methods: Sequence[str]) -> Callable[[BaseGrant], None]:
    """A grant extension (Authlib applies it to each grant it creates) that sets the
    client authentication methods the grant takes, as the registry lists them."""
    accepted = list(methods)

    def extension(grant: BaseGrant) -> None:
        grant.TOKEN_ENDPOINT_AUTH_METHODS = accepted

    return extension


class TokenServer(AuthorizationServer):
    def __init__(self, ctx: TenantContext) -> None:
        super().__init__(scopes_supported=None)
        self.ctx = ctx
        self.register_client_auth_method("private_key_jwt", PrivateKeyJWTAuthenticator(
            (ctx.issuer, ctx.token_endpoint), ctx.replay_guard, ctx.clock,
            ctx.client_assertion_max_lifetime))
        for grant in GRANT_TYPES:
            self.register_grant(grant.grant_class, [_accepting(grant.auth_methods)])

    # --- hooks Authlib requires
    def query_client(self, client_id: str) -> ClientRecord | None:
        return self.ctx.clients.get(client_id) if client_id else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        # Grants persist what must be persisted themselves; access tokens are JWTs.
        return None

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: FormRequest) -> FormRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        return status, body, no_store(headers)

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error) -> Response:
        if error.error in AUDITED_REFUSALS:
            self._audit_refusal(request, error)
        return self.handle_response(*error_response(error))

    def _audit_refusal(self, request: OAuth2Request | None, error: OAuth2Error) -> None:
        client = getattr(request, "client", None) if request is not None else None
        form = request.form if request is not None else {}
        actor = f"client:{client.client_id}" if client is not None else "anonymous"
        self.ctx.record(actor, "token.denied", client.client_id if client else None,
                        error=error.error, grant_type=str(form.get("grant_type", ""))[:40])

    def create_token_response(self, request: FormRequest) -> Response:  # type: ignore[override]
        if not request.form.get("grant_type"):
            # RFC 6749 §5.2: a missing required parameter is invalid_request (Authlib would
            # answer unsupported_grant_type).
            return self.handle_error_response(
                request, InvalidRequestError("Missing 'grant_type' in request."))
        response: Response = super().create_token_response(request)
        return response

    def get_token_grant(self, request: OAuth2Request) -> Any:
        try:
            return super().get_token_grant(request)
        except authlib_errors.UnsupportedGrantTypeError:
            # Authlib's error echoes the grant_type sent; ours does not (errors.py).
            raise UnsupportedGrantTypeError(request.payload.grant_type) from None

    def authenticate_client(self, request: FormRequest, methods: list[str],
                            endpoint: str = "token") -> ClientRecord:
        """Authlib's method registry, plus rules it lacks: one method per request (RFC 6749
        §2.3), and the method is the one the request presents, so a Basic header is always
        ``client_secret_basic`` and an empty secret cannot fall through to ``none``; every
        failure reads the same (401, one description), so an unknown client_id looks like
        a wrong secret; and failures are counted (never refused in advance: a correct
        credential is always accepted, docs/security.md "Throttling").
        """
        header = request.headers.get("Authorization", "")
        basic_id = _basic_client_id(header) if header else None
        in_body = [k for k in ("client_secret", "client_assertion") if k in request.form]
        if len(in_body) > 1 or (header and in_body):
            raise InvalidRequestError("Use exactly one client authentication method.")
        method = _presented_method(header, in_body)
        claimed = basic_id if header else _claimed_client_id(request)
        try:
            if (header and basic_id is None) or method not in methods:
                # A malformed header (Authlib's parser raises on some), or a method this
                # grant or endpoint does not take.
                raise InvalidClientError()
            client: ClientRecord = super().authenticate_client(request, [method], endpoint)
        except InvalidClientError:
            self._count_failure(claimed, request.source)
            self._audit_auth_failure(claimed, method, endpoint)
            # 401 carries a Basic challenge (RFC 6749 §5.2), added by Authlib's error class.
            raise InvalidClientError(status_code=401,
                                     description="Client authentication failed.") from None
        # Known from here on, even when the grant refuses later (its audit record's actor);
        # Authlib sets it only once the grant's checks pass.
        request.client = client
        return client

    def _audit_auth_failure(self, claimed: str | None, method: str, endpoint: str) -> None:
        # The claimed client_id is named only when such a client exists: a made-up one
        # may be a secret pasted into the wrong field.
        client = self.query_client(claimed) if claimed else None
        actor = f"client:{client.client_id}" if client is not None else "anonymous"
        self.ctx.record(actor, "client.authentication_failed",
                        client.client_id if client is not None else None,
                        endpoint=endpoint, auth_method=method)

    def _count_failure(self, claimed: str | None, source: str) -> None:
        throttle = self.ctx.client_throttle
        if throttle is None:
            return
        client = self.query_client(claimed) if claimed else None
        if client is not None and client.token_endpoint_auth_method == "none":
            # A public client has no secret to guess: counting its "failures" could only
            # be used to get it noticed or slowed, never to protect it.
            return
        throttle.failed(client.client_id if client is not None else None, source)

    # --- endpoints beyond the token endpoint use the same client authentication
    def authenticate_endpoint_client(self, request: FormRequest, endpoint: str) -> ClientRecord:
        client: ClientRecord = self.authenticate_client(request, list(AUTH_METHODS),
                                                          endpoint)
        return client
