"""flask-babel on the hosted pages: ``_()`` and ``ngettext()`` in every template and
``flask_babel.gettext`` in views, from the catalogue in authserver/translations.

Which language a request gets (``ui_locales``, the person's saved choice,
``Accept-Language``) is :func:`select_locale`'s decision.
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel

from authserver.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, TRANSLATIONS_DIR


def select_locale() -> str:
    """The best supported language for this request."""
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or DEFAULT_LOCALE


def register(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE,
          default_translation_directories=str(TRANSLATIONS_DIR))
