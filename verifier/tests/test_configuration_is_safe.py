"""Construction refuses configurations that would weaken verification."""

from __future__ import annotations

import pytest

from authserver_verifier import Verifier

JWKS = {"keys": []}


@pytest.mark.parametrize("algs", [(), ("none",), ("HS256",), ("ES256", "HS512"), ("XX999",)])
def test_weak_or_unknown_algorithm_lists_are_refused(algs):
    with pytest.raises(ValueError):
        Verifier(issuer="https://i", audience="a", algorithms=algs, jwks=JWKS)


def test_algorithms_are_mandatory():
    with pytest.raises(TypeError):
        Verifier(issuer="https://i", audience="a", jwks=JWKS)  # type: ignore[call-arg]


def test_single_algorithm_string_is_not_split_into_letters():
    verifier = Verifier(issuer="https://i", audience="a", algorithms="ES256", jwks=JWKS)
    assert verifier.algorithms == {"ES256"}, "a bare string must mean one algorithm"


@pytest.mark.parametrize("url", ["http://auth.example.com/jwks", "file:///etc/passwd"])
def test_plain_http_to_remote_hosts_and_other_schemes_are_refused(url):
    with pytest.raises(ValueError):
        Verifier(issuer="https://i", audience="a", algorithms=("ES256",), jwks_uri=url)


def test_plain_http_to_remote_host_allowed_only_when_asked():
    verifier = Verifier(
        issuer="https://i",
        audience="a",
        algorithms=("ES256",),
        jwks_uri="http://auth.internal/jwks",
        allow_http=True,
    )
    assert verifier.jwks.jwks_uri == "http://auth.internal/jwks"


def test_introspection_requires_client_credentials():
    with pytest.raises(ValueError):
        Verifier(
            issuer="https://i",
            audience="a",
            algorithms=("ES256",),
            jwks=JWKS,
            introspection_endpoint="https://i/introspect",
        )
