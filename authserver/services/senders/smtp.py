"""Email through an SMTP server (RFC 5321), with the standard library only.

``smtps://`` speaks TLS from the first byte (RFC 8314 implicit TLS, port 465);
``smtp://…?starttls=1`` upgrades with STARTTLS (RFC 3207) and refuses to go on if the
server does not offer it, so a stripped STARTTLS never sends AUTH or the message in the
clear. Certificates are verified (the system's CAs, or the URL's ``cafile``).

Errors: every smtplib or socket failure becomes :class:`SendFailed` whose text names the
server and the kind of failure only, never the message, the code or the password.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from authserver.i18n import N_, gettext
from authserver.services.senders.base import OutgoingMessage, SendFailed
from authserver.settings import SettingsError, SmtpTarget

# Subjects by purpose, in the message's language (authserver/i18n); any other purpose
# gets a generic one.
SUBJECTS = {
    "sign_in": N_("Your sign-in code"),
    "sign-in": N_("Your sign-in code"),
    "mfa": N_("Your sign-in code"),
    "magic_link": N_("Your sign-in link"),
    "verify_email": N_("Confirm your email address"),
    "verify_phone": N_("Confirm your phone number"),
    "signup_existing": N_("Someone tried to sign up with your address"),
    "invitation": N_("You have been invited"),
    "password_reset": N_("Reset your password"),
    "password_changed": N_("Your password was changed"),
}


def subject_for(purpose: str, locale: str | None = None) -> str:
    if purpose in SUBJECTS:
        return gettext(locale, SUBJECTS[purpose])
    words = " ".join(purpose.replace("_", " ").replace("-", " ").split())
    return f"Your {words} message" if words else "Your message"


# One bare address: no display name, no list, nothing a header or the SMTP envelope would
# read as a second recipient or a second line.
_ADDRESS = re.compile(r"^[^\s@,;<>\"()\[\]\\]+@[^\s@,;<>\"()\[\]\\]+$")


def _destination(to: str) -> str:
    if not _ADDRESS.match(to):
        raise SendFailed("email not sent: the destination is not an address")
    return to


def _tls_context(target: SmtpTarget) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=target.cafile)
    except (OSError, ssl.SSLError):
        # Built at start-up (build_senders): a configuration error, not a failed send.
        raise SettingsError("SMTP_URL", f"cafile {target.cafile} is not a readable "
                                        "PEM file of CA certificates") from None


def _describe(exc: BaseException) -> str:
    """The kind of failure, safe to log: the SMTP status code but not the server's text
    (which may echo what we sent), an OSError's errno name but not its arguments."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "SMTPRecipientsRefused"
    return type(exc).__name__


class SmtpSender:
    """Sends each message as one plain-text email from ``from_address``."""

    def __init__(self, target: SmtpTarget, from_address: str,
                 tls_context: ssl.SSLContext | None = None) -> None:
        self.target = target
        self.from_address = from_address
        self._envelope_from = parseaddr(from_address)[1]
        self._tls = tls_context if tls_context is not None else (
            _tls_context(target) if target.tls else None)


    def _compose(self, message: OutgoingMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.from_address
        mail["To"] = _destination(message.to)
        mail["Subject"] = subject_for(message.purpose, message.locale)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self._envelope_from.rpartition("@")[2])
        mail.set_content(message.text)
        return mail

    def _connect(self) -> smtplib.SMTP:
        target = self.target
        if target.implicit_tls:
            return smtplib.SMTP_SSL(target.host, target.port, timeout=target.timeout,
                                    context=self._tls)
        return smtplib.SMTP(target.host, target.port, timeout=target.timeout)

    def _deliver(self, smtp: smtplib.SMTP, mail: EmailMessage, to: str) -> None:
        target = self.target
        smtp.ehlo()
        if target.starttls:
            # starttls() raises SMTPNotSupportedError when not offered: never downgrade.
            smtp.starttls(context=self._tls)
            smtp.ehlo()
        if target.username is not None:
            smtp.login(target.username, target.password or "")
        # The envelope names the one recipient itself, rather than trusting headers.
        smtp.send_message(mail, from_addr=self._envelope_from, to_addrs=[to])

    def send(self, message: OutgoingMessage) -> None:
        mail = self._compose(message)
        where = f"{self.target.host}:{self.target.port}"
        try:
            with self._connect() as smtp:
                self._deliver(smtp, mail, message.to)
        except (smtplib.SMTPException, OSError, UnicodeError) as exc:
            raise SendFailed(f"email not sent through {where}: {_describe(exc)}") from None
