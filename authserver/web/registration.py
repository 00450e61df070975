"""Dynamic client registration at ``{issuer}/register`` (RFC 7591) and the client
configuration endpoint ``{issuer}/register/<client_id>`` (RFC 7592): JSON in, JSON out,
for machines only (no CORS, no pages). The rules are in services/dynamic_registration.py."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from authserver.protocol.errors import (
    InvalidClientMetadataError,
    InvalidTokenError,
    OAuth2Error,
    bearer_error_response,
    error_response,
)
from authserver.protocol.registration_metadata import MAX_BODY_BYTES
from authserver.runtime import admin_context
from authserver.services import dynamic_registration
from authserver.services.dynamic_registration import Answer, RegistrationThrottled
from authserver.web.context import request_source, runtime, tenant
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("dynamic_registration", __name__, url_prefix=TENANT_PREFIX)

_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body, separators=(",", ":")), status=status,
                        mimetype="application/json")
    response.headers.update({**_HEADERS, **(headers or {})})
    return response


def _error(error: OAuth2Error) -> Response:
    if isinstance(error, InvalidTokenError):
        status, body, headers = bearer_error_response(error, _issuer())
    else:
        status, body, headers = error_response(error)
    extra = dict(headers)
    if isinstance(error, RegistrationThrottled):
        extra["Retry-After"] = str(error.retry_after)
    return _json(status, body, extra)


def _issuer() -> str:
    return runtime().issuer(tenant().slug)


def _endpoint() -> str:
    return f"{_issuer()}/register"


def _bearer() -> str | None:
    """The token of ``Authorization: Bearer <token>`` (RFC 6750 §2.1), or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _body() -> bytes:
    """The JSON request body, read no further than the limit (an oversized one is
    refused without being read whole)."""
    if request.mimetype != "application/json":
        raise InvalidClientMetadataError("Send the client metadata as application/json.")
    data = request.stream.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise InvalidClientMetadataError(
            f"The request body must be at most {MAX_BODY_BYTES // 1024} KiB.")
    return data


def _ctx(actor: str = "dcr") -> Any:
    # The service sets the actual actor (dcr:<token id>, dcr:open, client:<id>).
    return admin_context(runtime(), actor)


@bp.post("/register")
def register() -> Response:
    try:
        answer: Answer = dynamic_registration.register(
            _ctx(), tenant().slug, _body(), _bearer(), request_source(), _endpoint(),
            throttle=runtime().throttle)
    except OAuth2Error as error:
        return _error(error)
    return _json(201, answer.body)


@bp.get("/register/<path:client_id>")
def read(client_id: str) -> Response:
    try:
        answer = dynamic_registration.read(_ctx(), tenant().slug, client_id, _bearer(),
                                           _endpoint())
    except OAuth2Error as error:
        return _error(error)
    return _json(200, answer.body)


@bp.put("/register/<path:client_id>")
def replace(client_id: str) -> Response:
    try:
        # The token is checked before the body is read: nobody else learns the rules.
        answer = dynamic_registration.replace(_ctx(), tenant().slug, client_id, _bearer(),
                                              _body_or_empty(), _endpoint())
    except OAuth2Error as error:
        return _error(error)
    return _json(200, answer.body)


def _body_or_empty() -> bytes:
    """The body, or a sentinel the service refuses only after it checked the token."""
    try:
        return _body()
    except InvalidClientMetadataError:
        return b"\x00"  # not JSON: invalid_client_metadata, once the token passed


@bp.delete("/register/<path:client_id>")
def remove(client_id: str) -> Response:
    try:
        dynamic_registration.delete(_ctx(), tenant().slug, client_id, _bearer())
    except OAuth2Error as error:
        return _error(error)
    response = Response(status=204)
    response.headers.update(_HEADERS)
    return response
