"""Who may call the admin REST API, and with which permissions (docs/admin-api.md).

The web layer verifies the bearer token (our own verifier library) and hands the verified
claims here; this module decides what the caller may do. A client's token carries its
admin permissions as scopes (client credentials); a person's token carries the scopes
the client asked for, and the person must also hold them through their roles, read at
every request so that taking a role away takes effect at once. A tenant's tokens
administer that tenant; the operator tenant's (AUTHSERVER_ADMIN_OPERATOR_TENANT) every
tenant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from authserver.storage.database import Database

ADMIN_READ = "admin:read"
ADMIN_WRITE = "admin:write"
READ_PII = "users:read:pii"
# Every permission the admin API checks; other scopes in a token mean nothing to it.
ADMIN_PERMISSIONS = frozenset({ADMIN_READ, ADMIN_WRITE, READ_PII})
# Whoever may change may also look: admin:write implies admin:read.
_IMPLIED = {ADMIN_WRITE: frozenset({ADMIN_READ})}


def admin_audience(public_url: str) -> str:
    """The ``aud`` (and RFC 8707 ``resource``) of every admin API token."""
    return f"{public_url}/admin/api"


@dataclass(frozen=True, slots=True)
class AdminCaller:
    """A verified caller of the admin API."""

    # Recorded as the actor of everything it does: ``client:<id>`` or ``user:<sub>``.
    actor: str
    tenant_id: int
    tenant_slug: str
    permissions: frozenset[str]
    # From the operator tenant: may administer every tenant.
    operator: bool

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def may_administer(self, tenant_slug: str) -> bool:
        return self.operator or tenant_slug == self.tenant_slug


def _with_implied(permissions: Iterable[str]) -> frozenset[str]:
    granted = set(permissions)
    for permission in list(granted):
        granted |= _IMPLIED.get(permission, frozenset())
    return frozenset(granted)


def caller_of(claims: Mapping[str, Any], tenant_id: int, tenant_slug: str,
              operator_tenant: str | None,
              role_permissions: Callable[[int, str], frozenset[str]]) -> AdminCaller:
    """The caller behind verified admin-API ``claims`` issued by tenant ``tenant_slug``.

    ``role_permissions(tenant_id, sub)`` gives what a person holds through their roles;
    it is asked only for a person's token (one that carries ``auth_time``, RFC 9068
    §2.2.1)."""
    scopes = str(claims.get("scope") or "").split()
    asked = _with_implied(s for s in scopes if s in ADMIN_PERMISSIONS)
    client_id = str(claims.get("client_id") or "")
    if "auth_time" in claims:
        sub = str(claims.get("sub") or "")
        held = _with_implied(role_permissions(tenant_id, sub))
        permissions = asked & held
        actor = f"user:{sub}"
    else:
        permissions = asked
        actor = f"client:{client_id}"
    return AdminCaller(actor, tenant_id, tenant_slug, permissions,
                       operator=operator_tenant is not None and tenant_slug == operator_tenant)


def record_denial(database: Database, tenant_id: int | None, actor: str, reason: str,
                  method: str, path: str, permission: str | None = None) -> None:
    """An audit record of a refused admin-API call (Deliver 2: every denial is one), in
    its own transaction: the refused request changes nothing else."""
    details: dict[str, Any] = {"reason": reason, "method": method, "path": path[:300]}
    if permission:
        details["permission"] = permission
    with database.unit_of_work() as uow:
        uow.audit(tenant_id).record(actor, "admin.denied", None, **details)
