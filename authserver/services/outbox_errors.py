"""How one delivery attempt of an outbox message fails (services/outbox.py)."""

from __future__ import annotations


class DeliveryFailed(Exception):
    """One attempt failed; ``str()`` is safe to store and log (no token, no message)."""


class Undeliverable(DeliveryFailed):
    """No later attempt could succeed (the client no longer registers a URI, the tenant
    is gone): the message goes dead at once instead of retrying for a day."""
