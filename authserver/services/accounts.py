"""User accounts: creation with argon2id password hashes and normalised identifiers."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, update

from authserver.services.errors import Conflict, InvalidInput, NotFound
from authserver.services.passwords import hash_password, password_problem
from authserver.storage.models import AuthorizationCode, Grant, LoginSession, User
from authserver.storage.repositories import AuditRepository, UserRepository

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


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not _EMAIL.fullmatch(email):
        raise InvalidInput("email", f"{email!r} is not an email address")
    return email


def _clean_name(value: str | None, field_name: str) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > 200:
        raise InvalidInput(field_name, "must be at most 200 characters")
    return value.strip()


def create_user(repo: UserRepository, audit: AuditRepository, new: NewUser, actor: str,
                now: dt.datetime) -> User:
    email = normalise_email(new.email)
    username = new.username.strip() if new.username else None
    if username is not None and not _USERNAME.fullmatch(username):
        raise InvalidInput("username", "use 1-150 letters, digits, dots, dashes, underscores")
    if new.password is not None and (problem := password_problem(new.password)):
        raise InvalidInput("password", problem)
    if repo.by_email(email) is not None:
        raise Conflict(f"a user with email {email} already exists in this tenant")
    if username is not None and repo.by_username(username) is not None:
        raise Conflict(f"username {username!r} is taken in this tenant")
    user = repo.add(User(
        sub=secrets.token_urlsafe(16), email=email, email_verified=new.email_verified,
        username=username, given_name=_clean_name(new.given_name, "given_name"),
        family_name=_clean_name(new.family_name, "family_name"),
        password_hash=hash_password(new.password) if new.password is not None else None,
        password_changed_at=now if new.password is not None else None,
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
    if not disabled:
        audit.record(actor, "user.enabled", user.sub)
        return user
    ended = _end_everything(repo, user.id, now)
    audit.record(actor, "user.disabled", user.sub, **ended)
    return user


def _end_everything(repo: UserRepository, user_id: int, now: dt.datetime) -> dict[str, int]:
    """End the user's sessions, grants and codes; returns how many of each."""
    session, tenant_id = repo.session, repo.tenant_id
    sessions = session.execute(update(LoginSession).where(
        LoginSession.tenant_id == tenant_id, LoginSession.user_id == user_id,
        LoginSession.ended_at.is_(None)).values(ended_at=now)).rowcount
    # A revoked grant is what refresh (find_refresh_token), introspection and userinfo
    # (access_token_grant[_live], by the access token's jti) check: revoking it needs no
    # write per token, and client-credentials tokens, which have no grant, are untouched.
    grants = session.execute(update(Grant).where(
        Grant.tenant_id == tenant_id, Grant.user_id == user_id,
        Grant.revoked_at.is_(None)).values(revoked_at=now, revoked_reason="user_disabled")
    ).rowcount
    # A code not yet redeemed would otherwise still work after a quick re-enable; deleted,
    # it is simply unknown (invalid_grant). Redeemed ones (used_at set) are kept: replay
    # detection needs them.
    codes = session.execute(delete(AuthorizationCode).where(
        AuthorizationCode.tenant_id == tenant_id, AuthorizationCode.user_id == user_id,
        AuthorizationCode.used_at.is_(None))).rowcount
    return {"sessions_ended": sessions, "grants_revoked": grants, "codes_discarded": codes}
