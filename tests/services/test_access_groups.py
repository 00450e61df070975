"""Access groups (services/access_groups.py): built-in groups are read-only for tenants,
a custom group is deactivated only while no client uses it, a deactivated group grants
nothing, the default group is joined by new clients, and listing searches and counts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from authserver.runtime import Runtime, admin_context
from authserver.services import access_groups as groups
from authserver.services.access_groups import GroupChanges, GroupSpec
from authserver.services.admin_context import AdminContext
from authserver.services.api_catalogue import CatalogueError, load_catalogue
from authserver.services.api_directory import client_permissions
from authserver.services.api_errors import BuiltinReadOnly, CodedConflict
from authserver.services.clients import ClientSpec
from authserver.services.errors import InvalidInput, NotFound
from authserver.storage.models import AuditEvent, Client, ClientAccessGroup
from tests.support.apis import BILLING_API, STORES_API
from tests.support.oauth import World, build_world
from tests.support.tokens import add_client, tenant_id

ADMIN_API = "http://127.0.0.1:8000/admin/api"


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def ctx(runtime: Runtime, world: World) -> AdminContext:
    return admin_context(runtime, "operator")


def new_client(runtime: Runtime, client_id: str) -> None:
    add_client(runtime, ClientSpec(name=client_id, client_id=client_id,
                                   grant_types=("client_credentials",), scopes=("stores:read",)))


def permissions_of(runtime: Runtime, client_id: str) -> dict[str, frozenset[str]]:
    tid = tenant_id(runtime)
    with runtime.database.session() as session:
        pk = session.scalar(select(Client.id).where(Client.tenant_id == tid,
                                                    Client.client_id == client_id))
        assert pk is not None
        return client_permissions(session, tid, pk, runtime.apis.catalogue)


def tills(ctx: AdminContext, **changes: Any) -> dict[str, Any]:
    spec = GroupSpec(name="Tills", description="Shop tills",
                     permissions={BILLING_API: ["invoices:read"]})
    return groups.create_group(ctx, "acme", spec)


# --- built-in groups ---------------------------------------------------------------------


def test_the_shipped_catalogue_has_pos_instore_and_admin(ctx: AdminContext) -> None:
    builtin = {v["name"]: v for v in groups.list_groups(ctx, "acme") if v["builtin"]}
    assert set(builtin) == {"POS", "Instore", "Admin"}
    assert builtin["Admin"]["permissions"] == {ADMIN_API: ["admin:read", "admin:write"]}
    assert builtin["Admin"]["id"] == "builtin-admin" and builtin["Admin"]["status"] == "active"


@pytest.mark.parametrize("change", [
    lambda ctx: groups.update_group(ctx, "acme", "POS", GroupChanges(name="Tills")),
    lambda ctx: groups.update_group(ctx, "acme", "builtin-pos",
                                    GroupChanges(permissions={})),
    lambda ctx: groups.set_group_active(ctx, "acme", "Instore", False),
], ids=["rename", "edit permissions", "deactivate"])
def test_a_builtin_group_cannot_be_changed_by_a_tenant(ctx: AdminContext, change: Any) -> None:
    with pytest.raises(BuiltinReadOnly) as refused:
        change(ctx)
    assert (refused.value.status, refused.value.code) == (403, "access_group_builtin")


def test_a_custom_group_cannot_take_a_builtin_name(ctx: AdminContext) -> None:
    with pytest.raises(CodedConflict) as refused:
        groups.create_group(ctx, "acme", GroupSpec(name="pos"))
    assert refused.value.code == "access_group_exists"


def test_a_catalogue_naming_an_unregistered_api_grants_nothing_there(
    runtime: Runtime, ctx: AdminContext
) -> None:
    new_client(runtime, "till-1")
    groups.assign(ctx, "acme", "POS", "till-1")
    allowed = permissions_of(runtime, "till-1")
    assert "urn:example:api:orders" in allowed, "the catalogue's permission is carried"
    api = runtime.apis.tenant(tenant_id(runtime)).by_identifier.get("urn:example:api:orders")
    assert api is None, "but the tenant has no such API, so no token can name it"


def test_a_broken_catalogue_is_refused_with_the_reason(tmp_path: Any) -> None:
    path = tmp_path / "groups.toml"
    path.write_text('[groups.pos]\nname = "POS"\n[groups.pos.permissions]\n'
                    '"not a uri" = ["orders:read"]\n')
    with pytest.raises(CatalogueError, match="not an absolute URI"):
        load_catalogue(path, "https://id.example")


# --- custom groups -----------------------------------------------------------------------


def test_a_custom_group_is_created_renamed_and_edited(ctx: AdminContext) -> None:
    created = tills(ctx)
    assert (created["status"], created["builtin"], created["clients"]) == ("active", False, 0)
    assert created["created_by"] == "operator" and created["created_at"] is not None
    renamed = groups.update_group(ctx, "acme", created["id"], GroupChanges(
        name="Shop tills", permissions={STORES_API: ["inventory:read"]}))
    assert renamed["name"] == "Shop tills" and renamed["changed"] == ["name", "permissions"]
    assert renamed["permissions"] == {STORES_API: ["inventory:read"]}


def test_a_group_names_only_registered_apis_and_their_scopes(ctx: AdminContext) -> None:
    with pytest.raises(NotFound):
        groups.create_group(ctx, "acme", GroupSpec(
            name="X", permissions={"https://nobody.example/": ["a:b"]}))
    with pytest.raises(InvalidInput, match="not a scope of"):
        groups.create_group(ctx, "acme", GroupSpec(
            name="X", permissions={STORES_API: ["invoices:read"]}))


def test_deactivation_is_refused_while_clients_use_the_group_and_lists_them(
    runtime: Runtime, ctx: AdminContext
) -> None:
    group = tills(ctx)
    for client_id in ("till-2", "till-1"):
        new_client(runtime, client_id)
        groups.assign(ctx, "acme", group["id"], client_id)
    with pytest.raises(CodedConflict) as refused:
        groups.set_group_active(ctx, "acme", "Tills", False)
    assert refused.value.code == "access_group_in_use"
    assert refused.value.details == {"clients": ["till-1", "till-2"]}
    for client_id in ("till-1", "till-2"):
        groups.assign(ctx, "acme", "Tills", client_id, member=False)
    assert groups.set_group_active(ctx, "acme", "Tills", False)["status"] == "inactive"
    assert groups.set_group_active(ctx, "acme", "Tills", True)["status"] == "active"


def test_a_deactivated_group_grants_nothing_and_cannot_be_assigned(
    runtime: Runtime, ctx: AdminContext
) -> None:
    group = tills(ctx)
    new_client(runtime, "till-1")
    groups.assign(ctx, "acme", "Tills", "till-1")
    assert permissions_of(runtime, "till-1") == {BILLING_API: frozenset({"invoices:read"})}
    groups.assign(ctx, "acme", "Tills", "till-1", member=False)
    groups.set_group_active(ctx, "acme", "Tills", False)
    with pytest.raises(CodedConflict) as refused:
        groups.assign(ctx, "acme", "Tills", "till-1")
    assert refused.value.code == "access_group_inactive"
    # A membership that outlived the group's activity (a row written behind the
    # services' back) still grants nothing.
    tid = tenant_id(runtime)
    with runtime.database.session() as session:
        pk = session.scalar(select(Client.id).where(Client.client_id == "till-1"))
        session.add(ClientAccessGroup(tenant_id=tid, client_pk=pk, group_ref=group["id"]))
    assert permissions_of(runtime, "till-1") == {}


# --- the default group -------------------------------------------------------------------


def test_new_clients_join_the_default_group(runtime: Runtime, ctx: AdminContext) -> None:
    tills(ctx)
    assert groups.set_default_group(ctx, "acme", "Tills")["default"] is True
    new_client(runtime, "till-9")
    assert [g["name"] for g in groups.client_groups(ctx, "acme", "till-9")] == ["Tills"]
    assert permissions_of(runtime, "till-9") == {BILLING_API: frozenset({"invoices:read"})}
    groups.set_default_group(ctx, "acme", "Admin")
    new_client(runtime, "ops-1")
    assert [g["id"] for g in groups.client_groups(ctx, "acme", "ops-1")] == ["builtin-admin"]
    assert groups.set_default_group(ctx, "acme", None) is None
    new_client(runtime, "plain")
    assert groups.client_groups(ctx, "acme", "plain") == []


def test_the_default_group_cannot_be_deactivated(ctx: AdminContext) -> None:
    tills(ctx)
    groups.set_default_group(ctx, "acme", "Tills")
    with pytest.raises(CodedConflict) as refused:
        groups.set_group_active(ctx, "acme", "Tills", False)
    assert refused.value.code == "access_group_is_default"


# --- listing -----------------------------------------------------------------------------


def test_listing_searches_names_case_insensitively_and_counts_clients(
    runtime: Runtime, ctx: AdminContext
) -> None:
    tills(ctx)
    groups.create_group(ctx, "acme", GroupSpec(name="Warehouse 50%_off"))
    new_client(runtime, "till-1")
    groups.assign(ctx, "acme", "Tills", "till-1")
    groups.assign(ctx, "acme", "POS", "till-1")
    assert [v["name"] for v in groups.list_groups(ctx, "acme", "TILL")] == ["Tills"]
    assert [v["name"] for v in groups.list_groups(ctx, "acme", "o")] == [
        "Instore", "POS", "Warehouse 50%_off"]
    assert [v["name"] for v in groups.list_groups(ctx, "acme", "%_")] == ["Warehouse 50%_off"], (
        "LIKE wildcards in the search are matched literally")
    counts = {v["name"]: v["clients"] for v in groups.list_groups(ctx, "acme")}
    assert counts == {"Admin": 0, "Instore": 0, "POS": 1, "Tills": 1, "Warehouse 50%_off": 0}
    listed = groups.list_groups(ctx, "acme", "tills")[0]
    assert {"name", "status", "description", "created_at", "updated_at", "created_by",
            "updated_by", "clients"} <= set(listed)


def test_changes_are_audited(runtime: Runtime, ctx: AdminContext) -> None:
    group = tills(ctx)
    groups.update_group(ctx, "acme", group["id"], GroupChanges(description="Tills of shops"))
    with runtime.database.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("access_group.%")).order_by(AuditEvent.id)))
        updated = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "access_group.updated"))
        assert updated is not None
        assert updated.details["before"] == {"description": "Shop tills"}
        assert updated.actor == "operator"
    assert actions == ["access_group.created", "access_group.updated"]


def test_a_group_name_no_group_can_have_is_unknown_not_a_database_error(
        runtime: Runtime) -> None:
    """Found by the OpenAPI fuzz on PostgreSQL, whose text columns refuse NUL: the look-up
    answered 500 instead of not found."""
    from authserver.runtime import admin_context
    from authserver.services import access_groups
    from authserver.services.errors import NotFound

    build_world(runtime)
    for name in ("a\x00b", "x" * 300):
        with pytest.raises(NotFound):
            access_groups.set_default_group(admin_context(runtime, "test"), "acme", name)
