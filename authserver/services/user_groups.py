"""User groups: named sets of a tenant's users, holding roles of their own.

Not the clients' access groups (services/access_groups.py): these group people, and a
member holds every role of the group besides their own (services/roles.py,
``effective_roles``). The CLI calls them ``user-group`` for that reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from authserver.services.errors import Conflict, InvalidInput, NotFound
from authserver.services.roles import (
    check_description,
    check_name,
    roles_named,
    session_of,
    valid_name,
)
from authserver.storage.models import User, UserGroup
from authserver.storage.repositories import AuditRepository
from authserver.storage.repositories.roles import RoleRepository
from authserver.storage.unit_of_work import UnitOfWork

MAX_GROUPS_PER_USER = 100


@dataclass(frozen=True, slots=True)
class GroupSpec:
    name: str
    description: str = ""
    roles: tuple[str, ...] = ()


def group_view(repo: RoleRepository, group: UserGroup) -> dict[str, Any]:
    return {
        "name": group.name, "description": group.description,
        "roles": [r.name for r in repo.group_roles(group)],
        "members": repo.member_count(group),
        "created_at": group.created_at.isoformat(), "created_by": group.created_by,
        "updated_at": group.updated_at.isoformat(), "updated_by": group.updated_by,
    }


def get_group(session: Session, tenant_id: int, name: str) -> UserGroup:
    group = RoleRepository(session, tenant_id).group(name) if valid_name(name) else None
    if group is None:
        raise NotFound(f"no user group {name!r} in this tenant")
    return group


def create_group(session: Session, tenant_id: int, spec: GroupSpec, actor: str) -> UserGroup:
    name = check_name(spec.name)
    repo = RoleRepository(session, tenant_id)
    if repo.group(name) is not None:
        raise Conflict(f"a user group named {name!r} already exists in this tenant")
    roles = roles_named(session, tenant_id, spec.roles)
    group = UserGroup(name=name, description=check_description(spec.description),
                      created_by=actor, updated_by=actor)
    repo.add(group)
    repo.set_group_roles(group, roles)
    AuditRepository(session, tenant_id).record(
        actor, "user_group.created", name,
        after={"description": group.description, "roles": sorted(r.name for r in roles)})
    return group


def update_group(session: Session, tenant_id: int, name: str, description: str | None,
                 roles: Iterable[str] | None, actor: str) -> tuple[UserGroup, list[str]]:
    """Change the description and/or replace the group's roles; returns what changed."""
    group = get_group(session, tenant_id, name)
    repo = RoleRepository(session, tenant_id)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if description is not None and check_description(description) != group.description:
        before["description"], after["description"] = group.description, \
            check_description(description)
        group.description = after["description"]
    if roles is not None:
        new = roles_named(session, tenant_id, roles)
        current = [r.name for r in repo.group_roles(group)]
        if sorted(r.name for r in new) != current:
            before["roles"], after["roles"] = current, sorted(r.name for r in new)
            repo.set_group_roles(group, new)
    if after:
        group.updated_by = actor
        session.flush()
        AuditRepository(session, tenant_id).record(actor, "user_group.updated", name,
                                                   before=before, after=after)
    return group, sorted(after)


def grant_group_role(session: Session, tenant_id: int, name: str, role: str,
                     actor: str) -> UserGroup:
    group = get_group(session, tenant_id, name)
    current = [r.name for r in RoleRepository(session, tenant_id).group_roles(group)]
    return update_group(session, tenant_id, name, None, [*current, role], actor)[0]


def revoke_group_role(session: Session, tenant_id: int, name: str, role: str,
                      actor: str) -> UserGroup:
    group = get_group(session, tenant_id, name)
    current = [r.name for r in RoleRepository(session, tenant_id).group_roles(group)]
    if role not in current:
        raise NotFound(f"user group {name!r} does not hold role {role!r}")
    return update_group(session, tenant_id, name, None,
                        [r for r in current if r != role], actor)[0]


def delete_group(session: Session, tenant_id: int, name: str, actor: str) -> None:
    """Delete the group; its members lose the roles it gave them (audited with counts)."""
    group = get_group(session, tenant_id, name)
    repo = RoleRepository(session, tenant_id)
    before = {"description": group.description,
              "roles": [r.name for r in repo.group_roles(group)]}
    members = repo.member_count(group)
    repo.delete(group)
    AuditRepository(session, tenant_id).record(actor, "user_group.deleted", name,
                                               before=before, members=members)


def groups_of_user(session: Session, tenant_id: int, user_id: int) -> list[str]:
    return [g.name for g in RoleRepository(session, tenant_id).groups_of(user_id)]


def set_user_groups(session_or_uow: Session | UnitOfWork, tenant_id: int, user: User,
                    names: Iterable[str], actor: str) -> list[str]:
    """The user's groups become exactly ``names``; returns them, sorted."""
    session = session_of(session_or_uow)
    wanted = list(dict.fromkeys(check_name(n, "groups") for n in names))
    repo = RoleRepository(session, tenant_id)
    found = {g.name: g for g in repo.groups_named(wanted)}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise InvalidInput("groups", f"no user group {unknown[0]!r} in this tenant")
    if len(wanted) > MAX_GROUPS_PER_USER:
        raise InvalidInput("groups", f"at most {MAX_GROUPS_PER_USER} per user")
    before = groups_of_user(session, tenant_id, user.id)
    after = sorted(wanted)
    if after != before:
        repo.set_groups_of(user.id, [found[n] for n in wanted])
        AuditRepository(session, tenant_id).record(
            actor, "user.groups_changed", user.sub, before={"groups": before},
            after={"groups": after})
    return after


def add_member(session: Session, tenant_id: int, name: str, user: User,
               actor: str) -> list[str]:
    get_group(session, tenant_id, name)
    current = groups_of_user(session, tenant_id, user.id)
    return set_user_groups(session, tenant_id, user, [*current, name], actor)


def remove_member(session: Session, tenant_id: int, name: str, user: User,
                  actor: str) -> list[str]:
    get_group(session, tenant_id, name)
    current = groups_of_user(session, tenant_id, user.id)
    if name not in current:
        raise NotFound(f"user {user.email} is not a member of user group {name!r}")
    return set_user_groups(session, tenant_id, user, [g for g in current if g != name], actor)
