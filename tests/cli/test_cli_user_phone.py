"""`authserver user create|update --phone`: numbers are stored in E.164, unique per
tenant, unverified unless the operator says so; and a phone number signs in like an
email address or a user name (services/authentication.py)."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from authserver.services.authentication import authenticate_password
from authserver.storage.database import Database
from tests.cli.support import Cli, ok, ok_json, refused

T = ("--tenant", "acme")
PASSWORD = "correct horse battery staple"


def show(cli: Cli, email: str) -> dict[str, Any]:
    return ok_json(cli("user", "show", *T, "--email", email, "--json"))


@pytest.fixture
def acme(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))


def test_create_stores_the_number_in_e164_and_unverified_by_default(cli: Cli, acme) -> None:
    ok(cli("user", "create", *T, "--email", "ann@example.com", "--phone",
           "+1 (555) 123-4567"))
    shown = show(cli, "ann@example.com")
    assert (shown["phone"], shown["phone_verified"]) == ("+15551234567", False)
    ok(cli("user", "create", *T, "--email", "bob@example.com", "--phone", "+442071838750",
           "--phone-verified"))
    assert show(cli, "bob@example.com")["phone_verified"] is True


def test_create_refuses_a_non_number_a_taken_number_and_a_flag_without_number(
        cli: Cli, acme) -> None:
    refused(cli("user", "create", *T, "--email", "ann@example.com", "--phone", "555-1234"),
            "is not a phone number in international form")
    ok(cli("user", "create", *T, "--email", "ann@example.com", "--phone", "+15551234567"))
    refused(cli("user", "create", *T, "--email", "bob@example.com", "--phone",
                "+1 555 123 4567"), "phone number +15551234567 belongs to another user")
    refused(cli("user", "create", *T, "--email", "bob@example.com", "--phone-verified"),
            "--phone-verified needs --phone", status=2)


def test_update_sets_changes_verifies_and_removes_the_number(cli: Cli, acme) -> None:
    ok(cli("user", "create", *T, "--email", "ann@example.com"))
    refused(cli("user", "update", *T, "--email", "ann@example.com", "--phone-verified"),
            "the user has no phone number to verify")
    out = ok_json(cli("user", "update", *T, "--email", "ann@example.com", "--phone",
                      "+15551234567", "--phone-verified", "--json"))
    assert (out["phone"], out["phone_verified"], out["changed"]) == (
        "+15551234567", True, ["phone", "phone_verified"])
    out = ok_json(cli("user", "update", *T, "--email", "ann@example.com", "--phone",
                      "+15557654321", "--json"))
    assert (out["phone"], out["phone_verified"]) == ("+15557654321", False), \
        "a changed number must become unverified"
    out = ok_json(cli("user", "update", *T, "--email", "ann@example.com", "--no-phone",
                      "--json"))
    assert (out["phone"], out["phone_verified"]) == (None, False)
    refused(cli("user", "update", *T, "--email", "ann@example.com", "--phone", "+15551234567",
                "--no-phone"), "--phone and --no-phone contradict each other", status=2)


def test_a_phone_number_in_any_spelling_is_a_sign_in_identifier(
        cli: Cli, acme, database: Database, runtime) -> None:
    check = functools.partial(authenticate_password, database, runtime.passwords)
    ok(cli("user", "create", *T, "--email", "ann@example.com", "--username", "ann",
           "--phone", "+15551234567", "--password-stdin", stdin=PASSWORD + "\n"))
    with database.unit_of_work() as uow:
        tenant_id = uow.tenants.by_slug("acme").id
    found = {typed: check(tenant_id, typed, PASSWORD)
             for typed in ("+15551234567", "+1 555-123-4567", "ann", "ann@example.com")}
    assert len(set(found.values())) == 1 and None not in found.values(), found
    assert check(tenant_id, "+15550000000", PASSWORD) is None
    assert check(tenant_id, "+15551234567", "wrong") is None
