"""A tenant's sign-in policy as stored (tenants.mfa_* columns) and as the protocol reads
it (:class:`~authserver.protocol.policies.FactorPolicy`), and how operators change it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authserver.protocol.policies import SECOND_FACTOR_METHODS, FactorPolicy, SecondFactor
from authserver.services.errors import InvalidInput
from authserver.storage.models import Tenant


@dataclass(frozen=True, slots=True)
class SignInPolicyChange:
    """What an operator asked to change; None leaves a setting as it is."""

    mfa: str | None = None
    mfa_methods: str | None = None  # comma-separated, e.g. "totp,webauthn"
    magic_links: bool | None = None
    phone_sign_in: bool | None = None

    def is_empty(self) -> bool:
        return all(v is None for v in (self.mfa, self.mfa_methods, self.magic_links,
                                       self.phone_sign_in))


def policy_of(row: Tenant) -> FactorPolicy:
    """The stored policy; a value this version does not know reads as the safest one
    (second factor required) rather than failing every sign-in of the tenant."""
    try:
        mode = SecondFactor(row.mfa_mode)
    except ValueError:
        mode = SecondFactor.REQUIRED
    methods = frozenset(m for m in (row.mfa_methods or "").split(",")
                        if m in SECOND_FACTOR_METHODS)
    return FactorPolicy(mode, methods, bool(row.magic_links), bool(row.phone_sign_in))


def parse_methods(text: str) -> str:
    """``text`` as the stored comma-separated list, in the canonical order."""
    named = {m.strip() for m in text.split(",") if m.strip()}
    unknown = sorted(named - set(SECOND_FACTOR_METHODS))
    if unknown:
        raise InvalidInput("mfa_methods", f"unknown method(s) {', '.join(unknown)}; "
                           f"choose from {', '.join(SECOND_FACTOR_METHODS)}")
    if not named:
        raise InvalidInput("mfa_methods", "name at least one method")
    return ",".join(m for m in SECOND_FACTOR_METHODS if m in named)


def apply_change(row: Tenant, change: SignInPolicyChange) -> None:
    if change.mfa is not None:
        try:
            row.mfa_mode = SecondFactor(change.mfa).value
        except ValueError:
            raise InvalidInput("mfa", "must be off, optional or required") from None
    if change.mfa_methods is not None:
        row.mfa_methods = parse_methods(change.mfa_methods)
    if change.magic_links is not None:
        row.magic_links = change.magic_links
    if change.phone_sign_in is not None:
        row.phone_sign_in = change.phone_sign_in


def policy_view(row: Tenant) -> dict[str, Any]:
    policy = policy_of(row)
    return {"mfa": policy.second_factor.value,
            "mfa_methods": [m for m in SECOND_FACTOR_METHODS if m in policy.methods],
            "magic_links": policy.magic_links, "phone_sign_in": policy.phone_sign_in}
