"""Operator operations on remembered consent: list a user's, withdraw one."""

from __future__ import annotations

from authserver.services.admin_context import AdminContext
from authserver.services.client_changes import get_client
from authserver.services.consent import ConsentService, Revoked
from authserver.services.errors import NotFound
from authserver.services.tenants import get_tenant
from authserver.storage.repositories import ClientRepository, UserRepository


def _tenant_and_user(ctx: AdminContext, tenant_slug: str, email: str | None,
                     client_id: str | None = None, sub: str | None = None
                     ) -> tuple[int, int]:
    """The tenant's and the user's ids; NotFound for an unknown tenant, user or client."""
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        users = UserRepository(session, tenant.id)
        user = users.by_email(email.strip().lower()) if email is not None \
            else users.by_sub(sub or "")
        if user is None:
            raise NotFound(f"no user {email if email is not None else sub!r} in this tenant")
        if client_id is not None:
            get_client(ClientRepository(session, tenant.id), client_id)
        return tenant.id, user.id


def list_consents(ctx: AdminContext, tenant_slug: str, email: str | None,
                  sub: str | None = None) -> list[dict[str, object]]:
    """The applications the user (by email, or by ``sub``) consented to, with the
    scopes and when."""
    tenant_id, user_id = _tenant_and_user(ctx, tenant_slug, email, sub=sub)
    return ConsentService(ctx.database, tenant_id).all_for_user(user_id)


def revoke_consent(ctx: AdminContext, tenant_slug: str, email: str | None, client_id: str,
                   sub: str | None = None) -> Revoked:
    """Forget the consent and revoke the client's grants for the user (by email, or by
    ``sub``). Nothing to revoke is no error: the state asked for holds. Unknown names
    are refused (NotFound)."""
    tenant_id, user_id = _tenant_and_user(ctx, tenant_slug, email, client_id, sub)
    return ConsentService(ctx.database, tenant_id).revoke(user_id, client_id, ctx.clock(),
                                                          ctx.actor)
