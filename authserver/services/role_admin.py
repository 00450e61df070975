"""Operator operations on roles, user groups and users' roles, groups and attributes.

For the CLI and the admin API alike: each runs one unit of work given an AdminContext,
names the tenant by slug and a user by email or sub (exactly one), and returns plain
values (views) to print or serialise. Listing returns ``(id, view)`` pairs so the admin
API can page by id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from authserver.services import roles, user_attributes, user_groups
from authserver.services.accounts import find_user
from authserver.services.admin_context import AdminContext
from authserver.services.errors import NotFound
from authserver.services.roles import RoleChanges, RoleSpec
from authserver.services.tenants import get_tenant
from authserver.storage.models import Tenant, User
from authserver.storage.repositories import UserRepository
from authserver.storage.repositories.roles import RoleRepository


def _user(session: Session, tenant: Tenant, email: str | None, sub: str | None) -> User:
    if sub is not None and (len(sub) > 64 or "\x00" in sub):
        raise NotFound("no such user in this tenant")  # no sub looks like that
    return find_user(UserRepository(session, tenant.id), email, sub)


def _role_view(session: Session, tenant: Tenant, role: Any) -> dict[str, Any]:
    users, groups = RoleRepository(session, tenant.id).holders(role)
    return {**roles.role_view(role), "users": users, "groups": groups}


# --- roles


def create_role(ctx: AdminContext, tenant_slug: str, spec: RoleSpec) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        return _role_view(session, tenant, roles.create_role(session, tenant.id, spec,
                                                             ctx.actor))


def list_roles(ctx: AdminContext, tenant_slug: str, limit: int, after_id: int = 0,
               name_prefix: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        return [(r.id, _role_view(session, tenant, r))
                for r in roles.list_roles(session, tenant.id, limit, after_id, name_prefix)]


def show_role(ctx: AdminContext, tenant_slug: str, name: str) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        return _role_view(session, tenant, roles.get_role(session, tenant.id, name))


def update_role(ctx: AdminContext, tenant_slug: str, name: str,
                changes: RoleChanges) -> tuple[dict[str, Any], list[str]]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        role, changed = roles.update_role(session, tenant.id, name, changes, ctx.actor)
        return _role_view(session, tenant, role), changed


def delete_role(ctx: AdminContext, tenant_slug: str, name: str, force: bool = False) -> None:
    with ctx.transaction() as session:
        roles.delete_role(session, get_tenant(session, tenant_slug), name, ctx.actor, force)


# --- a user's roles, groups, attributes


def user_access(ctx: AdminContext, tenant_slug: str, email: str | None = None,
                sub: str | None = None) -> dict[str, Any]:
    """The user's direct roles, groups, effective roles and permissions."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user = _user(session, tenant, email, sub)
        return _access_view(session, tenant, user)


def _access_view(session: Session, tenant: Tenant, user: User) -> dict[str, Any]:
    effective = RoleRepository(session, tenant.id).effective(user.id)
    return {
        "sub": user.sub, "email": user.email,
        "roles": roles.direct_roles(session, tenant.id, user.id),
        "groups": user_groups.groups_of_user(session, tenant.id, user.id),
        "effective_roles": [name for name, _ in effective],
        "permissions": sorted({p for _, ps in effective for p in ps}),
    }


def grant_role(ctx: AdminContext, tenant_slug: str, role: str, email: str | None = None,
               sub: str | None = None) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user = _user(session, tenant, email, sub)
        roles.grant_role(session, tenant.id, user, role, ctx.actor)
        return _access_view(session, tenant, user)


def revoke_role(ctx: AdminContext, tenant_slug: str, role: str, email: str | None = None,
                sub: str | None = None) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user = _user(session, tenant, email, sub)
        roles.revoke_role(session, tenant.id, user, role, ctx.actor)
        return _access_view(session, tenant, user)


def set_user_roles(ctx: AdminContext, tenant_slug: str, sub: str,
                   names: Sequence[str]) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user = _user(session, tenant, None, sub)
        roles.set_user_roles(session, tenant.id, user, names, ctx.actor)
        return _access_view(session, tenant, user)


def set_user_groups(ctx: AdminContext, tenant_slug: str, sub: str,
                    names: Sequence[str]) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user = _user(session, tenant, None, sub)
        user_groups.set_user_groups(session, tenant.id, user, names, ctx.actor)
        return _access_view(session, tenant, user)


def user_attributes_of(ctx: AdminContext, tenant_slug: str, email: str | None = None,
                       sub: str | None = None) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user = _user(session, tenant, email, sub)
        return user_attributes.attributes_of(session, tenant.id, user.id)


def set_user_attributes(ctx: AdminContext, tenant_slug: str, sub: str,
                        values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user = _user(session, tenant, None, sub)
        return user_attributes.set_attributes(session, tenant.id, user, values, ctx.actor)


# --- user groups


def _group_view(session: Session, tenant: Tenant, group: Any,
                with_members: bool = False) -> dict[str, Any]:
    repo = RoleRepository(session, tenant.id)
    view = user_groups.group_view(repo, group)
    if with_members:
        view["member_emails"] = [u.email for u in repo.members(group)]
    return view


def create_group(ctx: AdminContext, tenant_slug: str,
                 spec: user_groups.GroupSpec) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        group = user_groups.create_group(session, tenant.id, spec, ctx.actor)
        return _group_view(session, tenant, group)


def list_groups(ctx: AdminContext, tenant_slug: str, limit: int,
                after_id: int = 0) -> list[tuple[int, dict[str, Any]]]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        return [(g.id, _group_view(session, tenant, g))
                for g in RoleRepository(session, tenant.id).groups_page(limit, after_id)]


def show_group(ctx: AdminContext, tenant_slug: str, name: str,
               with_members: bool = True) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        group = user_groups.get_group(session, tenant.id, name)
        return _group_view(session, tenant, group, with_members)


def update_group(ctx: AdminContext, tenant_slug: str, name: str, description: str | None,
                 role_names: Sequence[str] | None) -> tuple[dict[str, Any], list[str]]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        group, changed = user_groups.update_group(session, tenant.id, name, description,
                                                  role_names, ctx.actor)
        return _group_view(session, tenant, group), changed


def delete_group(ctx: AdminContext, tenant_slug: str, name: str) -> None:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user_groups.delete_group(session, tenant.id, name, ctx.actor)


def grant_group_role(ctx: AdminContext, tenant_slug: str, name: str,
                     role: str) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        group = user_groups.grant_group_role(session, tenant.id, name, role, ctx.actor)
        return _group_view(session, tenant, group)


def revoke_group_role(ctx: AdminContext, tenant_slug: str, name: str,
                      role: str) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        group = user_groups.revoke_group_role(session, tenant.id, name, role, ctx.actor)
        return _group_view(session, tenant, group)


def add_member(ctx: AdminContext, tenant_slug: str, name: str, email: str | None = None,
               sub: str | None = None) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user = _user(session, tenant, email, sub)
        user_groups.add_member(session, tenant.id, name, user, ctx.actor)
        return _access_view(session, tenant, user)


def remove_member(ctx: AdminContext, tenant_slug: str, name: str, email: str | None = None,
                  sub: str | None = None) -> dict[str, Any]:
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        user = _user(session, tenant, email, sub)
        user_groups.remove_member(session, tenant.id, name, user, ctx.actor)
        return _access_view(session, tenant, user)
