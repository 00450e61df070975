"""Registered clients of one tenant."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from authserver.storage.models import Client
from authserver.storage.repositories.base import TenantScoped


class ClientRepository(TenantScoped):
    def get(self, client_id: str) -> Client | None:
        return self.session.scalar(
            select(Client).where(Client.tenant_id == self.tenant_id, Client.client_id == client_id)
        )

    def all(self) -> Sequence[Client]:
        query = select(Client).where(Client.tenant_id == self.tenant_id).order_by(Client.id)
        return self.session.scalars(query).all()

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
