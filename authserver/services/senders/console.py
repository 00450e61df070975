"""The development sender: the message, code included, goes to the log at INFO.

It exists so a laptop can sign in without a mail server or an SMS gateway. It is the only
place a code is ever logged, which is why the settings refuse it in production
(``authserver.settings.sender_checks``, run by the loader and again by
:func:`~authserver.services.senders.build_senders`).
"""

from __future__ import annotations

import logging

from authserver.services.senders.base import Channel, OutgoingMessage

LOGGER_NAME = "authserver.senders"
log = logging.getLogger(LOGGER_NAME)


class ConsoleSender:
    """Logs each message through the ``authserver.senders`` logger; never fails."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def send(self, message: OutgoingMessage) -> None:
        log.info("console %s sender (development only): to %s, purpose %s: %s",
                 self.channel.value, message.to, message.purpose, message.text)
