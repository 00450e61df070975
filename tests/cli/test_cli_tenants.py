"""`authserver tenant create|update`: no silent no-ops, and refresh limits that can apply."""

from __future__ import annotations

import pytest

from tests.cli.support import Cli, ok, ok_json, refused


@pytest.fixture
def acme(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))


def test_tenant_update_without_an_option_is_a_usage_error(cli: Cli, acme: None) -> None:
    refused(cli("tenant", "update", "acme"),
            "nothing to update; give at least one option (authserver tenant update --help "
            "lists them)", status=2)


def test_a_tenant_idle_limit_above_the_global_absolute_limit_is_refused(cli: Cli,
                                                                        acme: None) -> None:
    refused(cli("tenant", "update", "acme", "--refresh-token-idle-ttl", "31d"),
            "refresh_token_idle_ttl: 31d must not exceed the absolute limit, which is 30d "
            "(AUTHSERVER_REFRESH_TOKEN_ABSOLUTE_TTL); lower it or set "
            "refresh_token_absolute_ttl too")
    view = ok_json(cli("tenant", "update", "acme", "--refresh-token-idle-ttl", "31d",
                       "--refresh-token-absolute-ttl", "90d", "--json"))
    assert (view["refresh_token_idle_ttl"], view["refresh_token_absolute_ttl"]) == (
        31 * 86400, 90 * 86400)


def test_the_global_absolute_limit_is_read_from_the_settings(
    cli: Cli, acme: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHSERVER_REFRESH_TOKEN_IDLE_TTL", "1d")
    monkeypatch.setenv("AUTHSERVER_REFRESH_TOKEN_ABSOLUTE_TTL", "2d")
    refused(cli("tenant", "update", "acme", "--refresh-token-idle-ttl", "3d"),
            "refresh_token_idle_ttl: 3d must not exceed the absolute limit, which is 2d")


def test_lowering_the_tenant_limit_below_a_clients_idle_limit_is_refused(cli: Cli,
                                                                        acme: None) -> None:
    ok(cli("client", "create", "--tenant", "acme", "--name", "Web", "--client-id", "web",
           "--redirect-uri", "https://app.example/cb", "--refresh-token-idle-ttl", "20d"))
    refused(cli("tenant", "update", "acme", "--refresh-token-absolute-ttl", "14d"),
            "refresh_token_absolute_ttl: client 'web' has an idle limit of 20d, longer than "
            "this; lower the client's limit first (authserver client update)")
    ok(cli("client", "update", "--tenant", "acme", "web", "--refresh-token-idle-ttl", "7d"))
    ok(cli("tenant", "update", "acme", "--refresh-token-absolute-ttl", "14d"))


@pytest.mark.parametrize("option", ["--refresh-token-idle-ttl", "--refresh-token-absolute-ttl"])
def test_out_of_range_tenant_limits_are_refused(cli: Cli, acme: None, option: str) -> None:
    field = option.lstrip("-").replace("-", "_")
    refused(cli("tenant", "update", "acme", option, "99999d",
                "--refresh-token-absolute-ttl" if "idle" in option else "--name",
                "99999d" if "idle" in option else "Acme"),
            f"{field}: must be between 1 second and 3650d")


def test_an_empty_tenant_name_is_refused_not_replaced_by_the_slug(cli: Cli) -> None:
    refused(cli("tenant", "create", "acme", "--name", ""), "name: must be 1-200 characters")


def test_a_new_tenant_signs_in_with_a_password_alone(cli: Cli, acme: None) -> None:
    view = ok_json(cli("tenant", "show", "acme", "--json"))
    assert view["sign_in"] == {"mfa": "off", "mfa_methods": ["totp", "sms", "email",
                                                             "webauthn"],
                               "magic_links": False, "phone_sign_in": False}, view


def test_tenant_update_sets_the_sign_in_policy(cli: Cli, acme: None) -> None:
    view = ok_json(cli("tenant", "update", "acme", "--mfa", "required", "--mfa-methods",
                       "webauthn, totp", "--magic-links", "on", "--phone-sign-in", "on",
                       "--json"))
    assert view["sign_in"] == {"mfa": "required", "mfa_methods": ["totp", "webauthn"],
                               "magic_links": True, "phone_sign_in": True}, view
    view = ok_json(cli("tenant", "update", "acme", "--magic-links", "off", "--json"))
    assert view["sign_in"]["magic_links"] is False
    assert view["sign_in"]["mfa"] == "required", "options not given stay as they were"


@pytest.mark.parametrize("args, message", [
    (("--mfa-methods", "totp,fax"), "mfa_methods: unknown method(s) fax; choose from "
                                    "totp, sms, email, webauthn"),
    (("--mfa-methods", " , "), "mfa_methods: name at least one method"),
])
def test_tenant_update_refuses_unknown_second_factors(cli: Cli, acme: None, args: tuple,
                                                      message: str) -> None:
    refused(cli("tenant", "update", "acme", *args), message)


def test_tenant_update_refuses_an_unknown_mode(cli: Cli, acme: None) -> None:
    refused(cli("tenant", "update", "acme", "--mfa", "sometimes"), "'sometimes' is not one "
            "of 'off', 'optional', 'required'", status=2)


def test_tenant_update_sets_session_limits_that_fit_together(cli: Cli, acme: None) -> None:
    view = ok_json(cli("tenant", "update", "acme", "--session-idle-ttl", "10m",
                       "--session-absolute-ttl", "1h", "--json"))
    assert (view["session_idle_ttl"], view["session_absolute_ttl"]) == (600, 3600), view
    refused(cli("tenant", "update", "acme", "--session-idle-ttl", "2h"),
            "session_idle_ttl: 2h must not exceed the absolute limit, which is 1h "
            "(session_absolute_ttl)")


def test_a_tenant_idle_limit_must_fit_the_global_absolute_limit(cli: Cli, acme: None) -> None:
    refused(cli("tenant", "update", "acme", "--session-idle-ttl", "13h"),
            "session_idle_ttl: 13h must not exceed the absolute limit, which is 12h "
            "(AUTHSERVER_SESSION_ABSOLUTE_TTL)")
