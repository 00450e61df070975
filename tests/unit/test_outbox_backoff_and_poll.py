"""The outbox's retry schedule (services/outbox.py) and AUTHSERVER_OUTBOX_POLL."""

from __future__ import annotations

import random

import pytest

from authserver.services.outbox import LONGEST_WAIT, backoff
from authserver.settings import SettingsError, load_settings


@pytest.mark.parametrize(("failures", "nominal"), [
    (1, 10), (2, 30), (3, 90), (4, 270), (5, 810), (7, 7290), (8, 14400), (30, 14400)])
def test_the_wait_triples_from_10_s_to_a_4_h_cap_within_20_percent(failures: int,
                                                                   nominal: int) -> None:
    rng = random.Random(failures)
    waits = [backoff(failures, rng).total_seconds() for _ in range(200)]
    assert nominal * 0.8 <= min(waits) and max(waits) <= nominal * 1.2, \
        f"after failure {failures}: {min(waits)}..{max(waits)}, expected {nominal} ±20 %"
    assert len(set(waits)) > 100, "jitter must spread retries of messages that failed together"


def test_the_cap_is_never_exceeded() -> None:
    assert backoff(10**6, random.Random(1)) <= LONGEST_WAIT * 1.2


@pytest.mark.parametrize(("raw", "seconds"), [
    (None, 1), ("1", 1), ("5s", 5), ("2m", 120), ("0", 0), ("off", 0)])
def test_outbox_poll_is_a_duration_or_off(raw: str | None, seconds: int) -> None:
    environ = {} if raw is None else {"AUTHSERVER_OUTBOX_POLL": raw}
    assert load_settings(environ).outbox_poll == seconds


@pytest.mark.parametrize(("raw", "fragment"), [
    ("soon", "must be a duration"), ("2h", "at most 1h"), ("-1", "must be a duration")])
def test_a_bad_outbox_poll_is_refused_naming_it(raw: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"AUTHSERVER_OUTBOX_POLL": raw})
    message = str(caught.value)
    assert message.startswith("AUTHSERVER_OUTBOX_POLL: ") and fragment in message, message
