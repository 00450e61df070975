"""A tenant's dynamic registration settings: the mode (off, initial-access-token, open),
whether a software statement is required, and the software statement issuers it trusts
(each with the JWKS its statements are verified against).

Applied by ``tenants.update_tenant`` (``authserver tenant update --registration …``)
through :func:`apply_change`, in its unit of work and its ``tenant.updated`` record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, object_session

from authserver.protocol import jws
from authserver.services.errors import InvalidInput
from authserver.storage.models import Tenant
from authserver.storage.repositories.registration import SoftwareStatementIssuerRepository

MODES = ("off", "initial-access-token", "open")
MAX_ISSUER_KEYS = 20


@dataclass(frozen=True, slots=True)
class RegistrationChange:
    """A change to a tenant's registration settings; None leaves a setting as it is."""

    mode: str | None = None
    requires_statement: bool | None = None
    # Trust (or replace the keys of) a software statement issuer: (issuer, its JWKS).
    trust_issuer: tuple[str, Any] | None = None
    distrust_issuer: str | None = None

    def is_empty(self) -> bool:
        return (self.mode is None and self.requires_statement is None
                and self.trust_issuer is None and self.distrust_issuer is None)


def _checked_jwks(jwks: Any) -> dict[str, Any]:
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys or len(keys) > MAX_ISSUER_KEYS:
        raise InvalidInput("software_statement_jwks",
                           f"must be a JWK Set with 1-{MAX_ISSUER_KEYS} keys")
    public = []
    for key in keys:
        if not isinstance(key, dict):
            raise InvalidInput("software_statement_jwks", "every key must be a JSON object")
        try:
            jws.public_key_from_jwk(key)
        except jws.JWSError as exc:
            raise InvalidInput("software_statement_jwks", f"unusable key: {exc}") from None
        # Only the public half is kept, whatever the file held.
        public.append({k: v for k, v in key.items() if k not in ("d", "p", "q", "dp", "dq",
                                                                 "qi", "k", "oth")})
    return {"keys": public}


def _checked_issuer(issuer: str) -> str:
    if not issuer or len(issuer) > 2000 or not issuer.isprintable() or " " in issuer:
        raise InvalidInput("software_statement_issuer",
                           "must be 1-2000 printable characters without spaces")
    return issuer


def apply_change(session: Session, tenant: Tenant, change: RegistrationChange) -> None:
    """Apply ``change`` to ``tenant`` in the caller's unit of work."""
    if change.mode is not None:
        if change.mode not in MODES:
            raise InvalidInput("registration", f"must be one of {', '.join(MODES)}")
        tenant.registration_mode = change.mode
    if change.requires_statement is not None:
        tenant.registration_requires_statement = change.requires_statement
    issuers = SoftwareStatementIssuerRepository(session, tenant.id)
    if change.trust_issuer is not None:
        issuer, jwks = change.trust_issuer
        issuers.put(_checked_issuer(issuer), _checked_jwks(jwks))
    if change.distrust_issuer is not None and not issuers.remove(change.distrust_issuer):
        raise InvalidInput("software_statement_issuer",
                           f"{change.distrust_issuer!r} is not a trusted issuer")
    if tenant.registration_requires_statement and not issuers.all():
        raise InvalidInput("require_software_statement",
                           "trust a software statement issuer first "
                           "(--software-statement-issuer with --software-statement-jwks-file)")


def registration_view(tenant: Tenant) -> dict[str, Any]:
    """The tenant's registration settings as operators see them."""
    session = object_session(tenant)
    issuers = [row.issuer for row in SoftwareStatementIssuerRepository(session, tenant.id)
               .all()] if session is not None else []
    return {"registration": {"mode": tenant.registration_mode,
                             "requires_software_statement":
                                 tenant.registration_requires_statement,
                             "software_statement_issuers": issuers}}
