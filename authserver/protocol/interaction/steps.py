"""What the person must do before a code is issued (OIDC Core §3.1.2.3, §3.1.2.4).

Pure decision logic: the web layer supplies the facts (current session, remembered
consent, what this interaction has already done) and acts on the answer. Whether the
session's factors are enough is the factor policy's decision (policy.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass

from authserver.protocol.authorization import AuthorizationRequest
from authserver.protocol.errors import (
    AccountSelectionRequiredError,
    ConsentRequiredError,
    LoginRequiredError,
)
from authserver.protocol.interaction.progress import Progress
from authserver.protocol.policies import (
    PASSWORD_ALONE,
    FactorPolicy,
    must_enrol,
    requested_acr,
    satisfied,
)
from authserver.protocol.ports import ClientRecord


class Step(enum.Enum):
    LOGIN = "login"  # the first factor: nobody is recognised yet
    FACTOR = "factor"  # a further factor from the person already recognised
    ENROL = "enrol"  # set up a second factor now: the policy needs one and there is none
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


# The second-factor methods a person has set up (policies.SECOND_FACTOR_METHODS names),
# looked up only once the decision knows who is signing in.
EnrolledMethods = Callable[[int], Collection[str]]


def _nothing_enrolled(_user_id: int) -> frozenset[str]:
    return frozenset()


def login_too_old(request: AuthorizationRequest, session: SignedIn, now: dt.datetime) -> bool:
    if request.max_age is None:
        return False
    if request.max_age == 0:
        # max_age=0 is effectively prompt=login (openid/connect issue #993), even when the
        # last sign-in was in this same second.
        return True
    return (now - session.auth_time).total_seconds() > request.max_age


def signing_in(request: AuthorizationRequest, session: SignedIn | None, progress: Progress,
               now: dt.datetime) -> tuple[int, tuple[str, ...]] | None:
    """Who this interaction is about and the factors they have presented, or None when
    the first factor is still to come (no session, or the client wants a fresh login)."""
    done = progress.authenticated
    if done is not None and not progress.logged_in:
        return done.user_id, done.amr  # part-way through signing in (or stepping up)
    if session is None:
        return None
    if not progress.logged_in and ("login" in request.prompt
                                   or login_too_old(request, session, now)):
        return None
    return session.user_id, session.amr


def factor_step(request: AuthorizationRequest, policy: FactorPolicy,
                enrolled: Collection[str], amr: Collection[str]) -> Step | None:
    """The factor page still needed after ``amr`` (FACTOR or ENROL), or None when the
    level this request and this person need is reached."""
    target = policy.target(requested_acr(request.acr_values, request.claims), enrolled)
    if satisfied(target, amr):
        return None
    return Step.ENROL if must_enrol(target, amr, policy, enrolled) else Step.FACTOR


def next_step(request: AuthorizationRequest, client: ClientRecord, session: SignedIn | None,
              granted: Collection[str], progress: Progress, now: dt.datetime,
              policy: FactorPolicy = PASSWORD_ALONE,
              enrolled: EnrolledMethods = _nothing_enrolled) -> Step:
    silent = "none" in request.prompt
    who = signing_in(request, session, progress, now)
    if who is None:
        if silent:
            raise LoginRequiredError(redirect_uri=request.redirect_uri)
        return Step.LOGIN
    user_id, amr = who
    methods = enrolled(user_id) if policy.depends_on_enrolment else frozenset()
    more = factor_step(request, policy, methods, amr)
    if more is not None:
        if silent:  # a step-up cannot happen without the person (OIDC Core §3.1.2.6)
            raise LoginRequiredError(redirect_uri=request.redirect_uri)
        return more
    if session is None or session.user_id != user_id:
        return Step.LOGIN  # the factors were presented but the session did not start
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
