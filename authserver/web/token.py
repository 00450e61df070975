"""Revocation (RFC 7009, open to browser apps by the rules in cors.py) and introspection
(RFC 7662); the token endpoint itself is the WSGI fast path in token_endpoint.py."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, request

from authserver.protocol.errors import OAuth2Error, error_response
from authserver.protocol.introspection import introspect
from authserver.protocol.revocation import revoke
from authserver.protocol.server import NO_STORE, FormRequest, TokenServer, no_store
from authserver.web import cors
from authserver.web.client_address import source_address
from authserver.web.context import runtime, tenant
from authserver.web.params import form_params
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("oauth_token", __name__, url_prefix=TENANT_PREFIX)
log = logging.getLogger(__name__)


def _server() -> TokenServer:
    return runtime().protocol(tenant())


def _respond(status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    response = Response(text, status=status)
    for name, value in headers:
        response.headers[name] = value
    return response


def _error(error: OAuth2Error) -> Response:
    status, body, headers = error_response(error)
    return _respond(status, body, no_store(headers))


def _form_request(server: TokenServer) -> FormRequest:
    form, resources = form_params(request)
    source = source_address(request.environ, runtime().settings.trusted_proxies)
    return FormRequest("POST", server.ctx.token_endpoint, request.headers, form, resources,
                       source)


@bp.post("/revoke", provide_automatic_options=False)
@cors.cors(cors.REVOCATION)
def revocation() -> Response:
    try:
        server = _server()
        oauth_request = _form_request(server)
        origin = request.headers.get("Origin")
        if origin:
            named = cors.named_public_client(server.ctx.clients, oauth_request.form)
            cors.identify(named.client_id if named else None)
            cors.check_origin(origin, named)  # before anything is revoked
        client = server.authenticate_endpoint_client(oauth_request, "revocation")
        cors.identify(client.client_id)
        revoke(server.ctx, client, oauth_request.form)
    except OAuth2Error as error:
        return _error(error)
    response = _respond(200, "", NO_STORE)
    del response.headers["Content-Type"]  # RFC 7009 §2.2: success has no body
    return response


@bp.route("/revoke", methods=["OPTIONS"])
def revocation_preflight() -> Response:
    return cors.preflight(cors.REVOCATION)


# Introspection is for resource servers, never browsers: no CORS (Flask's own OPTIONS).
@bp.post("/introspect")
def introspection() -> Response:
    try:
        server = _server()
        oauth_request = _form_request(server)
        client = server.authenticate_endpoint_client(oauth_request, "introspection")
        body = introspect(server.ctx, client, oauth_request.form)
    except OAuth2Error as error:
        return _error(error)
    return _respond(200, body, NO_STORE)
