"""Typed, frozen settings read from ``AUTHSERVER_*`` environment variables and TOML.

Sources, later ones winning: built-in defaults, the TOML file named by
``AUTHSERVER_CONFIG``, then ``AUTHSERVER_<NAME>`` environment variables. Every value is
validated once, at start-up; a bad one raises :class:`SettingsError` whose message is a
single line naming the setting and what is wrong, so the CLI can print it and exit 2.

This package imports only the standard library (layer rule in docs/architecture.md):
``model`` holds the :class:`Settings` record, ``parsers`` one parser per kind of value,
``loader`` the TOML and environment sources and the checks across settings;
``sender_values`` and ``sender_checks`` the same for the message senders' settings.
"""

from authserver.settings.loader import CONFIG_ENV, load_settings
from authserver.settings.model import ENV_PREFIX, Settings, SettingsError
from authserver.settings.parsers import (
    MASTER_KEY_BYTES,
    MAX_TRUSTED_PROXIES,
    parse_bind,
    parse_database_url,
    parse_duration,
    parse_env,
    parse_flag,
    parse_log_level,
    parse_master_key,
    parse_path,
    parse_public_url,
    parse_redis_url,
    parse_trusted_proxies,
)
from authserver.settings.sender_checks import check_sender_settings, email_sender, sms_sender
from authserver.settings.sender_values import SmtpTarget, WebhookSecret

__all__ = [
    "CONFIG_ENV",
    "ENV_PREFIX",
    "MASTER_KEY_BYTES",
    "MAX_TRUSTED_PROXIES",
    "Settings",
    "SettingsError",
    "SmtpTarget",
    "WebhookSecret",
    "check_sender_settings",
    "email_sender",
    "load_settings",
    "parse_bind",
    "parse_database_url",
    "parse_duration",
    "parse_env",
    "parse_flag",
    "parse_log_level",
    "parse_master_key",
    "parse_path",
    "parse_public_url",
    "parse_redis_url",
    "parse_trusted_proxies",
    "sms_sender",
]
