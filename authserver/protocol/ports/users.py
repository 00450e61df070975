"""What the grants, introspection and userinfo need to know about users."""

from __future__ import annotations

from typing import Protocol

from authserver.protocol.ports.records import UserRecord


class UserDirectory(Protocol):
    def by_id(self, user_id: int) -> UserRecord | None: ...
    def by_sub(self, sub: str) -> UserRecord | None: ...
