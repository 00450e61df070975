"""Sign-in sessions: random cookie tokens stored as digests, idle and absolute limits.

A new token is made at every sign-in (session fixation, OWASP ASVS V7.2.4); the old
session in that browser is ended. ``last_seen_at`` is refreshed at most once a minute so
that reading a session is not a write on every request.

Every end goes through :func:`services.session_end.end_sessions` with its reason, so the
audit trail and back-channel logout see each one. Under "single active session" (the
tenant's switch, or the user's own ``users.single_session`` overriding it) a sign-in ends
the user's other sessions as ``displaced``.

A browser whose session someone or something else ended is told why on its next
sign-in page (:data:`SIGNED_OUT`): only the holder of the cookie can name the session,
since its token is random and stored as a digest, so the reason reaches no one else.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from authserver.protocol.tokens import digest as _digest
from authserver.services.error_codes import ErrorCode, define
from authserver.services.session_end import EndReason, end_sessions
from authserver.storage.database import Database
from authserver.storage.models import LoginSession
from authserver.storage.unit_of_work import UnitOfWork

TOUCH_INTERVAL = dt.timedelta(minutes=1)
USER_AGENT_LENGTH = 512  # login_sessions.user_agent
IP_LENGTH = 64  # login_sessions.ip


@dataclass(frozen=True, slots=True)
class ActiveSession:
    sid: str
    user_id: int
    sub: str
    email: str
    display_name: str
    auth_time: dt.datetime
    amr: tuple[str, ...]
    acr: str


# Why this browser was signed out, said on its next sign-in page (a notice: the page is
# 200). Not for ``logout`` and ``replaced`` (this browser did it) nor ``user_disabled``
# (the sign-in page never tells that an account is disabled).
SIGNED_OUT: dict[EndReason, ErrorCode] = {
    EndReason.DISPLACED: define(
        "AUTH-4003", "signed_out_displaced",
        "You were signed out because your account signed in on another device.", 200),
    EndReason.ADMIN: define(
        "AUTH-4004", "signed_out_by_administrator",
        "You were signed out by an administrator.", 200),
    EndReason.PASSWORD_RESET: define(
        "AUTH-4005", "signed_out_password_reset",
        "You were signed out because the password of your account was reset.", 200),
    EndReason.PASSWORD_CHANGED: define(
        "AUTH-4006", "signed_out_password_changed",
        "You were signed out because the password of your account was changed.", 200),
    EndReason.USER_ENDED: define(
        "AUTH-4007", "signed_out_from_another_device",
        "You were signed out because this session was ended from another device.", 200),
    EndReason.EXPIRED: define(
        "AUTH-4008", "signed_out_expired",
        "You were signed out because your session expired.", 200),
}


@dataclass(frozen=True, slots=True)
class Seen:
    """What a session cookie names: a live session, or why its session ended (for the
    holder of the cookie only: see :data:`SIGNED_OUT`), or neither."""

    active: ActiveSession | None = None
    signed_out: ErrorCode | None = None


@dataclass(frozen=True, slots=True)
class Browser:
    """Where a sign-in comes from, as the request said it (shown on the session list)."""

    user_agent: str | None = None
    ip: str | None = None


def printable(text: str | None, length: int) -> str | None:
    """``text`` cut to ``length``, control characters replaced: a user agent is whatever
    the client sent, and is later printed on a terminal by ``session list``."""
    if not text:
        return None
    return "".join(c if c.isprintable() else "?" for c in text[:length])


def _notice(reason: str | None) -> ErrorCode | None:
    try:
        return SIGNED_OUT.get(EndReason(reason)) if reason else None
    except ValueError:
        return None  # a reason this version does not know: say nothing


class SessionService:
    def __init__(self, database: Database, tenant_id: int, idle_ttl: int,
                 absolute_ttl: int, single_session: bool = False) -> None:
        self.database = database
        self.tenant_id = tenant_id
        self.idle = dt.timedelta(seconds=idle_ttl)
        self.absolute = dt.timedelta(seconds=absolute_ttl)
        # The tenant's switch; a user's own setting (not None) wins.
        self.single_session = single_session

    def start(self, user_id: int, amr: list[str], acr: str, now: dt.datetime,
              replacing: str | None = None, auth_time: dt.datetime | None = None,
              browser: Browser | None = None) -> tuple[str, str]:
        """Create a session; returns (cookie token, sid). ``auth_time`` is when the person
        authenticated (the authenticator's result), ``now`` by default. ``replacing`` is
        the cookie token this browser held: that session ends (``replaced``)."""
        token = secrets.token_urlsafe(32)
        sid = secrets.token_urlsafe(16)
        browser = browser or Browser()
        with self.database.unit_of_work() as uow:
            sessions = uow.sessions(self.tenant_id)
            # Locked first: two sign-ins of one user under single session then run one
            # after the other, and the later one sees, and ends, the earlier one.
            owner = sessions.lock_owner(user_id)
            if replacing:
                self._end_token(uow, replacing, now, EndReason.REPLACED)
            sessions.add(LoginSession(
                token_digest=_digest(token), sid=sid, user_id=user_id,
                auth_time=auth_time or now, amr=amr, acr=acr, created_at=now,
                last_seen_at=now, user_agent=printable(browser.user_agent, USER_AGENT_LENGTH),
                ip=printable(browser.ip, IP_LENGTH)))
            uow.audit(self.tenant_id).record(
                f"user:{user_id}", "session.started", sid, amr=amr)
            single = owner.single_session if owner and owner.single_session is not None \
                else self.single_session
            if single:
                uow.flush()
                end_sessions(uow, self.tenant_id, now, EndReason.DISPLACED,
                             user_id=user_id, except_sid=sid)
        return token, sid

    def find(self, token: str | None, now: dt.datetime) -> ActiveSession | None:
        return self.look_up(token, now).active

    def look_up(self, token: str | None, now: dt.datetime) -> Seen:
        """The live session ``token`` names, or the notice of why it ended."""
        if not token or len(token) > 100:
            return Seen()
        with self.database.unit_of_work() as uow:
            found = uow.sessions(self.tenant_id).with_user(_digest(token))
            if found is None:
                return Seen()
            row, user = found
            if user.disabled:
                return Seen()
            if row.ended_at is not None:
                return Seen(signed_out=_notice(row.ended_reason))
            if self.expired(row, now):
                # Ended now, so refresh tokens bound to it stop too and the relying
                # parties hear of it.
                end_sessions(uow, self.tenant_id, now, EndReason.EXPIRED, sids=[row.sid])
                return Seen(signed_out=SIGNED_OUT[EndReason.EXPIRED])
            if now - row.last_seen_at > TOUCH_INTERVAL:
                row.last_seen_at = now
            name = " ".join(p for p in (user.given_name, user.family_name) if p)
            return Seen(active=ActiveSession(
                sid=row.sid, user_id=user.id, sub=user.sub, email=user.email,
                display_name=name or user.email, auth_time=row.auth_time,
                amr=tuple(row.amr), acr=row.acr))

    def expired(self, row: LoginSession, now: dt.datetime) -> bool:
        """Past the idle or the absolute limit (ended or not)."""
        return now - row.last_seen_at > self.idle or now - row.created_at > self.absolute

    def end(self, token: str | None, now: dt.datetime) -> str | None:
        """Sign out: end this browser's session (``logout``); returns its sid."""
        if not token:
            return None
        with self.database.unit_of_work() as uow:
            return self._end_token(uow, token, now, EndReason.LOGOUT)

    def end_all_for_user(self, user_id: int, now: dt.datetime,
                         reason: EndReason = EndReason.LOGOUT,
                         actor: str | None = None) -> int:
        """End every open session of the user; returns how many."""
        with self.database.unit_of_work() as uow:
            return len(end_sessions(uow, self.tenant_id, now, reason, actor=actor,
                                    user_id=user_id))

    def _end_token(self, uow: UnitOfWork, token: str, now: dt.datetime,
                   reason: EndReason) -> str | None:
        if len(token) > 100:
            return None
        row = uow.sessions(self.tenant_id).by_digest(_digest(token))
        if row is None or row.ended_at is not None:
            return None
        ended = end_sessions(uow, self.tenant_id, now, reason, sids=[row.sid])
        return ended[0].sid if ended else None
