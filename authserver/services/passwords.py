"""Password hashing with argon2id at the operator's parameters (RFC 9106 §3.1;
docs/sign-in/passwords.md).

The runtime builds one :class:`Passwords` from the ARGON2_* settings and hands it to
whatever hashes or checks a password; nothing here reads settings or keeps a configured
hasher in a module global, so a test runtime hashes with its own parameters.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
# Long passphrases are accepted as typed, but an unbounded one is a denial of service.
MAX_LENGTH = 1024
# RFC 9106 §4: a 128-bit salt and a 256-bit tag.
SALT_BYTES = 16
HASH_BYTES = 32
_DUMMY_PASSWORD = "authserver timing equaliser"


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    """argon2id cost: memory in KiB, passes over it, and lanes (threads per hash)."""

    memory_kib: int
    time_cost: int
    parallelism: int

    def __str__(self) -> str:
        return f"m={self.memory_kib} KiB, t={self.time_cost}, p={self.parallelism}"


class Passwords:
    """Hashes and checks passwords with one set of argon2id parameters."""

    def __init__(self, parameters: Argon2Parameters) -> None:
        self.parameters = parameters
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost, memory_cost=parameters.memory_kib,
            parallelism=parameters.parallelism, hash_len=HASH_BYTES, salt_len=SALT_BYTES,
            type=Type.ID)
        self._dummy: str | None = None
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; always does one full argon2 verification.

        Without a hash (no such user, no password set) a dummy hash made with the current
        parameters is checked instead, so "no such account" costs what a wrong password
        costs (SECURITY.md: same timing).
        """
        try:
            return self._hasher.verify(password_hash or self.dummy_hash(), password) \
                and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters (stronger or weaker)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True

    def dummy_hash(self) -> str:
        # Made on first use, not at start-up: every runtime (and every test) would
        # otherwise pay one hash it may never need.
        if self._dummy is None:
            with self._lock:
                if self._dummy is None:
                    self._dummy = self._hasher.hash(_DUMMY_PASSWORD)
        return self._dummy


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be used, or None. The account-security policy extends this."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    if not password.strip():
        return "must not be only white space"
    return None
