"""Operator operations for invitations: ``user create --invite`` and ``user invite``.

The mail goes through :meth:`Notifier.queue` like every other; for an operator's command
the queued message is handed to the sender right after the commit, in this process, so
the command can say whether it was delivered (a command-line process would end before a
background delivery finished). A delivery failure leaves the account and its new link in
place and is audited (``notification.send_failed``); ``user invite`` sends a fresh link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from authserver.services import accounts, invitations
from authserver.services.accounts import NewUser
from authserver.services.admin_context import AdminContext
from authserver.services.errors import Conflict, InvalidInput
from authserver.services.notifications import Notifier
from authserver.services.senders import Channel, OutgoingMessage, Senders, SendFailed
from authserver.services.tenants import get_tenant
from authserver.storage.models import User
from authserver.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class InvitationMail:
    """How an invitation leaves the server: the senders, and the tenant's issuer whose
    ``/invitation`` page the link opens."""

    senders: Senders
    issuer: str

    def link_for(self, token: str) -> str:
        return f"{self.issuer}/invitation?{urlencode({'token': token})}"


@dataclass(frozen=True, slots=True)
class Invited:
    sub: str
    email: str
    expires_at: dt.datetime
    delivered: bool
    problem: str | None = None  # why the mail was not delivered (safe to print)


@dataclass
class _AfterCommit:
    """An Enqueue hook (services/notifications.py) keeping what was queued once the unit
    of work commits, for the caller to deliver in this process."""

    queued: list[tuple[int, Channel, OutgoingMessage]] = field(default_factory=list)

    def __call__(self, uow: UnitOfWork, tenant_id: int, channel: Channel,
                 message: OutgoingMessage) -> None:
        uow.after_commit(lambda: self.queued.append((tenant_id, channel, message)))


def _notifier(ctx: AdminContext, mail: InvitationMail) -> tuple[Notifier, _AfterCommit]:
    if mail.senders.get(Channel.EMAIL) is None:
        raise InvalidInput("invite", "no email sender is configured "
                           "(AUTHSERVER_EMAIL_SENDER), so no invitation can be mailed")
    kept = _AfterCommit()
    return Notifier(ctx.database, mail.senders, enqueue=kept), kept


def _deliver(notifier: Notifier, kept: _AfterCommit, user: tuple[str, str],
             expires_at: dt.datetime) -> Invited:
    problem = None
    for tenant_id, channel, message in kept.queued:
        try:
            notifier.deliver(tenant_id, channel, message)
        except SendFailed as failure:
            problem = str(failure)
    return Invited(user[0], user[1], expires_at, problem is None, problem)


def _invite(uow: UnitOfWork, ctx: AdminContext, notifier: Notifier, tenant_id: int,
            service: str, user: User, mail: InvitationMail) -> dt.datetime:
    return invitations.send(uow, notifier, tenant_id, service, user, ctx.actor, ctx.clock(),
                            mail.link_for)


def create_invited(ctx: AdminContext, tenant_slug: str, new: NewUser,
                   mail: InvitationMail) -> Invited:
    """Create ``new`` (without a password) as a pending invitee and mail the link."""
    if new.password is not None:
        raise InvalidInput("password", "an invited person chooses their own password")
    notifier, kept = _notifier(ctx, mail)
    with ctx.database.unit_of_work() as uow:
        tenant = get_tenant(uow.session, tenant_slug)
        user = accounts.create_user(uow.users(tenant.id), uow.audit(tenant.id), new,
                                    ctx.actor, ctx.clock(), ctx.passwords)
        expires_at = _invite(uow, ctx, notifier, tenant.id, tenant.display_name, user, mail)
        who = (user.sub, user.email)
    return _deliver(notifier, kept, who, expires_at)


def reinvite(ctx: AdminContext, tenant_slug: str, email: str | None, sub: str | None,
             mail: InvitationMail) -> Invited:
    """Mail a fresh link to a user without a password (the earlier link stops working);
    refused for an account that has a password or is disabled."""
    notifier, kept = _notifier(ctx, mail)
    with ctx.database.unit_of_work() as uow:
        tenant = get_tenant(uow.session, tenant_slug)
        user = accounts.find_user(uow.users(tenant.id), email, sub)
        if user.password_hash is not None:
            raise Conflict(f"{user.email} already has a password and signs in with it; "
                           "a forgotten password is reset at the sign-in page")
        if user.disabled:
            raise Conflict(f"{user.email} is disabled; enable the user first "
                           "(authserver user enable)")
        expires_at = _invite(uow, ctx, notifier, tenant.id, tenant.display_name, user, mail)
        who = (user.sub, user.email)
    return _deliver(notifier, kept, who, expires_at)
