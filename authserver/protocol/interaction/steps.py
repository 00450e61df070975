"""What the person must do before a code is issued (OIDC Core §3.1.2.3, §3.1.2.4).

Pure decision logic: the web layer supplies the facts (current session, remembered
consent, what this interaction has already done) and acts on the answer. Whether the
session's factors are enough is the factor policy's decision (policy.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection
from dataclasses import dataclass

from authserver.protocol.authorization import AuthorizationRequest
from authserver.protocol.errors import (
    AccountSelectionRequiredError,
    ConsentRequiredError,
    LoginRequiredError,
)
from authserver.protocol.interaction.progress import Progress
from authserver.protocol.policies import PASSWORD_ALONE, FactorPolicy, factors_needed
from authserver.protocol.ports import ClientRecord


class Step(enum.Enum):
    LOGIN = "login"
    SELECT_ACCOUNT = "select_account"
    CONSENT = "consent"
    ISSUE = "issue"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The browser's live session, as far as the decision needs it."""

    user_id: int
    auth_time: dt.datetime
    amr: tuple[str, ...]
    acr: str


def login_too_old(request: AuthorizationRequest, session: SignedIn, now: dt.datetime) -> bool:
    if request.max_age is None:
        return False
    if request.max_age == 0:
        # max_age=0 is effectively prompt=login (openid/connect issue #993), even when the
        # last sign-in was in this same second.
        return True
    return (now - session.auth_time).total_seconds() > request.max_age


def _needs_login(request: AuthorizationRequest, session: SignedIn | None, progress: Progress,
                 now: dt.datetime, policy: FactorPolicy) -> bool:
    if session is None or factors_needed(request.acr_values, policy, session.amr):
        return True
    return not progress.logged_in and (
        "login" in request.prompt or login_too_old(request, session, now))


def next_step(request: AuthorizationRequest, client: ClientRecord, session: SignedIn | None,
              granted: Collection[str], progress: Progress, now: dt.datetime,
              policy: FactorPolicy = PASSWORD_ALONE) -> Step:
    silent = "none" in request.prompt
    if _needs_login(request, session, progress, now, policy):
        if silent:
            raise LoginRequiredError(redirect_uri=request.redirect_uri)
        return Step.LOGIN
    if "select_account" in request.prompt and not (progress.logged_in or progress.account_chosen):
        if silent:  # pragma: no cover (prompt=none cannot be combined; kept for safety)
            raise AccountSelectionRequiredError(redirect_uri=request.redirect_uri)
        return Step.SELECT_ACCOUNT
    if not client.first_party:
        missing = [s for s in request.scope.split() if s not in granted]
        if missing or ("consent" in request.prompt and not progress.consented):
            if silent:
                raise ConsentRequiredError(redirect_uri=request.redirect_uri)
            return Step.CONSENT
    return Step.ISSUE
