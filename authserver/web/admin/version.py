"""``GET /admin/api/v1/version``: the running version, for administrators only (no
unauthenticated response or header names it: it tells an attacker which flaws apply)."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from authserver.services.admin_access import ADMIN_READ
from authserver.web.admin import core

blp = core.admin_blueprint("version", "The version of authserver that answers.")


class VersionSchema(Schema):
    version = fields.String(required=True)
    api = fields.String(required=True, metadata={"description": "The API's version."})


@blp.route("/version")
class Version(MethodView):
    @core.requires(ADMIN_READ)
    @blp.response(200, VersionSchema)
    def get(self) -> dict[str, Any]:
        """The version of authserver serving this request."""
        return {"version": metadata.version("authserver"), "api": "v1"}
