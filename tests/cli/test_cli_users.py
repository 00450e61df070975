"""`authserver user create|list|show|update|set-password`: operators can look after
accounts after creating them, and a user without a password is told how to get one."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from authserver.storage.database import Database
from tests.cli.support import Cli, ok, ok_json, refused

T = ("--tenant", "acme")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def ann(cli: Cli) -> dict[str, Any]:
    ok(cli("tenant", "create", "acme"))
    return ok_json(cli("user", "create", *T, "--email", "ann@example.com", "--username",
                       "ann", "--given-name", "Ann", "--family-name", "Lee",
                       "--email-verified", "--password-stdin", "--json",
                       stdin=PASSWORD + "\n"))


def stored(database: Database, column: str, sub: str) -> Any:
    with database.engine.connect() as conn:
        return conn.execute(text(f"SELECT {column} FROM users WHERE sub = :s"),
                            {"s": sub}).scalar_one()


def audited(database: Database, action: str) -> int:
    with database.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM audit_events WHERE action = :a"),
                                {"a": action}).scalar_one())


def test_user_create_without_a_password_says_how_the_user_gets_one(cli: Cli,
                                                                   ann: dict[str, Any]) -> None:
    assert ann["password_set"] is True
    out = ok(cli("user", "create", *T, "--email", "bob@example.com")).out
    assert out.splitlines()[1] == (
        "no password: bob@example.com cannot sign in until an operator runs "
        "`authserver user set-password --tenant acme --email bob@example.com` "
        "(or `authserver user invite`)")
    carol = ok_json(cli("user", "create", *T, "--email", "carol@example.com", "--json"))
    assert set(carol) == {"sub", "email", "password_set"} and carol["password_set"] is False


def test_user_show_and_list_never_print_the_password_hash(cli: Cli, ann: dict[str, Any]) -> None:
    shown = ok_json(cli("user", "show", *T, "--email", "ANN@example.com", "--json"))
    assert {k: shown[k] for k in ("sub", "email", "email_verified", "username", "given_name",
                                  "family_name", "disabled", "password_set")} == {
        "sub": ann["sub"], "email": "ann@example.com", "email_verified": True,
        "username": "ann", "given_name": "Ann", "family_name": "Lee", "disabled": False,
        "password_set": True}
    assert ok_json(cli("user", "show", *T, "--sub", ann["sub"], "--json")) == shown
    ok(cli("user", "create", *T, "--email", "bob@example.com"))
    listed = ok_json(cli("user", "list", *T, "--json"))
    assert [u["email"] for u in listed] == ["ann@example.com", "bob@example.com"]
    assert [u["email"] for u in ok_json(cli("user", "list", *T, "--limit", "1",
                                            "--json"))] == ["ann@example.com"]
    for out in (cli("user", "list", *T, "--json").out, cli("user", "show", *T, "--email",
                                                            "ann@example.com").out):
        assert "argon2" not in out and "password_hash" not in out


def test_user_show_refusals(cli: Cli, ann: dict[str, Any]) -> None:
    refused(cli("user", "show", *T, "--email", "nobody@example.com"),
            "no user 'nobody@example.com' in this tenant")
    refused(cli("user", "show", *T, "--sub", "nope"), "no user 'nope' in this tenant")
    refused(cli("user", "show", *T), "name the user with --email or --sub (exactly one)", 2)
    refused(cli("user", "show", *T, "--email", "ann@example.com", "--sub", ann["sub"]),
            "name the user with --email or --sub (exactly one)", 2)
    refused(cli("user", "list", *T, "--limit", "0"), "Invalid value for '--limit'", 2)


def test_user_update_changes_the_profile_and_is_audited(cli: Cli, ann: dict[str, Any],
                                                        database: Database) -> None:
    view = ok_json(cli("user", "update", *T, "--email", "ann@example.com", "--new-email",
                       "Ann.Lee@Example.com", "--username", "annlee", "--no-family-name",
                       "--json"))
    assert view["changed"] == ["email", "email_verified", "family_name", "username"]
    assert (view["email"], view["username"], view["family_name"]) == (
        "ann.lee@example.com", "annlee", None)
    assert view["email_verified"] is False, "nobody has shown they receive mail there yet"
    assert audited(database, "user.updated") == 1
    view = ok_json(cli("user", "update", *T, "--sub", ann["sub"], "--email-verified",
                       "--given-name", "Annie", "--json"))
    assert (view["email_verified"], view["given_name"]) == (True, "Annie")
    assert stored(database, "password_hash", ann["sub"]).startswith("$argon2id$"), \
        "an update must not touch the password"


def test_user_update_refusals(cli: Cli, ann: dict[str, Any]) -> None:
    ok(cli("user", "create", *T, "--email", "bob@example.com", "--username", "bob"))
    update = ("user", "update", *T, "--email", "ann@example.com")
    refused(cli(*update, "--new-email", "BOB@example.com"),
            "a user with email bob@example.com already exists in this tenant")
    refused(cli(*update, "--username", "bob"), "username 'bob' is taken in this tenant")
    refused(cli(*update, "--new-email", "not-an-email"),
            "email: 'not-an-email' is not an email address")
    refused(cli(*update, "--username", ""),
            "username: use 1-150 letters, digits, dots, dashes, underscores")
    refused(cli(*update, "--given-name", "  "),
            "given_name: must not be empty or only white space (to remove it: user update "
            "--no-given-name)")
    refused(cli(*update), "nothing to update; give at least one of --new-email", 2)
    refused(cli(*update, "--username", "x", "--no-username"),
            "--username and --no-username contradict each other", 2)
    assert ok(cli(*update, "--username", "ann")).out == \
        "user ann@example.com already had these values; nothing changed\n"


def test_a_concurrent_duplicate_is_a_refusal_not_a_database_error(
    cli: Cli, ann: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from authserver.storage.repositories import UserRepository

    ok(cli("user", "create", *T, "--email", "bob@example.com", "--username", "bob"))
    # As if bob took the name between our check and our write: the unique constraint
    # decides, and must give the same kind of answer as the check.
    monkeypatch.setattr(UserRepository, "by_username", lambda self, name: None)
    refused(cli("user", "update", *T, "--email", "ann@example.com", "--username", "bob"),
            "another user took that email or username just now; try again")


def test_set_password_reads_stdin_and_stores_an_argon2id_hash(cli: Cli, ann: dict[str, Any],
                                                              database: Database) -> None:
    ok(cli("user", "create", *T, "--email", "bob@example.com"))
    out = ok(cli("user", "set-password", *T, "--email", "bob@example.com",
                 stdin="a new long passphrase\n")).out
    assert out == "password set for bob@example.com\n"
    bob = ok_json(cli("user", "show", *T, "--email", "bob@example.com", "--json"))
    assert bob["password_set"] is True and bob["password_changed_at"]
    digest = stored(database, "password_hash", bob["sub"])
    assert digest.startswith("$argon2id$") and "passphrase" not in digest
    assert audited(database, "user.password_set") == 1


def test_set_password_refusals(cli: Cli, ann: dict[str, Any]) -> None:
    command = ("user", "set-password", *T, "--email", "ann@example.com")
    refused(cli(*command, stdin="short\n"),
            "password: This password is too short. (AUTH-3001)")
    refused(cli(*command, stdin=""), "password: nothing was read from standard input")
    refused(cli("user", "set-password", *T, "--email", "x@example.com",
                stdin="long enough pw\n"), "no user 'x@example.com' in this tenant")
    refused(cli("user", "set-password", *T, stdin="long enough pw\n"),
            "name the user with --email or --sub (exactly one)", status=2)


def test_user_create_refuses_empty_optional_fields(cli: Cli, ann: dict[str, Any]) -> None:
    create = ("user", "create", *T, "--email", "dan@example.com")
    refused(cli(*create, "--username", ""),
            "username: use 1-150 letters, digits, dots, dashes, underscores")
    refused(cli(*create, "--family-name", " "),
            "family_name: must not be empty or only white space")
