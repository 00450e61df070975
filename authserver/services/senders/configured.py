"""The senders the settings ask for (``EMAIL_SENDER``, ``SMS_SENDER`` and their options)."""

from __future__ import annotations

from authserver.services.senders.base import Channel, Sender, Senders
from authserver.services.senders.console import ConsoleSender
from authserver.services.senders.smtp import SmtpSender
from authserver.services.senders.webhook import WebhookSender
from authserver.settings import Settings, check_sender_settings, email_sender, sms_sender


def _email(settings: Settings) -> Sender | None:
    chosen = email_sender(settings)
    if chosen == "console":
        return ConsoleSender(Channel.EMAIL)
    if chosen == "smtp":
        assert settings.smtp_url is not None and settings.email_from is not None  # checked
        return SmtpSender(settings.smtp_url, settings.email_from)
    return None


def _sms(settings: Settings) -> Sender | None:
    chosen = sms_sender(settings)
    if chosen == "console":
        return ConsoleSender(Channel.SMS)
    if chosen == "webhook":
        assert settings.sms_webhook_url is not None and settings.sms_webhook_secret is not None
        return WebhookSender(settings.sms_webhook_url, settings.sms_webhook_secret.key)
    return None


def build_senders(settings: Settings) -> Senders:
    """One sender per channel that has one; raises SettingsError for a bad configuration
    (checked again here because a :class:`Settings` can be built without the loader)."""
    check_sender_settings(settings)
    by_channel: dict[Channel, Sender] = {}
    for channel, build in ((Channel.EMAIL, _email), (Channel.SMS, _sms)):
        sender = build(settings)
        if sender is not None:
            by_channel[channel] = sender
    return Senders(by_channel)
