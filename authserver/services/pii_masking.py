"""What an administrator without ``users:read:pii`` sees of an email address or a phone
number (issue 11 item 5: "to view hidden user information … the user must have special
permissions"). Pure functions: the admin API masks every users response with them.

An address keeps the first and last character of its local part and the whole domain
(``alice@example.com`` → ``a•••e@example.com``): enough to tell two users apart and to
see which organisation an account belongs to, not enough to write to it. A number keeps
its country prefix and last two digits (``+447700900834`` → ``+44•••••••34``).
"""

from __future__ import annotations

from typing import Any

BULLET = "•"
MASKED_FIELDS = ("email", "phone")


def mask_email(email: str) -> str:
    local, at, domain = email.partition("@")
    if not at:
        return BULLET * 3
    if len(local) <= 2:
        return f"{local[:1]}{BULLET * 3}@{domain}"
    return f"{local[0]}{BULLET * 3}{local[-1]}@{domain}"


def mask_phone(phone: str) -> str:
    """E.164 in, the first two and last two digits out; the bullets between are always
    seven, so the mask does not tell the number's length either."""
    digits = phone.removeprefix("+")
    if len(digits) <= 4:
        return "+" + BULLET * 7
    return f"+{digits[:2]}{BULLET * 7}{digits[-2:]}"


def masked_view(view: dict[str, Any]) -> dict[str, Any]:
    """``view`` (accounts.user_view's shape, or any dict with these keys) with its email
    and phone masked; other fields untouched, None stays None."""
    out = dict(view)
    if isinstance(out.get("email"), str):
        out["email"] = mask_email(out["email"])
    if isinstance(out.get("phone"), str):
        out["phone"] = mask_phone(out["phone"])
    return out
