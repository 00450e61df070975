"""Value parsers: each takes the raw value (environment text or a TOML value) and returns
the typed one or raises ValueError, whose message the loader prefixes with the setting."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from urllib.parse import urlsplit

MASTER_KEY_BYTES = 32


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(raw: object) -> int:
    """``600``, ``"600"``, ``"10m"``, ``"12h"`` or ``"7d"`` → seconds (> 0)."""
    if isinstance(raw, bool):
        raise ValueError("must be a duration such as 600, 10m, 12h or 7d")
    if isinstance(raw, int):
        seconds = raw
    else:
        match = _DURATION.match(str(raw).lower())
        if not match:
            raise ValueError(f"must be a duration such as 600, 10m, 12h or 7d, got {raw!r}")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"must be greater than zero, got {raw!r}")
    return seconds


def parse_env(raw: object) -> str:
    value = str(raw).strip().lower()
    if value not in ("development", "production"):
        raise ValueError(f"must be 'development' or 'production', got {raw!r}")
    return value


def parse_public_url(raw: object) -> str:
    value = str(raw).strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an absolute http:// or https:// URL, got {raw!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must not carry a query, fragment or user name")
    return value


_BIND = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})$")


def parse_bind(raw: object) -> str:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``unix:/path``, as gunicorn's ``--bind``."""
    value = str(raw).strip()
    if value.startswith("unix:") and len(value) > len("unix:"):
        return value
    match = _BIND.fullmatch(value)
    if not match or not 1 <= int(match["port"]) <= 65535:
        raise ValueError("must be HOST:PORT with a port 1-65535 (127.0.0.1:8000, "
                         f"[::1]:8000) or unix:/path, got {raw!r}")
    return value


def parse_database_url(raw: object) -> str:
    value = str(raw).strip()
    scheme = value.split("://", 1)[0] if "://" in value else ""
    dialect = scheme.split("+", 1)[0]
    if dialect not in ("sqlite", "postgresql"):
        raise ValueError(
            "must be an SQLAlchemy URL starting sqlite:/// or postgresql+psycopg://, "
            f"got scheme {scheme or 'none'!r}"
        )
    if dialect == "postgresql" and scheme not in ("postgresql", "postgresql+psycopg"):
        raise ValueError("PostgreSQL is reached through psycopg 3: use postgresql+psycopg://")
    if dialect == "postgresql":
        # SQLAlchemy's plain "postgresql://" means psycopg2, which we do not ship.
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def parse_redis_url(raw: object) -> str | None:
    value = str(raw).strip()
    if not value:
        return None
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"must start redis://, rediss:// or unix://, got {raw!r}")
    return value


def parse_master_key(raw: object) -> bytes:
    """A 256-bit key as 64 hex digits or (url-safe) base64."""
    text = str(raw).strip()
    key: bytes | None = None
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        key = bytes.fromhex(text)
    else:
        try:
            key = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "==")
        except (binascii.Error, ValueError):
            key = None
    if key is None or len(key) != MASTER_KEY_BYTES:
        raise ValueError(
            "must be 32 random bytes as 64 hex digits or base64 "
            "(make one with: python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return key


def parse_path(raw: object) -> Path:
    text = str(raw).strip()
    if not text:
        raise ValueError("must be a path, got an empty value")
    return Path(text)


_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def parse_tenant_slug(raw: object) -> str | None:
    """A tenant slug (the form tenant slugs take); empty means none."""
    text = str(raw).strip()
    if not text:
        return None
    if not _SLUG.fullmatch(text):
        raise ValueError(f"must be a tenant slug (lower-case letters, digits, '-'), got {raw!r}")
    return text


def parse_flag(raw: object) -> bool:
    """``true``/``false`` (TOML booleans too), ``1``/``0``, ``yes``/``no``, ``on``/``off``."""
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"must be true or false, got {raw!r}")


def parse_outbox_poll(raw: object) -> int:
    """A duration (seconds between the in-process outbox worker's rounds), or ``0`` /
    ``off``: no worker in the server processes (``authserver worker`` runs elsewhere)."""
    if str(raw).strip().lower() in ("0", "off", "false", "no"):
        return 0
    seconds = parse_duration(raw)
    if seconds > 3600:
        raise ValueError(f"must be at most 1h (back-channel logouts wait that long), got {raw!r}")
    return seconds


def parse_log_level(raw: object) -> str:
    value = str(raw).strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError(f"must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {raw!r}")
    return value


MAX_TRUSTED_PROXIES = 10


def parse_trusted_proxies(raw: object) -> int:
    """A hop count, 0 (no proxy: use the connection's address) to MAX_TRUSTED_PROXIES."""
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or int(text) > MAX_TRUSTED_PROXIES:
        raise ValueError(f"must be a whole number of proxy hops from 0 to "
                         f"{MAX_TRUSTED_PROXIES}, got {raw!r}")
    return int(text)


# Upper bounds catch typos (a value in bytes, not KiB), not choices: 4 GiB, 64 passes.
MAX_ARGON2_MEMORY_KIB = 4 * 1024 * 1024
MAX_ARGON2_TIME_COST = 64
MAX_ARGON2_PARALLELISM = 64


def _whole_number(raw: object, low: int, high: int, what: str) -> int:
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"must be a whole number of {what} from {low} to {high}, got {raw!r}")
    return int(text)


def parse_argon2_memory(raw: object) -> int:
    """argon2 memory in KiB (argon2's own minimum is 8 KiB per lane, checked later)."""
    return _whole_number(raw, 8, MAX_ARGON2_MEMORY_KIB, "KiB")


def parse_argon2_time_cost(raw: object) -> int:
    return _whole_number(raw, 1, MAX_ARGON2_TIME_COST, "passes")


def parse_argon2_parallelism(raw: object) -> int:
    return _whole_number(raw, 1, MAX_ARGON2_PARALLELISM, "lanes")
