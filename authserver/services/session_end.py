"""The one way a sign-in session ends, whatever ended it.

Every path that ends sessions (logout, expiry, a newer sign-in under "single active
session", an operator, a password reset, a disabled user, the person on the account
page) calls :func:`end_sessions` inside its own unit of work, so the reason is recorded,
an audit event written and the relying parties told (OIDC Back-Channel Logout 1.0,
through the outbox) in the same transaction as the end itself.

Ending a session also ends its grants' refresh tokens, except offline ones:
``GrantRepository.is_live`` ties a non-offline grant to its session.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from authserver.services.backchannel_delivery import enqueue_logouts
from authserver.storage.unit_of_work import UnitOfWork


class EndReason(enum.StrEnum):
    LOGOUT = "logout"  # RP-initiated logout or the sign-out button
    REPLACED = "replaced"  # a new sign-in in the same browser (session fixation defence)
    EXPIRED = "expired"  # idle or absolute limit reached
    DISPLACED = "displaced"  # single active session: a sign-in elsewhere
    ADMIN = "admin"  # an operator ended it (CLI, admin API)
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGED = "password_changed"  # the person's other sessions, on change
    USER_DISABLED = "user_disabled"
    USER_DELETED = "user_deleted"
    USER_ENDED = "user_ended"  # the person ended it from the account page


@dataclass(frozen=True, slots=True)
class EndedSession:
    sid: str
    user_id: int


def end_sessions(uow: UnitOfWork, tenant_id: int, now: dt.datetime, reason: EndReason, *,
                 actor: str | None = None, user_id: int | None = None,
                 sids: list[str] | None = None,
                 except_sid: str | None = None) -> list[EndedSession]:
    """End the open sessions of ``user_id`` and/or named by ``sids`` (all of the user's
    but ``except_sid`` when given), in the caller's transaction; returns those ended.

    Given both, a session must be the user's *and* named: that is how the account page
    and the CLI end only a person's own sessions whatever sids they are sent. Asking for
    neither is a programming error (it would end every session of the tenant).
    """
    if user_id is None and sids is None:
        raise ValueError("end_sessions needs user_id or sids")
    sessions = uow.sessions(tenant_id)
    rows = sessions.open_sessions(user_id=user_id, sids=sids, except_sid=except_sid)
    audit = uow.audit(tenant_id)
    ended = []
    for row in rows:
        if not sessions.end_if_open(row, now, reason.value):
            continue  # ended by a concurrent call, which audits and notifies it
        audit.record(actor or f"user:{row.user_id}", "session.ended", row.sid,
                     reason=reason.value)
        ended.append(EndedSession(row.sid, row.user_id))
    uow.flush()
    # In this transaction: the relying parties hear of exactly the ends that commit.
    enqueue_logouts(uow, tenant_id, [(e.sid, e.user_id) for e in ended], now)
    return ended
