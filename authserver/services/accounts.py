"""User accounts: creation with argon2id password hashes and normalised identifiers."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from authserver.services.account_policy import PasswordRules
from authserver.services.errors import Conflict, InvalidInput, NotFound
from authserver.services.password_policy import (
    PasswordRefused,
    password_problems,
    set_password_under_rules,
)
from authserver.services.passwords import Passwords, password_problem
from authserver.services.phone_numbers import normalise_phone
from authserver.services.session_end import EndReason, end_sessions
from authserver.services.user_attributes import AttributeEdit
from authserver.storage.models import User
from authserver.storage.repositories import AuditRepository, UserRepository
from authserver.storage.repositories.password_history import PasswordHistoryRepository
from authserver.storage.unit_of_work import UnitOfWork

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]+$")
_USERNAME = re.compile(r"^[A-Za-z0-9._-]{1,150}$")


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    password: str | None
    username: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email_verified: bool = False
    phone: str | None = None  # any international spelling; stored as E.164
    # An operator typing a number proves nobody receives texts there: unverified unless
    # the operator says otherwise (the person verifies it on the account page).
    phone_verified: bool = False


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not _EMAIL.fullmatch(email):
        raise InvalidInput("email", f"{email!r} is not an email address")
    return email


def _clean_name(value: str | None, field_name: str) -> str | None:
    if value is None:
        return None
    if not value.strip():
        raise InvalidInput(field_name, "must not be empty or only white space (to remove "
                           f"it: user update --no-{field_name.replace('_', '-')})")
    if len(value) > 200:
        raise InvalidInput(field_name, "must be at most 200 characters")
    return value.strip()


def create_user(repo: UserRepository, audit: AuditRepository, new: NewUser, actor: str,
                now: dt.datetime, passwords: Passwords,
                rules: PasswordRules | None = None) -> User:
    """Create the user; a first password is checked against ``rules`` (the tenant's)
    when given, else only against the bare limits of services/passwords.py."""
    email = normalise_email(new.email)
    username = _clean_username(new.username)
    if new.password is not None and (problem := password_problem(new.password)):
        raise InvalidInput("password", problem)
    if new.password is not None and rules is not None \
            and (problems := password_problems(new.password, rules)):
        raise PasswordRefused(problems)
    if repo.by_email(email) is not None:
        raise Conflict(f"a user with email {email} already exists in this tenant")
    if username is not None and repo.by_username(username) is not None:
        raise Conflict(f"username {username!r} is taken in this tenant")
    phone = normalise_phone(new.phone) if new.phone is not None else None
    if phone is not None and repo.by_phone(phone) is not None:
        raise Conflict(f"phone number {phone} belongs to another user in this tenant")
    user = repo.add(User(
        sub=secrets.token_urlsafe(16), email=email, email_verified=new.email_verified,
        username=username, given_name=_clean_name(new.given_name, "given_name"),
        family_name=_clean_name(new.family_name, "family_name"),
        password_hash=passwords.hash(new.password) if new.password is not None else None,
        password_changed_at=now if new.password is not None else None,
        phone=phone, phone_verified=phone is not None and new.phone_verified,
    ))
    audit.record(actor, "user.created", user.sub)
    return user


def set_user_disabled(repo: UserRepository, audit: AuditRepository, email: str, disabled: bool,
                      actor: str, now: dt.datetime) -> User:
    """Disable or enable a user, in the caller's transaction.

    Disabling ends what the user had, not only what they could do while disabled (which
    is checked live): every sign-in session, every grant (offline_access included, so
    every refresh token and every access token recorded against a grant) and every unused
    authorization code. Enabling again revives none of it; the user signs in afresh.
    Remembered consent is kept: it records the person's decision, not a credential.
    """
    user = repo.by_email(normalise_email(email))
    if user is None:
        raise NotFound(f"no user {email!r} in this tenant")
    user.disabled = disabled
    # Written first: the row lock this takes is what a concurrent code exchange waits on
    # before it stores a new grant (oauth_store._lock_enabled_user), so no grant can slip
    # in between the revocation below and the commit.
    repo.flush()
    if not disabled:
        audit.record(actor, "user.enabled", user.sub)
        return user
    ended = _end_everything(repo, user.id, now, actor)
    audit.record(actor, "user.disabled", user.sub, **ended)
    return user


def _end_everything(repo: UserRepository, user_id: int, now: dt.datetime,
                    actor: str) -> dict[str, int]:
    """End the user's sessions, grants and codes; returns how many of each."""
    # Sessions first, through the one way sessions end: each is audited and its
    # relying parties get a back-channel logout (services/session_end.py).
    sessions = end_sessions(UnitOfWork(repo.session), repo.tenant_id, now,
                            EndReason.USER_DISABLED, actor=actor, user_id=user_id)
    # A revoked grant is what refresh (find_refresh_token), introspection and userinfo
    # (access_token_grant[_live], by the access token's jti) check. A code not yet
    # redeemed would otherwise still work after a quick re-enable; deleted, it is simply
    # unknown (invalid_grant).
    ended = repo.end_everything(user_id, now, reason="user_disabled")
    return {"sessions_ended": len(sessions) + ended.sessions, "grants_revoked": ended.grants,
            "codes_discarded": ended.codes}


# --- operator commands: list, show, update, set a password ---------------------------


def _clean_username(value: str | None) -> str | None:
    username = value.strip() if value is not None else None
    if username is not None and not _USERNAME.fullmatch(username):
        raise InvalidInput("username", "use 1-150 letters, digits, dots, dashes, underscores")
    return username


def invitation_pending(user: User) -> bool:
    """Invited (services/invitations.py) and not accepted yet: no password, awaiting the
    mailed link, so the account cannot sign in."""
    return user.verification_required and user.password_hash is None


def user_view(user: User) -> dict[str, object]:
    """Everything about a user that is safe to print (never the password hash)."""
    return {
        "sub": user.sub, "email": user.email, "email_verified": user.email_verified,
        "username": user.username, "given_name": user.given_name,
        "family_name": user.family_name, "phone": user.phone,
        "phone_verified": user.phone_verified, "disabled": user.disabled,
        "password_set": user.password_hash is not None,
        # None: the tenant's single-session setting applies.
        "single_session": user.single_session,
        "invitation_pending": invitation_pending(user),
        "password_changed_at": user.password_changed_at.isoformat()
        if user.password_changed_at else None,
        "created_at": user.created_at.isoformat() if user.created_at else None,
        "updated_at": user.updated_at.isoformat() if user.updated_at else None,
    }


def find_user(repo: UserRepository, email: str | None = None, sub: str | None = None) -> User:
    """The user with this email (case-insensitive) or sub; exactly one must be given."""
    if (email is None) == (sub is None):
        raise InvalidInput("user", "give the email or the sub, exactly one")
    user = repo.by_email(normalise_email(email)) if email is not None else repo.by_sub(
        sub or "")
    if user is None:
        raise NotFound(f"no user {email if email is not None else sub!r} in this tenant")
    return user


def list_users(repo: UserRepository, limit: int, after_id: int = 0) -> list[User]:
    if not 1 <= limit <= 10_000:
        raise InvalidInput("limit", "must be 1-10000")
    return list(repo.page(limit, after_id))


@dataclass(frozen=True, slots=True)
class UserChanges:
    """None leaves a field as it is; ``clear`` names optional fields to remove."""

    email: str | None = None
    username: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email_verified: bool | None = None
    phone: str | None = None
    phone_verified: bool | None = None
    # The user's own "single active session" (None: leave it; cleared: the tenant's).
    single_session: bool | None = None
    clear: frozenset[str] = frozenset()
    # Attributes to set and remove (services/user_attributes.py; user_admin applies them).
    attributes: AttributeEdit | None = None

    @property
    def is_empty(self) -> bool:
        return not self.clear and all(v is None for v in (
            self.attributes, self.email, self.username, self.given_name, self.family_name,
            self.email_verified, self.phone, self.phone_verified, self.single_session))


CLEARABLE = ("username", "given_name", "family_name", "phone", "single_session")


def update_user(repo: UserRepository, audit: AuditRepository, user: User,
                changes: UserChanges, actor: str) -> list[str]:
    """Apply ``changes``; returns the names of the fields that changed. A new email
    address is unverified unless ``email_verified`` says otherwise: nobody has shown
    they receive mail there."""
    for name in changes.clear:
        if name not in CLEARABLE or getattr(changes, name) is not None:
            raise InvalidInput(name, "cannot be both set and removed"
                               if name in CLEARABLE else "cannot be removed")
    values: dict[str, object] = {name: None for name in changes.clear}
    if changes.email is not None:
        values["email"] = email = normalise_email(changes.email)
        if email != user.email:
            values["email_verified"] = False
            other = repo.by_email(email)
            if other is not None and other.id != user.id:
                raise Conflict(f"a user with email {email} already exists in this tenant")
    if changes.username is not None:
        values["username"] = username = _clean_username(changes.username)
        other = repo.by_username(username or "")
        if other is not None and other.id != user.id:
            raise Conflict(f"username {username!r} is taken in this tenant")
    for name in ("given_name", "family_name"):
        if getattr(changes, name) is not None:
            values[name] = _clean_name(getattr(changes, name), name)
    if changes.email_verified is not None:
        values["email_verified"] = changes.email_verified
    if changes.single_session is not None:
        values["single_session"] = changes.single_session
    values.update(_phone_values(repo, user, changes))
    changed = sorted(k for k, v in values.items() if getattr(user, k) != v)
    for name in changed:
        setattr(user, name, values[name])
    if changed:
        _flush_unique(repo)
        audit.record(actor, "user.updated", user.sub, changed=changed)
    return changed


def _phone_values(repo: UserRepository, user: User, changes: UserChanges) -> dict[str, object]:
    """The phone columns ``changes`` asks for: a new number is unverified unless
    ``phone_verified`` says otherwise, like a new email; a removed one is unverified."""
    values: dict[str, object] = {}
    if "phone" in changes.clear:
        values["phone_verified"] = False
    if changes.phone is not None:
        values["phone"] = phone = normalise_phone(changes.phone)
        if phone != user.phone:
            values["phone_verified"] = False
            other = repo.by_phone(phone)
            if other is not None and other.id != user.id:
                raise Conflict(f"phone number {phone} belongs to another user in this tenant")
    if changes.phone_verified is not None:
        if changes.phone_verified and values.get("phone", user.phone) is None:
            raise InvalidInput("phone_verified", "the user has no phone number to verify")
        values["phone_verified"] = changes.phone_verified
    return values


def set_verified_phone(repo: UserRepository, audit: AuditRepository, user: User,
                       phone: str | None, actor: str) -> None:
    """The person proved they receive texts at ``phone`` (an SMS code), or removed it
    (None)."""
    if phone is not None:
        other = repo.by_phone(phone)
        if other is not None and other.id != user.id:
            raise Conflict("that phone number belongs to another account")
    user.phone, user.phone_verified = phone, phone is not None
    _flush_unique(repo)
    audit.record(actor, "user.phone_verified" if phone else "user.phone_removed", user.sub)


def _flush_unique(repo: UserRepository) -> None:
    # The checks above miss a concurrent change: the unique constraints decide, and
    # their violation is a refusal like the others, not a database error.
    try:
        repo.flush()
    except IntegrityError:
        raise Conflict("another user took that email or username just now; try again "
                       "(authserver user show)") from None


def set_password(repo: UserRepository, audit: AuditRepository, user: User, password: str,
                 actor: str, now: dt.datetime, passwords: Passwords,
                 rules: PasswordRules) -> None:
    """Set ``user``'s password under the tenant's rules (length, strength, history);
    raises PasswordRefused (an InvalidInput) with the reasons when they refuse it."""
    if problem := password_problem(password):
        raise InvalidInput("password", problem)
    set_password_under_rules(repo, audit, PasswordHistoryRepository(repo.session, repo.tenant_id),
                             user, password, rules, actor, now, passwords)
