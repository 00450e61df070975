"""Fixtures shared by the verifier test suite.

Works from ``verifier/`` and from the repository root: the package directory
and this directory are put on sys.path explicitly, so the tests never depend
on pytest's rootdir or on the package being pip-installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _p in (_HERE, _HERE.parent):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import pytest  # noqa: E402
from avtestkit import (  # noqa: E402
    ALL_ALGS,
    AUDIENCE,
    FakeAuthServer,
    FakeClock,
    TestKey,
    make_keys,
)

from authserver_verifier import Verifier  # noqa: E402


@pytest.fixture(scope="session")
def keys() -> dict[str, TestKey]:
    """One key per algorithm, generated at runtime (never committed)."""
    return make_keys()


@pytest.fixture(scope="session")
def attacker_keys() -> dict[str, TestKey]:
    """Keys the verifier has never seen, reusing the real kids."""
    real = make_keys()
    return real


@pytest.fixture
def server(keys):
    srv = FakeAuthServer()
    srv.state.jwks = {"keys": [k.jwk() for k in keys.values()]}
    yield srv
    srv.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def static_verifier(keys) -> Verifier:
    """A verifier over a static JWKS (no network), accepting every test algorithm."""
    return Verifier(
        issuer="https://issuer.example.test/t/default",
        audience=AUDIENCE,
        algorithms=ALL_ALGS,
        jwks={"keys": [k.jwk() for k in keys.values()]},
    )


@pytest.fixture
def static_issuer(static_verifier) -> str:
    return static_verifier.issuer
