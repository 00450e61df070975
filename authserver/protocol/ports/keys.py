"""What signing tokens and publishing the JWKS need from the key store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class SigningKeys(Protocol):
    def current(self, alg: str) -> tuple[str, Any]:
        """(kid, private key object) of the key that signs ``alg`` now; KeyError if none."""
        ...

    def signing_algs(self) -> Sequence[str]: ...

    def published(self) -> list[dict[str, Any]]:
        """Public JWKs currently in the JWKS (tokens signed by any of them still verify)."""
        ...
