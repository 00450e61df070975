"""``/admin/api/v1/tenants/{slug}/keys``: a tenant's signing keys — list, rotate, revoke
(as ``authserver keys …``, through services/key_lifecycle.py). Only public facts about a
key are ever answered: its kid, algorithm, status and lifecycle times, never private
material."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from authserver.services import key_lifecycle
from authserver.services.admin_access import ADMIN_READ, ADMIN_WRITE
from authserver.services.key_lifecycle import KeyRecord
from authserver.services.keys import SUPPORTED_ALGS
from authserver.web.admin import core
from authserver.web.admin.errors import AdminError

blp = core.admin_blueprint("keys", "Signing keys of a tenant: list, rotate (with a publish "
                           "lead, or at once), revoke.")


class KeySchema(Schema):
    kid = fields.String(required=True)
    alg = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(
        ("published", "active", "retired", "expired", "revoked")), metadata={
        "description": "published (in JWKS, not signing yet), active (signs), retired "
                       "(in JWKS until expires_at), expired, revoked."})
    created_at = fields.String(required=True, allow_none=True)
    activates_at = fields.String(required=True)
    retires_at = fields.String(required=True, allow_none=True)
    expires_at = fields.String(required=True, allow_none=True)
    revoked_at = fields.String(required=True, allow_none=True)


KeyPage = core.page_schema(KeySchema, "KeyPage")


class RotateSchema(core.StrictSchema):
    algs = fields.List(fields.String(validate=validate.OneOf(SUPPORTED_ALGS)),
                       validate=validate.Length(max=len(SUPPORTED_ALGS)), metadata={
                           "description": "Algorithms to rotate; default: every one in use."})
    immediate = fields.Boolean(load_default=False, metadata={
        "description": "Sign with the new keys at once (suspected compromise) instead of "
                       "after KEY_PUBLISH_LEAD."})


class RotatedSchema(Schema):
    keys = fields.List(fields.Nested(KeySchema), required=True)


class RevokedSchema(Schema):
    kid = fields.String(required=True)
    replacement = fields.Nested(KeySchema, required=True, allow_none=True, metadata={
        "description": "The key that signs in its place, when it was signing."})


def _view(record: KeyRecord) -> dict[str, Any]:
    view = record.view()
    view["status"] = view.pop("state")
    return view


@blp.route("/tenants/<string:slug>/keys")
class Keys(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(core.PageArgs, location="query")
    @blp.response(200, KeyPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The tenant's keys in creation order, with their status now."""
        core.tenant_for(slug)
        rows = key_lifecycle.page_keys(core.admin_context(), slug, core.after_id(args["cursor"]),
                                       args["limit"] + 1)
        return core.page(rows, args["limit"], key=lambda r: r[0], dump=lambda r: _view(r[1]))


@blp.route("/tenants/<string:slug>/keys:rotate")
class Rotate(MethodView):
    @core.requires(ADMIN_WRITE)
    @blp.arguments(RotateSchema)
    @blp.response(200, RotatedSchema)
    def post(self, body: dict[str, Any], slug: str) -> dict[str, Any]:
        """Publish a successor for each algorithm; it signs after KEY_PUBLISH_LEAD (or at
        once with ``immediate``). 409 while a rotation of that algorithm is scheduled."""
        core.tenant_for(slug)
        created = key_lifecycle.rotate_keys(core.admin_context(), slug,
                                            body.get("algs", []), body["immediate"])
        return {"keys": [_view(k) for k in created]}


@blp.route("/tenants/<string:slug>/keys/<string:kid>:revoke")
class Revoke(MethodView):
    @core.requires(ADMIN_WRITE)
    @blp.response(200, RevokedSchema)
    def post(self, slug: str, kid: str) -> dict[str, Any]:
        """Withdraw the key from JWKS at once: tokens it signed stop verifying. 404 for an
        unknown kid, 409 if it was already revoked."""
        core.tenant_for(slug)
        if not 1 <= len(kid) <= 64:
            raise AdminError(404, "not_found", "No such key.")
        replacement = key_lifecycle.revoke_key(core.admin_context(), slug, kid)
        return {"kid": kid, "replacement": _view(replacement) if replacement else None}
