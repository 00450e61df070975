"""Repositories: every query for tenant-owned rows goes through one bound to a tenant.

A repository is built for one tenant id and adds ``tenant_id = :tenant`` to every
lookup, so code holding tenant A's repository cannot reach tenant B's rows even when it
is handed B's identifiers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from authserver.storage.models import AuditEvent, Client, SigningKey, Tenant, User


class TenantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_slug(self, slug: str) -> Tenant | None:
        return self.session.scalar(select(Tenant).where(Tenant.slug == slug))

    def all(self) -> Sequence[Tenant]:
        return self.session.scalars(select(Tenant).order_by(Tenant.slug)).all()

    def add(self, tenant: Tenant) -> Tenant:
        self.session.add(tenant)
        self.session.flush()
        return tenant


class _TenantScoped:
    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id


class ClientRepository(_TenantScoped):
    def get(self, client_id: str) -> Client | None:
        return self.session.scalar(
            select(Client).where(Client.tenant_id == self.tenant_id, Client.client_id == client_id)
        )

    def all(self) -> Sequence[Client]:
        query = select(Client).where(Client.tenant_id == self.tenant_id).order_by(Client.id)
        return self.session.scalars(query).all()

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


class UserRepository(_TenantScoped):
    def by_sub(self, sub: str) -> User | None:
        return self.session.scalar(
            select(User).where(User.tenant_id == self.tenant_id, User.sub == sub)
        )

    def by_email(self, email: str) -> User | None:
        return self.session.scalar(
            select(User).where(User.tenant_id == self.tenant_id, User.email == email.lower())
        )

    def by_username(self, username: str) -> User | None:
        return self.session.scalar(
            select(User).where(User.tenant_id == self.tenant_id, User.username == username)
        )

    def page(self, limit: int, after_id: int = 0) -> Sequence[User]:
        """Up to ``limit`` users with ids above ``after_id``, oldest first."""
        query = (
            select(User)
            .where(User.tenant_id == self.tenant_id, User.id > after_id)
            .order_by(User.id)
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def add(self, user: User) -> User:
        user.tenant_id = self.tenant_id
        self.session.add(user)
        self.session.flush()
        return user


class SigningKeyRepository(_TenantScoped):
    def get(self, kid: str) -> SigningKey | None:
        return self.session.scalar(
            select(SigningKey).where(SigningKey.tenant_id == self.tenant_id, SigningKey.kid == kid)
        )

    def all(self) -> Sequence[SigningKey]:
        query = (
            select(SigningKey)
            .where(SigningKey.tenant_id == self.tenant_id)
            .order_by(SigningKey.activates_at, SigningKey.id)
        )
        return self.session.scalars(query).all()

    def add(self, key: SigningKey) -> SigningKey:
        key.tenant_id = self.tenant_id
        self.session.add(key)
        self.session.flush()
        return key

    def delete_expired(self, now: dt.datetime) -> int:
        doomed = [k for k in self.all() if k.expires_at is not None and k.expires_at <= now]
        for key in doomed:
            self.session.delete(key)
        self.session.flush()
        return len(doomed)


class AuditRepository:
    def __init__(self, session: Session, tenant_id: int | None) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def record(
        self, actor: str, action: str, target: str | None = None, **details: object
    ) -> AuditEvent:
        event = AuditEvent(
            tenant_id=self.tenant_id, actor=actor, action=action, target=target, details=details
        )
        self.session.add(event)
        return event

    def recent(self, limit: int = 100) -> Sequence[AuditEvent]:
        query = (
            select(AuditEvent)
            .where(AuditEvent.tenant_id == self.tenant_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()
