"""Authorization request validation (RFC 6749 §4.1.1, RFC 7636, OIDC Core §3.1.2).

Checks run in a fixed order, one small function per rule, the way node-oidc-provider
lays out its authorization actions. The order matters: until the client and its redirect
URI are known to be genuine, no error may be sent to the redirect URI (RFC 6749 §4.1.2.1,
RFC 9700 §4.1): those failures raise :class:`UntrustedRequest`, which the web layer
renders as a page on authserver.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from authserver.protocol import pkce
from authserver.protocol.audience import Audience, resolve_target
from authserver.protocol.errors import (
    InvalidRequestError,
    InvalidScopeError,
    RequestNotSupportedError,
    RequestUriNotSupportedError,
    UnauthorizedClientError,
    UnsupportedResponseTypeError,
    UntrustedRequest,
)
from authserver.protocol.oidc import parse_claims_parameter
from authserver.protocol.ports import ApiDirectory, ClientRecord, NoApis

PROMPTS = frozenset({"none", "login", "consent", "select_account"})
RESPONSE_MODES = frozenset({"query", "form_post"})
MAX_STATE = 2048
MAX_NONCE = 512
MAX_HINT = 512


@dataclass(frozen=True)
class AuthorizationRequest:
    """A validated request, kept while the person signs in and consents."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    response_mode: str
    code_challenge: str | None
    nonce: str | None
    prompt: tuple[str, ...] = ()
    max_age: int | None = None
    login_hint: str | None = None
    acr_values: str | None = None
    claims: dict[str, Any] | None = None
    resources: tuple[str, ...] = field(default_factory=tuple)
    ui_locales: tuple[str, ...] = ()  # preferred page languages, best first (OIDC §3.1.2.1)

    @property
    def openid(self) -> bool:
        return "openid" in self.scope.split()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuthorizationRequest:
        values = dict(data)
        values["prompt"] = tuple(values.get("prompt") or ())
        values["resources"] = tuple(values.get("resources") or ())
        values["ui_locales"] = tuple(values.get("ui_locales") or ())
        return cls(**values)


@dataclass(frozen=True)
class RedirectTarget:
    """Where errors may be sent once the client and redirect URI are trusted."""

    redirect_uri: str
    state: str | None
    response_mode: str


def trusted_client(params: Mapping[str, str], lookup: Callable[[str], ClientRecord | None]
                   ) -> tuple[ClientRecord, RedirectTarget]:
    client_id = params.get("client_id")
    if not client_id:
        raise UntrustedRequest("The request does not say which application is asking.")
    client = lookup(client_id)
    if client is None:
        raise UntrustedRequest("The application that sent you here is not registered.")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        # OIDC requires it, and guessing one is how open redirectors start.
        raise UntrustedRequest("The request has no redirect URI.")
    if not client.check_redirect_uri(redirect_uri):
        raise UntrustedRequest("The redirect URI is not registered for this application.")
    mode = params.get("response_mode", "query")
    state = params.get("state")
    target = RedirectTarget(redirect_uri, state if state and len(state) <= MAX_STATE else None,
                            mode if mode in RESPONSE_MODES else "query")
    return client, target


def _response_type(params: Mapping[str, str], client: ClientRecord) -> None:
    response_type = params.get("response_type")
    if not response_type:
        raise InvalidRequestError("Missing 'response_type' in request.")
    if response_type != "code":
        # Implicit and hybrid flows are not offered (RFC 9700 §2.1.2).
        raise UnsupportedResponseTypeError(response_type[:40])
    if not client.check_response_type("code"):
        raise UnauthorizedClientError("The client may not use the authorization code flow.")


def _response_mode(params: Mapping[str, str]) -> str:
    mode = params.get("response_mode", "query")
    if mode not in RESPONSE_MODES:
        raise InvalidRequestError("Unsupported response_mode.")
    return mode


def _request_objects(params: Mapping[str, str]) -> None:
    if "request" in params:
        raise RequestNotSupportedError("Request objects are not supported.")
    if "request_uri" in params:
        raise RequestUriNotSupportedError("request_uri is not supported.")


def _state(params: Mapping[str, str], client: ClientRecord) -> str | None:
    state = params.get("state")
    if state is not None and len(state) > MAX_STATE:
        raise InvalidRequestError("The state parameter is too long.")
    if state is None and client.require_state:
        raise InvalidRequestError("This client must send a state parameter.")
    return state


def _target(params: Mapping[str, str], resources: Sequence[str], client: ClientRecord,
            apis: ApiDirectory) -> Audience:
    requested = list(dict.fromkeys(params.get("scope", "").split()))
    if not requested:
        raise InvalidScopeError("The request must name at least one scope.")
    # The same audience and scope rules as the token endpoint (protocol/audience.py).
    return resolve_target(client, requested, resources, apis)


def _pkce(params: Mapping[str, str], client: ClientRecord) -> str | None:
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise InvalidRequestError("code_challenge_method without code_challenge.")
        if client.require_pkce:
            raise InvalidRequestError("PKCE is required: send code_challenge with S256.")
        return None
    if method != "S256":
        raise InvalidRequestError("code_challenge_method must be S256.")
    if not pkce.valid_challenge(challenge):
        raise InvalidRequestError("code_challenge is not a base64url SHA-256 value.")
    return challenge


def _prompt(params: Mapping[str, str]) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(params.get("prompt", "").split()))
    if any(v not in PROMPTS for v in values):
        raise InvalidRequestError("Unsupported prompt value.")
    if "none" in values and len(values) > 1:
        raise InvalidRequestError("prompt=none cannot be combined with other values.")
    return values


_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
MAX_UI_LOCALES = 10


def parse_ui_locales(raw: str | None) -> tuple[str, ...]:
    """``ui_locales``: space-separated BCP 47 tags, best first. Only a preference (OIDC
    Core §3.1.2.1), so a malformed value never fails the request: tags that are not
    well-formed are dropped, and a value over 512 characters is ignored whole."""
    if not raw or len(raw) > MAX_HINT:
        return ()
    tags = [tag for tag in raw.split(" ") if _LANGUAGE_TAG.fullmatch(tag)]
    return tuple(dict.fromkeys(tags))[:MAX_UI_LOCALES]


def _max_age(params: Mapping[str, str]) -> int | None:
    raw = params.get("max_age")
    if raw is None:
        return None
    # isdigit() alone admits other scripts' digits, and "²", which int() then refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        raise InvalidRequestError("max_age must be a non-negative integer.")
    return int(raw)


def _bounded(params: Mapping[str, str], name: str, limit: int) -> str | None:
    value = params.get(name)
    if value is not None and len(value) > limit:
        raise InvalidRequestError(f"The {name} parameter is too long.")
    return value


def validate(params: Mapping[str, str], resources: Sequence[str], client: ClientRecord,
             target: RedirectTarget, apis: ApiDirectory | None = None) -> AuthorizationRequest:
    """The remaining checks, whose failures are reported to the (trusted) redirect URI."""
    _response_type(params, client)
    mode = _response_mode(params)
    _request_objects(params)
    state = _state(params, client)
    audience = _target(params, resources, client, apis or NoApis())
    return AuthorizationRequest(
        client_id=client.client_id, redirect_uri=target.redirect_uri, scope=audience.scope,
        state=state, response_mode=mode, code_challenge=_pkce(params, client),
        nonce=_bounded(params, "nonce", MAX_NONCE), prompt=_prompt(params),
        max_age=_max_age(params), login_hint=_bounded(params, "login_hint", MAX_HINT),
        acr_values=_bounded(params, "acr_values", MAX_HINT),
        claims=parse_claims_parameter(params.get("claims")),
        resources=audience.resources,
        ui_locales=parse_ui_locales(params.get("ui_locales")),
    )
