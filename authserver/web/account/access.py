"""Who is looking at the account page: a signed-in session, or an interaction of the
account page's own (web/interaction/account_client.py) that signs the person in through
the same hosted pages as any client and comes back here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Response, redirect, url_for

from authserver.protocol.authorization import AuthorizationRequest
from authserver.protocol.interaction import Progress
from authserver.services.sessions import ActiveSession
from authserver.web.context import runtime, tenant
from authserver.web.interaction import pending
from authserver.web.interaction.account_client import ACCOUNT_CLIENT_ID, account_url
from authserver.web.security import check_csrf
from authserver.web.sessions import current_session

# Adding or removing a way of signing in needs a sign-in this recent (OWASP ASVS 5.0
# V6.3: re-authenticate before changing authentication factors).
FRESH_SIGN_IN = dt.timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class AccountView:
    user_id: int
    session: ActiveSession


def signed_in_account(fresh: bool = False) -> AccountView | Response:
    """The signed-in person, or the redirect that signs them in and comes back.
    ``fresh``: the sign-in must be recent (before changing how one signs in)."""
    active = current_session()
    now = runtime().clock()
    if active is not None and not (fresh and now - active.auth_time > FRESH_SIGN_IN):
        return AccountView(active.user_id, active)
    max_age = int(FRESH_SIGN_IN.total_seconds()) if active is not None else None
    authz = AuthorizationRequest(
        client_id=ACCOUNT_CLIENT_ID, redirect_uri=account_url(), scope="openid", state=None,
        response_mode="query", code_challenge=None, nonce=None, max_age=max_age)
    uid = pending.begin(authz, Progress())
    return redirect(url_for("authorize.interaction", tenant=tenant().slug, uid=uid), 303)


def changing_account() -> AccountView | Response:
    """For a form that changes how the person signs in: its CSRF token, and a recent
    sign-in (else the redirect that signs them in again and comes back)."""
    check_csrf()
    return signed_in_account(fresh=True)
