"""Recovery codes: ten single-use codes for when the authenticator app is lost.

A code is 10 characters of Crockford's base32 alphabet (no I, L, O, U: nothing to
confuse), 50 bits, shown as ``xxxxx-xxxxx``. Typed codes are read forgivingly: any case,
with or without the hyphen or spaces, and O, I, L read as 0, 1, 1. Only digests are
stored, bound to the tenant and user so equal codes of two people never share one; a
new batch replaces the old one whole (used or not), and is shown once.
"""

from __future__ import annotations

import datetime as dt
import secrets

from authserver.protocol.tokens import digest
from authserver.storage.unit_of_work import UnitOfWork

COUNT = 10
LENGTH = 10
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32, 5 bits a character
_READ_AS = str.maketrans({"o": "0", "i": "1", "l": "1"})


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(typed: str) -> str | None:
    """The code's 10 characters as stored, from whatever way it was typed, or None."""
    code = "".join(ch for ch in typed.strip().lower() if ch not in " -\t").translate(_READ_AS)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def code_digest(tenant_id: int, user_id: int, code: str) -> str:
    """The digest of a normalised code, bound to its holder."""
    return digest(f"recovery-code:{tenant_id}:{user_id}:{code}")


def generate(uow: UnitOfWork, tenant_id: int, user_id: int, actor: str,
             now: dt.datetime) -> list[str]:
    """A new batch for ``user_id``, replacing the old one; the codes as shown, once."""
    codes = [new_code() for _ in range(COUNT)]
    digests = {code_digest(tenant_id, user_id, normalise(c) or "") for c in codes}
    if len(digests) < COUNT:  # two equal codes out of 2^50 each: draw again
        return generate(uow, tenant_id, user_id, actor, now)
    uow.recovery_codes(tenant_id).replace(user_id, digests, now)
    uow.audit(tenant_id).record(actor, "recovery_codes.generated", f"user:{user_id}",
                                count=COUNT)
    return codes


def remaining(uow: UnitOfWork, tenant_id: int, user_id: int) -> int:
    return uow.recovery_codes(tenant_id).remaining(user_id)
