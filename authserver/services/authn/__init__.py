"""Authenticators: every way of proving who one is answers with the same result.

An authenticator checks one factor from what the browser submitted and returns an
:class:`Attempt`; when it recognised someone, the attempt carries an
:class:`~authserver.protocol.interaction.AuthResult` (user id, RFC 8176 amr values,
acr, auth_time). Which factors a sign-in still needs is not the authenticator's
decision but the protocol's factor policy (protocol/policies.py). Password is
the first implementation (password.py); a second factor, a passkey, a magic link or an
upstream IdP is another class with the same method.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from authserver.protocol.interaction import AuthResult
from authserver.services.authentication import Outcome

__all__ = ["Attempt", "AuthResult", "Authenticator", "Outcome", "Submission"]


@dataclass(frozen=True, slots=True)
class Submission:
    """What the person sent to a factor's form, and the facts around it."""

    fields: Mapping[str, str]
    source: str  # the client address, for throttling
    device_token: str | None  # the known-device cookie, if any
    now: dt.datetime
    # The person a further factor is asked of (None at the first factor), and the
    # sign-in attempt (pending interaction id) a sent code is bound to.
    user_id: int | None = None
    attempt: str = ""


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: Outcome
    result: AuthResult | None = None  # set exactly when outcome is SIGNED_IN
    retry_after: int | None = None  # seconds, when THROTTLED
    device_token: str | None = None  # the browser's renewed known-device token
    error: str | None = None  # a sentence for the person when refused (else the default)

    def __post_init__(self) -> None:
        if (self.outcome is Outcome.SIGNED_IN) != (self.result is not None):
            raise ValueError("a result is given exactly for a successful attempt")


class Authenticator(Protocol):
    def authenticate(self, submission: Submission) -> Attempt: ...
