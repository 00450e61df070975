"""Sign-in sessions: random cookie tokens stored as digests, idle and absolute limits.

A new token is made at every sign-in (session fixation, OWASP ASVS V7.2.4); the old
session in that browser is ended. ``last_seen_at`` is refreshed at most once a minute so
that reading a session is not a write on every request.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from authserver.protocol.tokens import digest as _digest
from authserver.storage.database import Database
from authserver.storage.models import LoginSession
from authserver.storage.unit_of_work import UnitOfWork

TOUCH_INTERVAL = dt.timedelta(minutes=1)


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


class SessionService:
    def __init__(self, database: Database, tenant_id: int, idle_ttl: int,
                 absolute_ttl: int) -> None:
        self.database = database
        self.tenant_id = tenant_id
        self.idle = dt.timedelta(seconds=idle_ttl)
        self.absolute = dt.timedelta(seconds=absolute_ttl)

    def start(self, user_id: int, amr: list[str], acr: str, now: dt.datetime,
              replacing: str | None = None,
              auth_time: dt.datetime | None = None) -> tuple[str, str]:
        """Create a session; returns (cookie token, sid). ``auth_time`` is when the person
        authenticated (the authenticator's result), ``now`` by default."""
        token = secrets.token_urlsafe(32)
        sid = secrets.token_urlsafe(16)
        with self.database.unit_of_work() as uow:
            if replacing:
                self._end(uow, _digest(replacing), now, "replaced")
            uow.sessions(self.tenant_id).add(LoginSession(
                token_digest=_digest(token), sid=sid, user_id=user_id,
                auth_time=auth_time or now, amr=amr, acr=acr, created_at=now, last_seen_at=now))
            uow.audit(self.tenant_id).record(
                f"user:{user_id}", "session.started", sid, amr=amr)
        return token, sid

    def find(self, token: str | None, now: dt.datetime) -> ActiveSession | None:
        if not token or len(token) > 100:
            return None
        with self.database.unit_of_work() as uow:
            found = uow.sessions(self.tenant_id).with_user(_digest(token))
            if found is None:
                return None
            row, user = found
            expired = (now - row.last_seen_at > self.idle
                       or now - row.created_at > self.absolute)
            if row.ended_at is not None or user.disabled or expired:
                if row.ended_at is None:
                    row.ended_at = now  # so refresh tokens bound to it stop too
                return None
            if now - row.last_seen_at > TOUCH_INTERVAL:
                row.last_seen_at = now
            name = " ".join(p for p in (user.given_name, user.family_name) if p)
            return ActiveSession(sid=row.sid, user_id=user.id, sub=user.sub, email=user.email,
                                 display_name=name or user.email, auth_time=row.auth_time,
                                 amr=tuple(row.amr), acr=row.acr)

    def end(self, token: str | None, now: dt.datetime) -> str | None:
        if not token:
            return None
        with self.database.unit_of_work() as uow:
            return self._end(uow, _digest(token), now, "logout")

    def end_all_for_user(self, user_id: int, now: dt.datetime) -> None:
        with self.database.unit_of_work() as uow:
            uow.sessions(self.tenant_id).end_all_for_user(user_id, now)

    def _end(self, uow: UnitOfWork, digest: str, now: dt.datetime, reason: str) -> str | None:
        row = uow.sessions(self.tenant_id).by_digest(digest)
        if row is None or row.ended_at is not None:
            return None
        row.ended_at = now
        uow.audit(self.tenant_id).record(
            f"user:{row.user_id}", "session.ended", row.sid, reason=reason)
        return str(row.sid)
