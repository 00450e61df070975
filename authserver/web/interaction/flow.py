"""Moving a pending authorization request along: find it again, ask the protocol what is
next, and either send the browser to that page or answer the client (code or error)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Response, redirect, url_for

from authserver.protocol.authorization import AuthorizationRequest, RedirectTarget
from authserver.protocol.code_minting import Authenticated, mint_code
from authserver.protocol.context import TenantContext
from authserver.protocol.errors import OAuth2Error
from authserver.protocol.interaction import Progress, SignedIn, Step, next_step, signing_in
from authserver.protocol.policies import SECOND_FACTOR_METHODS, FactorPolicy, completes
from authserver.protocol.ports import ClientRecord
from authserver.services import sign_in_errors
from authserver.services.authn.enrolment import (
    deliverable,
    enrolled_methods,
    has_recovery_codes,
)
from authserver.services.consent import ConsentService
from authserver.services.sessions import ActiveSession
from authserver.web.context import runtime, tenant
from authserver.web.interaction import pending
from authserver.web.interaction.account_client import account_client, is_account_request
from authserver.web.redirects import authorization_response, error_page
from authserver.web.sessions import current_session, sessions

EXPIRED = sign_in_errors.SIGN_IN_EXPIRED.message


def tenant_context() -> TenantContext:
    ctx: TenantContext = runtime().tenant_context(tenant())
    return ctx


@dataclass(frozen=True)
class Flow:
    """A pending authorization request found again by its interaction id."""

    ctx: TenantContext
    uid: str
    authz: AuthorizationRequest
    progress: Progress
    client: ClientRecord


def expired() -> Response:
    return error_page(EXPIRED)


def resume(uid: str) -> Flow | Response:
    """The pending request behind ``uid`` in this browser, or the page saying why not."""
    found = pending.find(uid)
    if found is None:
        return expired()
    ctx = tenant_context()
    client = (account_client() if is_account_request(found.request)
              else ctx.clients.get(found.request.client_id))
    if client is None:
        return error_page(sign_in_errors.CLIENT_GONE.message)
    return Flow(ctx, uid, found.request, found.progress, client)


def step_for(flow: Flow, active: ActiveSession | None) -> Step:
    """What comes next for ``flow``; raises the OAuth error to send when it cannot go on."""
    return next_step(flow.authz, flow.client, signed_in(active), granted(active, flow.client),
                     flow.progress, flow.ctx.clock(), flow.ctx.factor_policy, enrolled)


def enrolled(user_id: int) -> frozenset[str]:
    """The ways of signing in ``user_id`` has set up that this server can serve
    (services/authn/enrolment.py)."""
    with runtime().database.unit_of_work() as uow:
        methods = enrolled_methods(uow, tenant().id, user_id)
    return deliverable(methods, runtime().senders)


def recovery_codes_left(user_id: int) -> bool:
    with runtime().database.unit_of_work() as uow:
        return has_recovery_codes(uow, tenant().id, user_id)


def _signing_in(flow: Flow) -> tuple[int, tuple[str, ...]] | None:
    return signing_in(flow.authz, signed_in(current_session()), flow.progress,
                      flow.ctx.clock())


def person(flow: Flow) -> int | None:
    """The user a further factor is asked of: part-way through signing in here, or the
    session stepping up; None when the first factor is still to come."""
    who = _signing_in(flow)
    return who[0] if who else None


def presented(flow: Flow) -> tuple[str, ...]:
    """The factors the person has presented so far (empty before the first)."""
    who = _signing_in(flow)
    return who[1] if who else ()


def set_up_under(policy: FactorPolicy, user_id: int) -> frozenset[str]:
    """What ``user_id`` has set up, looked up only when ``policy`` makes it matter."""
    return enrolled(user_id) if policy.depends_on_enrolment else frozenset()


def offered_methods(policy: FactorPolicy, user_id: int,
                    done: tuple[str, ...] = ()) -> list[str]:
    """The further factors ``user_id`` may use here, in a stable order: the second
    factors set up that complete what ``done`` started, recovery codes standing in for
    them, and the password after a passwordless first factor."""
    methods_set_up = set_up_under(policy, user_id)
    usable = policy.usable(methods_set_up)
    methods = [m for m in SECOND_FACTOR_METHODS if m in usable and completes(m, done)]
    if "pwd" in methods_set_up and "pwd" not in done and completes("pwd", done):
        methods.insert(0, "pwd")
    if usable and completes("recovery", done) and recovery_codes_left(user_id):
        methods.append("recovery")
    return methods


def proceed(ctx: TenantContext, client: ClientRecord, authz: AuthorizationRequest,
            progress: Progress, uid: str | None, session_token: str | None = None) -> Response:
    """Issue the code if nothing is left to do; otherwise keep the request and show the
    next page. ``uid`` is None for a request that has not waited yet."""
    now = ctx.clock()
    active = sessions().find(session_token, now) if session_token else current_session()
    flow = Flow(ctx, uid or "", authz, progress, client)
    try:
        step = step_for(flow, active)
    except OAuth2Error as error:
        return finish_error(flow, error)
    if step is not Step.ISSUE or active is None:
        return _wait(uid, authz, progress)
    if uid is not None and not pending.finish(uid):
        return expired()  # finished meanwhile, by another request of this browser
    if is_account_request(authz):
        return redirect(authz.redirect_uri, 303)  # the account page: no code to issue
    code = mint_code(ctx.code_storage, authz, _authenticated(active), now,
                     dt.timedelta(seconds=runtime().settings.auth_code_ttl))
    return authorization_response(ctx.issuer, _target(authz), code=code)


def _wait(uid: str | None, authz: AuthorizationRequest, progress: Progress) -> Response:
    if uid is None:
        uid = pending.begin(authz, progress)
    elif not pending.save(uid, progress):
        return expired()
    return redirect(url_for("authorize.interaction", tenant=tenant().slug, uid=uid), 303)


def finish_error(flow: Flow, error: OAuth2Error) -> Response:
    """End the interaction and send ``error`` to the client's redirect URI."""
    if flow.uid:
        pending.finish(flow.uid)
    return authorization_response(flow.ctx.issuer, _target(flow.authz), error=error)


def _target(authz: AuthorizationRequest) -> RedirectTarget:
    return RedirectTarget(authz.redirect_uri, authz.state, authz.response_mode)


def _authenticated(active: ActiveSession) -> Authenticated:
    return Authenticated(active.user_id, active.sid, active.auth_time, active.acr, active.amr)


def signed_in(active: ActiveSession | None) -> SignedIn | None:
    if active is None:
        return None
    return SignedIn(active.user_id, active.auth_time, active.amr, active.acr)


def granted(active: ActiveSession | None, client: ClientRecord) -> set[str]:
    if active is None or client.first_party:
        return set()
    return ConsentService(runtime().database, tenant().id).granted(active.user_id,
                                                                   client.client_id)
