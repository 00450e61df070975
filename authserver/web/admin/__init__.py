"""The admin REST API at ``{PUBLIC_URL}/admin/api/v1`` (docs/admin-api.md).

flask-smorest generates the OpenAPI 3.1 document (``/admin/api/v1/openapi.json``) from the
same marshmallow schemas that validate the input. Its error handlers are not installed:
they would take over every error of the whole application (the hosted pages' too) and
answer a 405 without ``Allow``; errors under the admin prefix are rendered here instead,
always in the one JSON shape the document declares.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from flask import Flask, Response, current_app, request
from flask_smorest import Api

from authserver.web.admin.core import ErrorSchema
from authserver.web.admin.errors import http_error, unexpected

__all__ = ["ADMIN_PREFIX", "http_error", "is_admin_path", "register", "unexpected"]

ADMIN_PREFIX = "/admin/api/v1"
# One module per resource, each with a ``blp`` (core.admin_blueprint).
RESOURCE_MODULES = (
    "version",
    "tenants",
    "roles",
    "registration",
    "audit_events",
    "clients",
    "keys",
    "users",
    "user_import",
    "sessions",
    "apis",
    "access_groups",
)


# The OpenAPI document depends only on the code, so it is built once per process: building
# it (apispec converting every schema) cost about 0.4 s per application.
_document: dict[str, Any] | None = None


class AdminApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Not app-wide: see the module docstring."""

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        if _document is None:
            super().register_blueprint(blp, parameters=parameters, **options)
            return
        # The document exists: only the routes (and the name flask-smorest looks up).
        self._app.extensions["flask-smorest"]["blp_name_to_api"][options.get("name", blp.name)] \
            = self
        self._app.register_blueprint(blp, **options)

    def _openapi_json(self) -> Response:
        return current_app.response_class(json.dumps(document(self), indent=2),
                                          mimetype="application/json")


def document(api: Api) -> dict[str, Any]:
    """The OpenAPI document (built from ``api`` the first time)."""
    global _document
    if _document is None:
        _document = api.spec.to_dict()
    return _document


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def register(app: Flask) -> None:
    app.config.update(
        API_TITLE="authserver admin API", API_VERSION="v1", OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=ADMIN_PREFIX, OPENAPI_JSON_PATH="openapi.json")
    api = AdminApi(app, spec_kwargs={
        "info": {"description": "Manage tenants, applications, people and access. "
                 "See docs/admin-api.md."},
        "servers": [{"url": "/"}],
    })
    api.spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An access token of authserver with audience "
                       "{PUBLIC_URL}/admin/api and scopes admin:read / admin:write."})
    for name in RESOURCE_MODULES:
        module = importlib.import_module(f"authserver.web.admin.{name}")
        api.register_blueprint(module.blp, url_prefix=ADMIN_PREFIX)
    document(api)

    @app.after_request
    def _no_store(response: Response) -> Response:
        if is_admin_path(request.path):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
