"""Client secrets over time: which digests authenticate at an instant, and rotation.

A confidential client has one current secret, which may expire (RFC 7591
``client_secret_expires_at``), and during a rotation's overlap also the secret it
replaced, until ``previous_secret_expires_at``. Rotating again while an overlap runs
replaces that previous secret with the one being rotated out: at most two secrets ever
authenticate, and the oldest ends at once (its holders had the whole first overlap).

Only digests are stored; a new secret is returned once, to be shown once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Protocol

from authserver.services.client_rules import SECRET_METHODS
from authserver.services.clients import secret_digest, secret_digest_matches
from authserver.services.errors import Conflict, InvalidInput
from authserver.storage.models import Client

# Long enough for any deployment to roll out a new secret, short enough that a leaked old
# one does not stay useful for months.
MAX_OVERLAP = dt.timedelta(days=30)
# RFC 7591 lets a server expire secrets; ten years is as far as anyone plans.
MAX_SECRET_LIFETIME = dt.timedelta(days=3650)


class SecretTimes(Protocol):
    """The columns the rule reads (a client row)."""

    @property
    def secret_digest(self) -> str | None: ...
    @property
    def secret_expires_at(self) -> dt.datetime | None: ...
    @property
    def previous_secret_digest(self) -> str | None: ...
    @property
    def previous_secret_expires_at(self) -> dt.datetime | None: ...


@dataclass(frozen=True, slots=True)
class SecretColumns:
    """A copy of a row's secret columns, for caches that outlive the row's session."""

    secret_digest: str | None
    secret_expires_at: dt.datetime | None
    previous_secret_digest: str | None
    previous_secret_expires_at: dt.datetime | None

    @classmethod
    def of(cls, client: SecretTimes) -> SecretColumns:
        return cls(client.secret_digest, client.secret_expires_at,
                   client.previous_secret_digest, client.previous_secret_expires_at)


@dataclass(frozen=True, slots=True)
class LiveDigests:
    """The digests that authenticate at one instant, and when that answer next changes."""

    current: str | None
    previous: str | None
    changes_at: dt.datetime | None  # None: not before the row itself changes


def _live(digest: str | None, ends: dt.datetime | None, now: dt.datetime) -> bool:
    return digest is not None and (ends is None or now < ends)


def live_digests(client: SecretTimes, now: dt.datetime) -> LiveDigests:
    """Which of the client's secrets authenticate at ``now``."""
    ends = [e for e in (client.secret_expires_at, client.previous_secret_expires_at)
            if e is not None and e > now]
    # A previous secret always has an end; one without is treated as ended.
    previous_live = client.previous_secret_expires_at is not None and _live(
        client.previous_secret_digest, client.previous_secret_expires_at, now)
    current_live = _live(client.secret_digest, client.secret_expires_at, now)
    return LiveDigests(current=client.secret_digest if current_live else None,
                       previous=client.previous_secret_digest if previous_live else None,
                       changes_at=min(ends, default=None))


def secret_matches(client: SecretTimes, presented: str, now: dt.datetime) -> bool:
    """Whether ``presented`` is one of the client's secrets live at ``now``."""
    live = live_digests(client, now)
    # Both compared, whatever the first says: which secret is in use stays out of timing.
    current = secret_digest_matches(live.current, presented)
    previous = secret_digest_matches(live.previous, presented)
    return current or previous


@dataclass(frozen=True, slots=True)
class NewSecret:
    client_secret: str  # shown once, never stored
    secret_expires_at: dt.datetime | None
    previous_secret_expires_at: dt.datetime | None  # None: the old secret ended at once


def check_overlap(overlap: dt.timedelta) -> None:
    if overlap < dt.timedelta(0):
        raise InvalidInput("overlap", "must be zero (end the old secret now) or more")
    if overlap > MAX_OVERLAP:
        raise InvalidInput("overlap", f"must be at most {MAX_OVERLAP.days} days")


def check_lifetime(lifetime: dt.timedelta | None) -> None:
    if lifetime is not None and not dt.timedelta(0) < lifetime <= MAX_SECRET_LIFETIME:
        raise InvalidInput("secret_expires_in", "must be more than zero and at most "
                           f"{MAX_SECRET_LIFETIME.days} days")


def rotated(client: SecretTimes, now: dt.datetime, lifetime: dt.timedelta | None,
            overlap: dt.timedelta = dt.timedelta(0)) -> tuple[NewSecret, SecretColumns]:
    """A new secret for ``client`` and the secret columns it makes: the current secret
    keeps working for ``overlap`` (never past its own expiry), and a previous one from an
    earlier rotation ends now."""
    check_overlap(overlap)
    check_lifetime(lifetime)
    old = live_digests(client, now).current
    secret = secrets.token_urlsafe(32)
    old_ends = now + overlap
    if client.secret_expires_at is not None:
        old_ends = min(old_ends, client.secret_expires_at)
    keep_old = old is not None and old_ends > now
    columns = SecretColumns(
        secret_digest=secret_digest(secret),
        secret_expires_at=now + lifetime if lifetime is not None else None,
        previous_secret_digest=old if keep_old else None,
        previous_secret_expires_at=old_ends if keep_old else None)
    return NewSecret(secret, columns.secret_expires_at,
                     columns.previous_secret_expires_at), columns


def issue_secret(client: Client, now: dt.datetime, lifetime: dt.timedelta | None,
                 overlap: dt.timedelta = dt.timedelta(0)) -> NewSecret:
    """:func:`rotated`, set on ``client`` (flushed with the rest of its change)."""
    new, columns = rotated(client, now, lifetime, overlap)
    for key, value in dataclasses.asdict(columns).items():
        setattr(client, key, value)
    return new


def drop_secrets(client: Client) -> None:
    """The client no longer authenticates with a secret (it changed method)."""
    client.secret_digest = None
    client.secret_expires_at = None
    client.previous_secret_digest = None
    client.previous_secret_expires_at = None


def require_secret_method(client: Client) -> None:
    if client.is_public or client.token_endpoint_auth_method not in SECRET_METHODS:
        raise Conflict(f"client {client.client_id!r} authenticates with "
                       f"{client.token_endpoint_auth_method}, not a client secret: it has "
                       "no secret to rotate")


def secret_after_method_change(client: Client, old_method: str,
                               now: dt.datetime) -> str | None:
    """Keep the secret between secret methods (basic and post present the same one); drop
    every secret when the client leaves them (a secret that authenticates nothing must
    not linger, nor come back if the method does); make one when it takes one up. Returns
    the new secret, shown once."""
    was, now_is = old_method in SECRET_METHODS, client.token_endpoint_auth_method in \
        SECRET_METHODS
    if was and not now_is:
        drop_secrets(client)
    if now_is and not was:
        return issue_secret(client, now, None).client_secret
    return None
