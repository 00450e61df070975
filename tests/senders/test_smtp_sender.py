"""The SMTP sender against a real SMTP server (aiosmtpd): plain, STARTTLS with AUTH, and
implicit TLS, configured through AUTHSERVER_SMTP_URL as an operator would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from authserver.services.senders import Channel, OutgoingMessage, Sender, SendFailed, build_senders
from authserver.settings import SettingsError, load_settings
from tests.support.mail_sink import MailSink
from tests.support.server import free_port

FROM = "Example ID <auth@example.com>"
USER = "mailer@example.com"
PASSWORD = "p@ss:w/rd%20 with spaces"  # every character a URL must percent-encode
CODE_TEXT = "Your sign-in code is 482913. It expires in 5 minutes."


def email_sender(url: str, email_from: str = FROM) -> Sender:
    senders = build_senders(load_settings({"AUTHSERVER_EMAIL_SENDER": "smtp",
                                           "AUTHSERVER_SMTP_URL": url,
                                           "AUTHSERVER_EMAIL_FROM": email_from}))
    sender = senders.get(Channel.EMAIL)
    assert sender is not None, "EMAIL_SENDER=smtp must give the email channel a sender"
    return sender


def sign_in_code(to: str) -> OutgoingMessage:
    return OutgoingMessage(to=to, text=CODE_TEXT, purpose="sign_in")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    sink = MailSink(tmp_path_factory.mktemp("plain"), mode="plain").start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def starttls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    sink = MailSink(tmp_path_factory.mktemp("starttls"), mode="starttls",
                    users={USER: PASSWORD}).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def implicit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    sink = MailSink(tmp_path_factory.mktemp("implicit"), mode="implicit",
                    users={USER: PASSWORD}).start()
    yield sink
    sink.stop()


def test_a_code_is_delivered_as_plain_text_mail_with_a_subject_from_its_purpose(
    plain: MailSink,
) -> None:
    email_sender(plain.url()).send(sign_in_code("ada@example.org"))
    received = plain.wait_for("ada@example.org")
    mail = received.message
    assert received.mail_from == "auth@example.com", "the envelope sender is EMAIL_FROM's address"
    assert mail["From"] == FROM
    assert mail["To"] == "ada@example.org"
    assert mail["Subject"] == "Your sign-in code"
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().strip() == CODE_TEXT
    assert mail["Message-ID"] and mail["Date"], "Message-ID and Date are set by the sender"
    assert received.login is None and received.tls is False


def test_starttls_with_auth_upgrades_before_authenticating(starttls: MailSink) -> None:
    email_sender(starttls.url(USER, PASSWORD)).send(sign_in_code("grace@example.org"))
    received = starttls.wait_for("grace@example.org")
    assert received.tls is True, "the message must travel after STARTTLS"
    assert received.login == USER, "the percent-encoded user name must be decoded"
    assert received.message.get_content().strip() == CODE_TEXT


def test_implicit_tls_smtps_with_auth(implicit: MailSink) -> None:
    email_sender(implicit.url(USER, PASSWORD)).send(sign_in_code("linus@example.org"))
    received = implicit.wait_for("linus@example.org")
    assert received.tls is True and received.login == USER


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_a_wrong_password_is_send_failed_naming_only_the_server_and_status(
    mode: str, request: pytest.FixtureRequest,
) -> None:
    sink: MailSink = request.getfixturevalue(mode)
    before = len(sink.messages)
    with pytest.raises(SendFailed) as failed:
        email_sender(sink.url(USER, "wrong-password")).send(sign_in_code("eve@example.org"))
    assert str(failed.value) == (f"email not sent through 127.0.0.1:{sink.port}: "
                                 "SMTPAuthenticationError 535")
    assert len(sink.messages) == before, "nothing may be delivered without authentication"


def test_an_unreachable_server_is_send_failed_at_once() -> None:
    port = free_port()  # nothing listens there: the connection is refused, not timed out
    with pytest.raises(SendFailed) as failed:
        email_sender(f"smtp://127.0.0.1:{port}?timeout=2").send(sign_in_code("a@example.org"))
    assert str(failed.value) == (f"email not sent through 127.0.0.1:{port}: "
                                 "ConnectionRefusedError")


def test_starttls_asked_for_but_not_offered_never_falls_back_to_cleartext(
    plain: MailSink,
) -> None:
    before = len(plain.messages)
    with pytest.raises(SendFailed) as failed:
        email_sender(plain.url(starttls="1")).send(sign_in_code("bob@example.org"))
    assert str(failed.value).endswith(": SMTPNotSupportedError"), str(failed.value)
    assert len(plain.messages) == before, "a stripped STARTTLS must not send in the clear"


def test_an_untrusted_certificate_is_refused(starttls: MailSink) -> None:
    url = starttls.url(USER, PASSWORD).split("&cafile=")[0]  # the system CAs only
    with pytest.raises(SendFailed) as failed:
        email_sender(url).send(sign_in_code("bob@example.org"))
    assert str(failed.value).endswith(": SSLCertVerificationError"), str(failed.value)


@pytest.mark.parametrize("destination", ["bob@example.org\r\nBcc: all@example.org",
                                         "bob@example.org\nSubject: hi",
                                         "bob@example.org, all@example.org",
                                         "Bob <bob@example.org>", "bob", ""])
def test_a_destination_other_than_one_bare_address_is_refused_before_connecting(
    destination: str, plain: MailSink,
) -> None:
    before = len(plain.messages)
    with pytest.raises(SendFailed, match=r"^email not sent: the destination is not an address$"):
        email_sender(plain.url()).send(sign_in_code(destination))
    assert len(plain.messages) == before


def test_the_subject_follows_the_purpose(plain: MailSink) -> None:
    sender = email_sender(plain.url(), email_from="auth@example.com")
    for purpose, subject in [("magic_link", "Your sign-in link"),
                             ("verify_email", "Confirm your email address"),
                             ("account-recovery", "Your account recovery message")]:
        to = f"{purpose}@example.org"
        sender.send(OutgoingMessage(to=to, text="text", purpose=purpose))
        assert plain.wait_for(to).message["Subject"] == subject, purpose


def test_the_subject_is_in_the_message_language(plain: MailSink) -> None:
    sender = email_sender(plain.url(), email_from="auth@example.com")
    for purpose, locale, subject in [
            ("password_reset", "de", "Passwort zurücksetzen"),
            ("password_reset", "en", "Reset your password"),
            ("sign_in", "de", "Ihr Anmeldecode"),
            ("verify_email", "de", "Bestätigen Sie Ihre E-Mail-Adresse"),
            ("invitation", "de", "Sie wurden eingeladen"),
            ("signup_existing", "de",
             "Jemand hat versucht, sich mit Ihrer Adresse zu registrieren"),
            ("password_changed", "de", "Ihr Passwort wurde geändert"),
            ("magic_link", "xx", "Your sign-in link")]:
        to = f"{purpose}-{locale}@example.org"
        sender.send(OutgoingMessage(to=to, text="text", purpose=purpose, locale=locale))
        got = str(plain.wait_for(to).message["Subject"])
        assert got == subject, f"{purpose} in {locale}: the subject was {got!r}"


def test_a_cafile_that_cannot_be_read_stops_start_up(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(SettingsError) as caught:
        email_sender(f"smtps://u:pw@127.0.0.1?cafile={missing}")
    assert str(caught.value) == (f"AUTHSERVER_SMTP_URL: cafile {missing} is not a readable "
                                 "PEM file of CA certificates")


def test_a_server_that_requires_auth_refuses_a_url_without_credentials(
    starttls: MailSink,
) -> None:
    url = starttls.url()  # STARTTLS, no user
    with pytest.raises(SendFailed) as failed:
        email_sender(url).send(sign_in_code("bob@example.org"))
    assert str(failed.value) == (f"email not sent through 127.0.0.1:{starttls.port}: "
                                 "SMTPSenderRefused 530")
