"""Checking a password sign-in without revealing whether the account exists, behind a
throttle that cannot be turned against the account's owner (services/throttle.py).

Unknown user, wrong password and disabled account take the same path through one full
argon2 verification and return the same ``None``. A throttled attempt checks no password
at all, whether the account exists or not, so the 429 answer is the same for a right and
a wrong password and confirms nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from authserver.services.known_devices import KnownDevices
from authserver.services.passwords import MAX_LENGTH, Passwords
from authserver.services.phone_numbers import looks_like_phone, parse_phone
from authserver.services.throttle import LoginThrottle, SignInKey, Throttle
from authserver.storage.database import Database
from authserver.storage.models import User
from authserver.storage.repositories import UserRepository

MAX_IDENTIFIER = 320


def _find_user(users: UserRepository, identifier: str) -> User | None:
    identifier = identifier.strip()
    if not identifier or len(identifier) > MAX_IDENTIFIER:
        return None
    if looks_like_phone(identifier):
        # Any spelling of the number names the account stored under its E.164 form.
        phone = parse_phone(identifier)
        return users.by_phone(phone) if phone is not None else None
    return users.by_identifier(identifier)


def authenticate_password(database: Database, passwords: Passwords, tenant_id: int,
                          identifier: str, password: str) -> int | None:
    """The user id when ``identifier`` (email, username or phone) and ``password`` match.

    A hash made with other argon2 parameters than ``passwords``' is replaced by one made
    with them, in the unit of work that records the sign-in (the only moment the
    plaintext is at hand).
    """
    if len(password) > MAX_LENGTH:
        passwords.verify(None, password[:MAX_LENGTH])
        return None
    with database.unit_of_work() as uow:
        user = _find_user(uow.users(tenant_id), identifier)
        ok = passwords.verify(user.password_hash if user else None, password)
        audit = uow.audit(tenant_id)
        if not ok or user is None or user.disabled:
            audit.record("anonymous", "login.failed", None,
                         reason="disabled" if ok and user is not None else "bad_credentials")
            return None
        if user.password_hash and passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash(password)
        audit.record(f"user:{user.id}", "login.succeeded", user.sub, method="pwd")
        return user.id


class Outcome(enum.Enum):
    SIGNED_IN = "signed_in"
    REFUSED = "refused"  # wrong identifier, password, or a disabled account
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class SignInResult:
    outcome: Outcome
    user_id: int | None = None
    retry_after: int | None = None  # seconds, when THROTTLED
    device_token: str | None = None  # the browser's renewed known-device token, when SIGNED_IN


@dataclass(frozen=True, slots=True)
class PasswordSignIn:
    """One tenant's password sign-in: throttle, check, and recognise known browsers."""

    database: Database
    throttle: Throttle
    devices: KnownDevices
    tenant_id: int
    passwords: Passwords

    def attempt(self, identifier: str, password: str, source: str,
                device_token: str | None, now: dt.datetime) -> SignInResult:
        key = self._key(identifier, source, device_token, now)
        limiter = LoginThrottle(self.throttle, self.tenant_id, key)
        wait = limiter.retry_after()
        if wait is not None:
            return SignInResult(Outcome.THROTTLED, retry_after=wait)
        user_id = authenticate_password(self.database, self.passwords, self.tenant_id,
                                        identifier, password)
        if user_id is None:
            limiter.failed()
            return SignInResult(Outcome.REFUSED)
        limiter.succeeded()
        return SignInResult(Outcome.SIGNED_IN, user_id=user_id, device_token=self.devices.issue(
            self.tenant_id, user_id, now, device_id=key.device))

    def sign_in_name(self, user_id: int) -> str:
        """What the password of ``user_id`` is checked under (their email address): the
        password as a further factor names the person the page asks, never a typed name."""
        with self.database.unit_of_work() as uow:
            user = uow.users(self.tenant_id).by_id(user_id)
            return user.email if user is not None else ""

    def _key(self, identifier: str, source: str, device_token: str | None,
             now: dt.datetime) -> SignInKey:
        # The account, not the identifier typed, so email and user name share one bucket;
        # an identifier naming nobody gets a bucket of its own, counted the same way.
        with self.database.unit_of_work() as uow:
            user = _find_user(uow.users(self.tenant_id), identifier)
            user_id = user.id if user is not None else None
        if user_id is None:
            typed = identifier.strip().lower()[:MAX_IDENTIFIER]
            return SignInKey(f"typed:{typed}", source)
        device = self.devices.device_of(device_token, self.tenant_id, user_id, now)
        return SignInKey(f"user:{user_id}", source, device)
