"""How messages (one-time codes, links) leave the server: the ``Sender`` interface and
its implementations, one module each.

``Senders`` is the injection point: :func:`authserver.runtime.build_runtime` keeps one on
the runtime (by default :func:`build_senders` of the settings), so the code that sends a
sign-in code asks the runtime for the sender of a channel and tests hand in a recording
one instead of patching. A channel with no sender (production without one configured)
is not offered; a sender that cannot deliver raises :class:`SendFailed`.

- :mod:`.console`: development only; logs the whole message, code included.
- :mod:`.smtp`: email over SMTP (STARTTLS or implicit TLS, AUTH), standard library only.
- :mod:`.webhook`: SMS through an HTTP gateway, JSON signed per Standard Webhooks, with
  retries; :mod:`.http_transport` is its real network seam.
"""

from authserver.services.senders.base import (
    Channel,
    OutgoingMessage,
    Sender,
    Senders,
    SendFailed,
)
from authserver.services.senders.configured import build_senders

__all__ = ["Channel", "OutgoingMessage", "SendFailed", "Sender", "Senders", "build_senders"]
