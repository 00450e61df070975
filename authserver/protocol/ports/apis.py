"""The tenant's APIs (resource servers), as the token and introspection endpoints read them."""

from __future__ import annotations

from typing import Protocol

from authserver.protocol.ports.records import ApiRecord


class ApiDirectory(Protocol):
    def get(self, identifier: str) -> ApiRecord | None: ...

    def scopes(self) -> frozenset[str]:
        """Every scope some API of the tenant defines (they need that API's grant)."""
        ...


class NoApis:
    """A tenant without APIs: every resource is unknown (unit tests, before wiring)."""

    def get(self, identifier: str) -> ApiRecord | None:
        return None

    def scopes(self) -> frozenset[str]:
        return frozenset()
