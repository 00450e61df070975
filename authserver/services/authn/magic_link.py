"""Magic links (issue 9): passwordless sign-in by an emailed link, per-tenant switch.

The link carries a 256-bit token; only its SHA-256 digest is stored, with the pending
interaction it belongs to and the digest of the flow-cookie handle of the browser that
asked (services/interactions.py keeps that handle's digest the same way). It lasts 10
minutes, is used once, and completes only in that browser: a link opened elsewhere (a
phone's mail app, a colleague the mail was forwarded to) is not spent, and the person is
told to open it where they asked for it. A mail scanner that follows every link has no
flow cookie, so it cannot spend it either.

Asking for a link answers the same whether or not the address has an account, and
whether or not sending worked (a failure is audited): anything else would tell a
stranger which addresses have accounts. The same goes for the time the answer takes
and for the sending limits (``request``). Link checks are throttled per source address.
"""

from __future__ import annotations

import datetime as dt
import enum
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from authserver.i18n import N_, gettext
from authserver.protocol.tokens import digest
from authserver.services import deferred
from authserver.services.accounts import normalise_email
from authserver.services.authn.one_time_codes import SEND_BURST, SEND_WINDOW
from authserver.services.errors import InvalidInput
from authserver.services.languages import mail_locale
from authserver.services.notifications import Notifier
from authserver.services.senders import Channel, OutgoingMessage, Senders
from authserver.services.throttle import Policy, Throttle
from authserver.storage.database import Database

TTL = dt.timedelta(minutes=10)
MAX_TOKEN = 100
# Per source address: a person clicks a link once or twice; 256-bit tokens cannot be
# guessed, so this only keeps a scanner of made-up links from costing database reads.
CHECK_SOURCE = Policy(10, dt.timedelta(minutes=15), dt.timedelta(minutes=1),
                      dt.timedelta(minutes=60))


class LinkUse(enum.Enum):
    SIGNED_IN = "signed_in"
    OTHER_BROWSER = "other_browser"  # valid, but this browser did not ask: not spent
    GONE = "gone"  # unknown, expired or already used
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class LinkResult:
    outcome: LinkUse
    user_id: int | None = None
    retry_after: int | None = None


MESSAGE_TEXT = N_(
    "Sign in to %(service)s by opening this link in the browser where you asked for "
    "it:\n\n%(link)s\n\nIt works once, within %(minutes)s minutes. If you did not ask "
    "for it, ignore this message.")


def message_text(locale: str | None, service: str, link: str) -> str:
    minutes = int(TTL.total_seconds() // 60)
    return gettext(locale, MESSAGE_TEXT, service=service, link=link, minutes=minutes)


@dataclass(frozen=True, slots=True)
class MagicLinks:
    """One tenant's magic links."""

    database: Database
    throttle: Throttle
    senders: Senders
    tenant_id: int
    service: str
    locale: str | None = None  # the request's language; users.locale comes first

    @property
    def offered(self) -> bool:
        return self.senders.get(Channel.EMAIL) is not None

    def request(self, typed_email: str, interaction_uid: str, browser: str,
                link_for: Callable[[str], str], now: dt.datetime) -> None:
        """Email a link if ``typed_email`` names an enabled account (and the sending
        limits allow); otherwise do nothing. The caller answers the same either way.

        Enumeration (docs/security.md, "Enumeration resistance"): every well-formed
        address takes the same path. The sending limits are counted under the address
        (one account, one address), for an unknown address too, so they are no oracle;
        one write transaction commits either way (its audit record); and what only an
        account gets, the link and the mail, is made after the answer
        (services/deferred.py). A failed delivery is audited as
        ``notification.send_failed``.
        """
        if not self.offered or not browser:
            return
        try:
            email = normalise_email(typed_email)
        except InvalidInput:
            return
        keys = [("link-send-burst", f"to:{email}", SEND_BURST),
                ("link-send", f"to:{email}", SEND_WINDOW)]
        if self.throttle.longest_wait(self.tenant_id, [(s, k) for s, k, _ in keys]):
            return
        for scope, key, policy in keys:
            self.throttle.failure(self.tenant_id, scope, key, policy)
        with self.database.unit_of_work() as uow:
            user = uow.users(self.tenant_id).by_email(email)
            audit = uow.audit(self.tenant_id)
            if user is None or user.disabled or not user.email:
                audit.record("anonymous", "magic_link.requested", None, account="none")
                return
            audit.record(f"user:{user.id}", "magic_link.requested", None)
            user_id = user.id
            deferred.after_commit(uow, "magic-link", lambda: self._send(
                user_id, interaction_uid, browser, link_for, now))

    def _send(self, user_id: int, interaction_uid: str, browser: str,
              link_for: Callable[[str], str], now: dt.datetime) -> None:
        with self.database.unit_of_work() as uow:
            user = uow.users(self.tenant_id).by_id(user_id)
            if user is None or user.disabled or not user.email:
                return  # disabled or deleted in the last millisecond
            token = secrets.token_urlsafe(32)  # 256 bits
            links = uow.magic_links(self.tenant_id)
            links.drop_unused_of(user.id, interaction_uid)
            links.add(user.id, digest(token), interaction_uid, digest(browser), now,
                      now + TTL)
            uow.audit(self.tenant_id).record(f"user:{user.id}", "magic_link.sent", None)
            language = mail_locale(user.locale, self.locale)
            Notifier(self.database, self.senders).queue(
                uow, self.tenant_id, Channel.EMAIL, OutgoingMessage(
                    user.email, message_text(language, self.service, link_for(token)),
                    "magic_link", language))

    def use(self, token: str, interaction_uid: str, browser: str | None, source: str,
            now: dt.datetime) -> LinkResult:
        """Spend the link from this browser, or say why not (module docstring)."""
        wait = self.throttle.retry_after(self.tenant_id, "link-check", source)
        if wait is not None:
            return LinkResult(LinkUse.THROTTLED, retry_after=wait)
        with self.database.unit_of_work() as uow:
            links = uow.magic_links(self.tenant_id)
            row = links.by_token(digest(token)) if len(token) <= MAX_TOKEN else None
            if row is None or row.interaction_uid != interaction_uid:
                outcome = LinkResult(LinkUse.GONE)
            elif row.used_at is not None or row.expires_at <= now:
                return LinkResult(LinkUse.GONE)  # a real link, clicked late: not guessing
            elif not browser or not hmac.compare_digest(row.browser_digest,
                                                        digest(browser)):
                return LinkResult(LinkUse.OTHER_BROWSER)
            elif not links.use(row.id, digest(browser), now):
                return LinkResult(LinkUse.GONE)  # a concurrent click won
            else:
                user = uow.users(self.tenant_id).by_id(row.user_id)
                if user is None or user.disabled:
                    return LinkResult(LinkUse.GONE)
                uow.audit(self.tenant_id).record(f"user:{user.id}", "magic_link.used",
                                                 user.sub)
                return LinkResult(LinkUse.SIGNED_IN, user_id=user.id)
        self.throttle.failure(self.tenant_id, "link-check", source, CHECK_SOURCE)
        return outcome
