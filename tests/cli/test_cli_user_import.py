"""`authserver user import --tenant T FILE.csv [--json] [--dry-run]`: the report is
printed (exit 1 when any row was rejected), a bad file is one line on stderr, and the
invitations leave through the outbox (`authserver worker --once` delivers them to a
real SMTP sink)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from authserver.services.user_import_csv import MAX_BYTES
from authserver.storage.database import Database
from tests.cli.support import Cli, ok, ok_json, refused
from tests.cli.test_cli_users import audited
from tests.support.mail_sink import MailSink

T = ("--tenant", "acme")
HEADER = "email,given_name,family_name,phone,roles\n"


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail") as running:
        for name, value in running.environ().items():
            monkeypatch.setenv(name, value)
        yield running


@pytest.fixture
def acme(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))


def csv_file(tmp_path: Path, text: str, name: str = "users.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_clean_file_imports_every_row_and_the_worker_mails_the_invitations(
        cli: Cli, acme: None, sink: MailSink, tmp_path: Path, database: Database) -> None:
    path = csv_file(tmp_path, HEADER + "ann@example.com,Ann,Lee,+15551234567,\n"
                    "bob@example.com,Bob,,,\n")
    out = ok_json(cli("user", "import", *T, path, "--json"))
    assert (out["rows"], out["imported_count"], out["rejected_count"]) == (2, 2, 0)
    assert [(r["row"], r["email"], r["invitation"]) for r in out["imported"]] == [
        (2, "ann@example.com", "queued"), (3, "bob@example.com", "queued")]
    shown = ok_json(cli("user", "show", *T, "--email", "ann@example.com", "--json"))
    assert (shown["invitation_pending"], shown["phone"]) == (True, "+15551234567")
    delivered = ok(cli("worker", "--once")).out
    assert "delivered=2" in delivered, delivered
    text = str(sink.wait_for("bob@example.com").message.get_content())
    assert re.search(r"/t/acme/invitation\?token=[\w\-]+", text), text
    assert audited(database, "users.imported") == 1


def test_rejected_rows_are_reported_and_exit_1(cli: Cli, acme: None, sink: MailSink,
                                               tmp_path: Path) -> None:
    path = csv_file(tmp_path, HEADER + "ann@example.com,,,,\nnot-an-email,,,,\n"
                    "ann@example.com,,,,\ncarol@example.com,,,12,\n")
    result = cli("user", "import", *T, path)
    assert result.status == 1, result.err
    assert result.out.splitlines() == [
        "imported 1 of 4 rows; 3 rejected",
        f"line 2: ann@example.com (sub {result.out.split('(sub ')[1].split(')')[0]})",
        "line 3: rejected, email: 'not-an-email' is not an email address",
        "line 4: rejected, email: the same email as row 2",
        "line 5: rejected, phone: '12' is not a phone number in international form "
        "(e.g. +15551234567)"]
    again = cli("user", "import", *T, path, "--json")
    assert again.status == 1
    assert "a user with this email already exists" in again.out, \
        "importing the same file again rejects the rows already imported"


def test_a_bad_file_is_one_line_on_stderr(cli: Cli, acme: None, tmp_path: Path) -> None:
    refused(cli("user", "import", *T, csv_file(tmp_path, "email,nickname\n")),
            "file: unknown column(s) 'nickname' in the header")
    refused(cli("user", "import", *T, csv_file(tmp_path, "given_name\nAnn\n")),
            "lacks the required column(s) email")
    big = csv_file(tmp_path, "email\n" + "x" * MAX_BYTES, "big.csv")
    refused(cli("user", "import", *T, big), f"larger than {MAX_BYTES} bytes")
    refused(cli("user", "import", "--tenant", "nope", csv_file(tmp_path, "email\n")), "nope")
    refused(cli("user", "import", *T, str(tmp_path / "missing.csv")), "does not exist", 2)


def test_dry_run_reports_without_importing(cli: Cli, acme: None, sink: MailSink,
                                           tmp_path: Path) -> None:
    path = csv_file(tmp_path, "email\nann@example.com\n")
    out = ok(cli("user", "import", *T, path, "--dry-run")).out
    assert out.startswith("would import 1 of 1 rows; 0 rejected\n"), out
    assert ok_json(cli("user", "list", *T, "--json")) == []
    assert "delivered=0" in ok(cli("worker", "--once")).out
