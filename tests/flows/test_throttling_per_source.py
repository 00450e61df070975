"""Failed sign-ins are also limited per source address, before any password is hashed
(issue 9 item 5; services/throttle.py LOGIN_SOURCE; docs/sign-in/passwords.md).

Each password check costs one argon2 hash, so an address spraying made-up identifiers
(each with a bucket of its own) is blocked once it has failed LOGIN_SOURCE.limit times,
and a blocked attempt reaches no hash at all. Other addresses and browsers holding the
account's known-device cookie are unaffected; the block is short and ends.
"""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask

from authserver.runtime import Runtime, argon2_parameters
from authserver.services.throttle import LOGIN_PAIR, LOGIN_SOURCE
from authserver.settings import Settings
from authserver.storage.database import Database
from tests.conftest import Clock
from tests.flows.test_throttling import (
    OWNER_ADDRESS,
    STRANGER_ADDRESS,
    attempt,
    browser,
    known_browser,
    page_text,
    signed_in,
)
from tests.support.oauth import PASSWORD, World, build_world
from tests.support.passwords import CountingPasswords
from tests.support.runtimes import make_runtime

NAT_ADDRESS = "192.0.2.55"  # an office behind one address: owner and sprayer share it


@pytest.fixture
def runtime(settings: Settings, database: Database, clock: Clock) -> Runtime:
    # A cheap hash keeps the many attempts fast; what is counted is whether one ran.
    cheap = dataclasses.replace(settings, argon2_memory_kib=1024, argon2_time_cost=1)
    return make_runtime(cheap, database, clock,
                        passwords=CountingPasswords(argon2_parameters(cheap)))


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime, first_party=True)


@pytest.fixture
def hasher(runtime: Runtime) -> CountingPasswords:
    assert isinstance(runtime.passwords, CountingPasswords)
    return runtime.passwords


def spray(app: Flask, address: str, times: int) -> list[int]:
    """Failed sign-ins from ``address``, each with an identifier of its own, so no
    (account, address) bucket fills up: only the per-source one can stop them."""
    sprayer = browser(app, address)
    return [attempt(sprayer, f"guess{i}@example.com", "wrong").status_code
            for i in range(times)]


def test_an_address_spraying_identifiers_is_blocked_before_any_hash(
    world: World, app: Flask, hasher: CountingPasswords
) -> None:
    assert LOGIN_SOURCE.limit > LOGIN_PAIR.limit, "the per-source limit must be the generous one"
    assert spray(app, STRANGER_ADDRESS, LOGIN_SOURCE.limit) == [401] * LOGIN_SOURCE.limit, \
        "every failure up to the limit is an ordinary refusal"
    checks = len(hasher.verified)
    blocked = attempt(browser(app, STRANGER_ADDRESS), "ann@example.com", PASSWORD)
    assert blocked.status_code == 429, "a blocked address's right password must not pass"
    assert blocked.headers.get("Retry-After") == "60", "the first block is one minute"
    assert "Too many attempts. Try again in 1 minute." in blocked.get_data(as_text=True)
    assert len(hasher.verified) == checks, "a blocked attempt must not compute any hash"


def test_a_blocked_address_gets_the_same_page_whatever_is_typed(world: World,
                                                                app: Flask) -> None:
    spray(app, STRANGER_ADDRESS, LOGIN_SOURCE.limit)
    known = attempt(browser(app, STRANGER_ADDRESS), "ann@example.com", PASSWORD)
    unknown = attempt(browser(app, STRANGER_ADDRESS), "nobody@example.com", "wrong")
    assert (known.status_code, known.headers["Retry-After"], page_text(known)) == \
        (unknown.status_code, unknown.headers["Retry-After"],
         page_text(unknown).replace("nobody@example.com", "ann@example.com")), \
        "the per-source block must not tell a real account from an unknown one"


def test_other_addresses_are_unaffected(world: World, app: Flask,
                                        hasher: CountingPasswords) -> None:
    spray(app, STRANGER_ADDRESS, LOGIN_SOURCE.limit)
    assert signed_in(attempt(browser(app, OWNER_ADDRESS), "ann@example.com", PASSWORD)), \
        "one address's failures must not refuse the owner elsewhere"


def test_a_known_browser_behind_the_blocked_address_keeps_signing_in(
    world: World, app: Flask, hasher: CountingPasswords
) -> None:
    owner = known_browser(app, NAT_ADDRESS)
    spray(app, NAT_ADDRESS, LOGIN_SOURCE.limit)
    assert attempt(browser(app, NAT_ADDRESS), "ann@example.com", PASSWORD).status_code == 429, \
        "a new browser behind the address is blocked"
    checks = len(hasher.verified)
    assert signed_in(attempt(owner, "ann@example.com", PASSWORD)), \
        "the known-device cookie holder is exempt from the per-source limit"
    assert len(hasher.verified) == checks + 1, "and its password is checked as usual"


def test_successes_from_the_address_neither_count_nor_clear_the_block(
    world: World, app: Flask
) -> None:
    for _ in range(LOGIN_SOURCE.limit + 5):  # an office signing in, all of them right
        assert signed_in(attempt(browser(app, NAT_ADDRESS), "ann@example.com", PASSWORD)), \
            "successful sign-ins must never fill the per-source bucket"
    spray(app, NAT_ADDRESS, LOGIN_SOURCE.limit - 1)
    assert signed_in(attempt(browser(app, NAT_ADDRESS), "ann@example.com", PASSWORD))
    assert spray(app, NAT_ADDRESS, 2) == [401, 429], \
        "a success must not reset the address's failures (the sprayer's own account would)"


def test_the_block_is_short_and_ends(world: World, app: Flask, clock: Clock) -> None:
    spray(app, STRANGER_ADDRESS, LOGIN_SOURCE.limit)
    assert attempt(browser(app, STRANGER_ADDRESS), "ann@example.com",
                   PASSWORD).status_code == 429
    clock.advance(seconds=LOGIN_SOURCE.block.total_seconds() + 1)
    assert signed_in(attempt(browser(app, STRANGER_ADDRESS), "ann@example.com", PASSWORD)), \
        "after the block the right password works again"
