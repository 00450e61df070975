"""How a hosted page shows a failure: the message in the page's language and its stable
code next to it, e.g. "The email address or password is not correct. (AUTH-1001)".

Views keep passing plain English messages (or an ErrorCode); the ``problem`` template
filter translates the message and finds its code in the one registry
(services/error_codes.py), so a page cannot show a message without its code.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext
from markupsafe import Markup, escape

from authserver.services import sign_in_errors  # noqa: F401  (defines the codes it finds)
from authserver.services.error_codes import ErrorCode, by_message


class Coded(str):
    """A message already translated and filled in (it has values, such as a wait), with
    its code: the registry cannot find a filled-in message by its text."""

    code: str

    def __new__(cls, text: str, code: ErrorCode) -> Coded:
        value = super().__new__(cls, text)
        value.code = code.code
        return value


def coded(error: ErrorCode, **values: object) -> Coded:
    """``error``'s message in the page's language, with ``values`` filled in."""
    return Coded(gettext(error.message, **values), error)


def code_of(message: object) -> str | None:
    if isinstance(message, Coded):
        return message.code
    if isinstance(message, ErrorCode):
        return message.code
    found = by_message(str(message))
    return found.code if found else None


def text_of(message: object) -> str:
    """The message in the page's language."""
    if isinstance(message, Coded):
        return str(message)
    if isinstance(message, ErrorCode):
        return gettext(message.message)
    return gettext(str(message))


def problem(message: object) -> Markup:
    """Template filter: ``{{ error|problem }}``."""
    text = escape(text_of(message))
    code = code_of(message)
    if code is None:
        return text
    return Markup('{} <span class="code">({})</span>').format(text, code)


def register(app: Flask) -> None:
    app.add_template_filter(problem, "problem")
