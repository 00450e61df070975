"""The sender settings: which sender each channel gets, and one exact line for every
configuration that cannot work or is unsafe (the operator reads it at start-up)."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from authserver.services.senders import Channel, build_senders
from authserver.services.senders.console import ConsoleSender
from authserver.services.senders.smtp import SmtpSender
from authserver.services.senders.webhook import WebhookSender
from authserver.settings import Settings, SettingsError, load_settings, parse_master_key

SECRET_KEY = bytes(range(100, 132))
SECRET = "whsec_" + base64.b64encode(SECRET_KEY).decode()
PRODUCTION = {"AUTHSERVER_ENV": "production", "AUTHSERVER_MASTER_KEY": "ab" * 32,
              "AUTHSERVER_PUBLIC_URL": "https://id.example"}
SHAPE = ("must look like smtp://user:pass@host:587?starttls=1, smtps://user:pass@host:465 "
         "or smtp://host:25")
SECRET_SHAPE = ("must be whsec_ followed by the base64 of 24 to 64 random bytes (make one with: "
                "python3 -c 'import base64, secrets; "
                "print(\"whsec_\" + base64.b64encode(secrets.token_bytes(32)).decode())')")


def refusal(environ: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    return str(caught.value)


def test_development_defaults_to_the_console_on_both_channels() -> None:
    senders = build_senders(load_settings({}))
    assert isinstance(senders.get(Channel.EMAIL), ConsoleSender)
    assert isinstance(senders.get(Channel.SMS), ConsoleSender)


def test_production_has_no_sender_unless_one_is_configured() -> None:
    senders = build_senders(load_settings(PRODUCTION))
    assert senders.get(Channel.EMAIL) is None and senders.get(Channel.SMS) is None


def test_a_url_alone_chooses_its_sender() -> None:
    settings = load_settings({**PRODUCTION,
                              "AUTHSERVER_SMTP_URL": "smtps://u:pw@mail.example",
                              "AUTHSERVER_EMAIL_FROM": "auth@example.com",
                              "AUTHSERVER_SMS_WEBHOOK_URL": "https://sms.example/hook",
                              "AUTHSERVER_SMS_WEBHOOK_SECRET": SECRET})
    senders = build_senders(settings)
    assert isinstance(senders.get(Channel.EMAIL), SmtpSender)
    assert isinstance(senders.get(Channel.SMS), WebhookSender)
    assert settings.sms_webhook_secret is not None
    assert settings.sms_webhook_secret.key == SECRET_KEY, "the secret is the base64-decoded key"


def test_the_smtp_url_is_parsed_with_percent_decoded_credentials() -> None:
    target = load_settings({
        "AUTHSERVER_SMTP_URL": "smtp://us%40er:p%3Ass%2Fw%25rd@Mail.Example:2525"
                               "?starttls=1&timeout=3.5",
        "AUTHSERVER_EMAIL_FROM": "auth@example.com"}).smtp_url
    assert target is not None
    assert (target.host, target.port, target.starttls, target.implicit_tls) == (
        "mail.example", 2525, True, False)
    assert (target.username, target.password, target.timeout) == ("us@er", "p:ss/w%rd", 3.5)


@pytest.mark.parametrize(("url", "port", "tls"), [
    ("smtp://mail.example", 25, False), ("smtp://mail.example?starttls=1", 587, True),
    ("smtps://mail.example", 465, True)])
def test_the_default_port_follows_the_scheme(url: str, port: int, tls: bool) -> None:
    target = load_settings({"AUTHSERVER_SMTP_URL": url,
                            "AUTHSERVER_EMAIL_FROM": "a@example.com"}).smtp_url
    assert target is not None and (target.port, target.tls) == (port, tls)
    assert target.timeout == 10.0, "the default timeout is 10 s"


@pytest.mark.parametrize(("environ", "message"), [
    ({"AUTHSERVER_EMAIL_SENDER": "pigeon"},
     "AUTHSERVER_EMAIL_SENDER: must be console or smtp, got 'pigeon'"),
    ({"AUTHSERVER_SMS_SENDER": "smtp"},
     "AUTHSERVER_SMS_SENDER: must be console or webhook, got 'smtp'"),
    ({"AUTHSERVER_SMTP_URL": "https://mail.example"}, f"AUTHSERVER_SMTP_URL: {SHAPE}"),
    ({"AUTHSERVER_SMTP_URL": "smtp://mail.example/inbox"},
     f"AUTHSERVER_SMTP_URL: {SHAPE} (no path or fragment)"),
    ({"AUTHSERVER_SMTP_URL": "smtp://mail.example:0x19"},
     "AUTHSERVER_SMTP_URL: the port must be a number from 1 to 65535"),
    ({"AUTHSERVER_SMTP_URL": "smtp://mail.example?tls=1"},
     "AUTHSERVER_SMTP_URL: unknown option 'tls' (known: starttls, timeout, cafile)"),
    ({"AUTHSERVER_SMTP_URL": "smtps://mail.example?starttls=1"},
     "AUTHSERVER_SMTP_URL: smtps:// is already TLS; starttls applies to smtp:// only"),
    ({"AUTHSERVER_SMTP_URL": "smtp://mail.example?starttls=maybe"},
     "AUTHSERVER_SMTP_URL: starttls must be 1 or 0, got 'maybe'"),
    ({"AUTHSERVER_SMTP_URL": "smtp://mail.example?timeout=0"},
     "AUTHSERVER_SMTP_URL: timeout must be seconds between 0 and 120, got '0'"),
    ({"AUTHSERVER_SMTP_URL": "smtp://:pw@mail.example"},
     "AUTHSERVER_SMTP_URL: a password needs a user name (smtp://user:pass@host)"),
    ({"AUTHSERVER_EMAIL_SENDER": "smtp", "AUTHSERVER_EMAIL_FROM": "a@example.com"},
     "AUTHSERVER_SMTP_URL: is required when EMAIL_SENDER is smtp"),
    ({"AUTHSERVER_SMTP_URL": "smtp://mail.example"},
     "AUTHSERVER_EMAIL_FROM: is required when EMAIL_SENDER is smtp"),
    ({"AUTHSERVER_EMAIL_FROM": "not an address"},
     "AUTHSERVER_EMAIL_FROM: must be one email address such as auth@example.com or "
     "'Example <auth@example.com>', got 'not an address'"),
    ({"AUTHSERVER_EMAIL_FROM": "a@example.com, b@example.com"},
     "AUTHSERVER_EMAIL_FROM: must be one email address such as auth@example.com or "
     "'Example <auth@example.com>', got 'a@example.com, b@example.com'"),
    ({"AUTHSERVER_SMS_WEBHOOK_URL": "ftp://sms.example"},
     "AUTHSERVER_SMS_WEBHOOK_URL: must be an absolute http:// or https:// URL, "
     "got 'ftp://sms.example'"),
    ({"AUTHSERVER_SMS_WEBHOOK_URL": "https://user:pw@sms.example"},
     "AUTHSERVER_SMS_WEBHOOK_URL: must not carry a user name, password or fragment"),
    ({"AUTHSERVER_SMS_WEBHOOK_SECRET": base64.b64encode(SECRET_KEY).decode()},
     f"AUTHSERVER_SMS_WEBHOOK_SECRET: {SECRET_SHAPE}"),
    ({"AUTHSERVER_SMS_WEBHOOK_SECRET": "whsec_not*base64"},
     f"AUTHSERVER_SMS_WEBHOOK_SECRET: {SECRET_SHAPE}"),
    ({"AUTHSERVER_SMS_WEBHOOK_SECRET": "whsec_" + base64.b64encode(b"short").decode()},
     f"AUTHSERVER_SMS_WEBHOOK_SECRET: {SECRET_SHAPE}"),
    ({"AUTHSERVER_SMS_SENDER": "webhook", "AUTHSERVER_SMS_WEBHOOK_SECRET": SECRET},
     "AUTHSERVER_SMS_WEBHOOK_URL: is required when SMS_SENDER is webhook"),
    ({"AUTHSERVER_SMS_WEBHOOK_URL": "http://127.0.0.1:9/sms"},
     "AUTHSERVER_SMS_WEBHOOK_SECRET: is required when SMS_SENDER is webhook"),
])
def test_bad_sender_settings_are_refused_in_one_exact_line(
    environ: dict[str, str], message: str,
) -> None:
    assert refusal(environ) == message


CONSOLE_REFUSED = ("console writes messages and their codes to the log; "
                   "it is refused in production")


@pytest.mark.parametrize(("environ", "message"), [
    ({"AUTHSERVER_EMAIL_SENDER": "console"}, f"AUTHSERVER_EMAIL_SENDER: {CONSOLE_REFUSED}"),
    ({"AUTHSERVER_SMS_SENDER": "console"}, f"AUTHSERVER_SMS_SENDER: {CONSOLE_REFUSED}"),
    ({"AUTHSERVER_SMTP_URL": "smtp://u:pw@mail.example:587",
      "AUTHSERVER_EMAIL_FROM": "a@example.com"},
     "AUTHSERVER_SMTP_URL: production refuses to send SMTP credentials without TLS: "
     "use smtps:// or ?starttls=1"),
    ({"AUTHSERVER_SMS_WEBHOOK_URL": "http://sms.example/hook",
      "AUTHSERVER_SMS_WEBHOOK_SECRET": SECRET},
     "AUTHSERVER_SMS_WEBHOOK_URL: production needs an https:// URL"),
])
def test_production_refuses_unsafe_senders(environ: dict[str, str], message: str) -> None:
    assert refusal({**PRODUCTION, **environ}) == message


def test_production_accepts_plain_smtp_without_credentials_to_a_local_relay() -> None:
    settings = load_settings({**PRODUCTION, "AUTHSERVER_SMTP_URL": "smtp://127.0.0.1:25",
                              "AUTHSERVER_EMAIL_FROM": "a@example.com"})
    assert isinstance(build_senders(settings).get(Channel.EMAIL), SmtpSender)


def test_settings_built_without_the_loader_are_checked_when_senders_are_built() -> None:
    with pytest.raises(SettingsError, match=f"^AUTHSERVER_SMS_SENDER: {CONSOLE_REFUSED}$"):
        build_senders(Settings(env="production", sms_sender="console"))


def test_no_credential_appears_in_an_error_or_a_repr() -> None:
    password = "hunter2-very-secret"
    for url in (f"smtp://u:{password}@mail.example?bogus=1",
                f"smtp://u:{password}@mail.example:99999",
                f"http://u:{password}@mail.example"):
        assert password not in refusal({"AUTHSERVER_SMTP_URL": url}), url
    assert "hunter2" not in refusal({"AUTHSERVER_SMS_WEBHOOK_SECRET": "whsec_hunter2"})
    master = "cd" * 32
    settings = load_settings({"AUTHSERVER_SMTP_URL": f"smtps://u:{password}@mail.example",
                              "AUTHSERVER_EMAIL_FROM": "a@example.com",
                              "AUTHSERVER_SMS_WEBHOOK_URL": "https://sms.example",
                              "AUTHSERVER_SMS_WEBHOOK_SECRET": SECRET,
                              "AUTHSERVER_MASTER_KEY": master})
    shown = repr(settings) + repr(build_senders(settings).by_channel)
    for name, value in {"SMTP password": password, "webhook secret": SECRET,
                        "webhook key": repr(SECRET_KEY),
                        "master key": repr(parse_master_key(master))}.items():
        assert value not in shown, f"the {name} appeared in a repr: {shown}"


def test_an_empty_value_unsets_a_sender_setting() -> None:
    settings = load_settings({"AUTHSERVER_SMTP_URL": "", "AUTHSERVER_EMAIL_SENDER": ""})
    assert settings.smtp_url is None and settings.email_sender is None


def test_console_in_production_stops_the_cli_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", **PRODUCTION, "AUTHSERVER_SMS_SENDER": "console",
           "AUTHSERVER_INSTANCE_PATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "authserver.cli", "tenant", "list"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, f"exit status must be 2, got {done.returncode}: {done.stderr}"
    assert done.stderr.strip().splitlines() == [
        f"authserver: configuration error: AUTHSERVER_SMS_SENDER: {CONSOLE_REFUSED}"]
