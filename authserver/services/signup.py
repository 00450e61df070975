"""Self sign-up with email verification (issue 10 item 1).

A tenant whose operator turned sign-up on (``tenant update --signup on``) lets people
create their own account. The account starts with ``verification_required``: it cannot
finish a sign-in (web/signup.py's gate) until its owner opens the link mailed to the
address, which proves they receive mail there.

Enumeration: the answer is the same whether the address is new, already has an account
or was rate limited. A new address gets the verification link; an address that already
has an account gets a mail telling its owner someone tried to sign up with it. Both are
made after the answer (services/deferred.py) and queued through the Notifier, so the
answer neither waits for nor depends on them, and takes the same time either way.
Requests are limited per source address and per destination address
(services/throttle.py), and a limited request answers the same.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from authserver.i18n import N_, gettext
from authserver.services import account_tokens, deferred
from authserver.services.account_tokens import Purpose
from authserver.services.accounts import NewUser, create_user, normalise_email, set_password
from authserver.services.clients import secret_digest_matches
from authserver.services.error_codes import ErrorCode, define
from authserver.services.errors import Conflict, InvalidInput
from authserver.services.languages import mail_locale, supported
from authserver.services.notifications import Notifier
from authserver.services.password_policy import TOO_LONG, TOO_SHORT, TOO_WEAK, password_problems
from authserver.services.passwords import MAX_LENGTH, MIN_LENGTH, Passwords, password_problem
from authserver.services.roles import assign_roles_by_name
from authserver.services.senders import Channel, OutgoingMessage
from authserver.services.tenants import TenantInfo
from authserver.services.throttle import Policy, Throttle
from authserver.storage.database import Database
from authserver.storage.unit_of_work import UnitOfWork

SIGNUP_OFF = define("AUTH-2001", "signup_disabled",
                    "Sign-up is not available here. Ask the people who run this service "
                    "for an account.", 403)
INVALID_EMAIL = define("AUTH-2002", "invalid_email", "Enter a valid email address.")
INVALID_PASSWORD = define("AUTH-2003", "invalid_password",
                          "Choose a different password.")
INVALID_NAME = define("AUTH-2004", "invalid_name",
                      "Names must not be empty and at most 200 characters long.")
DOMAIN_REFUSED = define("AUTH-2005", "domain_not_allowed",
                        "Addresses in this domain cannot sign up here.", 403)
EMAIL_TAKEN = define("AUTH-2006", "email_taken",
                     "An account with this address already exists.", 409)
MALFORMED = define("AUTH-2007", "malformed_request",
                   "The request is not a JSON object with the expected fields.")
LINK_GONE = define("AUTH-2008", "verification_link_invalid",
                   "This verification link does not work any more: it was already used, "
                   "has expired or was mistyped. Sign in to get a new one.")
NOT_VERIFIED = define("AUTH-2009", "email_not_verified",
                      "Verify your email address before you sign in: open the link we "
                      "sent you.", 403)

_MINUTE = dt.timedelta(minutes=1)
# Per source address: a household or office signs up a few people, not dozens an hour.
SIGNUP_SOURCE = Policy(10, 60 * _MINUTE, 5 * _MINUTE, 60 * _MINUTE)
# Per destination address: nobody can flood one inbox with sign-up mail.
SIGNUP_EMAIL = Policy(3, 60 * _MINUTE, 15 * _MINUTE, 24 * 60 * _MINUTE)

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """What happened; callers answer every one of these the same to the public."""

    CREATED = "created"
    EMAIL_TAKEN = "email_taken"
    THROTTLED = "throttled"


class SignupRefused(Exception):
    """Sign-up is off, the domain is not allowed, or the input is malformed: said
    openly (none of these depends on whether an account exists). For a refused
    password, ``problems`` holds every reason the password rules gave (AUTH-30xx)."""

    def __init__(self, code: ErrorCode, detail: str = "",
                 problems: tuple[ErrorCode, ...] = ()) -> None:
        super().__init__(detail or code.message)
        self.code = code
        self.problems = problems


@dataclass(frozen=True, slots=True)
class SignupRequest:
    email: str
    password: str
    given_name: str | None = None
    family_name: str | None = None


VERIFICATION_TEXT = N_(
    "Welcome to %(service)s. Confirm your email address by opening this link:\n\n"
    "%(link)s\n\nIt works once, within 24 hours. If you did not sign up, ignore this "
    "message: no account is usable without it.")
ALREADY_TEXT = N_(
    "Someone tried to sign up to %(service)s with your address, which already has an "
    "account. If it was you, sign in instead (you can reset your password if you forgot "
    "it): %(sign_in)s\n\nIf it was not you, ignore this message; nothing changed.")


def verification_text(locale: str | None, service: str, link: str) -> str:
    return gettext(locale, VERIFICATION_TEXT, service=service, link=link)


def send_verification(uow: UnitOfWork, notifier: Notifier, tenant_id: int, service: str,
                      user_id: int, email: str, language: str, verify_link: Callable[[str], str],
                      now: dt.datetime) -> None:
    """Issue a fresh verification link (the earlier ones stop working) and queue its mail
    in ``uow``: for a new sign-up, a second sign-up before verifying, and the resend."""
    token = account_tokens.issue(uow, tenant_id, user_id, Purpose.VERIFY_EMAIL, now)
    notifier.queue(uow, tenant_id, Channel.EMAIL, OutgoingMessage(
        email, verification_text(language, service, verify_link(token)), "verify_email",
        language))


def already_text(locale: str | None, service: str, sign_in: str) -> str:
    return gettext(locale, ALREADY_TEXT, service=service, sign_in=sign_in)


def _base_codes(password: str) -> tuple[ErrorCode, ...]:
    """The policy codes for what services/passwords.py's floor refuses (it speaks in
    sentences, the pages in codes)."""
    if len(password) < MIN_LENGTH:
        return (TOO_SHORT,)
    if len(password) > MAX_LENGTH:
        return (TOO_LONG,)
    return (TOO_WEAK,)  # only white space


def _clean(request: SignupRequest) -> tuple[str, SignupRequest]:
    try:
        email = normalise_email(request.email)
    except InvalidInput:
        raise SignupRefused(INVALID_EMAIL) from None
    for value in (request.given_name, request.family_name):
        if value is not None and (not value.strip() or len(value) > 200):
            raise SignupRefused(INVALID_NAME)
    return email, request


def sign_up(database: Database, notifier: Notifier, throttle: Throttle, passwords: Passwords,
            tenant: TenantInfo, request: SignupRequest, source: str, now: dt.datetime,
            verify_link: Callable[[str], str], sign_in_link: str,
            locale: str | None = None) -> Outcome:
    """Create an unverified account and mail its link, or mail the owner of the existing
    account; raises :class:`SignupRefused` for what may be said openly. ``locale`` is
    the language the request asked for (None: it asked for none we speak): a new
    account keeps it as ``users.locale``, and the mail is in it unless the existing
    account saved another (services/languages.py mail_locale)."""
    policy = tenant.accounts.signup
    if not policy.enabled:
        raise SignupRefused(SIGNUP_OFF)
    email, request = _clean(request)
    # Every check of the password is made here, before the address is looked up: a
    # refusal for a new address only would tell which addresses have accounts.
    # The reasons depend on the password and the tenant's rules only, never on the
    # address, so they may be shown in full.
    if problem := password_problem(request.password):
        raise SignupRefused(INVALID_PASSWORD, problem, _base_codes(request.password))
    # The tenant's rules, before any account exists or any mail is queued: the answer
    # is the same whether or not the address is taken.
    if problems := password_problems(request.password, tenant.accounts.passwords):
        raise SignupRefused(INVALID_PASSWORD, " ".join(p.code for p in problems),
                            tuple(problems))
    if not policy.allows(email):
        raise SignupRefused(DOMAIN_REFUSED)
    keys = [("signup-source", source), ("signup-email", email)]
    if throttle.longest_wait(tenant.id, keys):
        return Outcome.THROTTLED
    throttle.failure(tenant.id, "signup-source", source, SIGNUP_SOURCE)
    throttle.failure(tenant.id, "signup-email", email, SIGNUP_EMAIL)
    with database.unit_of_work() as uow:
        existing = uow.users(tenant.id).by_email(email)
        # Enumeration (docs/security.md, "Enumeration resistance"): on the request path
        # every address costs the same, one argon2 hash (the new account's is made again
        # by set_password below, off the path) and one audit record; what differs — an
        # account created, a link or a notice queued — is done after the answer
        # (services/deferred.py), so its time says nothing about the address.
        passwords.hash(request.password)
        uow.audit(tenant.id).record("anonymous", "signup.requested", None)
        deferred.after_commit(uow, "signup", lambda: _complete(
            database, notifier, passwords, tenant, email, request, now, verify_link,
            sign_in_link, supported(locale)))
    return Outcome.CREATED if existing is None else Outcome.EMAIL_TAKEN


def _complete(database: Database, notifier: Notifier, passwords: Passwords,
              tenant: TenantInfo, email: str, request: SignupRequest, now: dt.datetime,
              verify_link: Callable[[str], str], sign_in_link: str,
              locale: str | None) -> None:
    """The part of a sign-up that depends on whether the address has an account; runs
    after the answer, in its own unit of work."""
    with database.unit_of_work() as uow:
        users, audit = uow.users(tenant.id), uow.audit(tenant.id)
        existing = users.by_email(email)
        if existing is not None:
            language = mail_locale(existing.locale, locale)
            if existing.verification_required and not existing.disabled:
                # Signed up before and never verified (the mail was lost or expired):
                # a fresh link, not a notice that leaves the account stuck. The password
                # typed now is not applied: whoever owns the inbox chose the first one.
                send_verification(uow, notifier, tenant.id, tenant.display_name, existing.id,
                                  email, language, verify_link, now)
                audit.record("anonymous", "signup.verification_resent", existing.sub)
                return
            notifier.queue(uow, tenant.id, Channel.EMAIL, OutgoingMessage(
                email, already_text(language, tenant.display_name, sign_in_link),
                "signup_existing", language))
            audit.record("anonymous", "signup.existing_email", None)
            return
        try:
            user = create_user(users, audit, NewUser(
                email=email, password=None, given_name=request.given_name,
                family_name=request.family_name, email_verified=False), "self-signup",
                now, passwords)
        except Conflict:
            return  # a concurrent sign-up won; nothing is created
        user.verification_required = True
        if tenant.accounts.signup.default_role:
            # The tenant's role for new people; roles.delete_role keeps it existing, and
            # should it be missing all the same, the account is still created (logged).
            try:
                assign_roles_by_name(uow, tenant.id, user,
                                     [tenant.accounts.signup.default_role], "self-signup")
            except InvalidInput:
                log.warning("tenant %s: default role %r does not exist; not assigned",
                            tenant.slug, tenant.accounts.signup.default_role)
        # The language they signed up in is theirs from now on: a reset asked later
        # from a browser that says nothing (or something else) still mails them in it.
        user.locale = locale
        # The password and the names were checked before the answer (sign_up), so
        # neither refuses here; if one did, the unit of work rolls back and no account
        # exists, which the person sees as a link that never came.
        set_password(users, audit, user, request.password, f"user:{user.id}", now,
                     passwords, tenant.accounts.passwords)
        send_verification(uow, notifier, tenant.id, tenant.display_name, user.id, email,
                          mail_locale(locale, None), verify_link, now)
        audit.record(f"user:{user.id}", "signup.created", user.sub)


def verify_email(database: Database, tenant: TenantInfo, token: str,
                 now: dt.datetime) -> bool:
    """Spend a verification link: the address is verified and the account may sign in.
    False when the link is unknown, expired or used."""
    with database.unit_of_work() as uow:
        holder = account_tokens.spend(uow, tenant.id, Purpose.VERIFY_EMAIL, token, now)
        if holder is None:
            return False
        user = uow.users(tenant.id).by_id(holder.user_id)
        if user is None:
            return False
        user.email_verified = True
        user.verification_required = False
        uow.audit(tenant.id).record(f"user:{user.id}", "user.email_verified", user.sub)
    return True


def explicit_errors(database: Database, tenant_id: int, client_id: str | None,
                    client_secret: str | None) -> bool:
    """Whether the caller proved it is a client granted ``explicit_errors`` (its id and
    secret, as HTTP Basic): naming such a client is not enough, or anyone could learn
    from the precise reasons whether an address has an account."""
    if not client_id or len(client_id) > 255 or not client_secret:
        return False
    with database.unit_of_work() as uow:
        client = uow.clients(tenant_id).get(client_id)
        return bool(client is not None and client.explicit_errors
                    and secret_digest_matches(client.secret_digest, client_secret))
