"""A tenant's account policy as stored (tenants.signup_*, password_*, single_session)
and as the pages and services read it, and how operators change it.

Sign-up is off until an operator turns it on; when ``signup_domains`` is not empty only
addresses in those domains may sign up. The password rules follow NIST SP 800-63B §3.1.1:
a minimum length (12 by default) and a maximum of at least 128 characters that is never
truncated, a check against known-breached passwords and a strength estimate instead of
composition rules, and optional history and validity periods for the customers whose
own policies ask for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from authserver.services.errors import InvalidInput
from authserver.storage.models import Tenant
from authserver.storage.unit_of_work import UnitOfWork

MIN_LENGTH_FLOOR = 8  # below this no setting is accepted (NIST SP 800-63B §3.1.1.2)
MAX_LENGTH_FLOOR = 128
MAX_LENGTH_CEILING = 1024  # argon2 is fed the whole password: no more than this
MAX_HISTORY = 24
_DOMAIN_LABEL = "abcdefghijklmnopqrstuvwxyz0123456789-"


@dataclass(frozen=True, slots=True)
class PasswordRules:
    min_length: int = 12
    max_length: int = 128
    min_score: int = 2  # zxcvbn 0-4
    history: int = 0  # how many earlier passwords cannot be reused
    history_period: int | None = None  # seconds: nor any used within this period
    max_age: int | None = None  # seconds a password stays valid; None: no expiry


@dataclass(frozen=True, slots=True)
class SignupPolicy:
    enabled: bool = False
    domains: tuple[str, ...] = ()  # empty: any domain
    default_role: str | None = None

    def allows(self, email: str) -> bool:
        """Whether an address (already normalised) may sign up here."""
        if not self.enabled:
            return False
        domain = email.rpartition("@")[2].lower()
        return not self.domains or domain in self.domains


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    signup: SignupPolicy = field(default_factory=SignupPolicy)
    passwords: PasswordRules = field(default_factory=PasswordRules)
    single_session: bool = False


DEFAULT_ACCOUNT_POLICY = AccountPolicy()


@dataclass(frozen=True, slots=True)
class AccountPolicyChange:
    """What an operator asked to change; None leaves a setting as it is. A duration of
    0 (``off`` on the command line) clears
    ``password_history_period`` / ``password_max_age``; an empty role clears
    ``default_role``; an empty domain list allows any domain."""

    signup: bool | None = None
    signup_domains: str | None = None  # comma-separated
    default_role: str | None = None
    password_min_length: int | None = None
    password_max_length: int | None = None
    password_min_score: int | None = None
    password_history: int | None = None
    password_history_period: int | None = None
    password_max_age: int | None = None
    single_session: bool | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


def account_policy_of(row: Tenant) -> AccountPolicy:
    return AccountPolicy(
        SignupPolicy(bool(row.signup_enabled), tuple(row.signup_domains or ()),
                     row.default_role),
        PasswordRules(row.password_min_length, row.password_max_length,
                      row.password_min_score, row.password_history,
                      row.password_history_period, row.password_max_age),
        bool(row.single_session))


def parse_domains(text: str) -> list[str]:
    """``a.example, B.example`` → ``["a.example", "b.example"]`` (lower case, checked)."""
    domains = []
    for part in text.split(","):
        domain = part.strip().lower().rstrip(".")
        if not domain:
            continue
        labels = domain.split(".")
        if (len(domain) > 253 or len(labels) < 2
                or any(not label or len(label) > 63 or label[0] == "-" or label[-1] == "-"
                       or any(c not in _DOMAIN_LABEL for c in label) for label in labels)):
            raise InvalidInput("signup_domains", f"{part.strip()!r} is not a domain name "
                               "(use the ASCII form, e.g. xn--bcher-kva.example)")
        if domain not in domains:
            domains.append(domain)
    return domains


def apply_change(row: Tenant, change: AccountPolicyChange) -> None:
    if change.signup is not None:
        row.signup_enabled = change.signup
    if change.signup_domains is not None:
        row.signup_domains = parse_domains(change.signup_domains)
    if change.default_role is not None:
        role = change.default_role.strip()
        if len(role) > 100 or any(not (c.isalnum() or c in "_-.:") for c in role):
            raise InvalidInput("default_role", "use up to 100 letters, digits and _ - . :")
        row.default_role = role or None
    if change.password_min_length is not None:
        row.password_min_length = change.password_min_length
    if change.password_max_length is not None:
        row.password_max_length = change.password_max_length
    if change.password_min_score is not None:
        if not 0 <= change.password_min_score <= 4:
            raise InvalidInput("password_min_score", "must be 0-4 (the zxcvbn score)")
        row.password_min_score = change.password_min_score
    if change.password_history is not None:
        if not 0 <= change.password_history <= MAX_HISTORY:
            raise InvalidInput("password_history", f"must be 0-{MAX_HISTORY}")
        row.password_history = change.password_history
    if change.password_history_period is not None:
        row.password_history_period = change.password_history_period or None
    if change.password_max_age is not None:
        row.password_max_age = change.password_max_age or None
    if change.single_session is not None:
        row.single_session = change.single_session
    _check_lengths(row)


def password_rules_in(uow: UnitOfWork, tenant_id: int) -> PasswordRules:
    """The tenant's password rules read in ``uow`` (the defaults for a tenant deleted
    meanwhile), for a service about to set a password in that transaction."""
    row = uow.tenants.get(tenant_id)
    return account_policy_of(row).passwords if row is not None else PasswordRules()


def _check_lengths(row: Tenant) -> None:
    if row.password_min_length < MIN_LENGTH_FLOOR:
        raise InvalidInput("password_min_length", f"must be at least {MIN_LENGTH_FLOOR}")
    if not MAX_LENGTH_FLOOR <= row.password_max_length <= MAX_LENGTH_CEILING:
        raise InvalidInput("password_max_length",
                           f"must be {MAX_LENGTH_FLOOR}-{MAX_LENGTH_CEILING}")
    if row.password_min_length > row.password_max_length:
        raise InvalidInput("password_min_length", "must not exceed password_max_length")


def account_policy_view(row: Tenant) -> dict[str, Any]:
    policy = account_policy_of(row)
    rules = policy.passwords
    return {
        "signup": {"enabled": policy.signup.enabled, "domains": list(policy.signup.domains),
                   "default_role": policy.signup.default_role},
        "password_policy": {"min_length": rules.min_length, "max_length": rules.max_length,
                            "min_score": rules.min_score, "history": rules.history,
                            "history_period": rules.history_period,
                            "max_age": rules.max_age},
        "single_session": policy.single_session,
    }
