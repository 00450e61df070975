"""A person's saved page language (``users.locale``), the fallback after ``ui_locales``
and ``Accept-Language`` (docs/branding-and-languages.md)."""

from __future__ import annotations

from authserver.storage.database import Database


def saved_locale(database: Database, tenant_id: int, user_id: int) -> str | None:
    """The user's ``locale`` column (a BCP 47 tag or None)."""
    with database.unit_of_work() as uow:
        user = uow.users(tenant_id).by_id(user_id)
        return user.locale if user is not None and user.locale else None
