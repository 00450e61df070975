"""services/client_secrets: which of a client's secrets authenticate at an instant (the
rule the client directory and the sign-up API's explicit errors share), as a table."""

from __future__ import annotations

import datetime as dt

import pytest

from authserver.runtime import Runtime, admin_context
from authserver.services import client_admin, signup
from authserver.services.client_secrets import SecretColumns, live_digests
from authserver.storage.models import Client
from tests.conftest import Clock
from tests.support.oauth import build_world

NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.mark.parametrize(("columns", "current", "previous", "changes_at"), [
    (SecretColumns("new", None, None, None), "new", None, None),
    (SecretColumns("new", None, "old", NOW + HOUR), "new", "old", NOW + HOUR),
    (SecretColumns("new", None, "old", NOW), "new", None, None),
    (SecretColumns("new", None, "old", NOW - HOUR), "new", None, None),
    (SecretColumns("new", None, "old", None), "new", None, None),
    (SecretColumns("new", NOW + HOUR, None, None), "new", None, NOW + HOUR),
    (SecretColumns("new", NOW, None, None), None, None, None),
    (SecretColumns("new", NOW + 2 * HOUR, "old", NOW + HOUR), "new", "old", NOW + HOUR),
    (SecretColumns(None, None, None, None), None, None, None),
])
def test_live_digests(columns: SecretColumns, current: str | None, previous: str | None,
                      changes_at: dt.datetime | None) -> None:
    live = live_digests(columns, NOW)
    assert (live.current, live.previous, live.changes_at) == (current, previous, changes_at), (
        f"{columns}: a secret works strictly before its end, and a previous one only "
        "with an end")


def test_explicit_errors_accept_either_secret_during_the_overlap(runtime: Runtime,
                                                                 clock: Clock) -> None:
    world = build_world(runtime)
    with runtime.database.unit_of_work() as uow:
        row = uow.session.query(Client).filter_by(client_id="web").one()
        row.explicit_errors = True
        tenant_id = row.tenant_id
    rotated = client_admin.rotate_secret(admin_context(runtime, "test"), "acme", "web", HOUR)

    def proved(secret: str) -> bool:
        return signup.explicit_errors(runtime.database, tenant_id, "web", secret, clock())

    assert proved(world.web_secret) and proved(rotated.client_secret)
    clock.advance(hours=1)
    assert not proved(world.web_secret), "the old secret proves nothing after the overlap"
    assert proved(rotated.client_secret)
