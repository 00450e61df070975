"""`authserver client create|update --backchannel-logout-uri` and `authserver worker`.

The URI follows Back-Channel Logout 1.0 §2.2 (absolute, no fragment) and our redirect
URI rules (https, http only on loopback); `worker --once` runs one round and says what
it did."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.support import Cli, ok, ok_json, refused

CREATE = ("client", "create", "--tenant", "acme", "--name", "X",
          "--redirect-uri", "https://app.example/cb")
RP = "https://app.example/backchannel-logout"


@pytest.fixture
def acme(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))


def created(cli: Cli, *extra: str) -> dict[str, Any]:
    client_id = ok_json(cli(*CREATE, *extra, "--json"))["client_id"]
    return show(cli, client_id)


def show(cli: Cli, client_id: str) -> dict[str, Any]:
    return ok_json(cli("client", "show", "--tenant", "acme", client_id, "--json"))


def test_create_registers_the_uri_and_the_session_requirement(cli: Cli, acme: None) -> None:
    view = created(cli, "--backchannel-logout-uri", RP,
                   "--backchannel-logout-session-required", "on")
    assert (view["backchannel_logout_uri"], view["backchannel_logout_session_required"]) \
        == (RP, True), f"client show must name both: {view}"


def test_without_the_option_a_client_is_not_told(cli: Cli, acme: None) -> None:
    view = created(cli)
    assert (view["backchannel_logout_uri"], view["backchannel_logout_session_required"]) \
        == (None, False)


@pytest.mark.parametrize(("uri", "problem"), [
    ("http://app.example/logout", "must use https (http is only for loopback addresses)"),
    ("https://app.example/logout#frag", "must not contain a fragment"),
    ("/logout", "is not an absolute URI"),
    ("com.example.app:/logout", "uses a private-use scheme"),
    ("https://app.example/*", "contains a wildcard"),
    ("https://user:pw@app.example/logout", "must not contain user information"),
])
def test_a_bad_uri_is_refused_with_the_reason(cli: Cli, acme: None, uri: str,
                                              problem: str) -> None:
    refused(cli(*CREATE, "--backchannel-logout-uri", uri),
            f"backchannel_logout_uri: '{uri}' {problem}")


def test_http_on_loopback_is_accepted(cli: Cli, acme: None) -> None:
    uri = "http://127.0.0.1:9000/logout"
    assert created(cli, "--backchannel-logout-uri", uri)["backchannel_logout_uri"] == uri


def test_update_sets_changes_and_removes_the_uri(cli: Cli, acme: None) -> None:
    client_id = created(cli)["client_id"]
    update = ("client", "update", "--tenant", "acme", client_id)
    out = ok_json(cli(*update, "--backchannel-logout-uri", RP, "--json"))
    assert out["changed"] == ["backchannel_logout_uri"], out
    out = ok_json(cli(*update, "--backchannel-logout-session-required", "on", "--json"))
    assert out["changed"] == ["backchannel_logout_session_required"], out
    refused(cli(*update, "--backchannel-logout-uri", "http://rp.example/x"),
            "backchannel_logout_uri: 'http://rp.example/x' must use https")
    assert show(cli, client_id)["backchannel_logout_uri"] == RP, "a refusal changes nothing"
    ok(cli(*update, "--backchannel-logout-uri", ""))
    assert show(cli, client_id)["backchannel_logout_uri"] is None, "'' removes the URI"


def test_the_session_required_option_takes_on_or_off(cli: Cli, acme: None) -> None:
    result = cli(*CREATE, "--backchannel-logout-session-required", "maybe")
    assert result.status == 2 and "'maybe' is not one of 'on', 'off'" in result.err, \
        result.err


def test_worker_once_runs_one_round_and_reports_it(cli: Cli, acme: None) -> None:
    out = ok_json(cli("worker", "--once", "--json"))
    assert out == {"sessions_expired": 0, "delivered": 0, "retried": 0, "dead": 0}, out
    assert ok(cli("worker", "--once")).out.strip() == \
        "sessions_expired=0 delivered=0 retried=0 dead=0"


def test_db_purge_reports_the_outbox(cli: Cli, acme: None) -> None:
    out = ok(cli("db", "purge")).out
    assert "outbox_messages: 0" in out, f"db purge must clean the outbox too: {out}"
