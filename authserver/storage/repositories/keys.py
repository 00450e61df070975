"""Signing keys of one tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select

from authserver.storage.models import SigningKey
from authserver.storage.repositories.base import TenantScoped


class SigningKeyRepository(TenantScoped):
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

    def page(self, after_id: int | None, limit: int) -> Sequence[SigningKey]:
        """Up to ``limit`` keys in id (creation) order, after ``after_id``."""
        query = select(SigningKey).where(SigningKey.tenant_id == self.tenant_id)
        if after_id is not None:
            query = query.where(SigningKey.id > after_id)
        return self.session.scalars(query.order_by(SigningKey.id).limit(limit)).all()

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
