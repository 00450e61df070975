"""A person's own passkeys: registration from the account page, names, removal.

Registration asks for a discoverable credential with user verification (``residentKey``
and ``userVerification`` required), so every passkey registered here can also sign in
alone, username-less (services/authn/webauthn.py). The WebAuthn user id is the user's
``sub``: random, opaque, no personal data. Attestation is not requested ("none"): we
trust the key the person registers while signed in, not a vendor's certificate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from webauthn import generate_registration_options, options_to_json, verify_registration_response
from webauthn.helpers import parse_registration_credential_json
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from authserver.services.authn.webauthn import (
    MAX_CREDENTIAL_JSON,
    REGISTRATION,
    TIMEOUT_MS,
    RelyingParty,
    binding,
    descriptors,
    new_challenge,
)
from authserver.services.errors import InvalidInput, NotFound
from authserver.storage.database import Database
from authserver.storage.models import WebAuthnCredential
from authserver.storage.repositories.webauthn import TakenChallenge, WebAuthnCredentialRepository
from authserver.storage.unit_of_work import UnitOfWork

# ES256 and RS256: what every platform authenticator and security key offers.
ALGORITHMS = [COSEAlgorithmIdentifier.ECDSA_SHA_256,
              COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256]
MAX_NAME = 100
MAX_PASSKEYS = 20  # per person: enough for every device, bounded for the sign-in lookups


class RegistrationRefused(Exception):
    """The browser's answer did not verify; ``str()`` is a sentence for the person."""


@dataclass(frozen=True, slots=True)
class PasskeyView:
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    synced: bool


def clean_name(name: str | None) -> str | None:
    """The name as stored, None when blank (the default applies)."""
    cleaned = " ".join((name or "").split())
    if len(cleaned) > MAX_NAME:
        raise InvalidInput("name", f"A passkey name is at most {MAX_NAME} characters.")
    return cleaned or None


@dataclass(frozen=True, slots=True)
class Passkeys:
    """One tenant's passkey management for signed-in people (``session`` binds the
    registration challenge to the account session that asked for it)."""

    database: Database
    tenant_id: int
    rp: RelyingParty

    def list(self, user_id: int) -> list[PasskeyView]:
        with self.database.unit_of_work() as uow:
            return [PasskeyView(row.id, row.name, row.created_at, row.last_used_at,
                                row.backup_eligible)
                    for row in uow.webauthn(self.tenant_id).of_user(user_id)]

    def registration_options(self, user_id: int, session: str, now: dt.datetime) -> str:
        """PublicKeyCredentialCreationOptions JSON; excludes the person's passkeys."""
        with self.database.unit_of_work() as uow:
            repo = uow.webauthn(self.tenant_id)
            user = repo.person(user_id)
            if user is None:
                raise NotFound("no such user")
            existing = list(repo.of_user(user_id))
            challenge = new_challenge(uow, self.tenant_id, REGISTRATION,
                                      binding("session", session), user_id, now)
            sub, label = user.sub, user.email or user.username or user.sub
            shown = " ".join(p for p in (user.given_name, user.family_name) if p) or label
        return options_to_json(generate_registration_options(
            rp_id=self.rp.rp_id, rp_name=self.rp.name, user_id=sub.encode(),
            user_name=label, user_display_name=shown, challenge=challenge,
            timeout=TIMEOUT_MS, exclude_credentials=descriptors(existing),
            supported_pub_key_algs=ALGORITHMS,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED)))

    def register(self, user_id: int, session: str, credential_json: str, name: str | None,
                 now: dt.datetime) -> PasskeyView:
        """Verify the browser's attestation and store the passkey (audited either way)."""
        chosen = clean_name(name)
        with self.database.unit_of_work() as uow:  # the challenge goes whatever follows
            taken = uow.webauthn_challenges(self.tenant_id).take(
                REGISTRATION, binding("session", session), now)
        with self.database.unit_of_work() as uow:
            outcome = self._store(uow, user_id, taken, credential_json, chosen, now)
        if isinstance(outcome, str):  # raised only now: the failure's audit is committed
            raise RegistrationRefused(_REASONS[outcome])
        return outcome

    def _store(self, uow: UnitOfWork, user_id: int, taken: TakenChallenge | None,
               credential_json: str, chosen: str | None, now: dt.datetime) -> PasskeyView | str:
        repo, audit = uow.webauthn(self.tenant_id), uow.audit(self.tenant_id)
        user = repo.person(user_id)
        reason, row = self._checked(repo, user_id, taken, credential_json, now)
        if row is not None and not repo.add(row):
            reason, row = "already_registered", None
        stored = row if reason is None else None
        if stored is None or user is None:
            reason = reason or "invalid"
            audit.record(f"user:{user_id}", "passkey.registration_failed",
                         user.sub if user else None, reason=reason)
            return reason
        stored.name = chosen or f"Passkey {repo.count_of_user(user_id)}"
        audit.record(f"user:{user_id}", "passkey.registered", user.sub, passkey=stored.id,
                     name=stored.name, aaguid=stored.aaguid, synced=stored.backup_eligible)
        return PasskeyView(stored.id, stored.name, stored.created_at, None,
                           stored.backup_eligible)

    def _checked(self, repo: WebAuthnCredentialRepository, user_id: int,
                 taken: TakenChallenge | None, credential_json: str,
                 now: dt.datetime) -> tuple[str | None, WebAuthnCredential | None]:
        if taken is None or taken.user_id != user_id:
            return "challenge", None
        if repo.count_of_user(user_id) >= MAX_PASSKEYS:
            return "too_many", None
        credential = _parse(credential_json)
        if credential is None:
            return "malformed", None
        row = self._verified(credential, taken.challenge, user_id, now)
        return (None, row) if row is not None else ("invalid", None)

    def rename(self, user_id: int, passkey_id: int, name: str | None, actor: str) -> str:
        chosen = clean_name(name)
        if chosen is None:
            raise InvalidInput("name", "Give the passkey a name.")
        with self.database.unit_of_work() as uow:
            repo = uow.webauthn(self.tenant_id)
            if not repo.rename(user_id, passkey_id, chosen):
                raise NotFound("That passkey does not exist (it may have been removed).")
            uow.audit(self.tenant_id).record(actor, "passkey.renamed", _sub(repo, user_id),
                                             passkey=passkey_id, name=chosen)
        return chosen

    def remove(self, user_id: int, passkey_id: int, actor: str) -> None:
        with self.database.unit_of_work() as uow:
            repo = uow.webauthn(self.tenant_id)
            if not repo.remove(user_id, passkey_id):
                raise NotFound("That passkey does not exist (it may have been removed).")
            uow.audit(self.tenant_id).record(actor, "passkey.removed", _sub(repo, user_id),
                                             passkey=passkey_id)

    def _verified(self, credential: RegistrationCredential, challenge: bytes,
                  user_id: int, now: dt.datetime) -> WebAuthnCredential | None:
        try:
            verified = verify_registration_response(
                credential=credential, expected_challenge=challenge,
                expected_rp_id=self.rp.rp_id, expected_origin=self.rp.origin,
                require_user_verification=True, supported_pub_key_algs=ALGORITHMS)
        except Exception:  # attacker-built CBOR/JSON: any failure refuses
            return None
        transports = credential.response.transports or []
        return WebAuthnCredential(
            tenant_id=self.tenant_id, user_id=user_id, credential_id=verified.credential_id,
            public_key=verified.credential_public_key, sign_count=verified.sign_count,
            name="", transports=",".join(t.value for t in transports)[:200],
            aaguid=verified.aaguid[:36],
            backup_eligible=verified.credential_device_type is CredentialDeviceType.MULTI_DEVICE,
            created_at=now)


_REASONS = {
    "challenge": "This passkey request has expired. Try again.",
    "too_many": f"You already have {MAX_PASSKEYS} passkeys. Remove one first.",
    "malformed": "Your browser's answer could not be read. Try again.",
    "already_registered": "That passkey is already registered.",
    "invalid": "That passkey could not be registered. Try again.",
}


def _parse(credential_json: str) -> RegistrationCredential | None:
    if not credential_json or len(credential_json) > MAX_CREDENTIAL_JSON:
        return None
    try:
        return parse_registration_credential_json(credential_json)
    except Exception:  # hostile input; every failure means "not a credential"
        return None


def _sub(repo: WebAuthnCredentialRepository, user_id: int) -> str | None:
    person = repo.person(user_id)
    return person.sub if person is not None else None
