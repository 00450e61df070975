"""`authserver access-group …`: create, list (--search), show, update, deactivate,
activate, assign, unassign, default; built-in groups refused with a clear message."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.support import Cli, ok, ok_json, refused

API = "https://orders.example/api"
T = ("--tenant", "acme")


@pytest.fixture
def acme(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    ok(cli("api", "create", *T, "--identifier", API, "--name", "Orders",
           "--scope", "orders:read orders:write"))
    ok(cli("client", "create", *T, "--name", "Till", "--client-id", "till-1",
           "--grant-type", "client_credentials", "--scope", "x:y"))


def create(cli: Cli, name: str = "Tills", *extra: str) -> dict[str, Any]:
    result: dict[str, Any] = ok_json(cli(
        "access-group", "create", *T, "--name", name, "--description", "Shop tills",
        "--permission", API, "orders:read", *extra, "--json"))
    return result


def test_create_show_list_and_search(cli: Cli, acme: None) -> None:
    created = create(cli)
    assert created["id"].startswith("grp-") and created["permissions"] == {API: ["orders:read"]}
    shown = ok_json(cli("access-group", "show", *T, "--group", "tills", "--json"))
    assert shown["client_ids"] == [] and shown["description"] == "Shop tills"
    listed = ok_json(cli("access-group", "list", *T, "--json"))
    assert [g["name"] for g in listed] == ["Admin", "Instore", "POS", "Tills"]
    assert [g["name"] for g in ok_json(cli("access-group", "list", *T, "--search", "TIL",
                                           "--json"))] == ["Tills"]
    assert "built in" in ok(cli("access-group", "list", *T)).out


def test_update_assign_deactivate_and_activate(cli: Cli, acme: None) -> None:
    group = create(cli)
    updated = ok_json(cli("access-group", "update", *T, "--group", group["id"], "--name",
                          "Shop tills", "--permission", API, "orders:read orders:write",
                          "--json"))
    assert updated["changed"] == ["name", "permissions"]
    ok(cli("access-group", "assign", *T, "--group", "Shop tills", "--client", "till-1"))
    refused(cli("access-group", "deactivate", *T, "--group", "Shop tills"),
            "assigned to 1 client(s): till-1")
    ok(cli("access-group", "unassign", *T, "--group", "Shop tills", "--client", "till-1"))
    off = ok_json(cli("access-group", "deactivate", *T, "--group", "Shop tills", "--json"))
    assert off["status"] == "inactive"
    refused(cli("access-group", "assign", *T, "--group", "Shop tills", "--client", "till-1"),
            "deactivated")
    assert "is active" in ok(cli("access-group", "activate", *T, "--group", "Shop tills")).out


def test_builtin_groups_are_refused(cli: Cli, acme: None) -> None:
    refused(cli("access-group", "update", *T, "--group", "POS", "--name", "Mine"), "built-in")
    refused(cli("access-group", "deactivate", *T, "--group", "builtin-admin"), "built-in")
    ok(cli("access-group", "assign", *T, "--group", "Admin", "--client", "till-1"))


def test_the_default_group(cli: Cli, acme: None) -> None:
    assert ok_json(cli("access-group", "default", *T, "--json")) == {"default": None}
    create(cli)
    set_to = ok_json(cli("access-group", "default", *T, "--group", "Tills", "--json"))
    assert set_to["default"]["name"] == "Tills"
    ok(cli("client", "create", *T, "--name", "New", "--client-id", "till-2",
           "--grant-type", "client_credentials", "--scope", "x:y"))
    shown = ok_json(cli("access-group", "show", *T, "--group", "Tills", "--json"))
    assert shown["client_ids"] == ["till-2"], "a new client joins the default group"
    assert ok_json(cli("access-group", "default", *T, "--none", "--json")) == {"default": None}


@pytest.mark.parametrize(("args", "fragment"), [
    (("create", "--name", "X", "--permission", "https://nobody.example/", "a:b"), "no API"),
    (("create", "--name", "X", "--permission", API, "orders:delete"), "not a scope of"),
    (("create", "--name", "pos"), "already exists"),
    (("show", "--group", "nothing"), "no access group"),
    (("unassign", "--group", "POS", "--client", "till-1"), "is not in"),
    (("assign", "--group", "POS", "--client", "ghost"), "no client"),
], ids=["unknown API", "unknown scope", "built-in name", "unknown group", "not a member",
        "unknown client"])
def test_refusals(cli: Cli, acme: None, args: tuple[str, ...], fragment: str) -> None:
    refused(cli("access-group", args[0], *T, *args[1:]), fragment)


def test_usage_errors(cli: Cli, acme: None) -> None:
    refused(cli("access-group", "update", *T, "--group", "POS"), "nothing to update", status=2)
    refused(cli("access-group", "default", *T, "--group", "POS", "--none"), "not both",
            status=2)
