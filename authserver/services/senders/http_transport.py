"""The webhook sender's network seam (httpx's transport idea, as in remote_jwks.py).

A :data:`Transport` is one callable, request in, response out; it raises OSError when no
answer came (refused, reset, timed out). The sender decides retries and signing outside
it, so tests drive those through a real HTTP receiver or any other callable.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# A gateway's answer is not used, only its status; reading a little keeps the
# connection tidy without letting a hostile endpoint stream forever at us.
MAX_RESPONSE_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """One POST of ``body`` to ``url``; ``timeout`` bounds each socket operation."""

    url: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)
    timeout: float


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    status: int


Transport = Callable[[WebhookRequest], WebhookResponse]


def http_transport(request: WebhookRequest,
                   tls_context: ssl.SSLContext | None = None) -> WebhookResponse:
    """POST with http.client: no redirects followed (a 3xx is an answer, not delivery),
    no proxy, certificates verified for https."""
    parts = urlsplit(request.url)
    host = parts.hostname or ""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=request.timeout,
            context=tls_context or ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=request.timeout)
    try:
        connection.request("POST", target, body=request.body, headers=dict(request.headers))
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return WebhookResponse(response.status)
    except http.client.HTTPException as exc:
        # A garbled answer is as good as none: worth another attempt.
        raise ConnectionError(f"bad HTTP answer: {type(exc).__name__}") from None
    finally:
        connection.close()
