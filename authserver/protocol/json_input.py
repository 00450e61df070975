"""Parsing JSON we receive from outside (JOSE headers and claims, the ``claims`` request
parameter): bounded in size and depth, strict in syntax, never a crash.

Python's ``json`` recurses once per nesting level, so a few kilobytes of ``[[[[…`` raise
``RecursionError``, which no caller expects. orjson parses iteratively up to a fixed depth
(1024) and raises ``JSONDecodeError`` beyond it; it also refuses what RFC 8259 §6 leaves
out (``NaN``, ``Infinity``, numbers that overflow a double) and lone surrogates, which
``json`` would hand on. Our own, much lower, depth limit is then checked without
recursion: nothing legitimate we read nests deeper than a few levels.

No string we read may contain NUL: it is never meaningful in a claim or header, and a
client_id or ``jti`` holding one would reach the database (PostgreSQL text refuses it).
"""

from __future__ import annotations

from typing import Any

import orjson

MAX_DEPTH = 16


class JSONInputError(ValueError):
    """Not acceptable JSON; the message is for logs, never for clients."""


def loads(data: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``data``; raise :class:`JSONInputError` for anything too large, too deep,
    not strict JSON, or holding a NUL character."""
    if len(data) > max_bytes:
        raise JSONInputError("JSON input too large")
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise JSONInputError("not valid JSON") from None
    _check_shape(value, max_depth)
    return value


def _check_shape(value: Any, max_depth: int) -> None:
    # Iterative on purpose: the point is to never recurse on attacker-chosen depth.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise JSONInputError("NUL character in a JSON string")
            continue
        if isinstance(item, dict):
            children: list[Any] = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            raise JSONInputError(f"JSON nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)
