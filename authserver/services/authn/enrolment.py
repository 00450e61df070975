"""Which second factors a person has set up, as the factor policy needs to know
(protocol/policies.py ``FactorPolicy.usable``)."""

from __future__ import annotations

from authserver.storage.unit_of_work import UnitOfWork


def enrolled_methods(uow: UnitOfWork, tenant_id: int, user_id: int) -> frozenset[str]:
    """totp once confirmed, webauthn with a passkey, sms with a verified phone, and email
    (every account has one)."""
    return uow.factor_enrolment(tenant_id).methods(user_id)


def has_recovery_codes(uow: UnitOfWork, tenant_id: int, user_id: int) -> bool:
    """Whether ``user_id`` still holds an unused recovery code."""
    return uow.factor_enrolment(tenant_id).has_recovery_codes(user_id)
