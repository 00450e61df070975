"""The console sender (development) and the runtime's default senders."""

from __future__ import annotations

import logging

import pytest

from authserver.runtime import Runtime
from authserver.services.senders import Channel, OutgoingMessage, Senders
from authserver.services.senders.console import LOGGER_NAME, ConsoleSender
from authserver.settings import Settings
from authserver.storage.database import Database
from tests.support.runtimes import make_runtime
from tests.support.senders import RecordingSender


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
