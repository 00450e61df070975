"""`authserver client create|update`: nonsense is refused with the field and the fix, and
an update changes a registration under the same rules, keeping the secret."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from authserver.storage.database import Database
from tests.cli.support import Cli, ok, ok_json, refused

CREATE = ("client", "create", "--tenant", "acme", "--name", "X")
UPDATE = ("client", "update", "--tenant", "acme")


@pytest.fixture
def acme(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))


def web_client(cli: Cli, *extra: str) -> dict[str, Any]:
    created = ok_json(cli(*CREATE, "--redirect-uri", "https://app.example/cb", *extra,
                          "--json"))
    return {**created, **show(cli, created["client_id"])}


def show(cli: Cli, client_id: str) -> dict[str, Any]:
    return ok_json(cli("client", "show", "--tenant", "acme", client_id, "--json"))


def jwks_file(tmp_path: Path) -> str:
    from jwcrypto.jwk import JWK

    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [JWK.generate(kty="EC", crv="P-256").export_public(
        as_dict=True)]}))
    return str(path)


# --- create: what used to be accepted with exit 0 ------------------------------------------


@pytest.mark.parametrize("option", ["--redirect-uri", "--post-logout-redirect-uri"])
@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_a_port_outside_1_to_65535_is_refused(cli: Cli, acme: None, option: str,
                                              port: str) -> None:
    uri = f"https://app.example:{port}/cb"
    field = option.lstrip("-").replace("-", "_")
    extra = () if option == "--redirect-uri" else ("--redirect-uri", "https://app.example/cb")
    refused(cli(*CREATE, *extra, option, uri),
            f"{field}: '{uri}' has an invalid port (use 1-65535)")


@pytest.mark.parametrize(("written", "canonical"), [
    ("HTTPS://App.example/cb", "https://app.example/cb"),
    ("https://APP.example/cb", "https://app.example/cb"),
    ("https://app.example:443/cb", "https://app.example/cb"),
    ("http://127.0.0.1:80/cb", "http://127.0.0.1/cb"),
    ("https://app.example", "https://app.example/"),
    ("https://app.example/%63b", "https://app.example/cb"),
    ("https://app.example/a%2fb", "https://app.example/a%2Fb"),
    ("https://app.example/a/../cb", "https://app.example/cb"),
    ("https://app.example/./cb", "https://app.example/cb"),
])
def test_a_non_canonical_redirect_uri_is_refused_naming_the_canonical_form(
    cli: Cli, acme: None, written: str, canonical: str
) -> None:
    # Matching is byte for byte, so this spelling could never match what a client sends.
    refused(cli(*CREATE, "--redirect-uri", written),
            f"redirect_uri: '{written}' must be written '{canonical}'")


def test_a_non_canonical_private_use_scheme_is_refused(cli: Cli, acme: None) -> None:
    refused(cli(*CREATE, "--public", "--redirect-uri", "Com.Example.App:/cb"),
            "redirect_uri: 'Com.Example.App:/cb' must be written 'com.example.app:/cb'")


@pytest.mark.parametrize(("uri", "problem"), [
    ("https://app.example\\@evil.example/cb", "contains a backslash, which browsers read as '/'"),
    ("https://app.exämple/cb", "is not printable ASCII: percent-encode the path, write the "
                               "host in punycode"),
    ("https://app.example/100%", "has a '%' that is not followed by two hex digits"),
])
def test_lookalike_and_unreadable_redirect_uris_are_refused(cli: Cli, acme: None, uri: str,
                                                            problem: str) -> None:
    refused(cli(*CREATE, "--redirect-uri", uri), f"redirect_uri: {uri!r} {problem}")


def test_refresh_token_without_authorization_code_is_refused(cli: Cli, acme: None) -> None:
    refused(cli(*CREATE, "--grant-type", "client_credentials", "--grant-type", "refresh_token",
                "--scope", "stores:read"),
            "grant_type: refresh_token needs authorization_code: refresh tokens are only "
            "issued from a code exchange")


@pytest.mark.parametrize("scope", ["", "   ", "\t"])
def test_an_empty_scope_is_refused(cli: Cli, acme: None, scope: str) -> None:
    refused(cli(*CREATE, "--redirect-uri", "https://app.example/cb", "--scope", scope),
            "scope: is empty: name at least one scope")


def test_a_key_set_with_secret_authentication_is_refused(cli: Cli, acme: None,
                                                         tmp_path: Path) -> None:
    refused(cli(*CREATE, "--redirect-uri", "https://app.example/cb", "--jwks-uri",
                "https://keys.example/jwks"),
            "jwks_uri: only private_key_jwt clients have a key set; this client "
            "authenticates with client_secret_basic")
    refused(cli(*CREATE, "--redirect-uri", "https://app.example/cb", "--auth-method",
                "client_secret_post", "--jwks", jwks_file(tmp_path)),
            "jwks: only private_key_jwt clients have a key set; this client authenticates "
            "with client_secret_post")


def test_jwks_and_jwks_uri_together_are_refused(cli: Cli, acme: None, tmp_path: Path) -> None:
    refused(cli(*CREATE, "--grant-type", "client_credentials", "--scope", "stores:read",
                "--auth-method", "private_key_jwt", "--jwks", jwks_file(tmp_path),
                "--jwks-uri", "https://keys.example/jwks"),
            "jwks: give jwks or jwks_uri, not both (RFC 7591 §2)")


@pytest.mark.parametrize(("uri", "problem"), [
    ("https://localhost/jwks", "'localhost' is this machine (localhost)"),
    ("https://127.0.0.1/jwks", "'127.0.0.1' is a loopback address"),
    ("https://[::1]/jwks", "'::1' is a loopback address"),
    ("https://2130706433/jwks", "'2130706433' is a loopback address"),
    ("https://10.0.0.5/jwks", "'10.0.0.5' is a private, link-local, multicast or reserved"),
    ("https://169.254.169.254/latest", "'169.254.169.254' is a private, link-local"),
])
def test_a_jwks_uri_on_an_internal_host_is_refused(cli: Cli, acme: None, uri: str,
                                                   problem: str) -> None:
    refused(cli(*CREATE, "--grant-type", "client_credentials", "--scope", "stores:read",
                "--auth-method", "private_key_jwt", "--jwks-uri", uri),
            f"jwks_uri: '{uri}' must name a public host: {problem}")


def test_the_development_allowance_admits_a_loopback_jwks_uri_at_registration_too(
        cli: Cli, acme: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # AUTHSERVER_JWKS_URI_ALLOW_PRIVATE lets the fetch reach a key server on this machine;
    # registration must then accept that URL, or the allowance could not be used at all.
    monkeypatch.setenv("AUTHSERVER_JWKS_URI_ALLOW_PRIVATE", "true")
    ok(cli(*CREATE, "--grant-type", "client_credentials", "--scope", "stores:read",
           "--auth-method", "private_key_jwt", "--jwks-uri", "https://127.0.0.1:8443/jwks"))


def test_a_jwks_uri_with_a_bad_port_is_refused(cli: Cli, acme: None) -> None:
    refused(cli(*CREATE, "--grant-type", "client_credentials", "--scope", "stores:read",
                "--auth-method", "private_key_jwt", "--jwks-uri",
                "https://keys.example:99999/jwks"),
            "jwks_uri: 'https://keys.example:99999/jwks' has an invalid port (use 1-65535)")


def test_a_client_credentials_client_must_name_its_scopes(cli: Cli, acme: None) -> None:
    refused(cli(*CREATE, "--grant-type", "client_credentials"),
            "scope: a client without authorization_code acts for itself, not a user: name "
            "the API scopes it may request (--scope 'stores:read')")


def test_user_scopes_are_refused_for_a_client_without_authorization_code(
    cli: Cli, acme: None
) -> None:
    refused(cli(*CREATE, "--grant-type", "client_credentials", "--scope",
                "stores:read openid email offline_access"),
            "scope: openid email offline_access describe a user, and a client without "
            "authorization_code never has one: remove them")


def test_a_client_credentials_client_needs_no_pkce_nor_state_and_shows_it(
    cli: Cli, acme: None
) -> None:
    cid = ok_json(cli(*CREATE, "--grant-type", "client_credentials", "--scope", "stores:read",
                      "--json"))["client_id"]
    shown = show(cli, cid)
    assert (shown["scope"], shown["require_pkce"], shown["require_state"]) == (
        "stores:read", False, False), f"PKCE and state belong to code flows: {shown}"


def test_a_code_flow_client_still_defaults_to_openid_profile_email(cli: Cli,
                                                                   acme: None) -> None:
    shown = web_client(cli)
    assert (shown["scope"], shown["require_pkce"], shown["require_state"]) == (
        "openid profile email", True, True)


@pytest.mark.parametrize(("extra", "message"), [
    (("--refresh-token-idle-ttl", "40d"),
     "refresh_token_idle_ttl: 40d must not exceed the absolute limit, which is 30d "
     "(AUTHSERVER_REFRESH_TOKEN_ABSOLUTE_TTL); lower it or set refresh_token_absolute_ttl too"),
    (("--refresh-token-idle-ttl", "2d", "--refresh-token-absolute-ttl", "1d"),
     "refresh_token_idle_ttl: must not exceed the absolute limit"),
    (("--refresh-token-absolute-ttl", "4000d"),
     "refresh_token_absolute_ttl: must be between 1 second and 3650d"),
])
def test_refresh_limits_that_can_never_apply_are_refused(cli: Cli, acme: None,
                                                         extra: tuple[str, ...],
                                                         message: str) -> None:
    refused(cli(*CREATE, "--redirect-uri", "https://app.example/cb", *extra), message)


def test_an_idle_limit_above_the_tenants_absolute_limit_is_refused(cli: Cli,
                                                                   acme: None) -> None:
    ok(cli("tenant", "update", "acme", "--refresh-token-absolute-ttl", "14d"))
    refused(cli(*CREATE, "--redirect-uri", "https://app.example/cb",
                "--refresh-token-idle-ttl", "20d"),
            "refresh_token_idle_ttl: 20d must not exceed the absolute limit, which is 14d "
            "(the tenant's refresh_token_absolute_ttl)")
    ok(cli(*CREATE, "--redirect-uri", "https://app.example/cb", "--refresh-token-idle-ttl",
           "20d", "--refresh-token-absolute-ttl", "60d"))


def test_an_empty_client_id_is_refused_not_replaced_by_a_random_one(cli: Cli,
                                                                    acme: None) -> None:
    refused(cli(*CREATE, "--redirect-uri", "https://app.example/cb", "--client-id", ""),
            "client_id: use 3-64 letters, digits, '.', '_', '~' or '-'")


# --- update ---------------------------------------------------------------------------------


def test_update_replaces_adds_and_removes_redirect_uris(cli: Cli, acme: None) -> None:
    cid = web_client(cli)["client_id"]
    view = ok_json(cli(*UPDATE, cid, "--add-redirect-uri", "https://app.example/cb2",
                       "--add-redirect-uri", "https://app.example/cb", "--json"))
    assert view["redirect_uris"] == ["https://app.example/cb", "https://app.example/cb2"]
    assert view["changed"] == ["redirect_uris"]
    view = ok_json(cli(*UPDATE, cid, "--remove-redirect-uri", "https://app.example/cb",
                       "--json"))
    assert view["redirect_uris"] == ["https://app.example/cb2"]
    view = ok_json(cli(*UPDATE, cid, "--redirect-uri", "https://new.example/a",
                       "--redirect-uri", "https://new.example/b", "--json"))
    assert view["redirect_uris"] == ["https://new.example/a", "https://new.example/b"]
    assert show(cli, cid)["redirect_uris"] == view["redirect_uris"], "the change must persist"


def test_update_keeps_the_secret_and_is_audited(cli: Cli, acme: None,
                                                database: Database) -> None:
    created = web_client(cli)
    out = ok(cli(*UPDATE, created["client_id"], "--name", "Renamed", "--scope",
                 "openid email")).out
    assert out == f"updated client {created['client_id']}: name, scope\n"
    assert "client_secret" not in out
    with database.engine.connect() as conn:
        digest = conn.execute(text("SELECT secret_digest FROM clients")).scalar_one()
        audit = conn.execute(text("SELECT details FROM audit_events WHERE action = "
                                  "'client.updated'")).scalar_one()
    assert digest == hashlib.sha256(created["client_secret"].encode()).hexdigest(), \
        "an update must never change the secret"
    details = json.loads(audit) if isinstance(audit, str) else audit
    assert details["changed"] == ["name", "scope"]
    assert details["name"] == "Renamed" and details["scope"] == ["openid", "email"]


def test_update_uses_the_registration_rules(cli: Cli, acme: None) -> None:
    cid = web_client(cli)["client_id"]
    refused(cli(*UPDATE, cid, "--add-redirect-uri", "HTTPS://App.example/x"),
            "redirect_uri: 'HTTPS://App.example/x' must be written 'https://app.example/x'")
    refused(cli(*UPDATE, cid, "--remove-redirect-uri", "https://app.example/cb"),
            "redirect_uri: authorization_code clients need a redirect URI")
    refused(cli(*UPDATE, cid, "--grant-type", "refresh_token"),
            "grant_type: refresh_token needs authorization_code")
    refused(cli(*UPDATE, cid, "--scope", ""), "scope: is empty: name at least one scope")
    refused(cli(*UPDATE, cid, "--jwks-uri", "https://keys.example/jwks"),
            "jwks_uri: only private_key_jwt clients have a key set")
    refused(cli(*UPDATE, cid, "--refresh-token-idle-ttl", "40d"),
            "refresh_token_idle_ttl: 40d must not exceed the absolute limit, which is 30d")
    refused(cli(*UPDATE, cid, "--name", "  "), "name: must be 1-200 characters")
    assert show(cli, cid)["redirect_uris"] == ["https://app.example/cb"], \
        "a refused update must change nothing"


def test_update_refuses_to_remove_what_is_not_registered(cli: Cli, acme: None) -> None:
    cid = web_client(cli)["client_id"]
    refused(cli(*UPDATE, cid, "--remove-redirect-uri", "https://app.example/typo"),
            "redirect_uri: 'https://app.example/typo' is not registered (registered: "
            "'https://app.example/cb')")
    refused(cli(*UPDATE, cid, "--remove-scope", "phone"),
            "scope: 'phone' is not registered (registered: 'openid', 'profile', 'email')")


def test_update_edits_scopes_one_at_a_time_or_all_at_once(cli: Cli, acme: None) -> None:
    cid = web_client(cli)["client_id"]
    view = ok_json(cli(*UPDATE, cid, "--add-scope", "offline_access stores:read",
                       "--remove-scope", "profile", "--json"))
    assert view["scope"] == "openid email offline_access stores:read"
    assert ok_json(cli(*UPDATE, cid, "--scope", "openid", "--json"))["scope"] == "openid"


def test_turning_a_code_flow_client_into_a_service_and_back(cli: Cli, acme: None) -> None:
    cid = web_client(cli)["client_id"]
    refused(cli(*UPDATE, cid, "--grant-type", "client_credentials"),
            "scope: openid profile email describe a user")
    view = ok_json(cli(*UPDATE, cid, "--grant-type", "client_credentials", "--scope",
                       "stores:read", "--json"))
    assert (view["grant_types"], view["require_pkce"]) == (["client_credentials"], False)
    view = ok_json(cli(*UPDATE, cid, "--grant-type", "authorization_code", "--json"))
    assert view["require_pkce"] is True, \
        "PKCE stored off only because it did not apply must come back on with the code flow"


@pytest.mark.parametrize(("args", "message"), [
    ((), "nothing to update; give at least one option"),
    (("--redirect-uri", "https://a.example/", "--add-redirect-uri", "https://b.example/"),
     "--redirect-uri replaces the list: give it, or --add-redirect-uri and "
     "--remove-redirect-uri, not both"),
    (("--scope", "openid", "--remove-scope", "email"),
     "--scope replaces the list: give it, or --add-scope and --remove-scope, not both"),
])
def test_update_usage_errors_exit_2(cli: Cli, acme: None, args: tuple[str, ...],
                                    message: str) -> None:
    cid = web_client(cli)["client_id"]
    refused(cli(*UPDATE, cid, *args), message, status=2)


def test_update_of_an_unknown_client_is_refused(cli: Cli, acme: None) -> None:
    refused(cli(*UPDATE, "nope", "--name", "x"), "no client 'nope' in tenant 'acme'")


def test_an_update_to_the_current_values_changes_nothing(cli: Cli, acme: None,
                                                         database: Database) -> None:
    cid = web_client(cli)["client_id"]
    out = ok(cli(*UPDATE, cid, "--name", "X", "--first-party", "--no-first-party")).out
    assert out == f"client {cid} already had these values; nothing changed\n"
    with database.engine.connect() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM audit_events WHERE action = "
                                  "'client.updated'")).scalar_one()
    assert count == 0, "nothing changed, so nothing is audited"


def test_update_switches_a_key_set_for_a_key_set_url(cli: Cli, acme: None,
                                                     tmp_path: Path) -> None:
    cid = ok_json(cli(*CREATE, "--grant-type", "client_credentials", "--scope", "stores:read",
                      "--auth-method", "private_key_jwt", "--jwks", jwks_file(tmp_path),
                      "--json"))["client_id"]
    view = ok_json(cli(*UPDATE, cid, "--jwks-uri", "https://keys.example/jwks", "--json"))
    assert (view["jwks_uri"], view["jwks"]) == ("https://keys.example/jwks", None)
    view = ok_json(cli(*UPDATE, cid, "--jwks", jwks_file(tmp_path), "--json"))
    assert view["jwks_uri"] is None and len(view["jwks"]["keys"]) == 1


def test_update_of_web_origins_application_type_and_algorithms(cli: Cli, acme: None) -> None:
    cid = ok_json(cli(*CREATE, "--public", "--redirect-uri", "http://127.0.0.1/cb",
                      "--json"))["client_id"]
    assert show(cli, cid)["application_type"] == "native"
    refused(cli(*UPDATE, cid, "--add-web-origin", "https://spa.example"),
            "web_origin: web origins are for browser apps")
    view = ok_json(cli(*UPDATE, cid, "--add-web-origin", "https://spa.example",
                       "--application-type", "web", "--id-token-alg", "EdDSA", "--json"))
    assert (view["web_origins"], view["application_type"],
            view["id_token_signed_response_alg"]) == (["https://spa.example"], "web", "EdDSA")
    algs = {k["alg"] for k in ok_json(cli("keys", "list", "--tenant", "acme", "--json"))}
    assert "EdDSA" in algs, "choosing an algorithm without a key gives the tenant one"


# --- update: every registration field, and the authentication method ----------------------


def digests(database: Database) -> tuple[str | None, str | None]:
    with database.engine.connect() as conn:
        row = conn.execute(text("SELECT secret_digest, previous_secret_digest FROM clients")
                           ).one()
    return row[0], row[1]


def test_update_changes_every_registration_field_and_keeps_the_secret(
        cli: Cli, acme: None, database: Database) -> None:
    created = web_client(cli)
    cid = created["client_id"]
    view = ok_json(cli(
        *UPDATE, cid, "--name", "Renamed", "--grant-type", "authorization_code",
        "--grant-type", "refresh_token", "--grant-type", "client_credentials",
        "--redirect-uri", "https://new.example/cb",
        "--post-logout-redirect-uri", "https://new.example/bye",
        "--scope", "openid email offline_access", "--auth-method", "client_secret_post",
        "--no-pkce", "--no-state", "--id-token-alg", "PS256", "--access-token-alg", "RS256",
        "--web-origin", "https://new.example", "--application-type", "web",
        "--refresh-token-idle-ttl", "1d", "--refresh-token-absolute-ttl", "10d",
        "--backchannel-logout-uri", "https://new.example/bcl",
        "--backchannel-logout-session-required", "on", "--first-party",
        "--explicit-errors", "on", "--json"))
    expected = {
        "name": "Renamed", "grant_types": ["authorization_code", "refresh_token",
                                           "client_credentials"],
        "redirect_uris": ["https://new.example/cb"],
        "post_logout_redirect_uris": ["https://new.example/bye"],
        "scope": "openid email offline_access",
        "token_endpoint_auth_method": "client_secret_post", "require_pkce": False,
        "require_state": False, "id_token_signed_response_alg": "PS256",
        "access_token_signed_response_alg": "RS256", "web_origins": ["https://new.example"],
        "refresh_token_idle_ttl": 86400, "refresh_token_absolute_ttl": 864000,
        "backchannel_logout_uri": "https://new.example/bcl",
        "backchannel_logout_session_required": True, "first_party": True,
        "explicit_errors": True}
    assert {k: view[k] for k in expected} == expected
    assert show(cli, cid) == {k: v for k, v in view.items() if k != "changed"}, \
        "the change must persist"
    assert "client_secret" not in view, "basic to post shares the secret: none is printed"
    assert digests(database)[0] == hashlib.sha256(
        created["client_secret"].encode()).hexdigest(), "the secret must be kept"


def test_refresh_limits_can_go_back_to_the_tenants(cli: Cli, acme: None) -> None:
    cid = web_client(cli, "--refresh-token-idle-ttl", "1d")["client_id"]
    view = ok_json(cli(*UPDATE, cid, "--refresh-token-idle-ttl", "inherit", "--json"))
    assert view["refresh_token_idle_ttl"] is None and view["changed"] == [
        "refresh_token_idle_ttl"]


def test_leaving_secret_authentication_drops_the_secret(
        cli: Cli, acme: None, database: Database, tmp_path: Path) -> None:
    cid = ok_json(cli(*CREATE, "--grant-type", "client_credentials", "--scope", "stores:read",
                      "--json"))["client_id"]
    ok(cli("client", "rotate-secret", "--tenant", "acme", cid))  # a previous secret too
    view = ok_json(cli(*UPDATE, cid, "--auth-method", "private_key_jwt", "--jwks",
                       jwks_file(tmp_path), "--json"))
    assert view["token_endpoint_auth_method"] == "private_key_jwt"
    assert "client_secret" not in view
    assert digests(database) == (None, None), "a secret that authenticates nothing must go"
    with database.engine.connect() as conn:
        details = conn.execute(text("SELECT details FROM audit_events WHERE action = "
                                    "'client.updated'")).scalar_one()
    details = json.loads(details) if isinstance(details, str) else details
    assert details["client_secret"] == "[redacted]"


def test_taking_up_secret_authentication_prints_a_new_secret_once(
        cli: Cli, acme: None, database: Database, tmp_path: Path) -> None:
    cid = ok_json(cli(*CREATE, "--grant-type", "client_credentials", "--scope", "stores:read",
                      "--auth-method", "private_key_jwt", "--jwks", jwks_file(tmp_path),
                      "--json"))["client_id"]
    out = ok(cli(*UPDATE, cid, "--auth-method", "client_secret_basic")).out
    secret = out.split("client_secret: ")[1].split()[0]
    assert "shown only now" in out
    assert digests(database)[0] == hashlib.sha256(secret.encode()).hexdigest()
    view = show(cli, cid)
    assert (view["jwks"], view["jwks_uri"]) == (None, None), \
        "the key set goes with private_key_jwt"


@pytest.mark.parametrize(("kind", "method", "message"), [
    ("confidential", "none", "auth_method: a confidential client stays confidential"),
    ("public", "client_secret_basic", "auth_method: a public client has no credentials"),
    ("confidential", "private_key_jwt", "auth_method: private_key_jwt needs the client's jwks"),
])
def test_an_impossible_method_change_is_refused(cli: Cli, acme: None, kind: str, method: str,
                                                message: str) -> None:
    extra = ("--public",) if kind == "public" else ()
    cid = web_client(cli, *extra)["client_id"]
    refused(cli(*UPDATE, cid, "--auth-method", method), message)


def test_explicit_errors_forbid_leaving_the_secret(cli: Cli, acme: None,
                                                   tmp_path: Path) -> None:
    cid = web_client(cli, "--explicit-errors")["client_id"]
    refused(cli(*UPDATE, cid, "--auth-method", "private_key_jwt", "--jwks",
                jwks_file(tmp_path)), "explicit_errors: only a confidential client")
