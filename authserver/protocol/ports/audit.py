"""Audit records of token-endpoint events that write nothing else."""

from __future__ import annotations

from typing import Protocol


class AuditTrail(Protocol):
    """Records a client-credentials issuance or a refused request durably without a
    database round trip on the request path (services/audit_spool.py). Events that
    write to the database anyway are recorded by the store in that same transaction."""

    def record(self, actor: str, action: str, target: str | None, **details: object) -> None:
        ...
