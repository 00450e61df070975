"""Who is asking, for the audit log: the request's source address, user agent and id.

The web layer binds one :class:`RequestContext` per request (Flask ``before_request`` and
the token fast path, web/audit_context.py); the CLI binds its own (no address). Every
audit record written while it is bound carries it (services/audit_chain.py). A
``contextvars.ContextVar`` rather than a thread local: it follows the request into
whatever runs it, and each thread starts with none bound.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

USER_AGENT_LENGTH = 256  # audit_events.user_agent
IP_LENGTH = 64  # audit_events.ip
# What we accept as a caller's X-Request-ID (a proxy's or a client's): short, printable,
# no spaces or separators that could forge a log line or a header.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@+=/-]{8,64}$")


@dataclass(frozen=True, slots=True)
class RequestContext:
    ip: str | None
    user_agent: str | None
    request_id: str


_current: ContextVar[RequestContext | None] = ContextVar("authserver_audit_context",
                                                          default=None)


def new_request_id() -> str:
    return secrets.token_hex(16)


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is a valid one, a new one otherwise."""
    if header and _REQUEST_ID.match(header):
        return header
    return new_request_id()


def for_request(ip: str | None, user_agent: str | None, request_id_header: str | None
                ) -> RequestContext:
    agent = (user_agent or "")[:USER_AGENT_LENGTH] or None
    return RequestContext((ip or "")[:IP_LENGTH] or None, agent,
                          request_id_from(request_id_header))


def for_cli() -> RequestContext:
    """A command's context: no address; a request id of its own."""
    return RequestContext(None, "authserver-cli", new_request_id())


def current() -> RequestContext | None:
    return _current.get()


def bind(context: RequestContext) -> Token[RequestContext | None]:
    return _current.set(context)


def unbind(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


@contextmanager
def bound(context: RequestContext) -> Iterator[RequestContext]:
    token = bind(context)
    try:
        yield context
    finally:
        unbind(token)
