"""build_runtime is the one composition point: the database, clock and senders it is given
reach every object at construction, so no caller (tests included) patches them in later."""

from __future__ import annotations

import dataclasses

from authserver.runtime import build_runtime
from authserver.services.senders import Channel, OutgoingMessage, Senders
from authserver.services.senders.console import ConsoleSender
from authserver.settings import Settings
from authserver.storage.database import Database
from tests.conftest import Clock
from tests.support.oauth import build_world


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)


def test_the_given_database_and_clock_reach_every_long_lived_object(
    settings: Settings, database: Database, clock: Clock
) -> None:
    rt = build_runtime(settings, database=database, clock=clock)
    assert rt.database is database
    for part in (rt.keyring, rt.tenants, rt.clients, rt.throttle):
        assert part.database is database, f"{type(part).__name__} must use the given database"
    for part in (rt, rt.keyring, rt.throttle):
        assert part.clock is clock, f"{type(part).__name__} must use the given clock"


def test_each_tenant_is_wired_once_on_the_runtime_clock(
    settings: Settings, database: Database, clock: Clock
) -> None:
    rt = build_runtime(settings, database=database, clock=clock)
    build_world(rt)
    acme = rt.tenants.find("acme")
    assert acme is not None
    assert rt.protocol(acme) is rt.protocol(acme), "one token server per tenant"
    assert rt.tenant_context(acme) is rt.protocol(acme).ctx
    assert rt.tenant_context(acme).clock is clock
    changed = dataclasses.replace(acme, refresh_token_idle_ttl=60)
    assert rt.protocol(changed) is not rt.protocol(acme), \
        "a tenant whose settings changed gets new protocol objects"


def test_senders_default_to_the_configured_ones_and_are_kept_as_given(
    settings: Settings, database: Database
) -> None:
    configured = build_runtime(settings, database=database).senders
    assert isinstance(configured.get(Channel.EMAIL), ConsoleSender), \
        "development settings with no sender configured log messages to the console"
    sms = RecordingSender()
    rt = build_runtime(settings, database=database, senders=Senders({Channel.SMS: sms}))
    assert rt.senders.get(Channel.SMS) is sms
    assert rt.senders.get(Channel.EMAIL) is None
