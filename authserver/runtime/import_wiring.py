"""The user import (services/user_import.py) wired to the runtime: invitations leave
through the outbox, and roles are assigned by the role service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authserver.services import roles
from authserver.services.invitation_admin import InvitationMail
from authserver.services.notifications import Notifier
from authserver.services.outbox import notification_enqueuer
from authserver.services.user_import import ImportSetup, RoleAssigner

if TYPE_CHECKING:
    from authserver.runtime import Runtime

# Gives each imported user the roles its row names (an unknown role rejects the row).
ROLE_ASSIGNER: RoleAssigner = roles.assign_roles_by_name


def import_setup(rt: Runtime, tenant_slug: str) -> ImportSetup:
    """Invitation mail queued in the outbox with each row, delivered by the outbox worker
    (not one delivery thread per row, as a single invitation has: a file has hundreds)."""
    notifier = Notifier(rt.database, rt.senders,
                        enqueue=notification_enqueuer(rt.master_key, rt.clock))
    return ImportSetup(InvitationMail(rt.senders, rt.issuer(tenant_slug)), notifier,
                       ROLE_ASSIGNER)
