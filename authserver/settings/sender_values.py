"""Parsers for the message-sender settings (EMAIL_SENDER, SMTP_URL, EMAIL_FROM, SMS_*).

They follow the contract of :mod:`authserver.settings.parsers` (raise ValueError, the loader
prefixes the setting's name) with one difference: SMTP_URL and SMS_WEBHOOK_SECRET carry
credentials, so their errors never quote the raw value, and the values they return keep
the secret out of ``repr`` (settings objects are printed in tracebacks and logs).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import parse_qsl, unquote, urlsplit

from authserver.settings.parsers import parse_flag

EMAIL_SENDERS = ("console", "smtp")
SMS_SENDERS = ("console", "webhook")
SMTP_DEFAULT_TIMEOUT = 10.0
SMTP_MAX_TIMEOUT = 120.0
WEBHOOK_SECRET_PREFIX = "whsec_"
# Standard Webhooks: "the secret key SHOULD be between 24 bytes and 64 bytes".
WEBHOOK_SECRET_MIN_BYTES = 24
WEBHOOK_SECRET_MAX_BYTES = 64


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """Where and how email is handed over; ``password`` never shows in ``repr``."""

    host: str
    port: int
    implicit_tls: bool = False  # smtps://: TLS from the first byte (port 465)
    starttls: bool = False  # smtp://…?starttls=1: upgrade before AUTH and DATA
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = SMTP_DEFAULT_TIMEOUT
    cafile: str | None = None  # a private CA to trust instead of the system's

    @property
    def tls(self) -> bool:
        return self.implicit_tls or self.starttls

    @property
    def authenticates(self) -> bool:
        return self.username is not None


def _choice(raw: object, choices: tuple[str, ...]) -> str | None:
    value = str(raw).strip().lower()
    if not value:
        return None
    if value not in choices:
        raise ValueError(f"must be {' or '.join(choices)}, got {raw!r}")
    return value


def parse_email_sender(raw: object) -> str | None:
    return _choice(raw, EMAIL_SENDERS)


def parse_sms_sender(raw: object) -> str | None:
    return _choice(raw, SMS_SENDERS)


_SMTP_SHAPE = ("must look like smtp://user:pass@host:587?starttls=1, "
               "smtps://user:pass@host:465 or smtp://host:25")


def _smtp_options(query: str) -> dict[str, str]:
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(options) - {"starttls", "timeout", "cafile"})
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} (known: starttls, timeout, cafile)")
    return options


def _smtp_timeout(text: str | None) -> float:
    if text is None:
        return SMTP_DEFAULT_TIMEOUT
    try:
        timeout = float(text)
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= SMTP_MAX_TIMEOUT:
        raise ValueError(f"timeout must be seconds between 0 and {SMTP_MAX_TIMEOUT:g}, "
                         f"got {text!r}")
    return timeout


def _flag(text: str | None) -> bool:
    if text is None:
        return False
    try:
        return parse_flag(text)
    except ValueError:
        raise ValueError(f"starttls must be 1 or 0, got {text!r}") from None


def parse_smtp_url(raw: object) -> SmtpTarget:
    """``smtp[s]://[user[:password]@]host[:port][?starttls=1&timeout=10&cafile=/path]``.

    The raw text is never quoted in an error: it may hold the password.
    """
    parts = urlsplit(str(raw).strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(_SMTP_SHAPE)
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError(f"{_SMTP_SHAPE} (no path or fragment)")
    try:
        explicit_port = parts.port
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    options = _smtp_options(parts.query)
    implicit_tls = parts.scheme == "smtps"
    starttls = _flag(options.get("starttls"))
    if implicit_tls and starttls:
        raise ValueError("smtps:// is already TLS; starttls applies to smtp:// only")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise ValueError("a password needs a user name (smtp://user:pass@host)")
    default_port = 465 if implicit_tls else (587 if starttls else 25)
    return SmtpTarget(
        host=parts.hostname, port=explicit_port or default_port, implicit_tls=implicit_tls,
        starttls=starttls, username=username, password=password,
        timeout=_smtp_timeout(options.get("timeout")), cafile=options.get("cafile") or None)


_DOMAIN = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")


def parse_email_address(raw: object) -> str:
    """``auth@example.com`` or ``Example ID <auth@example.com>``, as a From header."""
    text = str(raw).strip()
    problem = (f"must be one email address such as auth@example.com or "
               f"'Example <auth@example.com>', got {raw!r}")
    if any(char in text for char in "\r\n,;"):
        raise ValueError(problem)
    name, address = parseaddr(text)
    local, _, domain = address.rpartition("@")
    if not _LOCAL.match(local) or not _DOMAIN.match(domain):
        raise ValueError(problem)
    formatted = str(Address(display_name=name, addr_spec=address))
    if parseaddr(formatted)[1] != address:  # what the header will say, read back
        raise ValueError(problem)
    return formatted


def parse_webhook_url(raw: object) -> str:
    value = str(raw).strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an absolute http:// or https:// URL, got {raw!r}")
    if parts.username is not None or parts.password is not None or parts.fragment:
        # The signature is the credential; a password in the URL would end up in logs.
        raise ValueError("must not carry a user name, password or fragment")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    return value


@dataclass(frozen=True, slots=True)
class WebhookSecret:
    """The HMAC key decoded from ``whsec_<base64>``; the bytes never show in ``repr``."""

    key: bytes = field(repr=False)


def parse_webhook_secret(raw: object) -> WebhookSecret:
    """``whsec_`` + base64 of 24 to 64 random bytes (Standard Webhooks' secret form)."""
    text = str(raw).strip()
    shape = (f"must be {WEBHOOK_SECRET_PREFIX} followed by the base64 of "
             f"{WEBHOOK_SECRET_MIN_BYTES} to {WEBHOOK_SECRET_MAX_BYTES} random bytes (make one "
             "with: python3 -c 'import base64, secrets; "
             "print(\"whsec_\" + base64.b64encode(secrets.token_bytes(32)).decode())')")
    if not text.startswith(WEBHOOK_SECRET_PREFIX):
        raise ValueError(shape)
    try:
        key = base64.b64decode(text[len(WEBHOOK_SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(shape) from None
    if not WEBHOOK_SECRET_MIN_BYTES <= len(key) <= WEBHOOK_SECRET_MAX_BYTES:
        raise ValueError(shape)
    return WebhookSecret(key)
