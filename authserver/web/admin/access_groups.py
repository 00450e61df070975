"""``/admin/api/v1/tenants/<slug>/access-groups`` (built-in and custom groups; built-in
ones are marked ``builtin: true`` and read-only), ``…/default-access-group`` and
``…/clients/<client_id>/access-groups`` (a client's groups).
Docs: docs/apis-and-access-groups.md."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from authserver.services import access_groups as service
from authserver.services.admin_access import ADMIN_READ, ADMIN_WRITE
from authserver.web.admin import core

blp = core.admin_blueprint("access_groups", "Access groups: named sets of per-API scopes "
                           "assigned to clients; built-in groups come from the operator's "
                           "catalogue.")

_GROUP_REF = fields.String(validate=validate.Length(min=1, max=100))
_PERMISSIONS = fields.Dict(
    keys=fields.String(validate=validate.Length(min=1, max=2000)),
    values=fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                       validate=validate.Length(max=100)),
    metadata={"description": "API identifier → the scopes the group grants on it."})


class AccessGroupSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "active or inactive"})
    builtin = fields.Boolean(required=True)
    default = fields.Boolean(required=True)
    clients = fields.Integer(required=True, metadata={"description": "How many clients."})
    permissions = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                              required=True)
    created_at = fields.DateTime(allow_none=True, required=True)
    updated_at = fields.DateTime(allow_none=True, required=True)
    created_by = fields.String(allow_none=True, required=True)
    updated_by = fields.String(allow_none=True, required=True)


GroupPage = core.page_schema(AccessGroupSchema, "AccessGroupPage")


class AccessGroupListArgs(core.PageArgs):
    q = fields.String(load_default=None, validate=validate.Length(max=100),
                      metadata={"description": "A part of the name, any case."})


class NewAccessGroupSchema(core.StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(validate=validate.Length(max=1000))
    permissions = _PERMISSIONS


class AccessGroupChangeSchema(core.StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    description = fields.String(validate=validate.Length(max=1000))
    permissions = _PERMISSIONS


class MembershipSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    builtin = fields.Boolean(required=True)
    status = fields.String(required=True)


class ClientGroupsSchema(Schema):
    groups = fields.List(fields.Nested(MembershipSchema), required=True)


class ClientGroupsInput(core.StrictSchema):
    groups = fields.List(_GROUP_REF, required=True, validate=validate.Length(max=50),
                         metadata={"description": "Group ids (or names)."})


class DefaultGroupSchema(Schema):
    group = fields.Nested(AccessGroupSchema, allow_none=True, required=True)


class DefaultGroupInput(core.StrictSchema):
    group = fields.String(required=True, allow_none=True,
                          validate=validate.Length(min=1, max=100),
                          metadata={"description": "A group id or name; null: none."})


def _error(status: int, code: str, what: str) -> dict[str, Any]:
    return {"status_code": status, "schema": core.ErrorSchema,
            "description": f"{what} (``{code}``)."}


_BUILTIN = _error(403, "access_group_builtin", "A built-in group")
_NOT_FOUND = _error(404, "not_found", "No such group")


def _key(view: dict[str, Any]) -> list[str]:
    return [view["name"].casefold(), view["id"]]


@blp.route("/tenants/<string:slug>/access-groups")
class Groups(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(AccessGroupListArgs, location="query")
    @blp.response(200, GroupPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Built-in and custom groups by name; ``q`` searches names (any case)."""
        core.tenant_for(slug)
        start = core.after(args["cursor"])
        views = service.list_groups(core.admin_context(), slug, args["q"])
        if start is not None:
            if not (isinstance(start, list) and len(start) == 2
                    and all(isinstance(p, str) for p in start)):
                raise core.AdminError(400, "invalid_cursor",
                                      "The cursor is not one this API gave out.")
            views = [v for v in views if _key(v) > start]
        return core.page(views, args["limit"], key=_key)

    @core.requires(ADMIN_WRITE)
    @blp.arguments(NewAccessGroupSchema)
    @blp.response(201, AccessGroupSchema)
    @blp.alt_response(**_error(409, "access_group_exists", "The name is taken"))
    def post(self, new: dict[str, Any], slug: str) -> dict[str, Any]:
        """Create a custom group."""
        core.tenant_for(slug)
        return service.create_group(core.admin_context(), slug, service.GroupSpec(
            name=new["name"], description=new.get("description", ""),
            permissions=new.get("permissions")))


@blp.route("/tenants/<string:slug>/access-groups/<string:group_id>")
class Group(MethodView):
    @core.requires(ADMIN_READ)
    @blp.etag
    @blp.response(200, AccessGroupSchema)
    @blp.alt_response(**_NOT_FOUND)
    def get(self, slug: str, group_id: str) -> dict[str, Any]:
        """One group."""
        core.tenant_for(slug)
        return _group(slug, group_id)

    @core.requires(ADMIN_WRITE)
    @blp.etag
    @blp.arguments(AccessGroupChangeSchema)
    @blp.response(200, AccessGroupSchema)
    @blp.alt_response(**_BUILTIN)
    @blp.alt_response(**_NOT_FOUND)
    @blp.alt_response(**_error(409, "access_group_exists", "The new name is taken"))
    def patch(self, change: dict[str, Any], slug: str, group_id: str) -> dict[str, Any]:
        """Rename a custom group or change its description or permissions. Needs
        ``If-Match`` with the ETag of the current state."""
        core.tenant_for(slug)
        blp.check_etag(_group(slug, group_id), AccessGroupSchema)
        view = service.update_group(core.admin_context(), slug, group_id, service.GroupChanges(
            name=change.get("name"), description=change.get("description"),
            permissions=change.get("permissions")))
        return {k: v for k, v in view.items() if k != "changed"}


def _group(slug: str, group_id: str) -> dict[str, Any]:
    view = service.show_group(core.admin_context(), slug, group_id)
    return {k: v for k, v in view.items() if k != "client_ids"}


@blp.route("/tenants/<string:slug>/access-groups/<string:group_id>:deactivate")
class Deactivate(MethodView):
    @core.requires(ADMIN_WRITE)
    @blp.response(200, AccessGroupSchema)
    @blp.alt_response(**_BUILTIN)
    @blp.alt_response(**_NOT_FOUND)
    @blp.alt_response(**_error(409, "access_group_in_use", "Clients use the group; "
                               "``details.clients`` lists them"))
    def post(self, slug: str, group_id: str) -> dict[str, Any]:
        """Deactivate a custom group no client uses (and not the default)."""
        core.tenant_for(slug)
        return service.set_group_active(core.admin_context(), slug, group_id, False)


@blp.route("/tenants/<string:slug>/access-groups/<string:group_id>:activate")
class Activate(MethodView):
    @core.requires(ADMIN_WRITE)
    @blp.response(200, AccessGroupSchema)
    @blp.alt_response(**_BUILTIN)
    @blp.alt_response(**_NOT_FOUND)
    def post(self, slug: str, group_id: str) -> dict[str, Any]:
        """Activate a deactivated custom group."""
        core.tenant_for(slug)
        return service.set_group_active(core.admin_context(), slug, group_id, True)


@blp.route("/tenants/<string:slug>/default-access-group")
class DefaultGroup(MethodView):
    @core.requires(ADMIN_READ)
    @blp.response(200, DefaultGroupSchema)
    def get(self, slug: str) -> dict[str, Any]:
        """The group every new client of the tenant joins (null: none)."""
        core.tenant_for(slug)
        return {"group": service.default_group(core.admin_context(), slug)}

    @core.requires(ADMIN_WRITE)
    @blp.arguments(DefaultGroupInput)
    @blp.response(200, DefaultGroupSchema)
    @blp.alt_response(**_NOT_FOUND)
    @blp.alt_response(**_error(409, "access_group_inactive", "The group is deactivated"))
    def put(self, body: dict[str, Any], slug: str) -> dict[str, Any]:
        """Set (or, with null, clear) the default group."""
        core.tenant_for(slug)
        return {"group": service.set_default_group(core.admin_context(), slug,
                                                   body["group"])}


@blp.route("/tenants/<string:slug>/clients/<string:client_id>/access-groups")
class ClientGroups(MethodView):
    @core.requires(ADMIN_READ)
    @blp.response(200, ClientGroupsSchema)
    @blp.alt_response(404, description="No such client.", schema=core.ErrorSchema)
    def get(self, slug: str, client_id: str) -> dict[str, Any]:
        """The client's groups."""
        core.tenant_for(slug)
        return {"groups": service.client_groups(core.admin_context(), slug, client_id)}

    @core.requires(ADMIN_WRITE)
    @blp.arguments(ClientGroupsInput)
    @blp.response(200, ClientGroupsSchema)
    @blp.alt_response(404, description="No such client or group.", schema=core.ErrorSchema)
    @blp.alt_response(**_error(409, "access_group_inactive", "A newly joined group is "
                               "deactivated"))
    def put(self, body: dict[str, Any], slug: str, client_id: str) -> dict[str, Any]:
        """Replace the client's groups."""
        core.tenant_for(slug)
        return {"groups": service.set_client_groups(core.admin_context(), slug, client_id,
                                                    body["groups"])}
