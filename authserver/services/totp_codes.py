"""TOTP arithmetic (RFC 6238) shared by enrolment and sign-in: new seeds, which time
step a typed code belongs to, and the provisioning URI and QR code for an app.

Parameters are the ones every authenticator app supports: HMAC-SHA1, 6 digits, 30 s
steps (RFC 6238 §4, §5.2), a 160-bit seed (RFC 4226 §4 R6). A code from the step before
or after the current one is accepted too, for clocks that drift and people who type
slowly (RFC 6238 §5.2: "at most one time step"); which step matched is returned so the
caller can record it and refuse that code, and any earlier one, afterwards.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import secrets

import pyotp
import segno

DIGITS = 6
PERIOD = 30
SEED_BYTES = 20  # 160 bits
WINDOW = 1  # steps either side of now


def new_seed() -> str:
    """A random base32 seed, as apps take it."""
    return base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode("ascii")


def normalise_code(typed: str) -> str | None:
    """The 6 digits of a code as typed ("123 456" and "123-456" too), or None."""
    code = "".join(ch for ch in typed if ch not in " -\t")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    return code


def current_step(now: dt.datetime) -> int:
    return int(now.timestamp()) // PERIOD


def matching_step(seed: str, typed: str, now: dt.datetime, window: int = WINDOW) -> int | None:
    """The time step within ``window`` of ``now`` whose code is ``typed``, or None.

    Every candidate is compared (in constant time), and the latest match wins: once it
    is recorded as used, none of the others can be accepted either.
    """
    code = normalise_code(typed)
    if code is None:
        return None
    totp = pyotp.TOTP(seed, digits=DIGITS, interval=PERIOD)
    now_step = current_step(now)
    matched = None
    for step in range(now_step - window, now_step + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    return matched


def code_at(seed: str, step: int) -> str:
    """The code of ``step`` (for tests and the enrolment page's own checks)."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=PERIOD).generate_otp(step)


def provisioning_uri(seed: str, issuer: str, account: str) -> str:
    """The otpauth:// URI apps read from the QR code (Key Uri Format)."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=PERIOD, name=account,
                      issuer=issuer).provisioning_uri()


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code: drawn by the server, so the page needs no
    script and loads nothing (the CSP allows neither)."""
    return str(segno.make(uri, error="m").svg_inline(
        scale=4, border=4, svgclass="qr", title="QR code for your authenticator app"))


def grouped(seed: str) -> str:
    """The seed in groups of four, for typing into an app by hand."""
    return " ".join(seed[i:i + 4] for i in range(0, len(seed), 4))
