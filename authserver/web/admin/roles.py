"""``/admin/api/v1/tenants/<slug>/roles`` and ``…/user-groups``, and a user's roles,
groups and attributes under ``…/users/<sub>/`` (docs/roles-and-claims.md).

Thin over services/role_admin.py, the operations the CLI calls too. Responses name users
by sub only: an email is personal data (``users:read:pii`` is for the users resource).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from authserver.services import role_admin
from authserver.services.admin_access import ADMIN_READ, ADMIN_WRITE
from authserver.services.roles import MAX_DESCRIPTION, MAX_PERMISSIONS, RoleChanges, RoleSpec
from authserver.services.user_attributes import MAX_ATTRIBUTES
from authserver.services.user_groups import GroupSpec
from authserver.web.admin import core
from authserver.web.admin.errors import AdminError

blp = core.admin_blueprint("roles", "Roles (sets of permissions), user groups, and the "
                           "roles, groups and attributes of users.")

_NAME = fields.String(required=True, validate=validate.Length(min=1, max=100),
                      metadata={"description": "Letters, digits and _ - . :"})
_DESCRIPTION = fields.String(validate=validate.Length(max=MAX_DESCRIPTION))
_PERMISSIONS = fields.List(fields.String(validate=validate.Length(max=200)),
                           validate=validate.Length(max=MAX_PERMISSIONS),
                           metadata={"description": "resource:action[:qualifier]"})
_NAMES = fields.List(fields.String(validate=validate.Length(max=100)),
                     validate=validate.Length(max=100))


class RoleSchema(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    permissions = fields.List(fields.String(), required=True)
    users = fields.Integer(required=True, metadata={"description": "Users holding it directly"})
    groups = fields.Integer(required=True, metadata={"description": "Groups giving it"})
    created_at = fields.String(required=True)
    created_by = fields.String(required=True)
    updated_at = fields.String(required=True)
    updated_by = fields.String(required=True)


class NewRoleSchema(core.StrictSchema):
    name = _NAME
    description = _DESCRIPTION
    permissions = _PERMISSIONS


class RoleChangeSchema(core.StrictSchema):
    description = _DESCRIPTION
    permissions = _PERMISSIONS


class RoleListArgs(core.PageArgs):
    name = fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "Only roles whose name starts with this"})


class DeleteArgs(core.StrictSchema):
    force = fields.Boolean(load_default=False, metadata={
        "description": "Delete even while users or groups hold it"})


class UserGroupSchema(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    members = fields.Integer(required=True)
    created_at = fields.String(required=True)
    created_by = fields.String(required=True)
    updated_at = fields.String(required=True)
    updated_by = fields.String(required=True)


class NewUserGroupSchema(core.StrictSchema):
    name = _NAME
    description = _DESCRIPTION
    roles = _NAMES


class UserGroupChangeSchema(core.StrictSchema):
    description = _DESCRIPTION
    roles = _NAMES


class UserAccessSchema(Schema):
    sub = fields.String(required=True)
    roles = fields.List(fields.String(), required=True,
                        metadata={"description": "Given to the user directly"})
    groups = fields.List(fields.String(), required=True)
    effective_roles = fields.List(fields.String(), required=True,
                                  metadata={"description": "Direct and through groups"})
    permissions = fields.List(fields.String(), required=True)


class RolesPutSchema(core.StrictSchema):
    roles = fields.List(fields.String(validate=validate.Length(max=100)), required=True,
                        validate=validate.Length(max=100))


class UserGroupsPutSchema(core.StrictSchema):
    groups = fields.List(fields.String(validate=validate.Length(max=100)), required=True,
                         validate=validate.Length(max=100))


class AttributesSchema(core.StrictSchema):
    attributes = fields.Dict(
        keys=fields.String(validate=validate.Length(max=64)), values=fields.Raw(),
        required=True, validate=validate.Length(max=MAX_ATTRIBUTES),
        metadata={"description": "key → a string or a list of strings"})


RolePage = core.page_schema(RoleSchema, "RolePage")
UserGroupPage = core.page_schema(UserGroupSchema, "UserGroupPage")
_ERRORS = {"400": "Invalid input", "404": "No such tenant, role, group or user",
           "409": "Conflicts with the current state"}


def _alt(*codes: str) -> Any:
    def decorate(view: Any) -> Any:
        for code in codes:
            view = blp.alt_response(int(code), schema=core.ErrorSchema,
                                    description=_ERRORS[code])(view)
        return view
    return decorate


def _after_id(cursor: str | None) -> int:
    start = core.after(cursor)
    if start is None:
        return 0
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise AdminError(400, "invalid_cursor", "The cursor is not one this API gave out.")
    return start


def _page(rows: list[tuple[int, dict[str, Any]]], limit: int) -> dict[str, Any]:
    return core.page(rows, limit, key=lambda row: row[0], dump=lambda row: row[1])


# --- roles


@blp.route("/tenants/<string:slug>/roles")
class Roles(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(RoleListArgs, location="query")
    @blp.response(200, RolePage)
    @_alt("400", "404")
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The tenant's roles, oldest first; ``name`` filters by prefix."""
        core.tenant_for(slug)
        rows = role_admin.list_roles(core.admin_context(), slug, args["limit"] + 1,
                                     _after_id(args["cursor"]), args.get("name"))
        return _page(rows, args["limit"])

    @core.requires(ADMIN_WRITE)
    @blp.arguments(NewRoleSchema)
    @blp.response(201, RoleSchema)
    @_alt("400", "404", "409")
    def post(self, new: dict[str, Any], slug: str) -> dict[str, Any]:
        """Create a role (409 ``conflict`` when the name is taken)."""
        core.tenant_for(slug)
        return role_admin.create_role(core.admin_context(), slug, RoleSpec(
            new["name"], new.get("description", ""), new.get("permissions", [])))


@blp.route("/tenants/<string:slug>/roles/<string:name>")
class OneRole(MethodView):
    @core.requires(ADMIN_READ)
    @blp.etag
    @blp.response(200, RoleSchema)
    @_alt("404")
    def get(self, slug: str, name: str) -> dict[str, Any]:
        """One role, with how many users and groups hold it."""
        core.tenant_for(slug)
        return role_admin.show_role(core.admin_context(), slug, name)

    @core.requires(ADMIN_WRITE)
    @blp.etag
    @blp.arguments(RoleChangeSchema)
    @blp.response(200, RoleSchema)
    @_alt("400", "404")
    def patch(self, change: dict[str, Any], slug: str, name: str) -> dict[str, Any]:
        """Change the description or replace the permissions. Needs ``If-Match``."""
        core.tenant_for(slug)
        ctx = core.admin_context()
        blp.check_etag(role_admin.show_role(ctx, slug, name), RoleSchema)
        view, _ = role_admin.update_role(ctx, slug, name, RoleChanges(
            description=change.get("description"), permissions=change.get("permissions")))
        return view

    @core.requires(ADMIN_WRITE)
    @blp.arguments(DeleteArgs, location="query")
    @blp.response(204)
    @_alt("400", "404", "409")
    def delete(self, args: dict[str, Any], slug: str, name: str) -> None:
        """Delete the role: 409 while held (unless ``force``) and always while it is the
        tenant's default role for sign-up."""
        core.tenant_for(slug)
        role_admin.delete_role(core.admin_context(), slug, name, args["force"])


# --- user groups


@blp.route("/tenants/<string:slug>/user-groups")
class Groups(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(core.PageArgs, location="query")
    @blp.response(200, UserGroupPage)
    @_alt("400", "404")
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The tenant's user groups, oldest first."""
        core.tenant_for(slug)
        rows = role_admin.list_groups(core.admin_context(), slug, args["limit"] + 1,
                                      _after_id(args["cursor"]))
        return _page(rows, args["limit"])

    @core.requires(ADMIN_WRITE)
    @blp.arguments(NewUserGroupSchema)
    @blp.response(201, UserGroupSchema)
    @_alt("400", "404", "409")
    def post(self, new: dict[str, Any], slug: str) -> dict[str, Any]:
        """Create a user group, optionally with roles its members get."""
        core.tenant_for(slug)
        return role_admin.create_group(core.admin_context(), slug, GroupSpec(
            new["name"], new.get("description", ""), tuple(new.get("roles", ()))))


@blp.route("/tenants/<string:slug>/user-groups/<string:name>")
class OneGroup(MethodView):
    @core.requires(ADMIN_READ)
    @blp.etag
    @blp.response(200, UserGroupSchema)
    @_alt("404")
    def get(self, slug: str, name: str) -> dict[str, Any]:
        """One user group: its roles and number of members."""
        core.tenant_for(slug)
        return role_admin.show_group(core.admin_context(), slug, name, with_members=False)

    @core.requires(ADMIN_WRITE)
    @blp.etag
    @blp.arguments(UserGroupChangeSchema)
    @blp.response(200, UserGroupSchema)
    @_alt("400", "404")
    def patch(self, change: dict[str, Any], slug: str, name: str) -> dict[str, Any]:
        """Change the description or replace the group's roles. Needs ``If-Match``."""
        core.tenant_for(slug)
        ctx = core.admin_context()
        blp.check_etag(role_admin.show_group(ctx, slug, name, with_members=False),
                       UserGroupSchema)
        view, _ = role_admin.update_group(ctx, slug, name, change.get("description"),
                                          change.get("roles"))
        return view

    @core.requires(ADMIN_WRITE)
    @blp.response(204)
    @_alt("404")
    def delete(self, slug: str, name: str) -> None:
        """Delete the group; its members lose the roles it gave them."""
        core.tenant_for(slug)
        role_admin.delete_group(core.admin_context(), slug, name)


# --- a user's roles, groups and attributes


@blp.route("/tenants/<string:slug>/users/<string:sub>/roles")
class UserRoles(MethodView):
    @core.requires(ADMIN_READ)
    @blp.response(200, UserAccessSchema)
    @_alt("404")
    def get(self, slug: str, sub: str) -> dict[str, Any]:
        """The user's direct roles, groups, effective roles and permissions."""
        core.tenant_for(slug)
        return role_admin.user_access(core.admin_context(), slug, sub=sub)

    @core.requires(ADMIN_WRITE)
    @blp.arguments(RolesPutSchema)
    @blp.response(200, UserAccessSchema)
    @_alt("400", "404")
    def put(self, body: dict[str, Any], slug: str, sub: str) -> dict[str, Any]:
        """The user's direct roles become exactly these."""
        core.tenant_for(slug)
        return role_admin.set_user_roles(core.admin_context(), slug, sub, body["roles"])


@blp.route("/tenants/<string:slug>/users/<string:sub>/groups")
class UserGroups(MethodView):
    @core.requires(ADMIN_READ)
    @blp.response(200, UserAccessSchema)
    @_alt("404")
    def get(self, slug: str, sub: str) -> dict[str, Any]:
        """The user's groups (with their roles and permissions)."""
        core.tenant_for(slug)
        return role_admin.user_access(core.admin_context(), slug, sub=sub)

    @core.requires(ADMIN_WRITE)
    @blp.arguments(UserGroupsPutSchema)
    @blp.response(200, UserAccessSchema)
    @_alt("400", "404")
    def put(self, body: dict[str, Any], slug: str, sub: str) -> dict[str, Any]:
        """The user's groups become exactly these."""
        core.tenant_for(slug)
        return role_admin.set_user_groups(core.admin_context(), slug, sub, body["groups"])


@blp.route("/tenants/<string:slug>/users/<string:sub>/attributes")
class UserAttributes(MethodView):
    @core.requires(ADMIN_READ)
    @blp.response(200, AttributesSchema)
    @_alt("404")
    def get(self, slug: str, sub: str) -> dict[str, Any]:
        """The user's attributes."""
        core.tenant_for(slug)
        return {"attributes": role_admin.user_attributes_of(core.admin_context(), slug,
                                                            sub=sub)}

    @core.requires(ADMIN_WRITE)
    @blp.arguments(AttributesSchema)
    @blp.response(200, AttributesSchema)
    @_alt("400", "404")
    def put(self, body: dict[str, Any], slug: str, sub: str) -> dict[str, Any]:
        """The user's attributes become exactly these (``{}`` removes them all)."""
        core.tenant_for(slug)
        values, _ = role_admin.set_user_attributes(core.admin_context(), slug, sub,
                                                   body["attributes"])
        return {"attributes": values}
