"""A person's saved language (``users.locale``): the fallback after ``ui_locales`` and
``Accept-Language`` for pages, and the first choice for the mail and SMS sent to them
(docs/branding-and-languages.md, "Mail languages")."""

from __future__ import annotations

from authserver.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES
from authserver.storage.database import Database


def saved_locale(database: Database, tenant_id: int, user_id: int) -> str | None:
    """The user's ``locale`` column (a BCP 47 tag or None)."""
    with database.unit_of_work() as uow:
        user = uow.users(tenant_id).by_id(user_id)
        return user.locale if user is not None and user.locale else None


def supported(tag: str | None) -> str | None:
    """The catalogue language serving BCP 47 ``tag`` ("de-CH" is served in "de"), or
    None when we do not speak it."""
    if not tag:
        return None
    language = tag.split("-", 1)[0].lower()
    return language if language in SUPPORTED_LOCALES else None


def mail_locale(saved: str | None, asked: str | None) -> str:
    """The language of a mail or SMS to a person: their saved ``users.locale`` first
    (what they chose, or the language they signed up in, holds for every later mail,
    whoever's browser caused it), then ``asked``, the language of the request that
    caused the message (its ui_locales or Accept-Language, passed down by the web
    layer), then English."""
    return supported(saved) or supported(asked) or DEFAULT_LOCALE
