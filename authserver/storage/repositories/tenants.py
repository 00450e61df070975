"""Tenants: the one aggregate that is not itself tenant-scoped."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from authserver.storage.models import Tenant
from authserver.storage.repositories.base import Repository


class TenantRepository(Repository):
    def get(self, tenant_id: int) -> Tenant | None:
        return self.session.get(Tenant, tenant_id)

    def by_slug(self, slug: str) -> Tenant | None:
        return self.session.scalar(select(Tenant).where(Tenant.slug == slug))

    def all(self) -> Sequence[Tenant]:
        return self.session.scalars(select(Tenant).order_by(Tenant.slug)).all()

    def page(self, after_slug: str | None, limit: int) -> Sequence[Tenant]:
        """Up to ``limit`` tenants in slug order, after ``after_slug`` (keyset paging)."""
        query = select(Tenant).order_by(Tenant.slug).limit(limit)
        if after_slug is not None:
            query = query.where(Tenant.slug > after_slug)
        return self.session.scalars(query).all()

    def add(self, tenant: Tenant) -> Tenant:
        self.session.add(tenant)
        self.session.flush()
        return tenant
