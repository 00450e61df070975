"""Nothing secret reaches a log line from the real senders, even at DEBUG and on failure:
not the SMTP password, not the webhook secret, and not the message (it holds the code);
only the console sender, made for development, logs the message."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest

from authserver.services.senders import Channel, OutgoingMessage, SendFailed, build_senders
from authserver.settings import load_settings
from tests.support.mail_sink import MailSink
from tests.support.server import free_port
from tests.support.webhook_receiver import WebhookReceiver, make_secret

PASSWORD = "correct-horse-battery-staple"
KEY = bytes(range(1, 33))
SECRET = make_secret(KEY)
TEXT = "Your sign-in code is 770123"


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    mail = MailSink(tmp_path_factory.mktemp("sink"), mode="starttls",
                    users={"mailer": PASSWORD}).start()
    yield mail
    mail.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    peer = WebhookReceiver(SECRET).start()
    yield peer
    peer.stop()


def send_everything(sink: MailSink, receiver: WebhookReceiver) -> list[str]:
    """Successful and failed sends on both channels; returns the failures' messages."""
    failures: list[str] = []
    message = OutgoingMessage("+15557654321", TEXT, "sign_in")
    cases = [
        ({"AUTHSERVER_SMTP_URL": sink.url("mailer", PASSWORD)}, Channel.EMAIL),
        ({"AUTHSERVER_SMTP_URL": sink.url("mailer", PASSWORD + "x")}, Channel.EMAIL),
        ({"AUTHSERVER_SMTP_URL": f"smtp://mailer:{PASSWORD}@127.0.0.1:{free_port()}"},
         Channel.EMAIL),
        ({"AUTHSERVER_SMS_WEBHOOK_URL": receiver.url}, Channel.SMS),
        ({"AUTHSERVER_SMS_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/sms"}, Channel.SMS),
    ]
    receiver.script(503)  # the successful SMS is retried once: a logged attempt
    for environ, channel in cases:
        settings = load_settings({**environ, "AUTHSERVER_EMAIL_FROM": "auth@example.com",
                                  "AUTHSERVER_SMS_WEBHOOK_SECRET": SECRET})
        sender = build_senders(settings).get(channel)
        assert sender is not None
        if channel is Channel.SMS:
            sender._sleep = lambda seconds: None  # type: ignore[attr-defined]
        try:
            sender.send(message if channel is Channel.SMS
                        else OutgoingMessage("ada@example.org", TEXT, "sign_in"))
        except SendFailed as exc:
            failures.append(str(exc))
    return failures


def test_real_senders_log_no_password_secret_or_message(
    sink: MailSink, receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    failures = send_everything(sink, receiver)
    assert len(failures) == 3, f"three of the five sends are meant to fail: {failures}"
    # The peers' own loggers (aiosmtpd's mail.log, werkzeug) print what they receive;
    # that is the test servers' business, not ours.
    ours = [r for r in caplog.records if not r.name.startswith(("mail.log", "werkzeug"))]
    logged = "\n".join(r.getMessage() for r in ours) + "\n".join(failures)
    assert logged.count("SMS webhook attempt 1 of 3") == 2, "failed attempts are logged"
    for name, value in {"SMTP password": PASSWORD, "webhook secret": SECRET,
                        "webhook key": base64.b64encode(KEY).decode(),
                        "message text": TEXT, "code": "770123"}.items():
        assert value not in logged, f"the {name} appeared in a log line or an error"
