"""Fixtures for flow tests of pages that mail people: a runtime whose email sender
records what it is given (``sender``), and the usual world on it.

A test module takes them with ``from tests.support.mail_runtime import runtime, sender,
world``; a module that needs a different world defines its own ``world``.
"""

from __future__ import annotations

import pytest

from authserver.runtime import Runtime
from authserver.services.senders import Channel, Senders
from tests.support.oauth import World, build_world
from tests.support.runtimes import make_runtime
from tests.support.senders import RecordingSender


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def runtime(settings, database, clock, sender) -> Runtime:
    return make_runtime(settings, database, clock, senders=Senders({Channel.EMAIL: sender}))


@pytest.fixture
def world(runtime) -> World:
    return build_world(runtime)
