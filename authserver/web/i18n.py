"""flask-babel on the hosted pages: ``_()`` and ``ngettext()`` in every template and
``flask_babel.gettext`` in views, from the catalogue in authserver/translations.

Which language a request gets is :func:`select_locale`'s decision: the authorization
request's ``ui_locales`` (kept with the pending interaction, so every page of that sign-in
honours it), then ``Accept-Language``, then the signed-in person's saved ``locale``,
then English.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel, get_locale

from authserver.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, TRANSLATIONS_DIR
from authserver.protocol.authorization import parse_ui_locales
from authserver.services.languages import saved_locale
from authserver.web.context import runtime

UI_LOCALES = "ui_locales"  # g key: the pending interaction's ui_locales


def remember_ui_locales(tags: tuple[str, ...]) -> None:
    """Pages of a sign-in call this with the stored request's ``ui_locales``."""
    g.ui_locales = tags


def _first_supported(tags: tuple[str, ...]) -> str | None:
    for tag in tags:
        # "de-CH" is served in "de": the catalogue has no regional variants.
        language = tag.split("-", 1)[0].lower()
        if language in SUPPORTED_LOCALES:
            return language
    return None


def _saved_choice() -> str | None:
    """The signed-in person's ``users.locale``, when this request already knows who
    they are (no session look-up only for this: it runs on a browser that sent no
    language we speak)."""
    active = g.get("signed_in")
    info = g.get("tenant")
    if active is None or info is None:
        return None
    saved = saved_locale(runtime().database, info.id, active.user_id)
    return _first_supported((saved,)) if saved else None


def select_locale() -> str:
    """The best supported language for this request."""
    tags: tuple[str, ...] = g.get(UI_LOCALES) or parse_ui_locales(request.args.get("ui_locales"))
    return (_first_supported(tags)
            or request.accept_languages.best_match(SUPPORTED_LOCALES)
            or _saved_choice()
            or DEFAULT_LOCALE)


def page_language() -> str:
    """For ``<html lang>``: the language the page is really in."""
    return str(get_locale() or DEFAULT_LOCALE)


def register(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE,
          default_translation_directories=str(TRANSLATIONS_DIR))
    app.context_processor(lambda: {"page_lang": page_language()})


def request_locale() -> str | None:
    """The language this request asked for and we speak (ui_locales, then
    Accept-Language), or None: what services are told for the mail a request causes
    (services/languages.py mail_locale puts the person's saved locale first) and what
    a sign-up records. Unlike :func:`select_locale` it never falls back to English or
    to the saved locale, so "asked for nothing" stays distinguishable."""
    tags: tuple[str, ...] = g.get(UI_LOCALES) or parse_ui_locales(request.args.get("ui_locales"))
    return _first_supported(tags) or request.accept_languages.best_match(SUPPORTED_LOCALES)
