"""Hashes made with other argon2 parameters are replaced at the next successful sign-in,
and an unknown account costs what a known one costs (issue 9 item 5; SECURITY.md "same
timing"; docs/sign-in/passwords.md)."""

from __future__ import annotations

import dataclasses

import argon2
import pytest

from authserver.runtime import Runtime, argon2_parameters
from authserver.services.authentication import Outcome, PasswordSignIn
from authserver.services.known_devices import KnownDevices
from authserver.services.passwords import Argon2Parameters, Passwords
from authserver.settings import Settings
from authserver.storage.database import Database
from tests.conftest import Clock
from tests.support.oauth import PASSWORD, build_world
from tests.support.passwords import CountingPasswords
from tests.support.runtimes import make_runtime

# Cheap, so the test is fast; the settings path is what is under test, not the cost.
CONFIGURED = Argon2Parameters(memory_kib=2048, time_cost=2, parallelism=1)
OLDER = Argon2Parameters(memory_kib=1024, time_cost=1, parallelism=2)
SOURCE = "192.0.2.10"


@pytest.fixture
def runtime(settings: Settings, database: Database, clock: Clock) -> Runtime:
    configured = dataclasses.replace(
        settings, argon2_memory_kib=CONFIGURED.memory_kib,
        argon2_time_cost=CONFIGURED.time_cost, argon2_parallelism=CONFIGURED.parallelism)
    return make_runtime(configured, database, clock,
                        passwords=CountingPasswords(argon2_parameters(configured)))


@pytest.fixture
def tenant_id(runtime: Runtime) -> int:
    build_world(runtime)
    found = runtime.tenants.find("acme")
    assert found is not None
    return found.id


def sign_in(runtime: Runtime, tenant_id: int, password: str,
            identifier: str = "ann@example.com") -> Outcome:
    attempt = PasswordSignIn(runtime.database, runtime.throttle,
                             KnownDevices.from_master_key(runtime.master_key), tenant_id,
                             runtime.passwords)
    return attempt.attempt(identifier, password, SOURCE, None, runtime.clock()).outcome


def stored_hash(runtime: Runtime, tenant_id: int) -> str:
    with runtime.database.unit_of_work() as uow:
        user = uow.users(tenant_id).by_email("ann@example.com")
        assert user is not None and user.password_hash is not None
        return user.password_hash


def store_hash(runtime: Runtime, tenant_id: int, password_hash: str) -> None:
    with runtime.database.unit_of_work() as uow:
        user = uow.users(tenant_id).by_email("ann@example.com")
        assert user is not None
        user.password_hash = password_hash


def parameters_of(password_hash: str) -> Argon2Parameters:
    made = argon2.extract_parameters(password_hash)
    return Argon2Parameters(made.memory_cost, made.time_cost, made.parallelism)


def test_the_runtime_hashes_with_the_configured_parameters(runtime: Runtime,
                                                           tenant_id: int) -> None:
    assert runtime.passwords.parameters == CONFIGURED
    assert parameters_of(stored_hash(runtime, tenant_id)) == CONFIGURED, \
        "a user's hash must be made with the ARGON2_* settings"


def test_a_hash_made_with_other_parameters_is_rehashed_at_the_next_sign_in(
    runtime: Runtime, tenant_id: int
) -> None:
    store_hash(runtime, tenant_id, Passwords(OLDER).hash(PASSWORD))
    assert sign_in(runtime, tenant_id, PASSWORD) is Outcome.SIGNED_IN, \
        "an old hash must still verify"
    renewed = stored_hash(runtime, tenant_id)
    assert parameters_of(renewed) == CONFIGURED, "the stored hash must now be at the settings"
    assert runtime.passwords.verify(renewed, PASSWORD), "the new hash must verify the password"
    with runtime.database.unit_of_work() as uow:
        actions = [e.action for e in uow.audit(tenant_id).recent()]
    assert actions[0] == "login.succeeded", "the rehash is written with the sign-in's record"
    assert sign_in(runtime, tenant_id, PASSWORD) is Outcome.SIGNED_IN
    assert stored_hash(runtime, tenant_id) == renewed, \
        "a hash already at the settings must not be rehashed again"


def test_a_stronger_old_hash_is_also_brought_to_the_settings(runtime: Runtime,
                                                             tenant_id: int) -> None:
    store_hash(runtime, tenant_id, Passwords(Argon2Parameters(4096, 3, 1)).hash(PASSWORD))
    assert sign_in(runtime, tenant_id, PASSWORD) is Outcome.SIGNED_IN
    assert parameters_of(stored_hash(runtime, tenant_id)) == CONFIGURED, \
        "the operator's choice wins in both directions"


def test_a_wrong_password_never_rehashes(runtime: Runtime, tenant_id: int) -> None:
    old = Passwords(OLDER).hash(PASSWORD)
    store_hash(runtime, tenant_id, old)
    assert sign_in(runtime, tenant_id, "not the password") is Outcome.REFUSED
    assert stored_hash(runtime, tenant_id) == old, "a failed sign-in must leave the hash alone"


def test_an_unknown_account_is_checked_against_a_dummy_at_the_configured_parameters(
    runtime: Runtime, tenant_id: int
) -> None:
    counting = runtime.passwords
    assert isinstance(counting, CountingPasswords)
    assert sign_in(runtime, tenant_id, PASSWORD, identifier="nobody@example.com") \
        is Outcome.REFUSED
    assert sign_in(runtime, tenant_id, "wrong password") is Outcome.REFUSED
    unknown, known = counting.verified[-2:]
    assert parameters_of(unknown) == parameters_of(known) == CONFIGURED, \
        "no such account must cost one argon2 check at the same parameters as a real one"
    assert unknown == counting.dummy_hash()


def test_each_hasher_makes_its_dummy_with_its_own_parameters() -> None:
    assert parameters_of(Passwords(OLDER).dummy_hash()) == OLDER
    assert parameters_of(Passwords(CONFIGURED).dummy_hash()) == CONFIGURED
