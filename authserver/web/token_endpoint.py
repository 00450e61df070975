"""The token endpoint as a thin WSGI application in front of Flask.

Everything protocol-related still happens in the Authlib-based :class:`TokenServer`; this
module only replaces Flask's per-request machinery (request and response objects,
context locals, session opening), which cost several times more than issuing the token
itself. Requests for other paths, or for tenants that do not exist, go on to Flask.
It answers CORS preflights and adds CORS headers by the rules in cors.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import orjson

from authserver.protocol.errors import (
    InvalidRequestError,
    OAuth2Error,
    ServerError,
    error_response,
)
from authserver.protocol.ports import ClientRecord
from authserver.protocol.server import FormRequest, Response
from authserver.runtime import Runtime
from authserver.services import audit_context
from authserver.services.tenants import TenantInfo
from authserver.web import cors
from authserver.web.audit_context import HEADER, context_of
from authserver.web.client_address import source_address
from authserver.web.params import check_form_post, check_length, parse_urlencoded

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_TOKEN_PATH = re.compile(r"^/t/([a-z0-9][a-z0-9-]{0,62})/token$")
_STATUS = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}


class TokenEndpoint:
    def __init__(self, next_app: WSGIApp, runtime: Runtime) -> None:
        self.next_app = next_app
        self.runtime = runtime

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        match = _TOKEN_PATH.match(environ.get("PATH_INFO", ""))
        tenant = self.runtime.tenants.find(match.group(1)) if match else None
        if tenant is None:
            return self.next_app(environ, start_response)
        context = context_of(environ, self.runtime.settings.trusted_proxies)
        bound = audit_context.bind(context)
        try:
            status, body, headers = self._handle(environ, tenant)
        except Exception:  # never a stack trace to the client
            log.exception("token endpoint failed")
            status, body, headers = error_response(ServerError())
        finally:
            audit_context.unbind(bound)
        payload = body if isinstance(body, bytes) else orjson.dumps(body)
        headers = [*headers, (HEADER, context.request_id)]
        if status != 204:  # RFC 9110 §8.6: a 204 has no Content-Length
            headers = [*headers, ("Content-Length", str(len(payload)))]
        start_response(_STATUS.get(status, f"{status} Unknown"), headers)
        return [payload]

    def _handle(self, environ: dict[str, Any], tenant: TenantInfo) -> Response:
        method = environ.get("REQUEST_METHOD")
        if method == "OPTIONS":
            return self._options(environ, tenant)
        if method != "POST":
            status, body, headers = error_response(
                InvalidRequestError("Use POST.", status_code=405))
            return status, body, [*headers, ("Allow", cors.TOKEN.allow)]
        origin: str | None = environ.get("HTTP_ORIGIN")
        if not origin:  # every server-side client: nothing CORS-related to do
            return self._token(environ, tenant, None)[0]
        result, client = self._token(environ, tenant, origin)
        allowed = cors.allowed_origins(self.runtime.clients, tenant.id, client)
        status, body, headers = result
        return status, body, [*headers, *cors.response_headers(cors.TOKEN, origin, allowed)]

    def _token(self, environ: dict[str, Any], tenant: TenantInfo, origin: str | None
               ) -> tuple[Response, ClientRecord | None]:
        """The token response, and the client it turned out to be for (for CORS)."""
        server = self.runtime.protocol(tenant)
        named = None
        try:
            form, resources = self._read_form(environ)
            if origin:
                named = cors.named_public_client(server.ctx.clients, form)
                cors.check_origin(origin, named)  # before the grant can spend anything
        except OAuth2Error as error:
            return server.handle_error_response(None, error), named  # type: ignore[arg-type]
        headers = {"Authorization": environ.get("HTTP_AUTHORIZATION", "")}
        source = source_address(environ, self.runtime.settings.trusted_proxies)
        request = FormRequest("POST", server.ctx.token_endpoint, headers, form, resources,
                              source)
        result: Response = server.create_token_response(request)
        # Authlib sets request.client once the client has authenticated.
        return result, request.client or named

    def _options(self, environ: dict[str, Any], tenant: TenantInfo) -> Response:
        headers = [("Allow", cors.TOKEN.allow)]
        origin = environ.get("HTTP_ORIGIN")
        if cors.is_preflight("OPTIONS", origin, environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")):
            allowed = self.runtime.clients.tenant_origins(tenant.id)
            headers += cors.preflight_headers(cors.TOKEN, origin or "", allowed)
        return 204, b"", headers

    @staticmethod
    def _read_form(environ: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
        content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        check_form_post(content_type, bool(environ.get("QUERY_STRING")))
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise InvalidRequestError("Bad Content-Length.") from None
        check_length(length)
        body = environ["wsgi.input"].read(length) if length else b""
        return parse_urlencoded(body)
