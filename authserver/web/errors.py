"""Error rendering: a plain-language page for browsers, JSON for everything else, and
never a stack trace. The JSON bodies are protocol errors (protocol/errors.py)."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, InternalServerError

from authserver.i18n import N_
from authserver.protocol.errors import error_response, http_error
from authserver.services import sign_in_errors
from authserver.web import admin
from authserver.web.problems import code_of, text_of
from authserver.web.security import page_headers

log = logging.getLogger(__name__)

# For people: what happened and what to do, instead of Werkzeug's developer-facing text.
_TITLES = {
    400: N_("We can\u2019t continue"),
    404: N_("Page not found"),
    405: N_("This page can\u2019t be used that way"),
    413: N_("That was too much to send"),
    500: N_("Something went wrong"),
}
_CODES = {
    400: sign_in_errors.BAD_REQUEST,
    404: sign_in_errors.NOT_FOUND,
    405: sign_in_errors.WRONG_METHOD,
    413: sign_in_errors.TOO_LARGE,
    500: sign_in_errors.SERVER_ERROR,
}


def _wants_html() -> bool:
    # Browsers ask for text/html first; API clients send */* or application/json.
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _explanation(exc: HTTPException, code: int) -> tuple[str, str | None]:
    """The message in the page's language and its code. A description given to abort()
    is written for people (and has its own code); Werkzeug's defaults are not."""
    if exc.description and exc.description != type(exc).description:
        return text_of(exc.description), code_of(exc.description)
    known = _CODES.get(code)
    if known is not None:
        return gettext(known.message), known.code
    return exc.description or exc.name, None


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    if admin.is_admin_path(request.path):  # routing's 404/405 there: the API's JSON shape
        return admin.http_error(exc)
    code = exc.code or 500
    description = exc.description or exc.name
    if _wants_html():
        explanation, error_code = _explanation(exc, code)
        title = gettext(_TITLES[code]) if code in _TITLES else exc.name
        html = render_template("http_error.html", title=title, explanation=explanation,
                               error_code=error_code, status=code)
        return page_headers(Response(html, status=code, mimetype="text/html"))
    status, body, _ = error_response(http_error(code, description))
    response = jsonify(body)
    response.status_code = status
    if code == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def _unexpected(exc: Exception) -> ResponseReturnValue:
    # Details go to the log only; the client learns nothing about internals.
    if admin.is_admin_path(request.path):
        return admin.unexpected(exc)
    log.exception("unhandled error: %s", type(exc).__name__)
    hidden = InternalServerError(description="The server could not complete the request.")
    return _http_error(hidden)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
