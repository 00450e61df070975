"""Parsing OAuth parameters strictly: RFC 6749 §3.1/§3.2 say a parameter MUST NOT appear
twice, and every value is bounded so hostile input costs little and never reaches a 500."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

from flask import Request

from authserver.protocol.errors import InvalidRequestError

MAX_BODY = 64 * 1024
MAX_VALUE = 16 * 1024
# RFC 8707 allows several resource parameters; nothing else may repeat.
REPEATABLE = frozenset({"resource"})


_PLAIN_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _name(key: str) -> str:
    """How an error names a parameter: a plain name as sent, anything else generically,
    so a hostile name is never echoed (protocol/errors.py)."""
    return f"Parameter '{key}'" if _PLAIN_NAME.fullmatch(key) else "A parameter"


def _collect(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    values: dict[str, str] = {}
    resources: list[str] = []
    for key, value in pairs:
        if len(value) > MAX_VALUE or len(key) > 256:
            raise InvalidRequestError(f"{_name(key)} is too large.")
        if "\x00" in key or "\x00" in value:
            # Never meaningful, and PostgreSQL refuses NUL in text: stop it at the door.
            raise InvalidRequestError("Parameters must not contain NUL characters.")
        if key in REPEATABLE:
            resources.append(value)
        elif key in values:
            raise InvalidRequestError(f"{_name(key)} was sent more than once.",
                                      detail=f"repeated: {key}")
        else:
            values[key] = value
    # Empty values are treated as absent (RFC 6749 §3.1).
    return {k: v for k, v in values.items() if v != ""}, resources


def check_form_post(mimetype: str, has_query: bool) -> None:
    """What a POST to the token, revocation or introspection endpoint must be, before
    its length is looked at (the WSGI fast path and Flask views alike)."""
    if has_query:
        # Credentials in a query string end up in logs (RFC 6749 §3.2).
        raise InvalidRequestError("Parameters must be sent in the request body.")
    if mimetype != "application/x-www-form-urlencoded":
        raise InvalidRequestError("The body must be application/x-www-form-urlencoded.")


def check_length(length: int | None) -> None:
    """A declared Content-Length within MAX_BODY (parse_urlencoded bounds what is read)."""
    if length is not None and not 0 <= length <= MAX_BODY:
        raise InvalidRequestError("The request body is too large.")


def form_params(request: Request) -> tuple[dict[str, str], list[str]]:
    """The urlencoded body of a POST to the token, revocation or introspection endpoint."""
    check_form_post(request.mimetype, bool(request.query_string))
    check_length(request.content_length)
    return parse_urlencoded(request.get_data(cache=True))


def parse_urlencoded(body: bytes) -> tuple[dict[str, str], list[str]]:
    """A form body, strictly. parse_qsl on the raw bytes is several times cheaper than
    werkzeug's form parser, and the token endpoint is the hot path."""
    if len(body) > MAX_BODY:
        raise InvalidRequestError("The request body is too large.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=100, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequestError("The request body could not be parsed.") from None
    return _collect(pairs)


def query_params(request: Request) -> tuple[dict[str, str], list[str]]:
    """Authorization request parameters: query string (GET) or form body (POST)."""
    source = request.form if request.method == "POST" else request.args
    return _collect(source.items(multi=True))
