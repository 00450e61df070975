"""The attributes of one tenant's users: key → a string or a list of strings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select

from authserver.storage.models import UserAttribute
from authserver.storage.repositories.base import TenantScoped


class UserAttributeRepository(TenantScoped):
    def of_user(self, user_id: int, keys: Sequence[str] | None = None) -> dict[str, Any]:
        """The user's attributes, by key; only ``keys`` when given (one statement)."""
        query = select(UserAttribute.key, UserAttribute.value).where(
            UserAttribute.tenant_id == self.tenant_id, UserAttribute.user_id == user_id)
        if keys is not None:
            if not keys:
                return {}
            query = query.where(UserAttribute.key.in_(list(keys)))
        return {key: value for key, value in self.session.execute(query.order_by(
            UserAttribute.key)).all()}

    def replace(self, user_id: int, values: Mapping[str, Any]) -> None:
        """The user's attributes become exactly ``values``."""
        self.session.execute(delete(UserAttribute).where(
            UserAttribute.tenant_id == self.tenant_id, UserAttribute.user_id == user_id))
        self.session.add_all(UserAttribute(tenant_id=self.tenant_id, user_id=user_id, key=k,
                                           value=v) for k, v in values.items())
        self.session.flush()
