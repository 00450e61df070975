"""Phone numbers as the server keeps them: E.164 (ITU-T E.164, "+" and up to 15 digits),
parsed and validated by ``phonenumbers`` (Google's libphonenumber metadata).

One spelling per number is what makes ``users.phone`` unique per tenant and lets a
sign-in identifier typed as "(555) 123-4567" or "+1 555 123 4567" find the same account.
"""

from __future__ import annotations

import re

import phonenumbers

from authserver.services.errors import InvalidInput

# Digits, spaces and the usual separators, with a leading "+": what a person types as a
# phone number. Anything else (an "@", letters) is an email or a user name.
_PHONE_LIKE = re.compile(r"^\+[0-9][0-9 ().\-]{5,24}$")
MAX_TYPED = 32


def looks_like_phone(identifier: str) -> bool:
    """Whether a sign-in identifier should be read as a phone number (international form
    only: without a "+" a string of digits may be a user name, and we know no region)."""
    return bool(_PHONE_LIKE.fullmatch(identifier.strip()))


def parse_phone(value: str) -> str | None:
    """The E.164 form of ``value``, or None when it is not a valid number."""
    value = value.strip()
    if not value or len(value) > MAX_TYPED or not looks_like_phone(value):
        return None
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    # "Possible" (the right length for its country), not "valid" (an allocated range):
    # range metadata goes stale as numbers are allocated, and a stale table would turn
    # away a real new number; the SMS code proves the number works anyway. It also keeps
    # the fictional 555 numbers of examples and tests (+15551234567) usable.
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(value: str) -> str:
    """Like :func:`parse_phone`, but an invalid number is an :class:`InvalidInput`."""
    phone = parse_phone(value)
    if phone is None:
        raise InvalidInput("phone", f"{value!r} is not a phone number in international "
                           "form (e.g. +15551234567)")
    return phone


def mask_phone(phone: str) -> str:
    """What a page may show of a number: its last four digits."""
    return f"••• {phone[-4:]}"


def mask_email(email: str) -> str:
    """What a page may show of an address: its first letter and its domain."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"
