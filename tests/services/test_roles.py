"""services/roles, user_groups, user_attributes: roles are sets of well-formed
permissions; a user's effective roles are their own plus their groups', read in one
statement; every change is audited with before and after; nothing crosses tenants."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from authserver.runtime import Runtime, admin_context
from authserver.services import role_admin, roles, user_attributes, user_groups
from authserver.services.admin_context import AdminContext
from authserver.services.errors import Conflict, InvalidInput, NotFound
from authserver.services.roles import RoleChanges, RoleSpec
from authserver.services.tenants import create_tenant
from authserver.services.user_groups import GroupSpec
from authserver.storage.models import AuditEvent, User
from tests.support.oauth import World, build_world
from tests.support.tokens import tenant_id

ANN = "ann@example.com"


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def ctx(runtime: Runtime) -> AdminContext:
    return admin_context(runtime, "operator")


def ann_id(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        found = session.scalar(select(User.id).where(User.email == ANN))
        assert found is not None
        return int(found)


def events(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.database.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.id)))


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    log: list[str] = []

    def record(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        log.append(text)

    event.listen(runtime.database.engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(runtime.database.engine, "before_cursor_execute", record)


@pytest.mark.parametrize("permission", [
    "admin", "Admin:read", "admin:", ":read", "a:b:c:d", "admin read", "admin:read ",
    "a" * 64 + ":read", "admin:r*", "", "admin::read"])
def test_a_malformed_permission_is_refused_by_name(world: World, ctx: AdminContext,
                                                   permission: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        role_admin.create_role(ctx, "acme", RoleSpec("r", permissions=[permission]))
    assert caught.value.field == "permissions", caught.value


@pytest.mark.parametrize("name", ["", "two words", "x" * 101, "é"])
def test_a_malformed_role_name_is_refused(world: World, ctx: AdminContext, name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        role_admin.create_role(ctx, "acme", RoleSpec(name))
    assert caught.value.field == "name", caught.value


def test_a_role_is_created_once_with_sorted_unique_permissions_and_audited(
        runtime: Runtime, world: World, ctx: AdminContext) -> None:
    view = role_admin.create_role(ctx, "acme", RoleSpec(
        "support", "Help desk", ["users:read", "admin:read", "users:read",
                                 "stores:read:eu-west"]))
    assert view["permissions"] == ["admin:read", "stores:read:eu-west", "users:read"], view
    assert (view["created_by"], view["updated_by"], view["users"]) == ("operator",
                                                                      "operator", 0), view
    with pytest.raises(Conflict):
        role_admin.create_role(ctx, "acme", RoleSpec("support"))
    [created] = events(runtime, "role.created")
    assert (created.actor, created.target) == ("operator", "support")
    assert created.details["after"]["permissions"] == view["permissions"], created.details


def test_an_update_records_only_what_changed_before_and_after(
        runtime: Runtime, world: World, ctx: AdminContext) -> None:
    role_admin.create_role(ctx, "acme", RoleSpec("support", "Help", ["users:read"]))
    view, changed = role_admin.update_role(ctx, "acme", "support", RoleChanges(
        description="Help", add_permissions=["admin:read"]))
    assert changed == ["permissions"] and view["permissions"] == ["admin:read", "users:read"]
    [updated] = events(runtime, "role.updated")
    assert updated.details["before"] == {"permissions": ["users:read"]}, updated.details
    assert updated.details["after"] == {"permissions": ["admin:read", "users:read"]}
    _, changed = role_admin.update_role(ctx, "acme", "support", RoleChanges(
        permissions=["admin:read", "users:read"]))
    assert changed == [] and len(events(runtime, "role.updated")) == 1
    with pytest.raises(InvalidInput):
        role_admin.update_role(ctx, "acme", "support",
                               RoleChanges(remove_permissions=["nope:never"]))
    with pytest.raises(NotFound):
        role_admin.update_role(ctx, "acme", "ghost", RoleChanges(description="x"))


def test_effective_roles_and_permissions_are_direct_plus_groups_in_one_statement(
        runtime: Runtime, world: World, ctx: AdminContext) -> None:
    role_admin.create_role(ctx, "acme", RoleSpec("admin", permissions=sorted(
        roles.ADMIN_PERMISSIONS)))
    role_admin.create_role(ctx, "acme", RoleSpec("viewer", permissions=["stores:read"]))
    role_admin.create_role(ctx, "acme", RoleSpec("unused", permissions=["x:y"]))
    role_admin.grant_role(ctx, "acme", "viewer", email=ANN)
    role_admin.create_group(ctx, "acme", GroupSpec("ops", roles=("admin",)))
    view = role_admin.add_member(ctx, "acme", "ops", email=ANN)
    assert (view["roles"], view["groups"], view["effective_roles"]) == (
        ["viewer"], ["ops"], ["admin", "viewer"]), view
    tid, uid = tenant_id(runtime), ann_id(runtime)
    with runtime.database.session() as session, statements(runtime) as log:
        permissions = roles.permissions_of_user(session, tid, uid)
    assert permissions == roles.ADMIN_PERMISSIONS | {"stores:read"}, permissions
    assert len(log) == 1, f"permissions_of_user sent {len(log)} statements: {log}"
    assert roles.is_admin(permissions)
    with runtime.database.unit_of_work() as uow:
        assert roles.effective_roles(uow, tid, uid) == ["admin", "viewer"]
    role_admin.remove_member(ctx, "acme", "ops", email=ANN)
    with runtime.database.session() as session:
        assert roles.permissions_of_user(session, tid, uid) == {"stores:read"}
    [changed, removed] = events(runtime, "user.groups_changed")
    assert (changed.details["before"], changed.details["after"]) == (
        {"groups": []}, {"groups": ["ops"]}), changed.details
    assert removed.details["after"] == {"groups": []}, removed.details


def test_assign_roles_by_name_adds_and_refuses_an_unknown_role_whole(
        runtime: Runtime, world: World, ctx: AdminContext) -> None:
    for name in ("a", "b"):
        role_admin.create_role(ctx, "acme", RoleSpec(name))
    tid, uid = tenant_id(runtime), ann_id(runtime)
    with runtime.database.unit_of_work() as uow:
        assert roles.assign_roles_by_name(uow, tid, uid, ["a"], "import") == ["a"]
    with pytest.raises(InvalidInput) as caught, runtime.database.unit_of_work() as uow:
        roles.assign_roles_by_name(uow, tid, uid, ["b", "nope"], "import")
    assert caught.value.field == "roles" and "nope" in caught.value.problem
    with runtime.database.unit_of_work() as uow:
        assert roles.assign_roles_by_name(uow, tid, uid, ["b", "a"], "import") == ["a", "b"]
        assert roles.effective_roles(uow, tid, uid) == ["a", "b"]
    [first, second] = events(runtime, "user.roles_changed")
    assert (first.actor, first.details["after"]) == ("import", {"roles": ["a"]})
    assert second.details == {"before": {"roles": ["a"]}, "after": {"roles": ["a", "b"]}}


def test_revoke_takes_only_a_direct_role_and_says_when_there_is_none(
        world: World, ctx: AdminContext) -> None:
    role_admin.create_role(ctx, "acme", RoleSpec("viewer"))
    with pytest.raises(NotFound):
        role_admin.revoke_role(ctx, "acme", "viewer", email=ANN)
    role_admin.grant_role(ctx, "acme", "viewer", email=ANN)
    assert role_admin.revoke_role(ctx, "acme", "viewer", email=ANN)["roles"] == []
    with pytest.raises(NotFound):
        role_admin.grant_role(ctx, "acme", "ghost", email=ANN)


def test_a_held_role_is_deleted_only_with_force_and_never_the_default_role(
        runtime: Runtime, world: World, ctx: AdminContext) -> None:
    from authserver.services import tenant_admin
    from authserver.services.account_policy import AccountPolicyChange

    role_admin.create_role(ctx, "acme", RoleSpec("viewer", permissions=["stores:read"]))
    role_admin.create_role(ctx, "acme", RoleSpec("customer"))
    role_admin.grant_role(ctx, "acme", "viewer", email=ANN)
    with pytest.raises(Conflict) as caught:
        role_admin.delete_role(ctx, "acme", "viewer")
    assert "1 user(s)" in str(caught.value), caught.value
    role_admin.delete_role(ctx, "acme", "viewer", force=True)
    with runtime.database.session() as session:
        assert roles.permissions_of_user(session, tenant_id(runtime), ann_id(runtime)) == set()
    [deleted] = events(runtime, "role.deleted")
    assert deleted.details["before"]["permissions"] == ["stores:read"], deleted.details
    tenant_admin.update_tenant(ctx, "acme", None, None, None,
                               accounts=AccountPolicyChange(default_role="customer"))
    with pytest.raises(Conflict) as caught:
        role_admin.delete_role(ctx, "acme", "customer", force=True)
    assert "default role" in str(caught.value)


def test_another_tenants_roles_and_groups_are_unknown(
        runtime: Runtime, world: World, ctx: AdminContext) -> None:
    with runtime.database.session() as session:
        create_tenant(session, runtime.master_key, runtime.key_timing, "beta", "Beta",
                      "test", runtime.clock())
    role_admin.create_role(ctx, "beta", RoleSpec("secret", permissions=["admin:write"]))
    role_admin.create_group(ctx, "beta", GroupSpec("beta-ops", roles=("secret",)))
    with pytest.raises(NotFound):
        role_admin.grant_role(ctx, "acme", "secret", email=ANN)
    with pytest.raises(InvalidInput):
        role_admin.set_user_roles(ctx, "acme", world.user_sub, ["secret"])
    with pytest.raises(InvalidInput):
        role_admin.set_user_groups(ctx, "acme", world.user_sub, ["beta-ops"])
    with pytest.raises(NotFound):
        role_admin.show_role(ctx, "acme", "secret")
    with pytest.raises(NotFound):  # ann is not beta's
        role_admin.grant_role(ctx, "beta", "secret", email=ANN)
    assert [v["name"] for _, v in role_admin.list_roles(ctx, "acme", 10)] == []


def test_a_group_gives_its_roles_until_deleted(runtime: Runtime, world: World,
                                              ctx: AdminContext) -> None:
    role_admin.create_role(ctx, "acme", RoleSpec("viewer", permissions=["stores:read"]))
    role_admin.create_group(ctx, "acme", GroupSpec("staff", "All staff"))
    role_admin.add_member(ctx, "acme", "staff", email=ANN)
    view = role_admin.grant_group_role(ctx, "acme", "staff", "viewer")
    assert (view["roles"], view["members"]) == (["viewer"], 1), view
    assert role_admin.show_group(ctx, "acme", "staff")["member_emails"] == [ANN]
    assert role_admin.user_access(ctx, "acme", email=ANN)["permissions"] == ["stores:read"]
    with pytest.raises(Conflict):
        role_admin.create_group(ctx, "acme", GroupSpec("staff"))
    with pytest.raises(InvalidInput):
        role_admin.create_group(ctx, "acme", GroupSpec("other", roles=("ghost",)))
    with pytest.raises(NotFound):
        role_admin.revoke_group_role(ctx, "acme", "staff", "ghost")
    role_admin.delete_group(ctx, "acme", "staff")
    assert role_admin.user_access(ctx, "acme", email=ANN)["effective_roles"] == []
    [deleted] = events(runtime, "user_group.deleted")
    assert (deleted.details["before"]["roles"], deleted.details["members"]) == (["viewer"], 1)
    with pytest.raises(NotFound):
        role_admin.remove_member(ctx, "acme", "staff", email=ANN)


@pytest.mark.parametrize(("values", "fragment"), [
    ({"1abc": "x"}, "key '1abc'"),
    ({"a b": "x"}, "key 'a b'"),
    ({"k" * 65: "x"}, "key"),
    ({"dept": 3}, "strings or lists of strings"),
    ({"dept": ["a", 3]}, "strings or lists of strings"),
    ({"dept": {"a": "b"}}, "strings or lists of strings"),
    ({"dept": "x" * 1025}, "at most 1024 characters"),
    ({"dept": "a\x00b"}, "no NUL"),
    ({"dept": ["x"] * 51}, "at most 50 values"),
    ({f"k{i}": "v" for i in range(51)}, "at most 50 per user"),
    ({f"k{i}": "v" * 1000 for i in range(20)}, "bytes in all"),
])
def test_attributes_are_bounded_in_form_and_size(world: World, ctx: AdminContext,
                                                 values: dict[str, Any],
                                                 fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        role_admin.set_user_attributes(ctx, "acme", world.user_sub, values)
    assert caught.value.field == "attributes" and fragment in caught.value.problem, \
        caught.value


def test_attributes_are_replaced_and_edited_with_before_and_after(
        runtime: Runtime, world: World, ctx: AdminContext) -> None:
    values, changed = role_admin.set_user_attributes(
        ctx, "acme", world.user_sub, {"dept": "sales", "regions": ["eu", "us"]})
    assert changed == ["dept", "regions"] and values == {"dept": "sales",
                                                         "regions": ["eu", "us"]}
    tid = tenant_id(runtime)
    with runtime.database.session() as session:
        user = session.scalar(select(User).where(User.email == ANN))
        assert user is not None
        user_attributes.edit_attributes(session, tid, user, {"dept": "support"}, ["regions"],
                                        "operator")
        with pytest.raises(NotFound):
            user_attributes.edit_attributes(session, tid, user, {}, ["ghost"], "operator")
    assert role_admin.user_attributes_of(ctx, "acme", email=ANN) == {"dept": "support"}
    [first, second] = events(runtime, "user.attributes_changed")
    assert first.details["before"] == {} and first.details["after"]["dept"] == "sales"
    assert second.details == {"before": {"dept": "sales", "regions": ["eu", "us"]},
                              "after": {"dept": "support"}}, second.details


def test_the_cli_assignment_form_reads_strings_and_json_lists() -> None:
    assert user_attributes.parse_assignment("dept=a=b") == ("dept", "a=b")
    assert user_attributes.parse_assignment('regions=["eu","us"]') == ("regions", ["eu", "us"])
    for bad in ("dept", 'regions=["eu"', "1x=y"):
        with pytest.raises(InvalidInput):
            user_attributes.parse_assignment(bad)


def test_set_user_groups_refuses_an_unknown_group_by_name(world: World,
                                                          ctx: AdminContext) -> None:
    with pytest.raises(InvalidInput) as caught:
        role_admin.set_user_groups(ctx, "acme", world.user_sub, ["ghost"])
    assert caught.value.field == "groups" and "ghost" in caught.value.problem
    assert user_groups.MAX_GROUPS_PER_USER == 100


def test_the_migration_turns_the_plain_role_column_into_roles(runtime: Runtime,
                                                               tmp_path: Any) -> None:
    import datetime as dt

    from sqlalchemy import text

    from authserver.storage import migrate
    from authserver.storage.database import Database
    from authserver.storage.repositories.roles import RoleRepository
    from tests.support.databases import fresh_database_url

    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        try:
            migrate.upgrade(database, "0012")
            now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
            with database.session() as session:
                tenant = create_tenant(session, runtime.master_key, runtime.key_timing,
                                       "old", "Old", "test", now)
                tid = tenant.id
                session.execute(text("UPDATE tenants SET default_role = 'member' "
                                     "WHERE id = :t"), {"t": tid})
                for i, role in enumerate(("customer", "customer", None)):
                    session.execute(text(
                        "INSERT INTO users (tenant_id, sub, email, email_verified, "
                        "phone_verified, disabled, password_change_required, "
                        "verification_required, role, created_at, updated_at) VALUES "
                        "(:t, :s, :e, false, false, false, false, false, :r, :n, :n)"),
                        {"t": tid, "s": f"sub{i}", "e": f"u{i}@example.com", "r": role,
                         "n": now.replace(tzinfo=None)})
            migrate.upgrade(database)
            with database.session() as session:
                repo = RoleRepository(session, tid)
                assert sorted(r.name for r in repo.roles_page(10)) == ["customer", "member"]
                assert all(r.permissions == [] for r in repo.roles_page(10)), \
                    "a migrated role must grant nothing"
                holders = session.execute(text(
                    "SELECT users.sub FROM user_roles JOIN users ON users.id = "
                    "user_roles.user_id ORDER BY users.sub")).scalars().all()
                assert holders == ["sub0", "sub1"], holders
        finally:
            database.dispose()
