"""The console sender (development) and the runtime's default senders."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from authserver.runtime import Runtime
from authserver.services.senders import Channel, OutgoingMessage, Senders
from authserver.services.senders.console import LOGGER_NAME, ConsoleSender
from authserver.settings import Settings, load_settings
from authserver.storage.database import Database
from tests.support.mail_sink import MailSink
from tests.support.runtimes import make_runtime
from tests.support.senders import RecordingSender
from tests.support.webhook_receiver import WebhookReceiver, make_secret


@pytest.mark.parametrize("channel", list(Channel))
def test_the_console_sender_logs_destination_purpose_and_the_whole_text(
    channel: Channel, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    ConsoleSender(channel).send(OutgoingMessage("ada@example.org", "Your code is 314159",
                                                "sign_in"))
    (record,) = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert record.levelno == logging.INFO
    assert record.getMessage() == (f"console {channel.value} sender (development only): "
                                   "to ada@example.org, purpose sign_in: Your code is 314159")


def test_a_runtime_built_without_senders_gets_the_configured_ones(runtime: Runtime) -> None:
    assert isinstance(runtime.senders.get(Channel.EMAIL), ConsoleSender), \
        "the test settings are development ones: console by default"
    assert isinstance(runtime.senders.get(Channel.SMS), ConsoleSender)


def test_senders_handed_to_the_runtime_win(settings: Settings, database: Database,
                                           clock: object) -> None:
    recording = RecordingSender()
    runtime = make_runtime(settings, database, clock,  # type: ignore[arg-type]
                           senders=Senders({Channel.SMS: recording}))
    assert runtime.senders.get(Channel.SMS) is recording
    assert runtime.senders.get(Channel.EMAIL) is None, "given senders replace all of them"


def test_the_peers_settings_reach_a_runtime_that_delivers_to_them(
    tmp_path: Path, database: Database, clock: object,
) -> None:
    with MailSink(tmp_path / "mail") as sink, WebhookReceiver(make_secret(b"k" * 32)) as gateway:
        settings = load_settings({**sink.environ(), **gateway.environ(),
                                  "AUTHSERVER_INSTANCE_PATH": str(tmp_path / "instance")})
        runtime = make_runtime(settings, database, clock)  # type: ignore[arg-type]
        email = runtime.senders.get(Channel.EMAIL)
        sms = runtime.senders.get(Channel.SMS)
        assert email is not None and sms is not None
        email.send(OutgoingMessage("ada@example.org", "code 111222", "sign_in"))
        sms.send(OutgoingMessage("+15551112222", "code 333444", "sign_in"))
        assert sink.wait_for("ada@example.org").message.get_content().strip() == "code 111222"
        assert gateway.wait_for("+15551112222").json["message"] == "code 333444"
