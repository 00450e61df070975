"""What the back-channel logout tests share: registering a receiver for a client,
ending sessions as each path does, and checking a logout token as an RP must (§2.6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from authserver.runtime import Runtime
from authserver.services.client_changes import ClientChanges, update_client
from authserver.services.session_end import EndReason, end_sessions
from authserver.storage.models import LoginSession, OutboxMessage
from tests.support.backchannel_receiver import LogoutDelivery
from tests.support.oauth import ISSUER
from tests.support.tokens import tenant_id, verify_jwt

EVENT = "http://schemas.openid.net/event/backchannel-logout"


def register_backchannel(runtime: Runtime, uri: str, client_id: str = "web",
                         session_required: bool | None = None) -> None:
    tid = tenant_id(runtime)
    with runtime.database.unit_of_work() as uow:
        update_client(uow.clients(tid), uow.audit(tid), client_id, ClientChanges(
            backchannel_logout_uri=uri, backchannel_logout_session_required=session_required),
            "test", cache=runtime.clients)


def end_directly(runtime: Runtime, reason: EndReason, sid: str) -> None:
    """End one session as an operator command or a newer sign-in does."""
    with runtime.database.unit_of_work() as uow:
        ended = end_sessions(uow, tenant_id(runtime), runtime.clock(), reason,
                             actor="test", sids=[sid])
    assert [e.sid for e in ended] == [sid], f"session {sid} must have been open: {ended}"


def ended_reason(runtime: Runtime, sid: str) -> str | None:
    with runtime.database.session() as session:
        row = session.scalar(select(LoginSession).where(LoginSession.sid == sid))
        assert row is not None, f"no session {sid}"
        return row.ended_reason


def outbox_rows(runtime: Runtime) -> list[OutboxMessage]:
    with runtime.database.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def assert_logout_token(http: FlaskClient, delivery: LogoutDelivery, now: dt.datetime, *,
                        sid: str, sub: str, client_id: str = "web") -> dict[str, Any]:
    """Validate the delivered token the way Back-Channel Logout §2.6 tells an RP to,
    with jwcrypto against our published JWKS; returns its claims."""
    assert delivery.content_type == "application/x-www-form-urlencoded", (
        f"§2.5: the token is POSTed as a form, got Content-Type {delivery.content_type!r}")
    header, claims = verify_jwt(http, delivery.logout_token)
    assert header.get("typ") == "logout+jwt", f"typ must be logout+jwt: {header}"
    assert claims["iss"] == ISSUER, f"iss must be our issuer: {claims}"
    assert claims["aud"] == client_id, f"aud must be the client: {claims}"
    assert claims["events"] == {EVENT: {}}, f"events must name back-channel logout: {claims}"
    assert (claims.get("sid"), claims.get("sub")) == (sid, sub), \
        f"the token must name the session {sid} and subject {sub}: {claims}"
    assert "nonce" not in claims, f"§2.4: a logout token carries no nonce: {claims}"
    assert claims["iat"] == int(now.timestamp()), \
        f"signed when delivered, so iat is the delivery time: {claims}"
    assert claims["exp"] == claims["iat"] + 120, f"a two-minute token: {claims}"
    assert isinstance(claims.get("jti"), str) and len(claims["jti"]) >= 16, \
        f"a unique jti lets the RP refuse replays: {claims}"
    return claims
