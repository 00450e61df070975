"""Where settings come from (TOML file, then environment) and the checks across them."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from authserver.settings.model import ENV_PREFIX, Settings, SettingsError
from authserver.settings.parsers import (
    parse_argon2_memory,
    parse_argon2_parallelism,
    parse_argon2_time_cost,
    parse_bind,
    parse_database_url,
    parse_duration,
    parse_env,
    parse_flag,
    parse_log_level,
    parse_master_key,
    parse_outbox_poll,
    parse_path,
    parse_public_url,
    parse_redis_url,
    parse_tenant_slug,
    parse_trusted_proxies,
)
from authserver.settings.sender_checks import check_sender_settings
from authserver.settings.sender_values import (
    parse_email_address,
    parse_email_sender,
    parse_sms_sender,
    parse_smtp_url,
    parse_webhook_secret,
    parse_webhook_url,
)

CONFIG_ENV = "AUTHSERVER_CONFIG"

# Names read from the environment that are not settings (tests, tooling).
_NOT_SETTINGS = frozenset({"CONFIG", "TEST_DATABASE_URL"})



def _optional(parse: Callable[[object], Any]) -> Callable[[object], Any]:
    """An empty value means "not set" (so ``AUTHSERVER_SMTP_URL=`` unsets a TOML value)."""
    def parse_optional(raw: object) -> Any:
        return None if str(raw).strip() == "" else parse(raw)
    return parse_optional


_PARSERS: dict[str, Callable[[object], Any]] = {
    "env": parse_env,
    "instance_path": parse_path,
    "audit_spool_dir": parse_path,
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
    "outbox_poll": parse_outbox_poll,
    "log_level": parse_log_level,
    "access_group_catalogue": _optional(parse_path),
    "jwks_uri_allow_private": parse_flag,
    "trusted_proxies": parse_trusted_proxies,
    "argon2_memory_kib": parse_argon2_memory,
    "argon2_time_cost": parse_argon2_time_cost,
    "argon2_parallelism": parse_argon2_parallelism,
    "email_sender": parse_email_sender,
    "smtp_url": _optional(parse_smtp_url),
    "email_from": _optional(parse_email_address),
    "sms_sender": parse_sms_sender,
    "sms_webhook_url": _optional(parse_webhook_url),
    "sms_webhook_secret": _optional(parse_webhook_secret),
    "admin_operator_tenant": parse_tenant_slug,
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


# OWASP Password Storage Cheat Sheet: argon2id configurations of equal defence, as
# (minimum memory KiB, minimum passes), all with one lane. Production needs at least one.
OWASP_ARGON2_MINIMUMS = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))


def _check_argon2(settings: Settings) -> None:
    memory, passes = settings.argon2_memory_kib, settings.argon2_time_cost
    if memory < 8 * settings.argon2_parallelism:
        # argon2 itself refuses less than 8 KiB per lane.
        raise SettingsError("ARGON2_MEMORY_KIB", "must be at least 8 x ARGON2_PARALLELISM")
    if settings.is_production and not any(
            memory >= m and passes >= t for m, t in OWASP_ARGON2_MINIMUMS):
        raise SettingsError(
            "ARGON2_MEMORY_KIB", f"{memory} KiB with ARGON2_TIME_COST={passes} is below "
            "OWASP's minimum for production (e.g. 19456 KiB with 2, or 47104 KiB with 1)")


def _check_consistency(settings: Settings) -> None:
    _check_argon2(settings)
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
    check_sender_settings(settings)
