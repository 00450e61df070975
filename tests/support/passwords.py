"""A real argon2id hasher that also records what it was asked to do, so a test can tell
whether a sign-in attempt reached the hash at all (and with which stored hash)."""

from __future__ import annotations

from authserver.services.passwords import Argon2Parameters, Passwords


class CountingPasswords(Passwords):
    """:class:`Passwords`, unchanged, plus the list of hashes each ``verify`` checked."""

    def __init__(self, parameters: Argon2Parameters) -> None:
        super().__init__(parameters)
        self.verified: list[str] = []  # the hash each verification actually ran against

    def verify(self, password_hash: str | None, password: str) -> bool:
        self.verified.append(password_hash or self.dummy_hash())
        return super().verify(password_hash, password)
