"""Access groups: named sets of per-API scopes that clients are assigned.

Built-in groups come from the operator's catalogue (services/api_catalogue.py): tenants
list and assign them but never edit, rename or deactivate them (403 ``access_group_builtin``).
A tenant's own groups can be created, renamed, edited, and deactivated only while no
client uses them (409 ``access_group_in_use``, listing the clients); a deactivated group
grants nothing and cannot be assigned. One group may be the tenant's default, joined by
every new client (services/clients.register_client). Each operation is one unit of work
with its audit record, and empties the tenant's client cache once committed (a client's
permissions travel in its cached record). Docs: docs/apis-and-access-groups.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from authserver.services.admin_context import AdminContext
from authserver.services.api_admin import catalogue_of, invalidate_after_commit, raise_input
from authserver.services.api_catalogue import CUSTOM_PREFIX, BuiltinGroup, Catalogue
from authserver.services.api_directory import custom_group_id
from authserver.services.api_errors import BuiltinReadOnly, CodedConflict
from authserver.services.api_grants import checked_scopes, defined_api
from authserver.services.client_changes import get_client
from authserver.services.errors import NotFound
from authserver.services.tenants import get_tenant
from authserver.storage.models import AccessGroup, Tenant
from authserver.storage.repositories import AuditRepository, ClientRepository
from authserver.storage.repositories.apis import AccessGroupRepository

MAX_NAME = 100
MAX_DESCRIPTION = 1000


@dataclass(frozen=True, slots=True)
class GroupSpec:
    name: str
    description: str = ""
    permissions: Mapping[str, Sequence[str]] | None = None  # API identifier → scopes


@dataclass(frozen=True, slots=True)
class GroupChanges:
    name: str | None = None
    description: str | None = None
    permissions: Mapping[str, Sequence[str]] | None = None


Group = BuiltinGroup | AccessGroup


def ref_of(group: Group) -> str:
    return group.ref if isinstance(group, BuiltinGroup) else f"{CUSTOM_PREFIX}{group.id}"


def _view(catalogue: Catalogue, group: Group, counts: Mapping[str, int],
          default_ref: str | None) -> dict[str, Any]:
    ref = ref_of(group)
    common = {"id": ref, "name": group.name, "description": group.description,
              "clients": counts.get(ref, 0), "default": ref == default_ref}
    if isinstance(group, BuiltinGroup):
        return {**common, "status": "active", "builtin": True,
                "permissions": {api: sorted(s) for api, s in group.permissions.items()},
                "created_at": None, "updated_at": None, "created_by": "catalogue",
                "updated_by": "catalogue"}
    return {**common, "status": "active" if group.active else "inactive", "builtin": False,
            "permissions": {catalogue.api_identifier(k): sorted(v)
                            for k, v in group.permissions.items()},
            "created_at": group.created_at, "updated_at": group.updated_at,
            "created_by": group.created_by, "updated_by": group.updated_by}


def _default_ref(repo: AccessGroupRepository) -> str | None:
    defaults = repo.defaults()
    return defaults.default_group_ref if defaults is not None else None


def find_group(repo: AccessGroupRepository, catalogue: Catalogue, text: str) -> Group:
    """A group by its id (``builtin-pos``, ``grp-12``) or its name, any case."""
    builtin = catalogue.group(text) or catalogue.by_name(text)
    if builtin is not None:
        return builtin
    group_id = custom_group_id(text)
    # A name no group can have (NUL, which PostgreSQL text refuses, or over-long) is
    # unknown without a query.
    unnamable = "\x00" in text or len(text) > 200
    found = None if unnamable else (
        repo.get(group_id) if group_id is not None else repo.by_name(text))
    if found is None:
        raise NotFound(f"no access group {text[:100]!r} (see: authserver access-group list)")
    return found


def _custom(group: Group, verb: str) -> AccessGroup:
    if isinstance(group, BuiltinGroup):
        raise BuiltinReadOnly("access_group_builtin", f"{group.name!r} is a built-in access "
                              f"group; tenants cannot {verb} it")
    return group


def _name(repo: AccessGroupRepository, catalogue: Catalogue, name: str,
          current: AccessGroup | None = None) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise_input("name", f"1-{MAX_NAME} characters")
    taken = catalogue.by_name(cleaned) or repo.by_name(cleaned)
    if taken is not None and taken is not current:
        raise CodedConflict("access_group_exists", f"an access group named {cleaned!r} "
                            "already exists", name=cleaned)
    return cleaned


def _description(text: str) -> str:
    if len(text) > MAX_DESCRIPTION:
        raise_input("description", f"at most {MAX_DESCRIPTION} characters")
    return text.strip()


def _permissions(session: Session, tenant: Tenant, catalogue: Catalogue,
                 permissions: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Stored by API key; every API must exist and every scope be one of its own."""
    return {catalogue.api_key(identifier): sorted(checked_scopes(
        defined_api(session, tenant, catalogue, identifier), scopes, "permissions"))
        for identifier, scopes in permissions.items()}


def _audit(session: Session, tenant: Tenant, ctx: AdminContext, action: str, target: str,
           **details: Any) -> None:
    AuditRepository(session, tenant.id).record(ctx.actor, action, target, **details)
    invalidate_after_commit(ctx, session, tenant.id)


# --- the groups -------------------------------------------------------------------------


def list_groups(ctx: AdminContext, tenant_slug: str, search: str | None = None
                ) -> list[dict[str, Any]]:
    """Built-in and own groups, by name; ``search``: a case-insensitive part of it."""
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        repo = AccessGroupRepository(session, tenant.id)
        needle = (search or "").casefold()
        groups: list[Group] = [g for g in catalogue.groups if needle in g.name.casefold()]
        groups += list(repo.all(search))
        counts, default = repo.member_counts(), _default_ref(repo)
        views = [_view(catalogue, g, counts, default) for g in groups]
        return sorted(views, key=lambda v: (v["name"].casefold(), v["id"]))


def show_group(ctx: AdminContext, tenant_slug: str, group: str) -> dict[str, Any]:
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        repo = AccessGroupRepository(session, tenant.id)
        found = find_group(repo, catalogue, group)
        view = _view(catalogue, found, repo.member_counts(), _default_ref(repo))
        return {**view, "client_ids": repo.member_client_ids(ref_of(found))}


def create_group(ctx: AdminContext, tenant_slug: str, spec: GroupSpec) -> dict[str, Any]:
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        repo = AccessGroupRepository(session, tenant.id)
        name = _name(repo, catalogue, spec.name)
        now = ctx.clock()
        group = repo.add(AccessGroup(
            name=name, name_folded=name.casefold(), description=_description(spec.description),
            permissions=_permissions(session, tenant, catalogue, spec.permissions or {}),
            active=True, created_at=now, updated_at=now, created_by=ctx.actor,
            updated_by=ctx.actor))
        view = _view(catalogue, group, {}, _default_ref(repo))
        _audit(session, tenant, ctx, "access_group.created", view["id"],
               after={k: view[k] for k in ("name", "description", "permissions")})
        return view


def update_group(ctx: AdminContext, tenant_slug: str, group: str,
                 changes: GroupChanges) -> dict[str, Any]:
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        repo = AccessGroupRepository(session, tenant.id)
        found = _custom(find_group(repo, catalogue, group), "edit or rename")
        values: dict[str, Any] = {}
        if changes.name is not None:
            values["name"] = _name(repo, catalogue, changes.name, current=found)
        if changes.description is not None:
            values["description"] = _description(changes.description)
        if changes.permissions is not None:
            values["permissions"] = _permissions(session, tenant, catalogue,
                                                 changes.permissions)
        changed = {k: v for k, v in values.items() if getattr(found, k) != v}
        if changed:
            before = {k: getattr(found, k) for k in changed}
            for key, value in changed.items():
                setattr(found, key, value)
            found.name_folded = found.name.casefold()
            found.updated_at, found.updated_by = ctx.clock(), ctx.actor
            session.flush()
            _audit(session, tenant, ctx, "access_group.updated", ref_of(found),
                   before=before, after=changed)
        view = _view(catalogue, found, repo.member_counts(), _default_ref(repo))
        return {**view, "changed": sorted(changed)}


def set_group_active(ctx: AdminContext, tenant_slug: str, group: str,
                     active: bool) -> dict[str, Any]:
    """Deactivate (only while no client uses it, and not the default) or reactivate."""
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        repo = AccessGroupRepository(session, tenant.id)
        found = _custom(find_group(repo, catalogue, group),
                        "deactivate" if not active else "activate")
        ref = ref_of(found)
        if not active and found.active:
            members = repo.member_client_ids(ref)
            if members:
                raise CodedConflict(
                    "access_group_in_use", f"{found.name!r} is assigned to "
                    f"{len(members)} client(s): {', '.join(members[:20])}; unassign them "
                    "first", clients=members)
            if _default_ref(repo) == ref:
                raise CodedConflict("access_group_is_default", f"{found.name!r} is the "
                                    "tenant's default group; choose another default first")
        if found.active != active:
            found.active = active
            found.updated_at, found.updated_by = ctx.clock(), ctx.actor
            session.flush()
            _audit(session, tenant, ctx,
                   "access_group.activated" if active else "access_group.deactivated", ref)
        return _view(catalogue, found, repo.member_counts(), _default_ref(repo))


# --- membership and the default ---------------------------------------------------------


def _assignable(repo: AccessGroupRepository, catalogue: Catalogue, text: str) -> Group:
    found = find_group(repo, catalogue, text)
    if isinstance(found, AccessGroup) and not found.active:
        raise CodedConflict("access_group_inactive", f"{found.name!r} is deactivated; "
                            "activate it first", group=ref_of(found))
    return found


def _brief(catalogue: Catalogue, repo: AccessGroupRepository, refs: Sequence[str]
           ) -> list[dict[str, Any]]:
    out = []
    for ref in refs:
        builtin = catalogue.group(ref)
        group_id = custom_group_id(ref)
        custom = repo.get(group_id) if group_id is not None else None
        group: Group | None = builtin or custom
        if group is not None:
            out.append({"id": ref, "name": group.name, "builtin": builtin is not None,
                        "status": "active" if builtin or (custom and custom.active)
                        else "inactive"})
        else:  # a catalogue group the operator has since removed: it grants nothing
            out.append({"id": ref, "name": None, "builtin": True, "status": "removed"})
    return out


def client_groups(ctx: AdminContext, tenant_slug: str, client_id: str) -> list[dict[str, Any]]:
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        client = get_client(ClientRepository(session, tenant.id), client_id)
        repo = AccessGroupRepository(session, tenant.id)
        return _brief(catalogue, repo, repo.refs_of(client.id))


def set_client_groups(ctx: AdminContext, tenant_slug: str, client_id: str,
                      groups: Sequence[str]) -> list[dict[str, Any]]:
    """Replace the client's groups with ``groups`` (ids or names)."""
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        client = get_client(ClientRepository(session, tenant.id), client_id)
        repo = AccessGroupRepository(session, tenant.id)
        before = repo.refs_of(client.id)
        refs = []
        for text in groups:
            found = find_group(repo, catalogue, text)
            ref = ref_of(found)
            if ref not in before:  # a group the client newly joins must be active
                _assignable(repo, catalogue, ref)
            refs.append(ref)
        refs = list(dict.fromkeys(refs))
        if refs != before:
            repo.set_refs(client.id, refs)
            _audit(session, tenant, ctx, "client.access_groups_set", client_id,
                   before={"groups": before}, after={"groups": refs})
        return _brief(catalogue, repo, refs)


def assign(ctx: AdminContext, tenant_slug: str, group: str, client_id: str,
           member: bool = True) -> dict[str, Any]:
    """Add the client to the group (``member``), or take it out."""
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        client = get_client(ClientRepository(session, tenant.id), client_id)
        repo = AccessGroupRepository(session, tenant.id)
        found = (_assignable if member else find_group)(repo, catalogue, group)
        ref = ref_of(found)
        refs = repo.refs_of(client.id)
        if member and ref not in refs:
            repo.set_refs(client.id, [*refs, ref])
            _audit(session, tenant, ctx, "access_group.assigned", client_id, group=ref)
        elif not member:
            if ref not in refs:
                raise NotFound(f"client {client_id!r} is not in {found.name!r}")
            repo.set_refs(client.id, [r for r in refs if r != ref])
            _audit(session, tenant, ctx, "access_group.unassigned", client_id, group=ref)
        return _view(catalogue, found, repo.member_counts(), _default_ref(repo))


def set_default_group(ctx: AdminContext, tenant_slug: str, group: str | None
                      ) -> dict[str, Any] | None:
    """The group new clients join (None: none); returns it."""
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        repo = AccessGroupRepository(session, tenant.id)
        found = _assignable(repo, catalogue, group) if group is not None else None
        ref = ref_of(found) if found is not None else None
        before = _default_ref(repo)
        if ref != before:
            repo.set_default(ref, ctx.actor)
            _audit(session, tenant, ctx, "access_group.default_set", tenant.slug,
                   before={"default": before}, after={"default": ref})
        return _view(catalogue, found, repo.member_counts(), ref) if found else None


def default_group(ctx: AdminContext, tenant_slug: str) -> dict[str, Any] | None:
    catalogue = catalogue_of(ctx)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        repo = AccessGroupRepository(session, tenant.id)
        ref = _default_ref(repo)
        if ref is None:
            return None
        try:
            found = find_group(repo, catalogue, ref)
        except NotFound:
            return None
        return _view(catalogue, found, repo.member_counts(), ref)
