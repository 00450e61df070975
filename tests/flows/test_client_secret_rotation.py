"""Client secret rotation with an overlap, through the real token endpoint: during the
overlap the new and the replaced secret both authenticate (client_secret_basic and
client_secret_post), after it only the new one, at the instant it ends, without a query;
``overlap=0`` ends the old one at once; a second rotation ends the oldest secret."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from authserver.runtime import Runtime, admin_context
from authserver.services import client_admin
from authserver.services.client_changes import ClientChanges
from authserver.services.errors import Conflict, InvalidInput
from authserver.storage.models import AuditEvent
from tests.conftest import Clock
from tests.flows.test_token_path_statements import recorded
from tests.support.oauth import World, build_world
from tests.support.tokens import TOKEN, client_credentials, expect_error, expect_tokens

DAY = dt.timedelta(hours=24)


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def rotate(runtime: Runtime, overlap: dt.timedelta = DAY, client_id: str = "service",
           lifetime: dt.timedelta | None = None) -> client_admin.RotatedSecret:
    return client_admin.rotate_secret(admin_context(runtime, "test"), "acme", client_id,
                                      overlap, lifetime)


def works(http: FlaskClient, world: World, secret: str, what: str) -> None:
    expect_tokens(client_credentials(http, world, secret=secret), what)


def refused(http: FlaskClient, world: World, secret: str, what: str) -> None:
    expect_error(client_credentials(http, world, secret=secret), 401, "invalid_client", what)


def by_post(http: FlaskClient, world: World, secret: str) -> object:
    return http.post(TOKEN, data={"grant_type": "client_credentials",
                                  "client_id": world.service_id, "client_secret": secret})


def test_both_secrets_authenticate_during_the_overlap(
        runtime: Runtime, world: World, http: FlaskClient, clock: Clock) -> None:
    old = world.service_secret
    works(http, world, old, "the old secret before the rotation")  # the cache is warm
    new = rotate(runtime).client_secret
    assert new != old, "a rotation must make a new secret"
    works(http, world, new, "the new secret right after the rotation")
    works(http, world, old, "the old secret right after the rotation (overlap)")
    clock.advance(hours=23, minutes=59)
    works(http, world, old, "the old secret a minute before the overlap ends")
    works(http, world, new, "the new secret a minute before the overlap ends")


def test_after_the_overlap_only_the_new_secret_works_without_a_query(
        runtime: Runtime, world: World, http: FlaskClient, clock: Clock) -> None:
    old = world.service_secret
    new = rotate(runtime).client_secret
    works(http, world, old, "the old secret during the overlap")  # cached with both
    clock.advance(hours=24)
    refused(http, world, old, "the old secret at the instant the overlap ends")
    with recorded(runtime) as log:
        works(http, world, new, "the new secret after the overlap")
    # The key ring may reload after a day of clock; the client must not be fetched again.
    client_queries = [s for s in log if "FROM clients" in s]
    assert client_queries == [], ("ending the old secret must not cost the token path a "
                                  "client query: " + "\n".join(client_queries))


def test_a_refetched_registration_also_refuses_the_old_secret_after_the_overlap(
        runtime: Runtime, world: World, http: FlaskClient, clock: Clock) -> None:
    old = world.service_secret
    new = rotate(runtime).client_secret
    clock.advance(hours=25)
    runtime.clients.invalidate()  # as another process, or after CLIENT_CACHE_TTL
    refused(http, world, old, "the old secret after the overlap, freshly loaded")
    works(http, world, new, "the new secret after the overlap, freshly loaded")


def test_client_secret_post_honours_the_overlap_too(
        runtime: Runtime, world: World, http: FlaskClient, clock: Clock) -> None:
    from authserver.services.client_admin import update_client

    update_client(admin_context(runtime, "test"), "acme", "service",
                  ClientChanges(auth_method="client_secret_post"))
    old = world.service_secret
    new = rotate(runtime).client_secret
    for secret, what in ((old, "old"), (new, "new")):
        expect_tokens(by_post(http, world, secret), f"the {what} secret in the body, overlap")
    clock.advance(days=1, seconds=1)
    expect_error(by_post(http, world, old), 401, "invalid_client",
                 "the old secret in the body after the overlap")
    expect_tokens(by_post(http, world, new), "the new secret in the body after the overlap")


def test_overlap_zero_ends_the_old_secret_at_once(
        runtime: Runtime, world: World, http: FlaskClient) -> None:
    old = world.service_secret
    works(http, world, old, "the old secret before the rotation")
    rotated = rotate(runtime, dt.timedelta(0))
    assert rotated.previous_secret_expires_at is None, "overlap 0 keeps no old secret"
    refused(http, world, old, "the old secret after a rotation with overlap 0")
    works(http, world, rotated.client_secret, "the new secret after overlap 0")


def test_rotating_again_during_an_overlap_ends_the_oldest_secret(
        runtime: Runtime, world: World, http: FlaskClient) -> None:
    first = world.service_secret
    second = rotate(runtime).client_secret
    third = rotate(runtime).client_secret
    refused(http, world, first, "the first secret after a second rotation")
    works(http, world, second, "the second secret, in the second rotation's overlap")
    works(http, world, third, "the third secret")


def test_a_new_secret_can_expire(runtime: Runtime, world: World, http: FlaskClient,
                                 clock: Clock) -> None:
    rotated = rotate(runtime, dt.timedelta(0), lifetime=dt.timedelta(days=90))
    assert rotated.client_secret_expires_at == clock.now + dt.timedelta(days=90)
    works(http, world, rotated.client_secret, "an expiring secret before it expires")
    clock.advance(days=90)
    refused(http, world, rotated.client_secret, "a secret at its client_secret_expires_at")


def test_the_overlap_never_outlives_the_old_secrets_own_expiry(
        runtime: Runtime, world: World, http: FlaskClient, clock: Clock) -> None:
    expiring = rotate(runtime, dt.timedelta(0), lifetime=dt.timedelta(hours=1)).client_secret
    rotated = rotate(runtime, DAY)
    assert rotated.previous_secret_expires_at == clock.now + dt.timedelta(hours=1)
    clock.advance(hours=1)
    refused(http, world, expiring, "an old secret past its own expiry, inside the overlap")


def test_the_rotation_is_audited_without_any_secret(runtime: Runtime, world: World) -> None:
    rotated = rotate(runtime)
    with runtime.database.session() as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "client.secret_rotated")).one()
        assert (event.actor, event.target) == ("test", "service")
        assert event.details["overlap_seconds"] == 86400
        stored = repr(event.details)
    assert rotated.client_secret not in stored and world.service_secret not in stored, (
        "the audit record must not hold a secret")


@pytest.mark.parametrize("overlap", [dt.timedelta(seconds=-1), dt.timedelta(days=31)])
def test_an_overlap_out_of_range_is_refused(runtime: Runtime, world: World,
                                            overlap: dt.timedelta) -> None:
    with pytest.raises(InvalidInput) as refused_:
        rotate(runtime, overlap)
    assert refused_.value.field == "overlap"


@pytest.mark.parametrize("client_id", ["spa"])
def test_a_client_without_a_secret_has_none_to_rotate(runtime: Runtime, world: World,
                                                      client_id: str) -> None:
    with pytest.raises(Conflict, match="not a client secret"):
        rotate(runtime, client_id=client_id)


def test_every_secret_that_concurrent_rotations_hand_out_authenticates(
        runtime: Runtime, world: World, http: FlaskClient) -> None:
    start = threading.Barrier(2)
    handed_out: list[str] = []
    failures: list[BaseException] = []

    def rotate_once() -> None:
        start.wait()
        try:
            handed_out.append(rotate(runtime).client_secret)
        except Exception as exc:  # reported below, with what the other thread did
            failures.append(exc)

    threads = [threading.Thread(target=rotate_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and len(handed_out) == 2, f"both rotations must succeed: {failures}"
    runtime.clients.invalidate()
    for secret in handed_out:
        works(http, world, secret, "a secret a concurrent rotation handed out")
    refused(http, world, world.service_secret,
            "the original secret, two rotations on (the second ended the oldest)")
