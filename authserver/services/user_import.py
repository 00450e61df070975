"""Importing users from a CSV file (issue 11 item 8): ``authserver user import`` and
``POST /admin/api/v1/tenants/<slug>/users:import``.

The file is checked as a whole first (services/user_import_csv.py: size, rows, header,
encoding); a file-level problem refuses it and nothing is imported. Then every row is
imported or rejected on its own: the good rows of a file with bad rows are imported,
and the report names each rejected row (line, column, reason), as the established
providers' bulk imports do, so a file is fixed and re-imported for its rejected rows
only. A row is all or nothing: its user, roles, invitation link, queued mail and audit
records are written inside one savepoint, rolled back together when any part fails.
Rows are committed :data:`CHUNK` at a time (an interrupted import keeps the chunks
before it; importing the file again rejects those rows as existing); ``dry_run`` runs
every check and rolls every chunk back.

Each imported user is a pending invitee (services/invitations.py): no password, an
invitation link valid 7 days, its mail queued in the outbox in the same transaction and
delivered by the outbox worker (``authserver worker`` or a server process). Without an
email sender the account is created pending and the report says the mail was not sent;
``authserver user invite`` (or ``POST …/users/<sub>:invite``) sends one later.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError

from authserver.services import accounts, invitations
from authserver.services.accounts import NewUser
from authserver.services.admin_context import AdminContext
from authserver.services.errors import Conflict, InvalidInput
from authserver.services.invitation_admin import InvitationMail
from authserver.services.notifications import Notifier
from authserver.services.senders import Channel
from authserver.services.tenants import get_tenant
from authserver.services.user_import_csv import CsvRow, Rejection, parse
from authserver.storage.models import Tenant, User
from authserver.storage.savepoints import begin_with_savepoints, savepoint
from authserver.storage.unit_of_work import UnitOfWork


class RoleAssigner(Protocol):
    """Gives ``user`` the tenant's roles named ``names`` in the caller's unit of work
    (auditing it); raises :class:`InvalidInput` (field ``roles``) naming any role the
    tenant does not have. services/roles.assign_roles_by_name is wired in as one."""

    def __call__(self, uow: UnitOfWork, tenant_id: int, user: User, names: Sequence[str],
                 actor: str) -> object: ...


class Invitation(enum.StrEnum):
    QUEUED = "queued"  # the mail is in the outbox
    NOT_SENT = "not_sent"  # no email sender: the account awaits `user invite`


@dataclass(frozen=True, slots=True)
class ImportedRow:
    row: int
    sub: str
    email: str
    roles: list[str]
    invitation: Invitation


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    imported: list[ImportedRow] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "imported_count": len(self.imported),
                "rejected_count": len(self.rejected), "dry_run": self.dry_run,
                "imported": [{**asdict(r), "invitation": str(r.invitation)}
                             for r in self.imported],
                "rejected": [asdict(r) for r in sorted(self.rejected, key=lambda r: r.row)]}


@dataclass(frozen=True, slots=True)
class ImportSetup:
    """What the import needs from the runtime: how invitations leave (the outbox
    Notifier and the tenant's invitation page) and, once roles exist, who assigns them."""

    mail: InvitationMail
    notifier: Notifier
    roles: RoleAssigner | None = None


# Rows per unit of work (see _import_chunk).
CHUNK = 100


class _DryRun(Exception):
    """Raised at the end of a dry run to roll its unit of work back."""


def import_users(ctx: AdminContext, tenant_slug: str, data: bytes, setup: ImportSetup,
                 dry_run: bool = False) -> ImportReport:
    """Import the users of the CSV file ``data``; raises FileRefused (an InvalidInput)
    for a file-level problem, NotFound for an unknown tenant."""
    parsed = parse(data)
    report = ImportReport(parsed.total, rejected=list(parsed.rejected), dry_run=dry_run)
    chunks = [parsed.rows[i:i + CHUNK] for i in range(0, len(parsed.rows), CHUNK)] or [[]]
    for index, chunk in enumerate(chunks):
        _import_chunk(ctx, tenant_slug, setup, chunk, report, last=index == len(chunks) - 1)
    return report


def _import_chunk(ctx: AdminContext, tenant_slug: str, setup: ImportSetup,
                  rows: list[CsvRow], report: ImportReport, last: bool) -> None:
    """One unit of work for up to CHUNK rows: SQLite has one writer at a time, and a
    whole file in one transaction would hold sign-ins' writes back for its duration."""
    try:
        with ctx.database.unit_of_work() as uow:
            tenant = get_tenant(uow.session, tenant_slug)
            begin_with_savepoints(uow)
            for row in rows:
                _import_row(uow, ctx, tenant, setup, row, report)
            if last:
                uow.audit(tenant.id).record(ctx.actor, "users.imported", None,
                                            rows=report.rows, imported=len(report.imported),
                                            rejected=len(report.rejected))
            if report.dry_run:
                raise _DryRun
    except _DryRun:
        pass


def _import_row(uow: UnitOfWork, ctx: AdminContext, tenant: Tenant, setup: ImportSetup,
                row: CsvRow, report: ImportReport) -> None:
    if (taken := _taken(uow, tenant.id, row)) is not None:
        report.rejected.append(taken)
        return
    if row.roles and setup.roles is None:
        report.rejected.append(Rejection(row.row, "roles", "roles cannot be assigned by "
                                         "this server yet; leave the cell empty"))
        return
    try:
        with savepoint(uow):
            user = _create(uow, ctx, tenant, setup, row)
    except InvalidInput as bad:
        report.rejected.append(Rejection(row.row, bad.field, bad.problem))
        return
    except (Conflict, IntegrityError):
        # Created by a concurrent request between the check above and this insert.
        report.rejected.append(Rejection(row.row, "email", "a user with this email, or "
                                         "this phone number, was created meanwhile"))
        return
    invitation = Invitation.QUEUED if setup.notifier.can_send(Channel.EMAIL) \
        else Invitation.NOT_SENT
    report.imported.append(ImportedRow(row.row, user.sub, user.email, list(row.roles),
                                       invitation))


def _taken(uow: UnitOfWork, tenant_id: int, row: CsvRow) -> Rejection | None:
    users = uow.users(tenant_id)
    if users.by_email(row.email) is not None:
        return Rejection(row.row, "email", "a user with this email already exists")
    if row.phone is not None and users.by_phone(row.phone) is not None:
        return Rejection(row.row, "phone", "another user has this phone number")
    return None


def _create(uow: UnitOfWork, ctx: AdminContext, tenant: Tenant, setup: ImportSetup,
            row: CsvRow) -> User:
    new = NewUser(email=row.email, password=None, given_name=row.given_name,
                  family_name=row.family_name, phone=row.phone)
    now = ctx.clock()
    user = accounts.create_user(uow.users(tenant.id), uow.audit(tenant.id), new, ctx.actor,
                                now, ctx.passwords)
    if row.roles and setup.roles is not None:
        setup.roles(uow, tenant.id, user, row.roles, ctx.actor)
    invitations.send(uow, setup.notifier, tenant.id, tenant.display_name, user, ctx.actor,
                     now, setup.mail.link_for)
    return user
