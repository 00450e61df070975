"""The sender interface: channels, the message, the one error, and the per-channel set.

A channel with no sender is "not offered"; callers check ``Senders.get`` for None.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to one destination; ``purpose`` says why it is sent (e.g. sign-in);
    ``locale`` is the language ``text`` is in (the SMTP sender words the subject in it)."""

    to: str
    text: str
    purpose: str
    locale: str = "en"


class SendFailed(Exception):
    """A message could not be delivered (after any retries); ``str()`` is safe to log:
    it names the channel and the failure, never the message text or a code."""


class Sender(Protocol):
    def send(self, message: OutgoingMessage) -> None:
        """Deliver ``message`` or raise :class:`SendFailed`; never silently drop it."""
        ...


@dataclass(frozen=True, slots=True)
class Senders:
    """The configured sender of each channel; by default none at all."""

    by_channel: Mapping[Channel, Sender] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A read-only copy: the runtime is shared by every request thread.
        object.__setattr__(self, "by_channel", MappingProxyType(dict(self.by_channel)))

    def get(self, channel: Channel) -> Sender | None:
        """The sender configured for ``channel``, or None when that channel has none."""
        return self.by_channel.get(channel)
