"""Registered clients of one tenant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm.attributes import set_committed_value

from authserver.storage.models import Client
from authserver.storage.repositories.base import TenantScoped


class ClientRepository(TenantScoped):
    def get(self, client_id: str, *, for_update: bool = False) -> Client | None:
        """``for_update``: lock the row until the transaction ends (PostgreSQL; SQLite
        serialises writers anyway), so two changes of one client's secret cannot both
        start from the same state and lose one of the secrets they hand out."""
        query = select(Client).where(Client.tenant_id == self.tenant_id,
                                     Client.client_id == client_id)
        return self.session.scalar(query.with_for_update() if for_update else query)

    def all(self) -> Sequence[Client]:
        query = select(Client).where(Client.tenant_id == self.tenant_id).order_by(Client.id)
        return self.session.scalars(query).all()

    def replace_secrets(self, client: Client, values: Mapping[str, Any]) -> bool:
        """Set the secret columns ``values`` only if the stored digests are still those
        ``client`` holds (compare and swap): of two rotations at once, the second finds
        the first's secret and returns False instead of silently dropping it. A row lock
        is not enough here: SQLite's driver begins the transaction only at the write."""
        def same(column: Any, value: str | None) -> ColumnElement[bool]:
            return column.is_(None) if value is None else column == value

        result = self.session.execute(
            update(Client)
            .where(Client.id == client.id,
                   same(Client.secret_digest, client.secret_digest),
                   same(Client.previous_secret_digest, client.previous_secret_digest))
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            self.session.refresh(client)
            return False
        for key, value in values.items():
            set_committed_value(client, key, value)
        return True

    def page(self, after_id: int | None, limit: int) -> Sequence[Client]:
        """Up to ``limit`` clients in id order, after ``after_id`` (keyset paging)."""
        query = select(Client).where(Client.tenant_id == self.tenant_id)
        if after_id is not None:
            query = query.where(Client.id > after_id)
        return self.session.scalars(query.order_by(Client.id).limit(limit)).all()

    def web_origins(self) -> frozenset[str]:
        """Every origin any client of the tenant registered (for CORS preflights, which
        carry no client identity). JSON lists cannot be unnested portably, so the column
        is read and merged here."""
        query = select(Client.web_origins).where(Client.tenant_id == self.tenant_id)
        return frozenset(o for origins in self.session.scalars(query) for o in origins or ())

    def add(self, client: Client) -> Client:
        client.tenant_id = self.tenant_id
        self.session.add(client)
        self.session.flush()
        return client

    def delete(self, client: Client) -> None:
        if client.tenant_id != self.tenant_id:
            raise LookupError("client belongs to another tenant")
        self.session.delete(client)
        self.session.flush()
