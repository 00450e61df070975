"""Gates: what must happen after the person proved who they are and before their
session starts (and so before any code is issued): verify the email of a self-signed-up
account, change an expired password …

A gate looks at the finished sign-in and either lets it through (None) or answers with
its own page; the interaction's progress, holding the finished factors, is saved first,
so the gate's form can resume the flow and call :func:`factors.finish_sign_in` again
when its condition is met. Gates run in registration order; feature modules register
theirs at import (``FACTOR_MODULES`` in web/interaction/__init__.py imports them).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response

from authserver.protocol.interaction import AuthResult, Progress
from authserver.web.interaction.flow import Flow

Gate = Callable[[Flow, Progress, AuthResult], Response | None]

_GATES: list[tuple[str, Gate]] = []


def register_gate(name: str, gate: Gate) -> None:
    """Add ``gate`` (once per name: re-importing a module does not add it twice)."""
    if any(known == name for known, _ in _GATES):
        return
    _GATES.append((name, gate))


def first_stop(flow: Flow, progress: Progress, done: AuthResult) -> Response | None:
    """The page of the first gate that stops this sign-in, or None to go on."""
    for _name, gate in _GATES:
        page = gate(flow, progress, done)
        if page is not None:
            return page
    return None
