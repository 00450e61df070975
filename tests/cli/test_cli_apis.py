"""`authserver api create|list|show|update|delete|grant|revoke|grants`: thin over the
services, --json everywhere, nonsense refused in one line with the field and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.support import Cli, ok, ok_json, refused

API = "https://orders.example/api"
ADMIN_API = "http://127.0.0.1:8000/admin/api"
T = ("--tenant", "acme")


@pytest.fixture
def acme(cli: Cli) -> str:
    ok(cli("tenant", "create", "acme"))
    created = ok_json(cli("client", "create", *T, "--name", "Svc", "--client-id", "svc",
                          "--grant-type", "client_credentials", "--scope", "x:y", "--json"))
    return str(created["client_id"])


def create(cli: Cli, *extra: str) -> dict[str, Any]:
    result: dict[str, Any] = ok_json(cli("api", "create", *T, "--identifier", API, "--name",
                                         "Orders", "--scope", "orders:read orders:write",
                                         *extra, "--json"))
    return result


def test_create_show_and_list(cli: Cli, acme: str) -> None:
    created = create(cli, "--token-lifetime", "5m", "--alg", "PS256",
                     "--introspection-client", "svc")
    assert created["scopes"] == ["orders:read", "orders:write"]
    assert (created["access_token_ttl"], created["access_token_alg"]) == (300, "PS256")
    assert created["introspection_clients"] == ["svc"] and created["created_by"] == "cli"
    shown = ok_json(cli("api", "show", *T, "--identifier", API, "--json"))
    assert shown["name"] == "Orders"
    listed = ok_json(cli("api", "list", *T, "--json"))
    assert [a["identifier"] for a in listed] == [ADMIN_API, API], "the admin API is listed first"
    assert listed[0]["builtin"] is True and listed[0]["scopes"] == [
        "admin:read", "admin:write", "users:read:pii"]
    human = ok(cli("api", "list", *T)).out
    assert API in human and "(built in)" in human


def test_update_changes_only_what_is_given(cli: Cli, acme: str) -> None:
    create(cli, "--alg", "PS256")
    updated = ok_json(cli("api", "update", *T, "--identifier", API, "--name", "Orders v2",
                          "--alg", "default", "--json"))
    assert updated["changed"] == ["access_token_alg", "name"]
    assert updated["access_token_alg"] is None and updated["scopes"] == [
        "orders:read", "orders:write"]
    again = ok(cli("api", "update", *T, "--identifier", API, "--name", "Orders v2"))
    assert "nothing changed" in again.out


def test_grant_and_revoke(cli: Cli, acme: str) -> None:
    create(cli)
    grants = ok_json(cli("api", "grant", *T, "--api", API, "--client", "svc",
                         "--scope", "orders:read", "--json"))
    assert grants == [{"api": API, "scopes": ["orders:read"]}]
    ok(cli("api", "grant", *T, "--api", ADMIN_API, "--client", "svc", "--scope", "admin:read"))
    listed = ok_json(cli("api", "grants", *T, "--client", "svc", "--json"))
    assert {g["api"] for g in listed} == {API, ADMIN_API}
    left = ok_json(cli("api", "revoke", *T, "--api", API, "--client", "svc", "--json"))
    assert left == [{"api": ADMIN_API, "scopes": ["admin:read"]}]


@pytest.mark.parametrize(("args", "fragment"), [
    (("--identifier", "not-a-uri", "--name", "X"), "identifier: an absolute URI"),
    (("--identifier", "https://a.example/#x", "--name", "X"), "no fragment"),
    (("--identifier", API, "--name", "X", "--scope", "read"), "resource:action"),
    (("--identifier", API, "--name", "X", "--introspection-client", "ghost"), "no client"),
    (("--identifier", API, "--name", "X", "--token-lifetime", "30"), "access_token_ttl"),
    (("--identifier", ADMIN_API, "--name", "X"), "built in"),
], ids=["not a URI", "fragment", "scope form", "unknown client", "short lifetime", "admin API"])
def test_create_refuses_nonsense(cli: Cli, acme: str, args: tuple[str, ...],
                                 fragment: str) -> None:
    refused(cli("api", "create", *T, *args), fragment)


def test_refusals_after_creation(cli: Cli, acme: str) -> None:
    create(cli)
    refused(cli("api", "create", *T, "--identifier", API, "--name", "Again"), "already")
    refused(cli("api", "grant", *T, "--api", API, "--client", "svc", "--scope", "x:y"),
            "not a scope of")
    refused(cli("api", "grant", *T, "--api", API, "--client", "ghost"), "no client")
    refused(cli("api", "revoke", *T, "--api", API, "--client", "svc"), "no direct grant")
    refused(cli("api", "update", *T, "--identifier", ADMIN_API, "--name", "Mine"), "built in")
    refused(cli("api", "delete", *T, "--identifier", ADMIN_API), "built in")
    refused(cli("api", "show", *T, "--identifier", "https://nobody.example/"), "no API")
    refused(cli("api", "update", *T, "--identifier", API), "nothing to update", status=2)


def test_delete_removes_the_api_and_its_grants(cli: Cli, acme: str) -> None:
    create(cli)
    ok(cli("api", "grant", *T, "--api", API, "--client", "svc"))
    assert "deleted API" in ok(cli("api", "delete", *T, "--identifier", API)).out
    assert ok_json(cli("api", "grants", *T, "--client", "svc", "--json")) == []
    refused(cli("api", "show", *T, "--identifier", API), "no API")


def test_a_deleted_client_is_no_longer_a_resource_server(cli: Cli, acme: str) -> None:
    create(cli, "--introspection-client", "svc")
    ok(cli("client", "delete", *T, "svc"))
    assert ok_json(cli("api", "show", *T, "--identifier", API, "--json"))[
        "introspection_clients"] == [], "a client registered later as svc must not inherit it"
