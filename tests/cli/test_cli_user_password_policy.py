"""`authserver user set-password --password-stdin` under the tenant's password policy:
a refused password exits non-zero with the plain-language reason and its code, and
nothing changes; history set with `tenant update --password-history` is enforced."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from authserver.storage.database import Database
from tests.cli.support import Cli, ok, ok_json, refused

T = ("--tenant", "acme")
PASSWORD = "correct horse battery staple"
NEW = "a brand new long passphrase 42"


@pytest.fixture
def ann(cli: Cli) -> dict[str, Any]:
    ok(cli("tenant", "create", "acme"))
    return ok_json(cli("user", "create", *T, "--email", "ann@example.com",
                       "--password-stdin", "--json", stdin=PASSWORD + "\n"))


def set_password(cli: Cli, password: str):
    return cli("user", "set-password", *T, "--email", "ann@example.com", "--password-stdin",
               stdin=password + "\n")


def password_hash(database: Database, sub: str) -> str:
    with database.engine.connect() as conn:
        return str(conn.execute(text("SELECT password_hash FROM users WHERE sub = :s"),
                                {"s": sub}).scalar_one())


def test_password_stdin_sets_the_password(cli: Cli, ann: dict[str, Any]) -> None:
    assert ok(set_password(cli, NEW)).out == "password set for ann@example.com\n"


def test_breached_and_weak_passwords_are_refused_with_their_reason(
        cli: Cli, ann: dict[str, Any], database: Database) -> None:
    before = password_hash(database, ann["sub"])
    refused(set_password(cli, "correcthorsebatterystaple"),
            "password: This password is on a list of passwords exposed in data breaches. "
            "Choose another one. (AUTH-3011)")
    refused(set_password(cli, "P@ssw0rd123!"),
            "This password is built around a very common password. Choose another one. "
            "(AUTH-3012)")
    refused(set_password(cli, "shorter pw"), "This password is too short. (AUTH-3001)")
    refused(set_password(cli, "z" * 129), "This password is too long. (AUTH-3002)")
    assert password_hash(database, ann["sub"]) == before, "a refusal must change nothing"


def test_history_refuses_reuse(cli: Cli, ann: dict[str, Any]) -> None:
    ok(cli("tenant", "update", "acme", "--password-history", "3"))
    refused(set_password(cli, PASSWORD),
            "You have used this password before. Choose one you have not used recently. "
            "(AUTH-3004)")
    ok(set_password(cli, NEW))
    refused(set_password(cli, PASSWORD), "(AUTH-3004)")
    refused(set_password(cli, NEW), "(AUTH-3004)")


def test_the_tenant_minimum_length_applies(cli: Cli, ann: dict[str, Any]) -> None:
    ok(cli("tenant", "update", "acme", "--password-min-length", "32"))
    refused(set_password(cli, NEW), "This password is too short. (AUTH-3001)")


def test_user_create_with_a_breached_password_is_refused(cli: Cli,
                                                         ann: dict[str, Any]) -> None:
    refused(cli("user", "create", *T, "--email", "bob@example.com", "--password-stdin",
                stdin="correcthorsebatterystaple\n"), "(AUTH-3011)")
    refused(cli("user", "show", *T, "--email", "bob@example.com"), "no user")
