"""``/admin/api/v1/tenants/<slug>/apis`` (a tenant's APIs: audiences, scopes, token
lifetime and algorithm) and ``…/clients/<client_id>/api-grants`` (a client's direct
grants). APIs are addressed by ``id`` (``api-12``; ``builtin-admin`` is the built-in
admin API, listed but read-only). Docs: docs/apis-and-access-groups.md."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from authserver.services import api_admin, api_grants
from authserver.services.admin_access import ADMIN_READ, ADMIN_WRITE
from authserver.services.keys import SUPPORTED_ALGS
from authserver.web.admin import core

blp = core.admin_blueprint("apis", "APIs (resource servers): the audiences of access "
                           "tokens, their scopes, lifetime and signing algorithm; and "
                           "clients' direct grants to them.")

_SCOPES = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                      validate=validate.Length(max=api_admin.MAX_SCOPES))
_CLIENTS = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                       validate=validate.Length(max=50))
_TTL = validate.Range(min=api_admin.MIN_TTL, max=400 * 86400)
_ALG = validate.OneOf(SUPPORTED_ALGS)


class ApiSchema(Schema):
    id = fields.String(required=True)
    identifier = fields.String(required=True)
    name = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    access_token_ttl = fields.Integer(allow_none=True, required=True)
    access_token_alg = fields.String(allow_none=True, required=True)
    introspection_clients = fields.List(fields.String(), required=True)
    builtin = fields.Boolean(required=True)
    created_at = fields.DateTime(allow_none=True, required=True)
    updated_at = fields.DateTime(allow_none=True, required=True)
    created_by = fields.String(allow_none=True, required=True)
    updated_by = fields.String(allow_none=True, required=True)


ApiPage = core.page_schema(ApiSchema, "ApiPage")


class NewApiSchema(core.StrictSchema):
    identifier = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    scopes = _SCOPES
    access_token_ttl = fields.Integer(allow_none=True, validate=_TTL)
    access_token_alg = fields.String(allow_none=True, validate=_ALG)
    introspection_clients = _CLIENTS


class ApiChangeSchema(core.StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    scopes = _SCOPES
    access_token_ttl = fields.Integer(allow_none=True, validate=_TTL,
                                      metadata={"description": "null: the default"})
    access_token_alg = fields.String(allow_none=True, validate=_ALG,
                                     metadata={"description": "null: the client's"})
    introspection_clients = _CLIENTS


class GrantSchema(core.StrictSchema):
    api = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                        metadata={"description": "The API's identifier."})
    scopes = _SCOPES


class GrantsSchema(core.StrictSchema):
    grants = fields.List(fields.Nested(GrantSchema), required=True,
                         validate=validate.Length(max=100))


def _shown(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k != "changed"}


@blp.route("/tenants/<string:slug>/apis")
class Apis(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(core.PageArgs, location="query")
    @blp.response(200, ApiPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The tenant's APIs in identifier order, the built-in admin API among them."""
        core.tenant_for(slug)
        start = core.after(args["cursor"])
        views = sorted(api_admin.list_apis(core.admin_context(), slug),
                       key=lambda v: v["identifier"])
        if start is not None:
            views = [v for v in views if v["identifier"] > str(start)]
        return core.page(views, args["limit"], key=lambda v: v["identifier"])

    @core.requires(ADMIN_WRITE)
    @blp.arguments(NewApiSchema)
    @blp.response(201, ApiSchema)
    @blp.alt_response(403, description="The identifier is the built-in admin API's.",
                      schema=core.ErrorSchema)
    @blp.alt_response(409, description="An API with this identifier exists "
                      "(``api_exists``).", schema=core.ErrorSchema)
    def post(self, new: dict[str, Any], slug: str) -> dict[str, Any]:
        """Register an API."""
        core.tenant_for(slug)
        return api_admin.create_api(core.admin_context(), slug, api_admin.ApiSpec(
            identifier=new["identifier"], name=new["name"], scopes=new.get("scopes", ()),
            access_token_ttl=new.get("access_token_ttl"),
            access_token_alg=new.get("access_token_alg"),
            introspection_clients=new.get("introspection_clients", ())))


@blp.route("/tenants/<string:slug>/apis/<string:api_id>")
class Api(MethodView):
    @core.requires(ADMIN_READ)
    @blp.etag
    @blp.response(200, ApiSchema)
    @blp.alt_response(404, description="No such API.", schema=core.ErrorSchema)
    def get(self, slug: str, api_id: str) -> dict[str, Any]:
        """One API."""
        core.tenant_for(slug)
        return api_admin.show_api(core.admin_context(), slug, api_id)

    @core.requires(ADMIN_WRITE)
    @blp.etag
    @blp.arguments(ApiChangeSchema)
    @blp.response(200, ApiSchema)
    @blp.alt_response(403, description="The built-in admin API (``api_builtin``).",
                      schema=core.ErrorSchema)
    @blp.alt_response(404, description="No such API.", schema=core.ErrorSchema)
    def patch(self, change: dict[str, Any], slug: str, api_id: str) -> dict[str, Any]:
        """Change an API. Needs ``If-Match`` with the ETag of the current state."""
        core.tenant_for(slug)
        ctx = core.admin_context()
        blp.check_etag(api_admin.show_api(ctx, slug, api_id), ApiSchema)
        changes = api_admin.ApiChanges(
            name=change.get("name"), scopes=change.get("scopes"),
            access_token_ttl=_reset(change, "access_token_ttl", 0),
            access_token_alg=_reset(change, "access_token_alg", ""),
            introspection_clients=change.get("introspection_clients"))
        return _shown(api_admin.update_api(ctx, slug, api_id, changes))

    @core.requires(ADMIN_WRITE)
    @blp.response(204)
    @blp.alt_response(403, description="The built-in admin API (``api_builtin``).",
                      schema=core.ErrorSchema)
    @blp.alt_response(404, description="No such API.", schema=core.ErrorSchema)
    def delete(self, slug: str, api_id: str) -> None:
        """Delete an API and every client's direct grant to it."""
        core.tenant_for(slug)
        api_admin.delete_api(core.admin_context(), slug, api_id)


def _reset(change: dict[str, Any], name: str, default: Any) -> Any:
    # null goes back to the default, which the service spells 0 / "".
    if name in change and change[name] is None:
        return default
    return change.get(name)


@blp.route("/tenants/<string:slug>/clients/<string:client_id>/api-grants")
class ClientApiGrants(MethodView):
    @core.requires(ADMIN_READ)
    @blp.response(200, GrantsSchema)
    @blp.alt_response(404, description="No such client.", schema=core.ErrorSchema)
    def get(self, slug: str, client_id: str) -> dict[str, Any]:
        """The client's direct grants (its access groups add to them)."""
        core.tenant_for(slug)
        return {"grants": api_grants.client_api_grants(core.admin_context(), slug, client_id)}

    @core.requires(ADMIN_WRITE)
    @blp.arguments(GrantsSchema)
    @blp.response(200, GrantsSchema)
    @blp.alt_response(404, description="No such client or API.", schema=core.ErrorSchema)
    def put(self, body: dict[str, Any], slug: str, client_id: str) -> dict[str, Any]:
        """Replace the client's direct grants."""
        core.tenant_for(slug)
        wanted: dict[str, list[str]] = {}
        for grant in body["grants"]:
            wanted.setdefault(grant["api"], []).extend(grant.get("scopes", ()))
        return {"grants": api_grants.set_client_api_grants(core.admin_context(), slug,
                                                          client_id, wanted)}
