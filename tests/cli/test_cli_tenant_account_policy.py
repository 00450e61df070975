"""`authserver tenant update` account policy options (issue 10 item 8): sign-up, its
domains and default role, the password rules and single active session."""

from __future__ import annotations

import pytest

from tests.cli.support import Cli, ok, ok_json, refused


@pytest.fixture
def acme(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))


def test_a_new_tenant_has_sign_up_off_and_the_default_password_rules(cli: Cli,
                                                                    acme: None) -> None:
    view = ok_json(cli("tenant", "show", "acme", "--json"))
    assert view["signup"] == {"enabled": False, "domains": [], "default_role": None}, view
    assert view["password_policy"] == {"min_length": 12, "max_length": 128, "min_score": 2,
                                       "history": 0, "history_period": None,
                                       "max_age": None}, view
    assert view["single_session"] is False, view


def test_every_account_option_is_stored_and_shown(cli: Cli, acme: None) -> None:
    ok(cli("role", "create", "--tenant", "acme", "--name", "customer"))
    view = ok_json(cli("tenant", "update", "acme", "--signup", "on", "--signup-domains",
                       "Acme.example, shop.acme.example", "--default-role", "customer",
                       "--password-min-length", "14", "--password-max-length", "256",
                       "--password-min-score", "3", "--password-history", "5",
                       "--password-history-period", "365d", "--password-max-age", "90d",
                       "--single-session", "on", "--json"))
    assert view["signup"] == {"enabled": True,
                              "domains": ["acme.example", "shop.acme.example"],
                              "default_role": "customer"}, view
    assert view["password_policy"] == {"min_length": 14, "max_length": 256, "min_score": 3,
                                       "history": 5, "history_period": 365 * 86400,
                                       "max_age": 90 * 86400}, view
    assert view["single_session"] is True, view


def test_off_clears_the_password_periods_and_empty_values_clear_domains_and_role(
        cli: Cli, acme: None) -> None:
    ok(cli("role", "create", "--tenant", "acme", "--name", "customer"))
    ok(cli("tenant", "update", "acme", "--signup-domains", "acme.example", "--default-role",
           "customer", "--password-max-age", "90d", "--password-history-period", "30d"))
    view = ok_json(cli("tenant", "update", "acme", "--signup-domains", "", "--default-role",
                       "", "--password-max-age", "off", "--password-history-period", "off",
                       "--json"))
    assert view["signup"]["domains"] == [] and view["signup"]["default_role"] is None, view
    assert view["password_policy"]["max_age"] is None, view
    assert view["password_policy"]["history_period"] is None, view


@pytest.mark.parametrize(("args", "message"), [
    (["--password-min-length", "6"], "password_min_length: must be at least 8"),
    (["--password-max-length", "64"], "password_max_length: must be 128-1024"),
    (["--password-min-length", "200"],
     "password_min_length: must not exceed password_max_length"),
    (["--signup-domains", "not a domain"], "signup_domains: 'not a domain' is not a domain"),
    (["--default-role", "two words"], "default_role: use up to 100 letters"),
    (["--default-role", "nobody-made-me"], "default_role: no role 'nobody-made-me' in this "
     "tenant"),
])
def test_impossible_account_settings_are_refused(cli: Cli, acme: None, args: list[str],
                                                 message: str) -> None:
    refused(cli("tenant", "update", "acme", *args), message)
