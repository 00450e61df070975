"""A person's open sign-in sessions as the account page and ``authserver session list``
show them, and ending them on the person's own behalf (OWASP ASVS 5.0 V7.5.2: view and
terminate any or all active sessions).

The device is read from the stored user agent with ``ua-parser`` (the maintained port of
the uap-core rules, shipped precompiled by ``ua-parser-builtins``: no download at run
time); a user agent it does not know is shown as sent, shortened.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from ua_parser import parse

from authserver.services.error_codes import define
from authserver.services.session_end import EndReason, end_sessions
from authserver.services.session_limits import SessionLimits
from authserver.storage.models import LoginSession
from authserver.storage.unit_of_work import UnitOfWork

SID_LENGTH = 64  # login_sessions.sid; anything longer names no session
SUMMARY_LENGTH = 60


@dataclass(frozen=True, slots=True)
class Device:
    """What the user agent says about the device; None for what it does not say."""

    browser: str | None = None  # "Chrome 130"
    system: str | None = None  # "Linux", "iOS"
    model: str | None = None  # "iPhone"
    raw: str | None = None  # the user agent, shortened, when neither is known

    def __str__(self) -> str:
        """The English summary (the CLI's; the account page composes its own)."""
        if self.raw is not None:
            return self.raw
        parts = [self.browser or "", f"on {self.system}" if self.system else "",
                 f"({self.model})" if self.model else ""]
        return " ".join(p for p in parts if p) or "unknown"


@dataclass(frozen=True, slots=True)
class SessionView:
    """What may be shown of a session: never its token digest."""

    sid: str
    device: Device
    user_agent: str | None
    ip: str | None
    signed_in_at: dt.datetime
    last_seen_at: dt.datetime
    amr: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"sid": self.sid, "device": str(self.device), "user_agent": self.user_agent,
                "ip": self.ip, "signed_in_at": self.signed_in_at.isoformat(),
                "last_seen_at": self.last_seen_at.isoformat(), "amr": list(self.amr)}


@functools.lru_cache(maxsize=1024)
def device_of(user_agent: str | None) -> Device:
    """Browser "Chrome 130", system "Linux", model "iPhone" as far as the uap-core rules
    know them; the user agent itself, shortened, when they know neither browser nor
    system; nothing at all without a user agent."""
    if not user_agent or not user_agent.strip():
        return Device()
    found = parse(user_agent)
    browser, system, model = found.user_agent, found.os, found.device
    if browser is None and system is None:
        text = user_agent.strip()
        return Device(raw=text if len(text) <= SUMMARY_LENGTH
                      else text[:SUMMARY_LENGTH - 1] + "…")
    name = None
    if browser is not None:
        name = f"{browser.family} {browser.major}" if browser.major else browser.family
    shown_model = (model.family if model and model.family
                   and model.family not in ("Other", "Spider") else None)
    return Device(browser=name, system=system.family if system else None, model=shown_model)


def is_live(row: LoginSession, limits: SessionLimits, now: dt.datetime) -> bool:
    """Not ended and within both limits (an expired session nobody revisited is open in
    the table, but no longer signs anyone in)."""
    return (row.ended_at is None and now - row.last_seen_at <= limits.idle_delta
            and now - row.created_at <= limits.absolute_delta)


def view_of(row: LoginSession) -> SessionView:
    return SessionView(sid=row.sid, device=device_of(row.user_agent),
                       user_agent=row.user_agent, ip=row.ip, signed_in_at=row.created_at,
                       last_seen_at=row.last_seen_at, amr=tuple(row.amr or ()))


def live_sessions(uow: UnitOfWork, tenant_id: int, user_id: int, limits: SessionLimits,
                  now: dt.datetime) -> list[SessionView]:
    """The user's live sessions, most recently seen first."""
    rows = [row for row in uow.sessions(tenant_id).open_sessions(user_id=user_id)
            if is_live(row, limits, now)]
    rows.sort(key=lambda row: (row.last_seen_at, row.id), reverse=True)
    return [view_of(row) for row in rows]


def end_own(uow: UnitOfWork, tenant_id: int, user_id: int, sids: list[str] | None,
            except_sid: str, now: dt.datetime) -> int:
    """End the person's own sessions named by ``sids`` (all but ``except_sid`` when None);
    returns how many ended. A sid of another user, unknown, ended or this browser's own
    ends nothing and is told apart from none of them."""
    if sids is not None:
        sids = [sid for sid in sids if len(sid) <= SID_LENGTH]
        if not sids:
            return 0
    actor = f"user:{user_id}"
    return len(end_sessions(uow, tenant_id, now, EndReason.USER_ENDED, actor=actor,
                            user_id=user_id, sids=sids, except_sid=except_sid))


NOT_OPEN = define("AUTH-4001", "session_not_open",
                  "That session is not open. It may have ended already.", 404)
THIS_DEVICE = define("AUTH-4002", "session_is_this_device",
                     "That is the session you are using now. To end it, sign out.", 400)
