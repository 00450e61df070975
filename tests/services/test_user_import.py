"""Importing users from CSV (issue 11 item 8): good rows are imported as pending
invitees with their invitation mail queued in the outbox; each bad row is rejected
alone with its line, column and reason; file-level problems refuse the whole file;
a row is all or nothing (its roles failing undoes its user, link and mail)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from authserver.runtime import Runtime, admin_context
from authserver.runtime.import_wiring import import_setup
from authserver.runtime.outbox_wiring import outbox_processor
from authserver.services import role_admin, user_admin
from authserver.services.accounts import NewUser
from authserver.services.admin_context import AdminContext
from authserver.services.errors import NotFound
from authserver.services.roles import RoleSpec, direct_roles
from authserver.services.senders import Channel, Senders
from authserver.services.tenant_admin import create_tenant
from authserver.services.user_import import CHUNK, ImportReport, ImportSetup, import_users
from authserver.services.user_import_csv import MAX_BYTES, MAX_ROWS, FileRefused, FileTooLarge
from authserver.storage.models import AccountToken, AuditEvent, OutboxMessage, User
from tests.support.runtimes import make_runtime
from tests.support.senders import RecordingSender

HEADER = "email,given_name,family_name,phone,roles\n"


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def runtime(settings, database, clock, sender) -> Runtime:  # type: ignore[no-untyped-def]
    return make_runtime(settings, database, clock, senders=Senders({Channel.EMAIL: sender}))


@pytest.fixture
def ctx(runtime: Runtime) -> AdminContext:
    ctx = admin_context(runtime, "cli")
    create_tenant(ctx, "acme", None)
    for name in ("admin", "support"):
        role_admin.create_role(ctx, "acme", RoleSpec(name))
    return ctx


def roles_of(runtime: Runtime, user: User) -> list[str]:
    with runtime.database.session() as session:
        return sorted(direct_roles(session, user.tenant_id, user.id))


def run(runtime: Runtime, ctx: AdminContext, text: str, roles: bool = True,
        dry_run: bool = False) -> ImportReport:
    setup = import_setup(runtime, "acme")  # the role service as wired in the runtime
    if not roles:
        setup = ImportSetup(setup.mail, setup.notifier, None)
    return import_users(ctx, "acme", text.encode(), setup, dry_run)


def count(runtime: Runtime, model: type, *where: object) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def users(runtime: Runtime) -> dict[str, User]:
    with runtime.database.session() as session:
        return {u.email: u for u in session.scalars(select(User))}


def rejected(report: ImportReport) -> list[tuple[int, str]]:
    return [(r.row, r.column) for r in report.rejected]


def test_good_rows_become_invited_users_with_their_mail_queued_in_the_outbox(
        runtime: Runtime, ctx: AdminContext, sender: RecordingSender) -> None:
    report = run(runtime, ctx, HEADER + "Ann@Example.com,Ann,Lee,+44 7700 900834,admin;support\n"
                 "bob@example.com,,,,\n")
    assert (report.rows, rejected(report)) == (2, [])
    assert [(r.row, r.email, r.roles, str(r.invitation)) for r in report.imported] == [
        (2, "ann@example.com", ["admin", "support"], "queued"),
        (3, "bob@example.com", [], "queued")]
    stored = users(runtime)
    ann = stored["ann@example.com"]
    assert (ann.given_name, ann.family_name, ann.phone, ann.phone_verified) == (
        "Ann", "Lee", "+447700900834", False)
    assert roles_of(runtime, ann) == ["admin", "support"]
    assert all(u.password_hash is None and u.verification_required for u in stored.values())
    assert count(runtime, AccountToken, AccountToken.purpose == "invitation") == 2
    assert count(runtime, OutboxMessage, OutboxMessage.kind == "notification") == 2, \
        "each invitation mail must be queued in the outbox with its row"
    assert sender.sent == [], "the outbox worker delivers them, not the import"
    outbox_processor(runtime).deliver_due()
    mails = {m.to: m for m in sender.wait_for(2)}
    assert set(mails) == {"ann@example.com", "bob@example.com"}
    assert "/t/acme/invitation?token=" in mails["ann@example.com"].text
    assert count(runtime, AuditEvent, AuditEvent.action == "user.invited") == 2
    assert count(runtime, AuditEvent, AuditEvent.action == "users.imported") == 1


@pytest.mark.parametrize(("line", "column", "reason"), [
    ("not-an-email,Ann,,,", "email", "is not an email address"),
    (",Ann,,,", "email", "required"),
    ("ann@example.com,,,12345,", "phone", "is not a phone number"),
    ("ann@example.com," + "A" * 201 + ",,,", "given_name", "at most 200 characters"),
    ("ann@example.com,,," + "B" * 201 + ",", "phone", "is not a phone number"),
    ("ann@example.com,,," + ",", None, None),
    ("ann@example.com,,,,admin;nobody", "roles", "no role 'nobody'"),
    ("ann@example.com,,,,," + ",", "*", "the row has 7 fields, the header 5"),
])
def test_each_kind_of_bad_row_is_rejected_with_its_line_column_and_reason(
        runtime: Runtime, ctx: AdminContext, line: str, column: str | None,
        reason: str | None) -> None:
    report = run(runtime, ctx, HEADER + "good@example.com,,,,\n" + line + "\n")
    assert [r.email for r in report.imported] == (
        ["good@example.com"] + (["ann@example.com"] if column is None else []))
    if column is None:
        return
    assert len(report.rejected) == 1, report.rejected
    bad = report.rejected[0]
    assert (bad.row, bad.column) == (3, column)
    assert reason in bad.reason, bad.reason
    assert set(users(runtime)) == {"good@example.com"}


def test_a_row_is_all_or_nothing_when_its_roles_fail(runtime: Runtime,
                                                    ctx: AdminContext) -> None:
    report = run(runtime, ctx, HEADER + "ann@example.com,,,,nobody\nbob@example.com,,,,admin\n")
    assert rejected(report) == [(2, "roles")]
    assert set(users(runtime)) == {"bob@example.com"}
    assert count(runtime, AccountToken) == 1 and count(runtime, OutboxMessage) == 1, \
        "the rejected row's invitation link and mail must be rolled back with it"
    created = count(runtime, AuditEvent, AuditEvent.action == "user.created")
    assert created == 1, "the rejected row's audit records must be rolled back too"


def test_without_a_role_service_rows_naming_roles_are_rejected(runtime: Runtime,
                                                              ctx: AdminContext) -> None:
    report = run(runtime, ctx, HEADER + "ann@example.com,,,,admin\nbob@example.com,,,,\n",
                 roles=False)
    assert rejected(report) == [(2, "roles")]
    assert "cannot be assigned" in report.rejected[0].reason


def test_duplicates_within_the_file_and_against_existing_users(runtime: Runtime,
                                                              ctx: AdminContext) -> None:
    user_admin.create_user(ctx, "acme", NewUser("old@example.com", None, phone="+15551230000"))
    report = run(runtime, ctx, HEADER + "\n".join([
        "ann@example.com,,,+15551234567,",
        "ANN@example.com,,,,",  # the same address, other case
        "bob@example.com,,,+1 555 123 4567,",  # the same number, other spelling
        "old@example.com,,,,",
        "carol@example.com,,,+15551230000,",
    ]) + "\n")
    assert [r.email for r in report.imported] == ["ann@example.com"]
    assert [(r.row, r.column, r.reason) for r in report.rejected] == [
        (3, "email", "the same email as row 2"),
        (4, "phone", "the same phone number as row 2"),
        (5, "email", "a user with this email already exists"),
        (6, "phone", "another user has this phone number")]


@pytest.mark.parametrize(("text", "problem"), [
    ("", "the file is empty"),
    ("email,nickname\n", "unknown column(s) 'nickname'"),
    ("given_name,family_name\n", "lacks the required column(s) email"),
    ("email,email\n", "email appear more than once"),
    ('email\n"unterminated\n', "is not valid CSV"),
])
def test_a_bad_file_is_refused_whole(runtime: Runtime, ctx: AdminContext, text: str,
                                     problem: str) -> None:
    with pytest.raises(FileRefused) as refused:
        run(runtime, ctx, text)
    assert problem in refused.value.problem and refused.value.field == "file"
    assert users(runtime) == {}


def test_not_utf8_and_nul_are_refused(ctx: AdminContext, runtime: Runtime) -> None:
    setup = import_setup(runtime, "acme")
    with pytest.raises(FileRefused, match="not UTF-8"):
        import_users(ctx, "acme", b"email\n\xff@example.com\n", setup)
    with pytest.raises(FileRefused, match="NUL"):
        import_users(ctx, "acme", b"email\na\x00@example.com\n", setup)


def test_too_big_and_too_many_rows_are_refused(runtime: Runtime, ctx: AdminContext) -> None:
    with pytest.raises(FileTooLarge, match=f"at most {MAX_BYTES} are accepted"):
        run(runtime, ctx, HEADER + "x" * MAX_BYTES)
    many = "".join(f"u{i}@example.com\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(FileRefused, match=f"more than {MAX_ROWS} rows"):
        run(runtime, ctx, "email\n" + many)
    assert users(runtime) == {}


def test_column_order_bom_blank_lines_and_missing_optional_columns(
        runtime: Runtime, ctx: AdminContext) -> None:
    report = run(runtime, ctx, "\ufeffFamily_Name,EMAIL\r\nLee,ann@example.com\r\n\r\n"
                 "Kim,bob@example.com\r\n")
    assert [(r.row, r.email) for r in report.imported] == [(2, "ann@example.com"),
                                                          (4, "bob@example.com")]
    assert users(runtime)["bob@example.com"].family_name == "Kim"


def test_a_dry_run_reports_and_imports_nothing(runtime: Runtime, ctx: AdminContext) -> None:
    audited = count(runtime, AuditEvent)
    report = run(runtime, ctx, HEADER + "ann@example.com,,,,\nbad,,,,\n", dry_run=True)
    assert report.dry_run and [r.email for r in report.imported] == ["ann@example.com"]
    assert rejected(report) == [(3, "email")]
    assert users(runtime) == {} and count(runtime, OutboxMessage) == 0
    assert count(runtime, AuditEvent) == audited, "a dry run leaves no audit record"


def test_without_an_email_sender_users_are_created_pending(settings, database,  # type: ignore[no-untyped-def]
                                                          clock) -> None:
    runtime = make_runtime(settings, database, clock, senders=Senders({}))
    ctx = admin_context(runtime, "cli")
    create_tenant(ctx, "acme", None)
    report = import_users(ctx, "acme", b"email\nann@example.com\n", import_setup(runtime, "acme"))
    assert [str(r.invitation) for r in report.imported] == ["not_sent"]
    assert users(runtime)["ann@example.com"].verification_required
    assert count(runtime, OutboxMessage) == 0


def test_an_unknown_tenant_is_not_found(runtime: Runtime, ctx: AdminContext) -> None:
    with pytest.raises(NotFound):
        import_users(ctx, "nope", b"email\nann@example.com\n", import_setup(runtime, "nope"))


def test_a_file_longer_than_one_chunk_imports_every_chunk(runtime: Runtime,
                                                          ctx: AdminContext) -> None:
    rows = [f"u{i}@example.com,,,," for i in range(CHUNK * 2 + 10)]
    rows[CHUNK + 5] = "bad,,,,"
    rows[-1] = "u0@example.com,,,,"  # the first row's address, two chunks later
    report = run(runtime, ctx, HEADER + "\n".join(rows) + "\n")
    assert len(report.imported) == CHUNK * 2 + 8
    assert rejected(report) == [(CHUNK + 7, "email"), (CHUNK * 2 + 11, "email")]
    assert len(users(runtime)) == CHUNK * 2 + 8
    assert count(runtime, AuditEvent, AuditEvent.action == "users.imported") == 1
    dry = run(runtime, ctx, HEADER + "\n".join(f"v{i}@example.com" for i in range(CHUNK + 1)),
              dry_run=True)
    assert len(dry.imported) == CHUNK + 1 and len(users(runtime)) == CHUNK * 2 + 8, \
        "a dry run rolls back every chunk"
