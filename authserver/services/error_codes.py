"""Stable codes for every failure a person or an app can see (issue 10 item 6).

A code (``AUTH-2003``) names one kind of failure forever: support staff and client
developers search for it in docs/errors.md. The ``message`` is the plain-language text
shown on a hosted page (a msgid of the translation catalogue), never the precise
internal reason, which goes to the log and the audit trail. A code is defined once, by
the module of the feature that raises it, in its own range:

- AUTH-1xxx  sign-in pages (login, factors, consent)
- AUTH-2xxx  sign-up, email verification and invitations
- AUTH-3xxx  passwords: policy, change and reset
- AUTH-4xxx  sessions and logout
- AUTH-9xxx  anything: not found, expired or broken links, forms, rate limits
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = re.compile(r"^AUTH-[1-9][0-9]{3}$")


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str  # AUTH-NNNN, stable
    name: str  # snake_case, stable: what the sign-up API puts in "error"
    message: str  # what the person is told (English msgid)
    status: int = 400

    def __str__(self) -> str:
        return self.code


_REGISTRY: dict[str, ErrorCode] = {}
_BY_MESSAGE: dict[str, ErrorCode] = {}


def define(code: str, name: str, message: str, status: int = 400) -> ErrorCode:
    """Register a code; each code and each name is defined exactly once."""
    if not _CODE.fullmatch(code):
        raise ValueError(f"{code!r} is not of the form AUTH-NNNN")
    known = _REGISTRY.get(code)
    if known is not None and known.name != name:
        raise ValueError(f"{code} is already {known.name}")
    if any(c.name == name and c.code != code for c in _REGISTRY.values()):
        raise ValueError(f"{name} already has a code")
    entry = ErrorCode(code, name, message, status)
    _REGISTRY[code] = entry
    _BY_MESSAGE.setdefault(message, entry)
    return entry


def by_message(message: str) -> ErrorCode | None:
    """The code whose message is ``message`` (pages show messages; this finds their
    code). Should two codes share a message, the first defined is found, so give each
    code its own wording."""
    return _BY_MESSAGE.get(message)


def all_codes() -> list[ErrorCode]:
    """Every code defined by the modules imported so far, in code order."""
    return sorted(_REGISTRY.values(), key=lambda entry: entry.code)
