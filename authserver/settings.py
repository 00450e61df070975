"""Typed, frozen settings read from ``AUTHSERVER_*`` environment variables and TOML.

Sources, later ones winning: built-in defaults, the TOML file named by
``AUTHSERVER_CONFIG``, then ``AUTHSERVER_<NAME>`` environment variables. Every value is
validated once, at start-up; a bad one raises :class:`SettingsError` whose message is a
single line naming the setting and what is wrong, so the CLI can print it and exit 2.

This module imports only the standard library (layer rule in docs/architecture.md).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "AUTHSERVER_"
CONFIG_ENV = "AUTHSERVER_CONFIG"
MASTER_KEY_BYTES = 32

# Names read from the environment that are not settings (tests, tooling).
_NOT_SETTINGS = frozenset({"CONFIG", "TEST_DATABASE_URL"})


class SettingsError(Exception):
    """A setting has a bad value; ``str(err)`` is one line meant for the operator."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{ENV_PREFIX}{name}: {problem}")
        self.name = name
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Settings:
    """Every knob authserver has. Durations are whole seconds."""

    env: str = "development"
    instance_path: Path = Path("instance")
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    bind: str = "127.0.0.1:8000"  # where `authserver serve` listens; not PUBLIC_URL
    redis_url: str | None = None
    master_key: bytes | None = None
    master_key_file: Path | None = None
    access_token_ttl: int = 600
    id_token_ttl: int = 600
    auth_code_ttl: int = 60
    refresh_token_idle_ttl: int = 7 * 86400
    refresh_token_absolute_ttl: int = 30 * 86400
    session_idle_ttl: int = 30 * 60
    session_absolute_ttl: int = 12 * 3600
    jwks_max_age: int = 300
    key_publish_lead: int = 600
    key_cache_ttl: int = 30
    client_cache_ttl: int = 30
    client_assertion_max_lifetime: int = 3600
    log_level: str = "INFO"
    # Development and tests only: fetch jwks_uri key sets from loopback/private addresses.
    jwks_uri_allow_private: bool = False
    # How many reverse proxies in front of authserver append to X-Forwarded-For; the
    # client's address (for throttling) is the entry that many hops from the right.
    trusted_proxies: int = 0

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def max_signed_token_ttl(self) -> int:
        """How long a retired key must stay in JWKS: the longest-lived JWT we sign."""
        return max(self.access_token_ttl, self.id_token_ttl)

    def issuer_for(self, tenant_slug: str) -> str:
        return f"{self.public_url}/t/{tenant_slug}"


# --- value parsers: each takes the raw value and returns the typed one or raises ValueError


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


_PARSERS: dict[str, Callable[[object], Any]] = {
    "env": parse_env,
    "instance_path": parse_path,
    "database_url": parse_database_url,
    "public_url": parse_public_url,
    "bind": parse_bind,
    "redis_url": parse_redis_url,
    "master_key": parse_master_key,
    "master_key_file": parse_path,
    "access_token_ttl": parse_duration,
    "id_token_ttl": parse_duration,
    "auth_code_ttl": parse_duration,
    "refresh_token_idle_ttl": parse_duration,
    "refresh_token_absolute_ttl": parse_duration,
    "session_idle_ttl": parse_duration,
    "session_absolute_ttl": parse_duration,
    "jwks_max_age": parse_duration,
    "key_publish_lead": parse_duration,
    "key_cache_ttl": parse_duration,
    "client_cache_ttl": parse_duration,
    "client_assertion_max_lifetime": parse_duration,
    "log_level": parse_log_level,
    "jwks_uri_allow_private": parse_flag,
    "trusted_proxies": parse_trusted_proxies,
}
assert set(_PARSERS) == {f.name for f in dataclasses.fields(Settings)}


def _read_toml(path_text: str) -> dict[str, object]:
    path = Path(path_text)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError("CONFIG", f"file {path} does not exist") from None
    except OSError as exc:
        raise SettingsError("CONFIG", f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError("CONFIG", f"{path} is not valid TOML: {exc}") from None
    # A [authserver] table is accepted so the file can be shared with other tools.
    table = data.get("authserver", data)
    if not isinstance(table, dict):
        raise SettingsError("CONFIG", f"{path}: [authserver] must be a table")
    raw: dict[str, object] = {}
    for key, value in table.items():
        name = key.lower()
        if name not in _PARSERS:
            raise SettingsError(key.upper(), f"unknown setting in {path}")
        raw[name] = value
    return raw


def _read_environ(environ: Mapping[str, str]) -> dict[str, object]:
    raw: dict[str, object] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name in _PARSERS:
            raw[name] = value
        elif name.upper() not in _NOT_SETTINGS:
            raise SettingsError(name.upper(), "unknown setting (check the spelling)")
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build and validate :class:`Settings` from the environment (``os.environ`` by default)."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    if environ.get(CONFIG_ENV):
        raw.update(_read_toml(environ[CONFIG_ENV]))
    raw.update(_read_environ(environ))
    values: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            values[name] = _PARSERS[name](value)
        except ValueError as exc:
            raise SettingsError(name.upper(), str(exc)) from None
    settings = Settings(**values)
    if not settings.database_url:
        db_file = (settings.instance_path / "authserver.db").resolve()
        settings = dataclasses.replace(settings, database_url=f"sqlite:///{db_file}")
    _check_consistency(settings)
    return settings


def _check_consistency(settings: Settings) -> None:
    if settings.master_key is not None and settings.master_key_file is not None:
        raise SettingsError("MASTER_KEY", "set MASTER_KEY or MASTER_KEY_FILE, not both")
    if settings.refresh_token_idle_ttl > settings.refresh_token_absolute_ttl:
        raise SettingsError(
            "REFRESH_TOKEN_IDLE_TTL", "must not exceed REFRESH_TOKEN_ABSOLUTE_TTL"
        )
    if settings.session_idle_ttl > settings.session_absolute_ttl:
        raise SettingsError("SESSION_IDLE_TTL", "must not exceed SESSION_ABSOLUTE_TTL")
    if settings.client_assertion_max_lifetime > 86400:
        # Every jti is stored until its assertion expires; RFC 7523 §3 wants them short.
        raise SettingsError("CLIENT_ASSERTION_MAX_LIFETIME", "must not exceed 1d")
    if settings.key_publish_lead < settings.jwks_max_age + settings.key_cache_ttl:
        # A new key must be in every cached JWKS before anything is signed with it.
        raise SettingsError(
            "KEY_PUBLISH_LEAD", "must be at least JWKS_MAX_AGE + KEY_CACHE_TTL seconds"
        )
    if settings.is_production:
        if settings.master_key is None and settings.master_key_file is None:
            raise SettingsError(
                "MASTER_KEY", "production needs MASTER_KEY or MASTER_KEY_FILE to be set"
            )
        if not settings.https:
            raise SettingsError("PUBLIC_URL", "production needs an https:// public URL")
        if settings.jwks_uri_allow_private:
            # The SSRF guard of remote_jwks.py; lifting it is for a laptop, never a server.
            raise SettingsError("JWKS_URI_ALLOW_PRIVATE", "must not be set in production")
