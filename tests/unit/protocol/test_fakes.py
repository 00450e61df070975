"""The fakes stand in for the ports only while they have the ports' shape: every method
a port declares, with the same parameters. A port that changes fails here first, not in
a table test that would then test a fake of something that no longer exists."""

from __future__ import annotations

import inspect

import pytest

from authserver.protocol import ports
from tests.unit.protocol import fakes

PAIRS = [
    pytest.param(ports.ClientDirectory, fakes.FakeClientDirectory, id="ClientDirectory"),
    pytest.param(ports.SigningKeys, fakes.FakeSigningKeys, id="SigningKeys"),
    pytest.param(ports.UserDirectory, fakes.FakeUserDirectory, id="UserDirectory"),
    pytest.param(ports.AssertionReplayGuard, fakes.FakeReplayGuard, id="AssertionReplayGuard"),
    pytest.param(ports.ClientThrottle, fakes.FakeClientThrottle, id="ClientThrottle"),
    *(pytest.param(port, fakes.FakeTokenStore, id=f"{port.__name__} (FakeTokenStore)")
      for port in (ports.CodeStorage, ports.CodeRedemption, ports.IssuanceStore,
                   ports.RefreshTokens, ports.GrantRevocation, ports.AccessTokenState)),
]


def declared(port: type) -> dict[str, list[str]]:
    return {name: list(inspect.signature(member).parameters)
            for name, member in vars(port).items()
            if callable(member) and not name.startswith("_")}


@pytest.mark.parametrize(("port", "fake"), PAIRS)
def test_each_fake_has_every_method_of_its_port(port: type, fake: type) -> None:
    for name, parameters in declared(port).items():
        method = getattr(fake, name, None)
        assert method is not None, f"{fake.__name__} lacks {port.__name__}.{name}"
        assert list(inspect.signature(method).parameters) == parameters, (
            f"{fake.__name__}.{name} takes other parameters than {port.__name__}.{name}")
