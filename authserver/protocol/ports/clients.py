"""What client authentication and validation need: the client registry and a throttle."""

from __future__ import annotations

from typing import Protocol

from authserver.protocol.ports.records import ClientRecord


class ClientDirectory(Protocol):
    def get(self, client_id: str) -> ClientRecord | None: ...


class ClientThrottle(Protocol):
    """Counts failed client authentications (SECURITY.md, throttling).

    Never consulted before credentials are checked: a correct secret or assertion is
    always accepted, so nobody's failures can refuse the real client (docs/security.md).
    """

    def failed(self, client_id: str | None, source: str) -> None:
        """A failure by the confidential client ``client_id``, or (None) with a client_id
        that does not exist, from the address ``source``."""
        ...
