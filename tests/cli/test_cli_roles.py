"""`authserver role …`, `authserver user-group …`, `user update --attribute` and
`client update --claims-roles/--claim-attribute`: thin over the services, --json
everywhere, one-line refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.support import Cli, ok, ok_json, refused

T = ("--tenant", "acme")
ANN = "ann@example.com"


@pytest.fixture
def ann(cli: Cli) -> dict[str, Any]:
    ok(cli("tenant", "create", "acme"))
    return ok_json(cli("user", "create", *T, "--email", ANN, "--json"))


def test_role_create_list_show_update_delete(cli: Cli, ann: dict[str, Any]) -> None:
    created = ok_json(cli("role", "create", *T, "--name", "support", "--description", "Help",
                          "--permission", "users:read,admin:read", "--json"))
    assert created["permissions"] == ["admin:read", "users:read"], created
    assert created["created_by"] == "cli", created
    listed = ok_json(cli("role", "list", *T, "--json"))
    assert [r["name"] for r in listed] == ["support"], listed
    assert "support\tadmin:read users:read\tHelp" in ok(cli("role", "list", *T)).out
    shown = ok_json(cli("role", "show", *T, "support", "--json"))
    assert (shown["users"], shown["groups"]) == (0, 0), shown
    updated = ok_json(cli("role", "update", *T, "support", "--add-permission",
                          "users:read:pii", "--remove-permission", "admin:read", "--json"))
    assert updated["permissions"] == ["users:read", "users:read:pii"], updated
    assert updated["changed"] == ["permissions"], updated
    assert "nothing changed" in ok(cli("role", "update", *T, "support", "--description",
                                       "Help")).out
    assert ok_json(cli("role", "update", *T, "support", "--no-permissions",
                       "--json"))["permissions"] == []
    assert ok(cli("role", "delete", *T, "support")).out.strip() == "deleted role support"
    refused(cli("role", "show", *T, "support"), "no role 'support'")


def test_role_grant_and_revoke_by_email_and_by_sub(cli: Cli, ann: dict[str, Any]) -> None:
    ok(cli("role", "create", *T, "--name", "viewer", "--permission", "stores:read"))
    view = ok_json(cli("role", "grant", *T, "--role", "viewer", "--user", ANN, "--json"))
    assert (view["roles"], view["permissions"]) == (["viewer"], ["stores:read"]), view
    assert ok_json(cli("role", "of", *T, "--sub", ann["sub"], "--json"))["roles"] == ["viewer"]
    refused(cli("role", "delete", *T, "viewer"), "held by 1 user(s)")
    view = ok_json(cli("role", "revoke", *T, "--role", "viewer", "--sub", ann["sub"],
                       "--json"))
    assert view["roles"] == [], view
    refused(cli("role", "revoke", *T, "--role", "viewer", "--user", ANN),
            "does not hold role 'viewer'")


@pytest.mark.parametrize(("args", "fragment", "status"), [
    (("role", "create", *T, "--name", "bad name"), "name: use 1-100 letters", 1),
    (("role", "create", *T, "--name", "r", "--permission", "nocolon"),
     "'nocolon' is not resource:action", 1),
    (("role", "grant", *T, "--role", "ghost", "--user", ANN), "no role 'ghost'", 1),
    (("role", "grant", *T, "--role", "x"), "exactly one", 2),
    (("role", "grant", *T, "--role", "x", "--user", "nobody@example.com"),
     "no user 'nobody@example.com'", 1),
    (("role", "update", *T, "r"), "nothing to update", 2),
    (("role", "show", "--tenant", "ghost", "r"), "ghost", 1),
    (("user-group", "add-member", *T, "ghost", "--user", ANN), "no user group 'ghost'", 1),
    (("user", "update", *T, "--email", ANN, "--attribute", "novalue"), "give key=value", 1),
    (("user", "update", *T, "--email", ANN, "--remove-attribute", "ghost"),
     "no attribute 'ghost'", 1),
    (("client", "update", *T, "web", "--claim-attribute", "department"), "KEY=CLAIM", 2),
    (("client", "update", *T, "web", "--claim-attribute", "department=sub"),
     "registered claim", 1),
    (("client", "update", *T, "web", "--claims-roles", "cookie"), "not one of", 1),
])
def test_refusals_are_one_line_with_the_reason(cli: Cli, ann: dict[str, Any],
                                               args: tuple[str, ...], fragment: str,
                                               status: int) -> None:
    ok(cli("client", "create", *T, "--name", "Web", "--client-id", "web", "--redirect-uri",
           "https://app.example/cb"))
    refused(cli(*args), fragment, status)


def test_user_groups_give_their_roles_to_members(cli: Cli, ann: dict[str, Any]) -> None:
    ok(cli("role", "create", *T, "--name", "clerk", "--permission", "stores:write"))
    group = ok_json(cli("user-group", "create", *T, "--name", "staff", "--description",
                        "Shop staff", "--json"))
    assert (group["roles"], group["members"]) == ([], 0), group
    assert ok_json(cli("user-group", "grant", *T, "staff", "--role", "clerk",
                       "--json"))["roles"] == ["clerk"]
    view = ok_json(cli("user-group", "add-member", *T, "staff", "--user", ANN, "--json"))
    assert (view["groups"], view["effective_roles"]) == (["staff"], ["clerk"]), view
    shown = ok_json(cli("user-group", "show", *T, "staff", "--json"))
    assert shown["member_emails"] == [ANN], shown
    assert [g["name"] for g in ok_json(cli("user-group", "list", *T, "--json"))] == ["staff"]
    view = ok_json(cli("user-group", "remove-member", *T, "staff", "--sub", ann["sub"],
                       "--json"))
    assert view["effective_roles"] == [], view
    assert ok_json(cli("user-group", "revoke", *T, "staff", "--role", "clerk",
                       "--json"))["roles"] == []
    ok(cli("user-group", "delete", *T, "staff"))
    refused(cli("user-group", "show", *T, "staff"), "no user group 'staff'")


def test_user_update_sets_and_removes_attributes(cli: Cli, ann: dict[str, Any]) -> None:
    view = ok_json(cli("user", "update", *T, "--email", ANN, "--attribute", "dept=sales",
                       "--attribute", 'regions=["eu","us"]', "--json"))
    assert view["attributes"] == {"dept": "sales", "regions": ["eu", "us"]}, view
    assert view["changed"] == ["attributes"], view
    view = ok_json(cli("user", "update", *T, "--email", ANN, "--remove-attribute", "regions",
                       "--given-name", "Ann", "--json"))
    assert view["attributes"] == {"dept": "sales"}, view
    assert view["changed"] == ["attributes", "given_name"], view


def test_client_update_maps_roles_and_attributes_into_claims(cli: Cli,
                                                             ann: dict[str, Any]) -> None:
    ok(cli("client", "create", *T, "--name", "Web", "--client-id", "web", "--redirect-uri",
           "https://app.example/cb"))
    view = ok_json(cli("client", "update", *T, "web", "--claims-roles",
                       "access_token,id_token", "--claim-attribute", "department=dept",
                       "--json"))
    assert view["claims"] == {"roles": ["id_token", "access_token"],
                              "attributes": {"department": "dept"}}, view
    assert view["changed"] == ["claims"], view
    assert ok_json(cli("client", "show", *T, "web", "--json"))["claims"] == view["claims"]
    view = ok_json(cli("client", "update", *T, "web", "--claims-roles", "",
                       "--remove-claim-attribute", "department", "--json"))
    assert view["claims"] is None, view
