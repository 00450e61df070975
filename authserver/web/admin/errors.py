"""How the admin API answers errors: always ``{"error": {"code", "message", "details"?}}``
(core.ErrorSchema), with the stable codes listed in docs/admin-api.md."""

from __future__ import annotations

import logging

from flask import Response, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from authserver.services.errors import Conflict, InvalidInput, NotFound, ServiceError

log = logging.getLogger(__name__)


class AdminError(Exception):
    """An admin-API refusal: ``status``, a stable ``code`` (docs/admin-api.md), a message
    for the developer, and optional structured ``details``."""

    def __init__(self, status: int, code: str, message: str,
                 details: dict[str, object] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


_HTTP_CODES = {
    400: "invalid_input", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
    412: "precondition_failed", 413: "too_large", 415: "unsupported_media_type",
    428: "precondition_required", 429: "too_many_requests",
    503: "temporarily_unavailable",
}


def _body(status: int, code: str, message: str, details: object = None) -> Response:
    error: dict[str, object] = {"code": code, "message": message}
    if details:
        error["details"] = details
    response = jsonify({"error": error})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def admin_error(error: AdminError) -> Response:
    response = _body(error.status, error.code, error.message, error.details)
    response.headers.update(error.headers)
    return response


def service_error(error: ServiceError) -> Response:
    # A refusal that carries its own status and stable code (services/api_errors.py).
    status, code = getattr(error, "status", None), getattr(error, "code", None)
    if isinstance(status, int) and isinstance(code, str):
        return _body(status, code, str(error), getattr(error, "details", None))
    if isinstance(error, InvalidInput):
        return _body(400, "invalid_input", str(error), {error.field: [error.problem]})
    if isinstance(error, NotFound):
        return _body(404, "not_found", str(error))
    if isinstance(error, Conflict):
        return _body(409, "conflict", str(error))
    return _body(400, "invalid_input", str(error))


def http_error(error: HTTPException) -> Response:
    """Any HTTP error under the admin prefix, routing's 404 and 405 included."""
    status = error.code or 500
    if status >= 500:
        return _body(status, "server_error", "The server could not complete the request.")
    data = getattr(error, "data", None)  # webargs' validation messages
    details = data.get("messages") if isinstance(data, dict) else None
    if details is not None and status in (400, 422):
        return _body(400, "invalid_input", "The request is not valid.", details)
    response = _body(status, _HTTP_CODES.get(status, "error"),
                     error.description or error.name)
    if status == 405:
        allow = error.get_response().headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
    return response


def unexpected(error: Exception) -> Response:
    log.exception("admin API failed: %s", type(error).__name__)
    return _body(500, "server_error", "The server could not complete the request.")


def validation_error(error: ValidationError) -> Response:
    # A schema's own dump/load check raised outside webargs (e.g. a service's input).
    return _body(400, "invalid_input", "The request is not valid.", error.messages)




def install(blueprint: object) -> None:
    """Every error a view of ``blueprint`` raises is answered in the one JSON shape."""
    register = blueprint.register_error_handler  # type: ignore[attr-defined]
    register(AdminError, admin_error)
    register(ServiceError, service_error)
    register(ValidationError, validation_error)
    register(HTTPException, http_error)
    register(Exception, unexpected)
