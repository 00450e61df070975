"""A real SMTP server (aiosmtpd) on a free loopback port: the peer our SMTP sender talks to.

``MailSink(tls=..., users=...)`` starts in a thread of its own; ``start()`` once per module
(or session), ``stop()`` at the end. Modes: ``"plain"`` (no TLS), ``"starttls"`` (STARTTLS
offered and required before MAIL, AUTH only after it), ``"implicit"`` (TLS from the first
byte, as smtps:// / port 465). With ``users`` it offers AUTH PLAIN and LOGIN and refuses
mail from an unauthenticated session. The certificate comes from a throw-away CA
(:class:`tests.support.tls.SinkCertificates`), so a client verifies it for real through
``cafile``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.tls import SinkCertificates

Mode = Literal["plain", "starttls", "implicit"]
WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class Received:
    """One message as the sink got it: envelope, parsed message, how the session went."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    login: str | None  # the user name the session authenticated as
    tls: bool


@dataclass
class _Handler:
    mode: Mode
    auth_required: bool
    messages: list[Received] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        # Enforced here rather than with aiosmtpd's auth_required, which cannot tell that
        # an implicit-TLS session is encrypted (and warns on every connection).
        if self.auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        tls = self.mode == "implicit" or session.ssl is not None
        with self.changed:
            self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos),
                                          parsed, login, tls))
            self.changed.notify_all()
        return "250 OK: queued"


class _ListeningController(Controller):
    """aiosmtpd's controller on a socket we bound ourselves (port 0: free, no race)."""

    def __init__(self, handler: Any, sock: socket.socket, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)
        self._sock = sock

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock,
                                       ssl=self.ssl_context)


class MailSink:
    """An SMTP server that keeps what it receives; see the module docstring."""

    def __init__(self, folder: Path, *, mode: Mode = "plain",
                 users: Mapping[str, str] | None = None) -> None:
        self.mode = mode
        self.users = dict(users or {})
        self.certificates = SinkCertificates(folder) if mode != "plain" else None
        self._handler = _Handler(mode, auth_required=bool(self.users))
        self._controller: _ListeningController | None = None
        self.port = 0

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        ok = user in self.users and self.users[user] == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def _smtp_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"server_hostname": "sink.test"}
        if self.users:
            options.update(authenticator=self._authenticate,
                           auth_exclude_mechanism=["CRAM-MD5"])
        if self.mode == "starttls":
            assert self.certificates is not None
            options.update(tls_context=self.certificates.server_context(),
                           require_starttls=True)
        else:
            # Plain: AUTH over cleartext, which only a development sender would try;
            # implicit: the whole session is TLS, which aiosmtpd's check cannot see.
            options.update(auth_require_tls=False)
        if self.mode == "implicit":
            assert self.certificates is not None
            options.update(ssl_context=self.certificates.server_context())
        return options

    def start(self) -> MailSink:
        sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        self._controller = _ListeningController(self._handler, sock, **self._smtp_options())
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def environ(self, user: str | None = None, password: str | None = None,
                email_from: str = "Example ID <id@example.com>") -> dict[str, str]:
        """The settings that send email here: for ``load_settings`` or a server's env."""
        return {"AUTHSERVER_EMAIL_SENDER": "smtp",
                "AUTHSERVER_SMTP_URL": self.url(user, password),
                "AUTHSERVER_EMAIL_FROM": email_from}

    @property
    def messages(self) -> list[Received]:
        with self._handler.changed:
            return list(self._handler.messages)

    def clear(self) -> None:
        with self._handler.changed:
            self._handler.messages.clear()

    def wait_for(self, to: str, timeout: float = WAIT_SECONDS) -> Received:
        """The latest message for ``to``, waiting up to ``timeout`` seconds for one."""
        def found() -> Received | None:
            return next((m for m in reversed(self._handler.messages) if to in m.rcpt_tos),
                        None)
        with self._handler.changed:
            received = self._handler.changed.wait_for(found, timeout)
        if received is None:
            raise AssertionError(f"no message for {to} reached the sink within {timeout} s; "
                                 f"it has {len(self.messages)} for others")
        return received

    def url(self, user: str | None = None, password: str | None = None,
            **options: str) -> str:
        """An ``AUTHSERVER_SMTP_URL`` for this sink (credentials percent-encoded)."""
        scheme = "smtps" if self.mode == "implicit" else "smtp"
        userinfo = ""
        if user is not None:
            userinfo = quote(user, safe="")
            if password is not None:
                userinfo += ":" + quote(password, safe="")
            userinfo += "@"
        if self.mode == "starttls":
            options.setdefault("starttls", "1")
        if self.certificates is not None:
            options.setdefault("cafile", str(self.certificates.cafile))
        query = "&".join(f"{key}={quote(value, safe='/')}" for key, value in options.items())
        return f"{scheme}://{userinfo}127.0.0.1:{self.port}" + (f"?{query}" if query else "")
