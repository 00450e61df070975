"""Translations shared by the hosted pages (flask-babel) and by text composed outside a
request (mail sent by the CLI or the outbox): one catalogue, one set of languages.

Only stdlib and Babel: every layer may import it.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
DEFAULT_LOCALE = "en"
# Fully translated languages; the first is the source language of the catalogue.
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "de")


@functools.lru_cache(maxsize=16)
def translations(locale: str | None) -> NullTranslations:
    """The catalogue for ``locale`` (a supported one), else the untranslated source."""
    if not locale or locale not in SUPPORTED_LOCALES or locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue (pybabel extract) where it is defined; it is
    translated where it is shown."""
    return message


def gettext(locale: str | None, message: str, **values: object) -> str:
    """``message`` in ``locale``, with ``%(name)s`` placeholders filled from ``values``.

    >>> gettext("en", "Hello %(name)s", name="Ada")
    'Hello Ada'
    """
    text = translations(locale).gettext(message)
    return text % values if values else text
