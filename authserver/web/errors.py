"""Error rendering: a plain-language page for browsers, JSON for everything else, and
never a stack trace. The JSON bodies are protocol errors (protocol/errors.py)."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError

from authserver.protocol.errors import error_response, http_error
from authserver.web.security import page_headers

log = logging.getLogger(__name__)

# For people: what happened and what to do, instead of Werkzeug's developer-facing text.
_TITLES = {
    400: "We can\u2019t continue",
    404: "Page not found",
    405: "This page can\u2019t be used that way",
    413: "That was too much to send",
    500: "Something went wrong",
}
_EXPLANATIONS = {
    404: "There is nothing at this address. Check the link, or go back to the application "
         "you came from and start again.",
    405: "This address exists, but does not answer this kind of request. If a link or a "
         "bookmark brought you here, go back to the application you came from and start "
         "again.",
    413: "The request was larger than this server accepts.",
    500: "The server could not complete the request. Please try again in a moment.",
}


def _wants_html() -> bool:
    # Browsers ask for text/html first; API clients send */* or application/json.
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _explanation(exc: HTTPException, code: int) -> str:
    # A description given to abort() is written for people; Werkzeug's defaults are not.
    if exc.description and exc.description != type(exc).description:
        return exc.description
    return _EXPLANATIONS.get(code) or exc.description or exc.name


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    description = exc.description or exc.name
    if _wants_html():
        html = render_template("http_error.html", title=_TITLES.get(code, exc.name),
                               explanation=_explanation(exc, code), status=code)
        return page_headers(Response(html, status=code, mimetype="text/html"))
    status, body, _ = error_response(http_error(code, description))
    response = jsonify(body)
    response.status_code = status
    if code == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def _unexpected(exc: Exception) -> ResponseReturnValue:
    # Details go to the log only; the client learns nothing about internals.
    log.exception("unhandled error: %s", type(exc).__name__)
    hidden = InternalServerError(description="The server could not complete the request.")
    return _http_error(hidden)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
