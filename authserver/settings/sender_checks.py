"""Which sender each channel uses, and the start-up checks across the sender settings.

A channel's sender is what ``EMAIL_SENDER`` / ``SMS_SENDER`` names; when unset it is the
one whose URL is set (smtp, webhook), else ``console`` in development and none at all in
production, where a channel without a sender is simply not offered. The console sender
writes codes to the log, so production refuses it outright.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authserver.settings.model import Settings, SettingsError


def email_sender(settings: Settings) -> str | None:
    """``"console"``, ``"smtp"`` or None (no email channel)."""
    if settings.email_sender is not None:
        return settings.email_sender
    if settings.smtp_url is not None:
        return "smtp"
    return None if settings.is_production else "console"


def sms_sender(settings: Settings) -> str | None:
    """``"console"``, ``"webhook"`` or None (no SMS channel)."""
    if settings.sms_sender is not None:
        return settings.sms_sender
    if settings.sms_webhook_url is not None:
        return "webhook"
    return None if settings.is_production else "console"


def _check_console(settings: Settings, name: str, chosen: str | None) -> None:
    if chosen == "console" and settings.is_production:
        raise SettingsError(name, "console writes messages and their codes to the log; "
                                  "it is refused in production")


def _check_smtp(settings: Settings) -> None:
    target = settings.smtp_url
    if target is None:
        raise SettingsError("SMTP_URL", "is required when EMAIL_SENDER is smtp")
    if settings.email_from is None:
        raise SettingsError("EMAIL_FROM", "is required when EMAIL_SENDER is smtp")
    if settings.is_production and target.authenticates and not target.tls:
        # AUTH over plain SMTP hands the password to anyone on the path.
        raise SettingsError("SMTP_URL", "production refuses to send SMTP credentials "
                                        "without TLS: use smtps:// or ?starttls=1")


def _check_webhook(settings: Settings) -> None:
    if settings.sms_webhook_url is None:
        raise SettingsError("SMS_WEBHOOK_URL", "is required when SMS_SENDER is webhook")
    if settings.sms_webhook_secret is None:
        raise SettingsError("SMS_WEBHOOK_SECRET", "is required when SMS_SENDER is webhook")
    if settings.is_production and urlsplit(settings.sms_webhook_url).scheme != "https":
        raise SettingsError("SMS_WEBHOOK_URL", "production needs an https:// URL")


def check_sender_settings(settings: Settings) -> None:
    """Raise :class:`SettingsError` for a sender configuration that cannot work or is unsafe."""
    chosen_email = email_sender(settings)
    _check_console(settings, "EMAIL_SENDER", chosen_email)
    if chosen_email == "smtp":
        _check_smtp(settings)
    chosen_sms = sms_sender(settings)
    _check_console(settings, "SMS_SENDER", chosen_sms)
    if chosen_sms == "webhook":
        _check_webhook(settings)
