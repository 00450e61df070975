"""Which second factors a person has set up, as the factor policy needs to know
(protocol/policies.py ``FactorPolicy.usable``)."""

from __future__ import annotations

from authserver.services.senders import Channel, Senders
from authserver.storage.unit_of_work import UnitOfWork

# Methods that need a message to reach the person; without a sender they are not offered.
METHOD_CHANNEL = {"email": Channel.EMAIL, "sms": Channel.SMS}


def enrolled_methods(uow: UnitOfWork, tenant_id: int, user_id: int) -> frozenset[str]:
    """totp once confirmed, webauthn with a passkey, sms with a verified phone, and email
    (every account has one)."""
    return uow.factor_enrolment(tenant_id).methods(user_id)


def has_recovery_codes(uow: UnitOfWork, tenant_id: int, user_id: int) -> bool:
    """Whether ``user_id`` still holds an unused recovery code."""
    return uow.factor_enrolment(tenant_id).has_recovery_codes(user_id)


def deliverable(methods: frozenset[str], senders: Senders) -> frozenset[str]:
    """``methods`` without those whose channel has no sender on this server (so a tenant
    requiring a second factor never leaves someone with only an undeliverable one)."""
    return frozenset(m for m in methods
                     if m not in METHOD_CHANNEL or senders.get(METHOD_CHANNEL[m]))
