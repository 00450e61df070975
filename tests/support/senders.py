"""A sender that keeps what it was given, for tests that read the code or link a person
would have received (the real senders are tested against real SMTP and HTTP peers)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from authserver.services.senders import OutgoingMessage, SendFailed


@dataclass
class RecordingSender:
    """Keeps every message; ``failing`` makes it refuse like an unreachable gateway."""

    sent: list[OutgoingMessage] = field(default_factory=list)
    failing: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, message: OutgoingMessage) -> None:
        if self.failing:
            raise SendFailed("test gateway refused the message")
        with self._lock:
            self.sent.append(message)

    def last_to(self, destination: str) -> OutgoingMessage:
        with self._lock:
            for message in reversed(self.sent):
                if message.to == destination:
                    return message
        raise AssertionError(f"nothing was sent to {destination}; sent: {self.sent}")

    def wait_for(self, count: int, to: str | None = None,
                 timeout: float = 5.0) -> list[OutgoingMessage]:
        """The messages (to ``to``, when given) once at least ``count`` arrived: mail
        queued through the Notifier is sent on another thread after the commit."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [m for m in self.sent if to is None or m.to == to]
            if len(found) >= count or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        assert len(found) >= count, (
            f"expected {count} message(s){f' to {to}' if to else ''}; sent: {self.sent}")
        return found
