"""Password hashing with argon2id (RFC 9106 parameters from argon2-cffi's defaults)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4: RFC 9106's second choice

# Hashed when the user does not exist, so "no such user" costs the same as "wrong password".
_DUMMY_HASH = _hasher.hash("authserver timing equaliser")

MIN_LENGTH = 8
# Long passphrases are accepted as typed, but an unbounded one is a denial of service.
MAX_LENGTH = 1024


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always does one full argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be used, or None. The account-security policy extends this."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    if not password.strip():
        return "must not be only white space"
    return None
