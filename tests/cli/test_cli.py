"""The `authserver` command: each subcommand, its --json output, and its error paths."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import text

from authserver.storage.database import Database
from tests.cli.support import Cli, ok, refused


def test_db_upgrade_creates_the_default_tenant_and_is_idempotent(cli: Cli) -> None:
    assert "created tenant 'default'" in ok(cli("db", "upgrade")).out
    assert "created" not in ok(cli("db", "upgrade")).out
    tenants = json.loads(ok(cli("tenant", "list", "--json")).out)
    assert [t["slug"] for t in tenants] == ["default"]


def test_tenant_create_and_show_report_the_issuer(cli: Cli) -> None:
    created = json.loads(ok(cli("tenant", "create", "acme", "--name", "Acme Corp", "--json")).out)
    assert created["issuer"] == "http://127.0.0.1:8000/t/acme"
    shown = json.loads(ok(cli("tenant", "show", "acme", "--json")).out)
    assert shown["slug"] == "acme" and shown["display_name"] == "Acme Corp"
    assert shown["issuer"] == created["issuer"]
    assert shown["jwks_uri"] == "http://127.0.0.1:8000/t/acme/jwks"


def test_tenant_errors(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    refused(cli("tenant", "create", "acme"), "already exists")
    refused(cli("tenant", "create", "Bad_Slug"), "not a valid tenant slug")
    refused(cli("tenant", "show", "nope"), "no tenant 'nope'")
    refused(cli("tenant", "frobnicate"), "No such command", status=2)


def test_confidential_client_secret_is_shown_once_and_stored_as_a_digest(
    cli: Cli, database: Database
) -> None:
    ok(cli("tenant", "create", "acme"))
    out = json.loads(ok(cli(
        "client", "create", "--tenant", "acme", "--name", "Web", "--redirect-uri",
        "https://app.example/cb", "--scope", "openid profile", "--json")).out)
    assert set(out) == {"client_id", "client_secret"}
    secret = out["client_secret"]
    assert len(secret) >= 43, "secrets must carry at least 256 bits"
    with database.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM clients WHERE client_id = :c"),
                           {"c": out["client_id"]}).mappings().one()
    assert row["secret_digest"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps({k: str(v) for k, v in row.items()}), "plaintext secret stored"
    shown = ok(cli("client", "show", "--tenant", "acme", out["client_id"], "--json")).out
    assert secret not in shown and "digest" not in shown, "show must never print the secret"
    assert json.loads(shown)["redirect_uris"] == ["https://app.example/cb"]
    assert json.loads(shown)["name"] == "Web", "the registered name must be kept"


def test_public_and_client_credentials_clients(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    public = json.loads(ok(cli(
        "client", "create", "--tenant", "acme", "--name", "SPA", "--public",
        "--redirect-uri", "http://127.0.0.1:5173/cb", "--json")).out)
    assert set(public) == {"client_id"}, "public clients get no secret"
    shown = json.loads(ok(cli("client", "show", "--tenant", "acme", public["client_id"],
                              "--json")).out)
    assert shown["token_endpoint_auth_method"] == "none" and shown["require_pkce"] is True
    service = json.loads(ok(cli(
        "client", "create", "--tenant", "acme", "--name", "Svc", "--grant-type",
        "client_credentials", "--scope", "stores:read", "--auth-method", "client_secret_post",
        "--first-party", "--json")).out)
    assert "client_secret" in service
    listed = json.loads(ok(cli("client", "list", "--tenant", "acme", "--json")).out)
    assert {c["client_id"] for c in listed} == {public["client_id"], service["client_id"]}


def test_client_registration_errors(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    base = ("client", "create", "--tenant", "acme", "--name", "X")
    refused(cli(*base, "--redirect-uri", "https://*.example/cb"), "wildcard")
    refused(cli(*base, "--redirect-uri", "https://app.example/cb#frag"), "fragment")
    refused(cli(*base, "--redirect-uri", "http://app.example/cb"), "must use https")
    refused(cli(*base, "--redirect-uri", "https://user@app.example/cb"), "user information")
    refused(cli(*base, "--redirect-uri", "javascript:alert(1)"), "forbidden scheme")
    refused(cli(*base, "--redirect-uri", "com.example.app:/cb"), "only native (public)")
    refused(cli(*base), "need a redirect URI")
    refused(cli(*base, "--public", "--grant-type", "client_credentials"),
            "public clients cannot use client_credentials")
    refused(cli(*base, "--grant-type", "password"), "Invalid value", status=2)
    refused(cli(*base, "--grant-type", "client_credentials", "--auth-method", "private_key_jwt"),
            "needs the client's jwks")
    refused(cli(*base, "--grant-type", "client_credentials", "--scope", 'bad"scope'),
            "not a valid scope")
    refused(cli("client", "create", "--tenant", "nope", "--name", "X"), "no tenant 'nope'")
    refused(cli("client", "show", "--tenant", "acme", "missing"), "no client 'missing'")


def test_private_key_jwt_client_with_a_jwks_file(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from jwcrypto.jwk import JWK

    ok(cli("tenant", "create", "acme"))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [JWK.generate(kty="EC", crv="P-256").export_public(
        as_dict=True)]}))
    out = json.loads(ok(cli("client", "create", "--tenant", "acme", "--name", "M2M",
                            "--grant-type", "client_credentials", "--scope", "stores:read",
                            "--auth-method", "private_key_jwt", "--jwks", str(jwks),
                            "--json")).out)
    assert set(out) == {"client_id"}, "private_key_jwt clients get no shared secret"
    (tmp_path / "bad.json").write_text("[1, 2]")
    refused(cli("client", "create", "--tenant", "acme", "--name", "M2M", "--grant-type",
                "client_credentials", "--scope", "stores:read", "--auth-method",
                "private_key_jwt", "--jwks", str(tmp_path / "bad.json")), "is not a JWK Set")


def test_client_delete(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    cid = json.loads(ok(cli("client", "create", "--tenant", "acme", "--name", "X",
                            "--grant-type", "client_credentials", "--scope", "stores:read",
                            "--json")).out)["client_id"]
    ok(cli("client", "delete", "--tenant", "acme", cid))
    refused(cli("client", "show", "--tenant", "acme", cid), "no client")
    refused(cli("client", "delete", "--tenant", "acme", cid), "no client")


def test_user_create_reads_the_password_from_stdin(cli: Cli, database: Database) -> None:
    ok(cli("tenant", "create", "acme"))
    out = json.loads(ok(cli("user", "create", "--tenant", "acme", "--email", "Ann@Example.COM",
                            "--username", "ann", "--given-name", "Ann", "--password-stdin",
                            "--json", stdin="correct horse battery staple\n")).out)
    assert out["sub"] and out["email"] == "ann@example.com"
    with database.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users WHERE sub = :s"),
                              {"s": out["sub"]}).scalar_one()
    assert stored.startswith("$argon2id$"), f"passwords must be argon2id hashes: {stored[:12]}"
    assert "correct horse" not in stored


def test_user_create_errors(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    base = ("user", "create", "--tenant", "acme", "--password-stdin")
    refused(cli(*base, "--email", "not-an-email", stdin="long enough pw\n"),
            "is not an email address")
    refused(cli(*base, "--email", "a@example.com", stdin="short\n"),
            "This password is too short. (AUTH-3001)")
    refused(cli(*base, "--email", "a@example.com", stdin=""), "nothing was read")
    ok(cli(*base, "--email", "a@example.com", stdin="long enough pw\n"))
    refused(cli(*base, "--email", "A@example.com", stdin="long enough pw\n"), "already exists")


def test_keys_list_rotate_and_revoke(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    before = json.loads(ok(cli("keys", "list", "--tenant", "acme", "--json")).out)
    assert sorted((k["alg"], k["state"]) for k in before) == [("ES256", "active"),
                                                             ("RS256", "active")]
    rotated = json.loads(ok(cli("keys", "rotate", "--tenant", "acme", "--json")).out)
    assert sorted(k["alg"] for k in rotated) == ["ES256", "RS256"]
    assert {k["state"] for k in rotated} == {"published"}, "new keys must not sign at once"
    after = json.loads(ok(cli("keys", "list", "--tenant", "acme", "--json")).out)
    assert len(after) == 4
    refused(cli("keys", "rotate", "--tenant", "acme"), "already scheduled")
    ok(cli("keys", "rotate", "--tenant", "acme", "--alg", "EdDSA", "--immediate"))
    kid = before[0]["kid"]
    # "--": a kid is a base64url thumbprint and may start with "-".
    assert "revoked" in ok(cli("keys", "revoke", "--tenant", "acme", "--", kid)).out
    refused(cli("keys", "revoke", "--tenant", "acme", "--", kid), "already revoked")
    refused(cli("keys", "revoke", "--tenant", "acme", "nope"), "no key 'nope'")
    refused(cli("keys", "rotate", "--tenant", "acme", "--alg", "HS256"), "Invalid value", 2)


def test_an_unmigrated_database_gives_a_clear_error(cli: Cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AUTHSERVER_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    refused(cli("tenant", "list"), "authserver db upgrade")


def test_tenant_update_sets_refresh_limits(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    view = json.loads(ok(cli("tenant", "update", "acme", "--name", "Acme Inc",
                             "--refresh-token-idle-ttl", "1d", "--refresh-token-absolute-ttl",
                             "14d", "--json")).out)
    assert view["display_name"] == "Acme Inc"
    assert (view["refresh_token_idle_ttl"], view["refresh_token_absolute_ttl"]) == (86400,
                                                                                   14 * 86400)
    refused(cli("tenant", "update", "acme", "--refresh-token-idle-ttl", "30d"),
            "must not exceed the absolute limit")
    refused(cli("tenant", "update", "acme", "--refresh-token-idle-ttl", "soon"),
            "duration", status=2)
    refused(cli("tenant", "update", "nope", "--name", "x"), "no tenant 'nope'")


def test_client_token_algorithms_and_refresh_limits(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    cid = json.loads(ok(cli(
        "client", "create", "--tenant", "acme", "--name", "RS", "--redirect-uri",
        "https://app.example/cb", "--access-token-alg", "RS256", "--id-token-alg", "PS256",
        "--refresh-token-idle-ttl", "2h", "--refresh-token-absolute-ttl", "1d",
        "--json")).out)["client_id"]
    shown = json.loads(ok(cli("client", "show", "--tenant", "acme", cid, "--json")).out)
    assert shown["access_token_signed_response_alg"] == "RS256"
    assert shown["id_token_signed_response_alg"] == "PS256"
    assert (shown["refresh_token_idle_ttl"], shown["refresh_token_absolute_ttl"]) == (7200,
                                                                                     86400)
    refused(cli("client", "create", "--tenant", "acme", "--name", "X", "--redirect-uri",
                "https://app.example/cb", "--refresh-token-idle-ttl", "2d",
                "--refresh-token-absolute-ttl", "1d"), "must not exceed the absolute limit")


def test_user_disable_ends_sessions_and_enable_restores(cli: Cli, database: Database) -> None:
    ok(cli("tenant", "create", "acme"))
    ok(cli("user", "create", "--tenant", "acme", "--email", "ann@example.com",
           "--password-stdin", stdin="long enough pw\n"))
    assert "disabled" in ok(cli("user", "disable", "--tenant", "acme", "--email",
                                "ann@example.com")).out
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT disabled FROM users")).scalar_one() in (True, 1)
    ok(cli("user", "enable", "--tenant", "acme", "--email", "ANN@example.com"))
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT disabled FROM users")).scalar_one() in (False, 0)
    refused(cli("user", "disable", "--tenant", "acme", "--email", "bob@example.com"),
            "no user")


def test_choosing_an_algorithm_without_a_key_gives_the_tenant_one(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    ok(cli("client", "create", "--tenant", "acme", "--name", "Ed", "--grant-type",
           "client_credentials", "--scope", "stores:read", "--access-token-alg", "EdDSA"))
    algs = {k["alg"] for k in json.loads(ok(cli("keys", "list", "--tenant", "acme",
                                                "--json")).out)}
    assert algs == {"ES256", "RS256", "EdDSA"}, f"an EdDSA key must be created: {algs}"


def test_db_purge_reports_what_it_deleted(cli: Cli) -> None:
    ok(cli("db", "upgrade"))
    out = ok(cli("db", "purge")).out
    assert "authorization_codes: 0" in out and "signing_keys: 0" in out, out


def test_a_different_master_key_cannot_create_tenants(cli: Cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ok(cli("tenant", "create", "acme"))
    monkeypatch.setenv("AUTHSERVER_MASTER_KEY", "cd" * 32)
    refused(cli("tenant", "create", "globex"), "is not the one this database uses")


def test_generated_client_ids_never_look_like_options() -> None:
    from authserver.services.clients import new_client_id

    ids = [new_client_id() for _ in range(2000)]
    assert all(i.isalnum() and len(i) == 24 for i in ids), \
        "generated client_ids must be letters and digits only (a leading '-' breaks CLIs)"
    assert len(set(ids)) == len(ids)


def test_a_repeated_alg_rotates_that_algorithm_once(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))
    rotated = json.loads(ok(cli("keys", "rotate", "--tenant", "acme", "--alg", "ES256",
                                "--alg", "ES256", "--json")).out)
    assert [k["alg"] for k in rotated] == ["ES256"], f"one successor per algorithm: {rotated}"
