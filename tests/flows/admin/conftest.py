"""Fixtures for the admin API tests: tenant ``acme`` (tests.support.oauth.build_world)
with an administering client holding every admin permission."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.admin_api import AdminHttp, as_admin
from tests.support.oauth import World, build_world


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def admin(http: FlaskClient, runtime: Runtime, world: World) -> AdminHttp:
    """Administers tenant acme with admin:read, admin:write and users:read:pii."""
    return as_admin(http, runtime, "acme")
