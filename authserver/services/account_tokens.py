"""Account links: the random token mailed for email verification, an invitation or a
password reset (ARCHITECTURE.md "Tokens": stored only as its SHA-256 digest).

A token is 256 random bits, so it is unguessable without attempt limits; it is bound to
the account it was issued for and nothing the requester controls, used once, and only
the newest of a purpose works. Callers hold the unit of work: issuing a link and
queueing the mail that carries it commit together (services/notifications.py).
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from dataclasses import dataclass

from authserver.protocol.tokens import digest
from authserver.storage.unit_of_work import UnitOfWork

# Longer values are not tokens this server made: refused before hashing.
MAX_TOKEN_LENGTH = 100


class Purpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


# How long each kind of link works (issue 10: verification 24 h, reset 30 min).
LIFETIMES: dict[Purpose, dt.timedelta] = {
    Purpose.VERIFY_EMAIL: dt.timedelta(hours=24),
    Purpose.INVITATION: dt.timedelta(days=7),
    Purpose.PASSWORD_RESET: dt.timedelta(minutes=30),
}


@dataclass(frozen=True, slots=True)
class LinkHolder:
    """Whom a valid, unspent link is for."""

    token_id: int
    user_id: int
    interaction_uid: str | None


def issue(uow: UnitOfWork, tenant_id: int, user_id: int, purpose: Purpose, now: dt.datetime,
          interaction_uid: str | None = None,
          lifetime: dt.timedelta | None = None) -> str:
    """A new link token for ``user_id``; earlier unspent ones of ``purpose`` stop working."""
    token = secrets.token_urlsafe(32)
    repo = uow.account_tokens(tenant_id)
    repo.drop_unused(user_id, purpose)
    repo.add(user_id, purpose, digest(token), now, now + (lifetime or LIFETIMES[purpose]),
             interaction_uid)
    return token


def check(uow: UnitOfWork, tenant_id: int, purpose: Purpose, token: str,
          now: dt.datetime) -> LinkHolder | None:
    """Whom ``token`` is for when it is valid and unspent (to show a form), else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = uow.account_tokens(tenant_id).by_digest(purpose, digest(token))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return LinkHolder(row.id, row.user_id, row.interaction_uid)


def spend(uow: UnitOfWork, tenant_id: int, purpose: Purpose, token: str,
          now: dt.datetime) -> LinkHolder | None:
    """Use ``token`` once: whom it was for, or None when it is unknown, expired, used,
    or a concurrent request spent it first."""
    holder = check(uow, tenant_id, purpose, token, now)
    if holder is None or not uow.account_tokens(tenant_id).spend(holder.token_id, now):
        return None
    return holder
