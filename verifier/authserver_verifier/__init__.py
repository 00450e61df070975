"""Verify JWT access tokens issued by authserver in downstream APIs.

Example::

    from authserver_verifier import Verifier, InvalidToken, InsufficientScope

    verifier = Verifier(
        issuer="https://auth.example.com/t/default",
        audience="https://stores.example.com",
        algorithms=("ES256",),
    )
    claims = verifier.verify(token, required_scopes=["stores:read"])
"""

from .__about__ import __version__
from .claims import Claims
from .errors import (
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    VerificationUnavailable,
    VerifierError,
    bearer_challenge,
)
from .introspection import Introspector
from .jwks import JWKSCache, discover
from .keys import SUPPORTED_ALGORITHMS
from .verifier import DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_SIZE, RFC9068_REQUIRED_CLAIMS, Verifier

__all__ = [
    "DEFAULT_LEEWAY",
    "DEFAULT_MAX_TOKEN_SIZE",
    "RFC9068_REQUIRED_CLAIMS",
    "SUPPORTED_ALGORITHMS",
    "Claims",
    "InsufficientScope",
    "Introspector",
    "InvalidRequest",
    "InvalidToken",
    "JWKSCache",
    "VerificationUnavailable",
    "Verifier",
    "VerifierError",
    "__version__",
    "bearer_challenge",
    "discover",
]
