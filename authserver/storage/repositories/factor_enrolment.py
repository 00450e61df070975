"""Which sign-in factors a user has set up: one question across the factor tables."""

from __future__ import annotations

from sqlalchemy import exists, select

from authserver.storage.models import RecoveryCode, TotpCredential, User, WebAuthnCredential
from authserver.storage.repositories.base import TenantScoped


class FactorEnrolmentRepository(TenantScoped):

    def methods(self, user_id: int) -> frozenset[str]:
        """The methods ``user_id`` has set up: policies.SECOND_FACTOR_METHODS names, and
        "pwd" when the account has a password."""
        totp = exists().where(TotpCredential.user_id == user_id,
                              TotpCredential.tenant_id == self.tenant_id,
                              TotpCredential.confirmed_at.is_not(None))
        passkey = exists().where(WebAuthnCredential.user_id == user_id,
                                 WebAuthnCredential.tenant_id == self.tenant_id)
        row = self.session.execute(
            select(totp, passkey, User.phone_verified, User.phone,
                   User.password_hash.is_not(None))
            .where(User.id == user_id, User.tenant_id == self.tenant_id)).one_or_none()
        if row is None:
            return frozenset()
        has_totp, has_passkey, phone_verified, phone, has_password = row
        found = {"email"}  # every account has its email address
        if has_password:
            found.add("pwd")
        if has_totp:
            found.add("totp")
        if has_passkey:
            found.add("webauthn")
        if phone_verified and phone:
            found.add("sms")
        return frozenset(found)

    def has_recovery_codes(self, user_id: int) -> bool:
        return bool(self.session.scalar(select(exists().where(
            RecoveryCode.user_id == user_id, RecoveryCode.tenant_id == self.tenant_id,
            RecoveryCode.used_at.is_(None)))))
