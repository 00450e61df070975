"""Setting up an authenticator app (TOTP) on the account page or at a forced enrolment.

The seed is sealed at rest under the tenant's data key, bound to tenant and user, so a
sealed seed copied onto another user's row does not open (services/tenant_secrets.py). A new
seed waits unconfirmed until the person types a code from it; a seed already confirmed
keeps working meanwhile (it waits in ``pending_secret_sealed`` then), so starting over
on a new phone cannot lock anyone out. Confirming records the matched step as used, so
the code typed to confirm cannot then sign in. Everything is audited.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from authserver.services import tenant_secrets, totp_codes
from authserver.services.authn.code_throttle import CodeThrottle
from authserver.services.throttle import Throttle
from authserver.storage.database import Database
from authserver.storage.models import Tenant, TotpCredential
from authserver.storage.unit_of_work import UnitOfWork


def _purpose(user_id: int) -> str:
    return f"totp:user:{user_id}"


def seal_seed(tenant: Tenant, master_key: bytes, user_id: int, seed: str) -> bytes:
    return tenant_secrets.seal_for(master_key, tenant, seed.encode("ascii"), _purpose(user_id))


def open_seed(tenant: Tenant, master_key: bytes, user_id: int, sealed: bytes) -> str:
    return tenant_secrets.open_for(master_key, tenant, sealed, _purpose(user_id)).decode("ascii")


def tenant_row(uow: UnitOfWork, tenant_id: int) -> Tenant:
    tenant = uow.tenants.get(tenant_id)
    if tenant is None:
        raise LookupError(f"tenant {tenant_id} does not exist")
    return tenant


@dataclass(frozen=True, slots=True)
class TotpSetup:
    """What the page shows for a seed waiting to be confirmed (never stored like this)."""

    secret: str
    grouped: str
    uri: str
    qr_svg: str


class Confirmed(enum.Enum):
    CONFIRMED = "confirmed"
    WRONG_CODE = "wrong_code"
    NOTHING_PENDING = "nothing_pending"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class TotpStatus:
    enrolled: bool  # a confirmed seed signs in
    pending: bool  # a new seed waits for its first code


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """One tenant's TOTP enrolment; each method is one unit of work."""

    database: Database
    master_key: bytes
    throttle: Throttle
    tenant_id: int

    def status(self, user_id: int) -> TotpStatus:
        with self.database.unit_of_work() as uow:
            row = uow.totp(self.tenant_id).of_user(user_id)
            if row is None:
                return TotpStatus(False, False)
            confirmed = row.confirmed_at is not None
            return TotpStatus(confirmed, not confirmed or row.pending_secret_sealed is not None)

    def begin(self, user_id: int, actor: str, now: dt.datetime) -> TotpSetup:
        """A new seed for ``user_id``, replacing any unconfirmed one."""
        seed = totp_codes.new_seed()
        with self.database.unit_of_work() as uow:
            sealed = seal_seed(tenant_row(uow, self.tenant_id), self.master_key, user_id, seed)
            repo = uow.totp(self.tenant_id)
            row = repo.of_user(user_id)
            if row is None:
                repo.add(TotpCredential(user_id=user_id, secret_sealed=sealed,
                                        last_used_step=0, created_at=now))
            elif row.confirmed_at is None:
                row.secret_sealed, row.created_at = sealed, now
            else:
                row.pending_secret_sealed = sealed
            uow.audit(self.tenant_id).record(actor, "totp.enrolment_started", f"user:{user_id}",
                                             replacing=row is not None and
                                             row.confirmed_at is not None)
            return self._setup(uow, user_id, seed)

    def pending(self, user_id: int) -> TotpSetup | None:
        """The seed waiting for confirmation, to show again (after a mistyped code)."""
        with self.database.unit_of_work() as uow:
            row = uow.totp(self.tenant_id).of_user(user_id)
            sealed = _pending_seed(row)
            if row is None or sealed is None:
                return None
            seed = open_seed(tenant_row(uow, self.tenant_id), self.master_key, user_id, sealed)
            return self._setup(uow, user_id, seed)

    def retry_after(self, user_id: int) -> int | None:
        """Seconds until confirming may be tried again, when mistyped codes blocked it."""
        return self._limiter(user_id).retry_after()

    def confirm(self, user_id: int, typed: str, actor: str, now: dt.datetime) -> Confirmed:
        """Confirm the pending seed with a code from it (±1 step); throttled per user."""
        limiter = self._limiter(user_id)
        if limiter.retry_after() is not None:
            return Confirmed.THROTTLED
        outcome = self._confirm(user_id, typed, actor, now)
        if outcome is Confirmed.WRONG_CODE:
            limiter.failed()
        elif outcome is Confirmed.CONFIRMED:
            limiter.succeeded()
        return outcome

    def _confirm(self, user_id: int, typed: str, actor: str, now: dt.datetime) -> Confirmed:
        with self.database.unit_of_work() as uow:
            repo, audit = uow.totp(self.tenant_id), uow.audit(self.tenant_id)
            row = repo.of_user(user_id)
            sealed = _pending_seed(row)
            if row is None or sealed is None:
                return Confirmed.NOTHING_PENDING
            seed = open_seed(tenant_row(uow, self.tenant_id), self.master_key, user_id, sealed)
            step = totp_codes.matching_step(seed, typed, now)
            if step is None or not repo.confirm(row.id, sealed, step, now):
                audit.record(actor, "totp.enrolment_refused", f"user:{user_id}",
                             reason="wrong_code")
                return Confirmed.WRONG_CODE
            audit.record(actor, "totp.enrolled", f"user:{user_id}")
            return Confirmed.CONFIRMED

    def remove(self, user_id: int, actor: str) -> bool:
        """Remove the user's authenticator app (confirmed or not); False if none."""
        with self.database.unit_of_work() as uow:
            removed = uow.totp(self.tenant_id).remove(user_id)
            if removed:
                uow.audit(self.tenant_id).record(actor, "totp.removed", f"user:{user_id}")
            return removed

    def _limiter(self, user_id: int) -> CodeThrottle:
        return CodeThrottle(self.throttle, self.tenant_id, "totp-enrol", user_id)

    def _setup(self, uow: UnitOfWork, user_id: int, seed: str) -> TotpSetup:
        issuer = tenant_row(uow, self.tenant_id).display_name
        person = uow.totp(self.tenant_id).person(user_id)
        uri = totp_codes.provisioning_uri(seed, issuer, person.email if person else "")
        return TotpSetup(seed, totp_codes.grouped(seed), uri, totp_codes.qr_svg(uri))


def _pending_seed(row: TotpCredential | None) -> bytes | None:
    """The sealed seed waiting for its first code: a re-enrolment's new one, or the
    credential's own while it was never confirmed."""
    if row is None:
        return None
    if row.confirmed_at is None:
        return row.secret_sealed
    return row.pending_secret_sealed
