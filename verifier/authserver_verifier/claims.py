"""The typed, read-only result of a successful verification."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

__all__ = ["Claims"]


class Claims(Mapping[str, Any]):
    """Verified token claims: typed attributes plus read-only dict access.

    Attributes cover the RFC 9068 access-token claims; anything else is
    available as ``claims["name"]`` / ``claims.get("name")``. ``scopes`` is a
    frozenset built from the space-separated ``scope`` claim (or a ``scp``
    list). ``aud`` is always a tuple, whether the token carried a string or a
    list. Instances are immutable.

    Example::

        claims = verifier.verify(token)
        claims.sub, claims.client_id, "stores:read" in claims.scopes
        claims["tenant"], claims.get("email", "")
    """

    __slots__ = ("_data", "scopes")

    _data: dict[str, Any]
    scopes: frozenset[str]

    def __init__(self, data: Mapping[str, Any], scopes: frozenset[str] | None = None) -> None:
        object.__setattr__(self, "_data", dict(data))
        if scopes is None:
            scopes = scopes_from_claims(self._data)
        object.__setattr__(self, "scopes", scopes)

    @classmethod
    def _trusted(cls, data: dict[str, Any], scopes: frozenset[str]) -> Claims:
        # Hot path: the verifier owns ``data`` (freshly parsed), so skip the copy.
        self = object.__new__(cls)
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "scopes", scopes)
        return self

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Claims are immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Claims are immutable")

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Claims({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Claims, (self._data, self.scopes))

    def to_dict(self) -> dict[str, Any]:
        """Return a shallow copy of the raw claims as a plain dict.

        Example::

            json.dumps(claims.to_dict())
        """
        return dict(self._data)

    def has_scopes(self, *scopes: str) -> bool:
        """True if every given scope was granted.

        Example::

            if claims.has_scopes("stores:write"): ...
        """
        return all(s in self.scopes for s in scopes)

    @property
    def sub(self) -> str | None:
        """Subject (user or, for client-credentials tokens, the client)."""
        return self._data.get("sub")

    @property
    def iss(self) -> str | None:
        """Issuer URL; equals the verifier's configured issuer."""
        return self._data.get("iss")

    @property
    def aud(self) -> tuple[str, ...]:
        """Audiences, always as a tuple."""
        aud = self._data.get("aud")
        if isinstance(aud, str):
            return (aud,)
        if isinstance(aud, list):
            return tuple(aud)
        return ()

    @property
    def exp(self) -> int | float | None:
        """Expiry, seconds since the epoch."""
        return self._data.get("exp")

    @property
    def iat(self) -> int | float | None:
        """Issued-at, seconds since the epoch."""
        return self._data.get("iat")

    @property
    def nbf(self) -> int | float | None:
        """Not-before, seconds since the epoch, if present."""
        return self._data.get("nbf")

    @property
    def client_id(self) -> str | None:
        """OAuth client the token was issued to (RFC 9068 §2.2)."""
        return self._data.get("client_id")

    @property
    def jti(self) -> str | None:
        """Unique token identifier."""
        return self._data.get("jti")


def scopes_from_claims(data: Mapping[str, Any]) -> frozenset[str]:
    """Extract granted scopes from ``scope`` (space-separated) or ``scp`` (list or string).

    Example::

        >>> sorted(scopes_from_claims({"scope": "a b"}))
        ['a', 'b']
        >>> sorted(scopes_from_claims({"scp": ["a", "b"]}))
        ['a', 'b']
    """
    scope = data.get("scope")
    if isinstance(scope, str):
        return frozenset(scope.split())
    scp = data.get("scp")
    if isinstance(scp, str):
        return frozenset(scp.split())
    if isinstance(scp, list):
        return frozenset(s for s in scp if isinstance(s, str))
    return frozenset()
