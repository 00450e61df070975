"""Binding each request's audit context (services/audit_context.py) and echoing its id.

Every request, through Flask or the token fast path (token_endpoint.py), gets a request
id: the caller's ``X-Request-ID`` when it is a valid one (a proxy's, so logs line up),
else a new one. It is sent back in the ``X-Request-ID`` response header and stored with
every audit record the request writes, with the source address (TRUSTED_PROXIES rules,
client_address.py) and the user agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request

from authserver.services import audit_context
from authserver.services.audit_context import RequestContext
from authserver.web.client_address import source_address

HEADER = "X-Request-ID"


def context_of(environ: Mapping[str, Any], trusted_proxies: int) -> RequestContext:
    return audit_context.for_request(source_address(environ, trusted_proxies),
                                     environ.get("HTTP_USER_AGENT"),
                                     environ.get("HTTP_X_REQUEST_ID"))


def register(app: Flask, trusted_proxies: int) -> None:
    """Bind before anything else runs (so a request refused early still has its id)."""

    def bind() -> None:
        g.audit_context_token = audit_context.bind(context_of(request.environ,
                                                              trusted_proxies))

    def echo(response: Response) -> Response:
        context = audit_context.current()
        if context is not None:
            response.headers[HEADER] = context.request_id
        return response

    def unbind(_error: BaseException | None) -> None:
        token = g.pop("audit_context_token", None)
        if token is not None:
            audit_context.unbind(token)

    app.before_request_funcs.setdefault(None, []).insert(0, bind)
    app.after_request(echo)
    app.teardown_request(unbind)
