"""Checking a password sign-in without revealing whether the account exists.

Unknown user, wrong password and disabled account take the same path through one full
argon2 verification and return the same ``None``.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from authserver.services.passwords import (
    MAX_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from authserver.storage.database import Database
from authserver.storage.models import User
from authserver.storage.repositories import AuditRepository


def authenticate_password(database: Database, tenant_id: int, identifier: str,
                          password: str) -> int | None:
    """The user id when ``identifier`` (email or username) and ``password`` match."""
    identifier = identifier.strip()
    if not identifier or len(identifier) > 320 or len(password) > MAX_LENGTH:
        verify_password(None, password[:MAX_LENGTH])
        return None
    with database.session() as session:
        user = session.scalar(select(User).where(
            User.tenant_id == tenant_id,
            or_(User.email == identifier.lower(), User.username == identifier)))
        ok = verify_password(user.password_hash if user else None, password)
        audit = AuditRepository(session, tenant_id)
        if not ok or user is None or user.disabled:
            audit.record("anonymous", "login.failed", None,
                         reason="disabled" if ok and user is not None else "bad_credentials")
            return None
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        audit.record(f"user:{user.id}", "login.succeeded", user.sub, method="pwd")
        return user.id
