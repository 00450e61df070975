"""Passkeys (WebAuthn, py_webauthn) as a sign-in factor: username-less or as a second factor.

Two ceremonies end here, both on a challenge the server made, stored and takes back once
(storage/repositories/webauthn.py), bound to the pending interaction:

- **username-less** (the only factor): the browser offers any discoverable credential of
  this RP; the credential is found by its id and its owner must be the user whose
  ``sub`` the authenticator returns as user handle. User verification is required, so
  the passkey is multi-factor by itself: amr ("hwk" or, backup eligible, "swk", "mfa").
- **second factor**: only the person's own credentials are offered and accepted; user
  verification is preferred: amr ("hwk",) or ("hwk", "mfa") when it was performed.

The signature counter only moves forward (both zero is allowed: many passkeys never
count); a counter that went back is refused and audited as a possible cloned key.
Failures are throttled per source address.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    options_to_json,
    verify_authentication_response,
)
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.structs import (
    AuthenticationCredential,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    UserVerificationRequirement,
)

from authserver.i18n import N_
from authserver.protocol.interaction import AuthResult
from authserver.protocol.policies import MFA, acr_for
from authserver.protocol.tokens import digest
from authserver.services.authentication import Outcome
from authserver.services.authn import Attempt, Submission
from authserver.services.throttle import Policy, Throttle
from authserver.storage.database import Database
from authserver.storage.models import WebAuthnCredential
from authserver.storage.unit_of_work import UnitOfWork

CHALLENGE_BYTES = 32
CHALLENGE_TTL = dt.timedelta(minutes=5)
TIMEOUT_MS = 120_000  # the browser's hint; the server-side TTL above is what counts
MAX_CREDENTIAL_JSON = 64 * 1024  # a real assertion is well under 4 KiB
PASSWORDLESS, SECOND_FACTOR, REGISTRATION = "passwordless", "second", "register"
# Per source address: a passkey cannot be guessed, so this only bounds noise and work.
PASSKEY_SOURCE = Policy(20, dt.timedelta(minutes=15), dt.timedelta(minutes=1),
                        dt.timedelta(minutes=30))
REFUSED = N_("That passkey could not be used. Try again, or sign in another way.")


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """WebAuthn's RP: ID = the issuer's host, origin = the issuer's origin (docs/sign-in/
    passkeys.md: behind a proxy, PUBLIC_URL is what the browser sees)."""

    rp_id: str
    origin: str
    name: str

    @classmethod
    def for_issuer(cls, issuer: str, name: str) -> RelyingParty:
        url = urlsplit(issuer)
        if not url.hostname:
            raise ValueError(f"issuer {issuer!r} has no host")
        return cls(url.hostname, f"{url.scheme}://{url.netloc}", name or url.hostname)


def binding(kind: str, value: str) -> str:
    """The digest a ceremony's challenge is stored under (an interaction, a session)."""
    return digest(f"webauthn:{kind}:{value}")


def new_challenge(uow: UnitOfWork, tenant_id: int, purpose: str, bound_to: str,
                  user_id: int | None, now: dt.datetime) -> bytes:
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    uow.webauthn_challenges(tenant_id).put(purpose, bound_to, challenge, user_id,
                                           now + CHALLENGE_TTL)
    return challenge


def parse_assertion(credential_json: str) -> AuthenticationCredential | None:
    if not credential_json or len(credential_json) > MAX_CREDENTIAL_JSON:
        return None
    try:
        return parse_authentication_credential_json(credential_json)
    except Exception:  # hostile input; every failure means "not a credential"
        return None


def descriptors(rows: list[WebAuthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=row.credential_id) for row in rows]


def key_amr(row: WebAuthnCredential, device_type: CredentialDeviceType) -> str:
    """RFC 8176: a synced (backup-eligible) passkey is a software key, else hardware."""
    synced = row.backup_eligible or device_type is CredentialDeviceType.MULTI_DEVICE
    return "swk" if synced else "hwk"


@dataclass(frozen=True, slots=True)
class PasskeySignIn:
    """One tenant's passkey factor (the Authenticator of method "webauthn")."""

    database: Database
    throttle: Throttle
    tenant_id: int
    rp: RelyingParty

    def options(self, attempt: str, user_id: int | None, now: dt.datetime) -> str:
        """The PublicKeyCredentialRequestOptions JSON for interaction ``attempt``:
        username-less when ``user_id`` is None, else for that person's credentials."""
        purpose = PASSWORDLESS if user_id is None else SECOND_FACTOR
        with self.database.unit_of_work() as uow:
            allowed = [] if user_id is None else list(uow.webauthn(self.tenant_id).of_user(user_id))
            challenge = new_challenge(uow, self.tenant_id, purpose, binding("attempt", attempt),
                                      user_id, now)
        verification = (UserVerificationRequirement.REQUIRED if user_id is None
                        else UserVerificationRequirement.PREFERRED)
        return options_to_json(generate_authentication_options(
            rp_id=self.rp.rp_id, challenge=challenge, timeout=TIMEOUT_MS,
            allow_credentials=descriptors(allowed), user_verification=verification))

    def authenticate(self, submission: Submission) -> Attempt:
        return self.verify(submission.fields.get("credential", ""), submission.attempt,
                           submission.user_id, submission.source, submission.now)

    def verify(self, credential_json: str, attempt: str, user_id: int | None, source: str,
               now: dt.datetime) -> Attempt:
        wait = self.throttle.retry_after(self.tenant_id, "passkey-source", source)
        if wait is not None:
            return Attempt(Outcome.THROTTLED, retry_after=wait)
        result = self._check(credential_json, attempt, user_id, now)
        if result is None:
            self.throttle.failure(self.tenant_id, "passkey-source", source, PASSKEY_SOURCE)
            return Attempt(Outcome.REFUSED, error=REFUSED)
        return Attempt(Outcome.SIGNED_IN, result)

    def _check(self, credential_json: str, attempt: str, user_id: int | None,
               now: dt.datetime) -> AuthResult | None:
        purpose = PASSWORDLESS if user_id is None else SECOND_FACTOR
        # Taken (and committed) before anything is checked: a challenge is used once,
        # whether the assertion that came with it verifies or not.
        with self.database.unit_of_work() as uow:
            taken = uow.webauthn_challenges(self.tenant_id).take(
                purpose, binding("attempt", attempt), now)
        with self.database.unit_of_work() as uow:
            audit = uow.audit(self.tenant_id)
            if taken is None or taken.user_id != user_id:
                audit.record("anonymous", "passkey.failed", None, reason="challenge")
                return None
            credential = parse_assertion(credential_json)
            if credential is None:
                audit.record("anonymous", "passkey.failed", None, reason="malformed")
                return None
            return _Assertion(uow, self.tenant_id, self.rp, taken.challenge, user_id,
                              now).check(credential)


@dataclass(slots=True)
class _Assertion:
    """One assertion's checks, inside the unit of work that records their outcome."""

    uow: UnitOfWork
    tenant_id: int
    rp: RelyingParty
    challenge: bytes
    user_id: int | None  # the person asked for a second factor; None: username-less
    now: dt.datetime

    def check(self, credential: AuthenticationCredential) -> AuthResult | None:
        repo = self.uow.webauthn(self.tenant_id)
        row = repo.by_credential_id(credential.raw_id)
        owner = repo.person(row.user_id) if row is not None else None
        if row is None or owner is None or owner.disabled:
            return self._failed("unknown_credential", None)
        if not self._owner_matches(credential, row.user_id, owner.sub):
            return self._failed("user_mismatch", owner.sub)
        try:
            # Counter checked below (to tell a regression from a bad signature), hence 0.
            verified = verify_authentication_response(
                credential=credential, expected_challenge=self.challenge,
                expected_rp_id=self.rp.rp_id, expected_origin=self.rp.origin,
                credential_public_key=row.public_key, credential_current_sign_count=0,
                require_user_verification=self.user_id is None)
        except Exception as exc:  # attacker-built CBOR/JSON: any failure refuses
            return self._failed("invalid", owner.sub, detail=type(exc).__name__)
        new, stored = verified.new_sign_count, row.sign_count
        if not (new > stored or new == stored == 0) or not repo.record_use(
                row.id, stored, new, self.now):
            self.uow.audit(self.tenant_id).record(
                f"user:{row.user_id}", "passkey.counter_regressed", owner.sub,
                passkey=row.id, stored=stored, presented=new)
            return self._failed("counter", owner.sub)
        amr = [key_amr(row, verified.credential_device_type)]
        if verified.user_verified:
            amr.append(MFA)
        self.uow.audit(self.tenant_id).record(
            f"user:{row.user_id}", "login.succeeded", owner.sub, method="webauthn",
            passkey=row.id, passwordless=self.user_id is None)
        return AuthResult(row.user_id, tuple(amr), acr_for(amr), self.now)

    def _owner_matches(self, credential: AuthenticationCredential, owner_id: int,
                       owner_sub: str) -> bool:
        handle = credential.response.user_handle
        if self.user_id is None:  # username-less: the user handle names the person
            return handle is not None and handle == owner_sub.encode()
        return owner_id == self.user_id and (handle is None or handle == owner_sub.encode())

    def _failed(self, reason: str, sub: str | None, **details: object) -> None:
        self.uow.audit(self.tenant_id).record("anonymous", "passkey.failed", sub,
                                              reason=reason, **details)
