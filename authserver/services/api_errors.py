"""Refusals of the API and access-group operations, each with a stable code.

The CLI prints ``str(err)``; the admin API answers ``status`` with ``code`` and
``details`` (web/admin/apis.py, web/admin/access_groups.py).
"""

from __future__ import annotations

from typing import Any

from authserver.services.errors import Conflict, ServiceError


class BuiltinReadOnly(ServiceError):
    """The built-in admin API and the catalogue's groups belong to the operator."""

    status = 403

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.details: dict[str, Any] = {}


class CodedConflict(Conflict):
    status = 409

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.details = details
