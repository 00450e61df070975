"""Roles: named sets of permissions per tenant, given to users directly or through groups.

A permission is ``resource:action`` or ``resource:action:qualifier`` (lower case letters,
digits, ``_ . -`` in each part). The admin API grants access by three of them
(:data:`ADMIN_PERMISSIONS`): a user whose effective roles hold ``admin:read`` may read
their tenant through it, ``admin:write`` change it, ``users:read:pii`` see phone numbers
and emails in full. A user's effective roles are their direct roles plus those of every
group they belong to (services/user_groups.py); both are read in one statement.

Every change is audited in its own unit of work with what it was before and after.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from authserver.services.errors import Conflict, InvalidInput, NotFound
from authserver.storage.database import Database
from authserver.storage.models import Role, Tenant, User
from authserver.storage.repositories import AuditRepository, UserRepository
from authserver.storage.repositories.roles import RoleRepository
from authserver.storage.unit_of_work import UnitOfWork

ADMIN_READ = "admin:read"
ADMIN_WRITE = "admin:write"
USERS_READ_PII = "users:read:pii"
ADMIN_PERMISSIONS = frozenset({ADMIN_READ, ADMIN_WRITE, USERS_READ_PII})

# The same alphabet tenants' default_role always allowed (account_policy.py).
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_PART = r"[a-z0-9][a-z0-9_.-]{0,62}"
_PERMISSION = re.compile(rf"^{_PART}:{_PART}(?::{_PART})?$")
MAX_PERMISSIONS = 200
MAX_DESCRIPTION = 500
MAX_ROLES_PER_USER = 100


def session_of(session_or_uow: Session | UnitOfWork) -> Session:
    """The session of a unit of work, or the session itself: callers hold either."""
    return session_or_uow.session if isinstance(session_or_uow, UnitOfWork) else session_or_uow


def valid_name(name: str) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def check_name(name: str, what: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(what, "use 1-100 letters, digits and _ - . :")
    return name


def check_description(description: str | None) -> str:
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION or "\x00" in description:
        raise InvalidInput("description", f"at most {MAX_DESCRIPTION} characters, no NUL")
    return description


def check_permissions(permissions: Iterable[str]) -> list[str]:
    """Sorted and unique; each one ``resource:action[:qualifier]``."""
    values = list(permissions)
    for value in values:
        if not isinstance(value, str) or not _PERMISSION.fullmatch(value):
            shown = value[:80] if isinstance(value, str) else type(value).__name__
            raise InvalidInput("permissions", f"{shown!r} is not resource:action or "
                               "resource:action:qualifier (lower case a-z, 0-9, _ . -)")
    unique = sorted(set(values))
    if len(unique) > MAX_PERMISSIONS:
        raise InvalidInput("permissions", f"at most {MAX_PERMISSIONS} per role")
    return unique


def role_view(role: Role) -> dict[str, Any]:
    return {
        "name": role.name, "description": role.description,
        "permissions": list(role.permissions or ()),
        "created_at": role.created_at.isoformat(), "created_by": role.created_by,
        "updated_at": role.updated_at.isoformat(), "updated_by": role.updated_by,
    }


# --- what other areas read


def effective_roles(session_or_uow: Session | UnitOfWork, tenant_id: int,
                    user_id: int) -> list[str]:
    """The names of the user's roles, direct and through groups, sorted (one statement)."""
    repo = RoleRepository(session_of(session_or_uow), tenant_id)
    return [name for name, _ in repo.effective(user_id)]


def permissions_of_user(session_or_uow: Session | UnitOfWork, tenant_id: int,
                        user_id: int) -> frozenset[str]:
    """Every permission the user's effective roles hold (one statement)."""
    repo = RoleRepository(session_of(session_or_uow), tenant_id)
    return frozenset(p for _, permissions in repo.effective(user_id) for p in permissions)


def permissions_of_subject(database: Database, tenant_id: int, sub: str) -> frozenset[str]:
    """What the person ``sub`` of the tenant holds through their roles: the admin API's
    check of a person's token, read at every request (one statement, own transaction)."""
    if not sub or len(sub) > 64 or "\x00" in sub:
        return frozenset()
    with database.session() as session:
        repo = RoleRepository(session, tenant_id)
        return frozenset(p for _, permissions in repo.effective(sub=sub) for p in permissions)


def is_admin(permissions: frozenset[str]) -> bool:
    """Whether these permissions make their holder an administrator of their tenant."""
    return bool(permissions & {ADMIN_READ, ADMIN_WRITE})


# --- roles


@dataclass(frozen=True, slots=True)
class RoleSpec:
    name: str
    description: str = ""
    permissions: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class RoleChanges:
    """None leaves a field as it is; ``add``/``remove`` edit the permissions."""

    description: str | None = None
    permissions: Sequence[str] | None = None
    add_permissions: Sequence[str] = ()
    remove_permissions: Sequence[str] = ()


def get_role(session: Session, tenant_id: int, name: str) -> Role:
    # A name no role can have is not looked up (nor sent to a database that refuses NUL).
    role = RoleRepository(session, tenant_id).role(name) if _NAME.fullmatch(name) else None
    if role is None:
        raise NotFound(f"no role {name!r} in this tenant")
    return role


def list_roles(session: Session, tenant_id: int, limit: int, after_id: int = 0,
               name_prefix: str | None = None) -> list[Role]:
    if name_prefix is not None and not valid_name(name_prefix):
        return []  # no role's name starts so (and PostgreSQL refuses a NUL to compare)
    return list(RoleRepository(session, tenant_id).roles_page(limit, after_id, name_prefix))


def create_role(session: Session, tenant_id: int, spec: RoleSpec, actor: str) -> Role:
    name = check_name(spec.name)
    repo = RoleRepository(session, tenant_id)
    if repo.role(name) is not None:
        raise Conflict(f"a role named {name!r} already exists in this tenant")
    role = Role(name=name, description=check_description(spec.description),
                permissions=check_permissions(spec.permissions), created_by=actor,
                updated_by=actor)
    repo.add(role)
    AuditRepository(session, tenant_id).record(
        actor, "role.created", name,
        after={"description": role.description, "permissions": role.permissions})
    return role


def update_role(session: Session, tenant_id: int, name: str, changes: RoleChanges,
                actor: str) -> tuple[Role, list[str]]:
    """Apply ``changes``; returns the role and the names of the fields that changed."""
    role = get_role(session, tenant_id, name)
    values: dict[str, Any] = {}
    if changes.description is not None:
        values["description"] = check_description(changes.description)
    if changes.permissions is not None and (changes.add_permissions
                                            or changes.remove_permissions):
        raise InvalidInput("permissions", "replace them or add/remove some, not both")
    if changes.permissions is not None:
        values["permissions"] = check_permissions(changes.permissions)
    elif changes.add_permissions or changes.remove_permissions:
        current = list(role.permissions or ())
        missing = [p for p in changes.remove_permissions if p not in current]
        if missing:
            raise InvalidInput("permissions", f"{missing[0][:80]!r} is not in the role")
        kept = [p for p in current if p not in changes.remove_permissions]
        values["permissions"] = check_permissions([*kept, *changes.add_permissions])
    changed = sorted(k for k, v in values.items() if getattr(role, k) != v)
    if changed:
        before = {k: getattr(role, k) for k in changed}
        for key in changed:
            setattr(role, key, values[key])
        role.updated_by = actor
        session.flush()
        AuditRepository(session, tenant_id).record(
            actor, "role.updated", name, before=before, after={k: values[k] for k in changed})
    return role, changed


def delete_role(session: Session, tenant: Tenant, name: str, actor: str,
                force: bool = False) -> None:
    """Delete the role. Refused while it is the tenant's default role for sign-up, and,
    unless ``force``, while a user or group holds it (which would silently take their
    permissions away)."""
    role = get_role(session, tenant.id, name)
    if tenant.default_role == name:
        raise Conflict(f"role {name!r} is the tenant's default role for sign-up; "
                       "change that first (tenant update --default-role)")
    repo = RoleRepository(session, tenant.id)
    users, groups = repo.holders(role)
    if (users or groups) and not force:
        raise Conflict(f"role {name!r} is held by {users} user(s) and {groups} group(s); "
                       "revoke it first or delete with force")
    before = {"description": role.description, "permissions": list(role.permissions or ())}
    repo.delete(role)
    AuditRepository(session, tenant.id).record(actor, "role.deleted", name, before=before,
                                               users=users, groups=groups)


# --- a user's roles


def roles_named(session: Session, tenant_id: int, names: Iterable[str],
                field: str = "roles") -> list[Role]:
    """The roles ``names`` names, in that order; InvalidInput names an unknown one."""
    wanted = list(dict.fromkeys(check_name(n, field) for n in names))
    found = {r.name: r for r in RoleRepository(session, tenant_id).roles_named(wanted)}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise InvalidInput(field, f"no role {unknown[0]!r} in this tenant")
    return [found[n] for n in wanted]


def direct_roles(session: Session, tenant_id: int, user_id: int) -> list[str]:
    return [r.name for r in RoleRepository(session, tenant_id).direct_roles(user_id)]


def set_user_roles(session_or_uow: Session | UnitOfWork, tenant_id: int, user: User,
                   names: Iterable[str], actor: str) -> list[str]:
    """The user's direct roles become exactly ``names``; returns them, sorted. Audited
    (``user.roles_changed``) only when something changed."""
    session = session_of(session_or_uow)
    roles = roles_named(session, tenant_id, names)
    if len(roles) > MAX_ROLES_PER_USER:
        raise InvalidInput("roles", f"at most {MAX_ROLES_PER_USER} per user")
    before = direct_roles(session, tenant_id, user.id)
    after = sorted(r.name for r in roles)
    if after != before:
        RoleRepository(session, tenant_id).set_direct_roles(user.id, roles)
        AuditRepository(session, tenant_id).record(
            actor, "user.roles_changed", user.sub, before={"roles": before},
            after={"roles": after})
    return after


def assign_roles_by_name(session_or_uow: Session | UnitOfWork, tenant_id: int,
                         user: User | int, names: Iterable[str], actor: str) -> list[str]:
    """Give the user these roles besides the ones they hold (the CSV import, sign-up);
    InvalidInput for a role the tenant does not have. Returns the direct roles after."""
    session = session_of(session_or_uow)
    row = user if isinstance(user, User) else UserRepository(session, tenant_id).by_id(user)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("no such user in this tenant")
    wanted = [r.name for r in roles_named(session, tenant_id, names)]
    return set_user_roles(session, tenant_id, row,
                          [*direct_roles(session, tenant_id, row.id), *wanted], actor)


def grant_role(session: Session, tenant_id: int, user: User, name: str,
               actor: str) -> list[str]:
    get_role(session, tenant_id, name)  # NotFound rather than InvalidInput: it is named
    return assign_roles_by_name(session, tenant_id, user, [name], actor)


def revoke_role(session: Session, tenant_id: int, user: User, name: str,
                actor: str) -> list[str]:
    get_role(session, tenant_id, name)
    current = direct_roles(session, tenant_id, user.id)
    if name not in current:
        raise NotFound(f"user {user.email} does not hold role {name!r} directly")
    return set_user_roles(session, tenant_id, user, [r for r in current if r != name], actor)
