"""RP-Initiated Logout 1.0: which logout requests are followed back to the relying party.

The person is sent to ``post_logout_redirect_uri`` only if that exact URI is registered
for the client the ``id_token_hint`` or ``client_id`` names (§2, §3; RFC 9700 §4.1's exact
matching, since an open redirect after logout is as useful to a phisher as any other).
A request that cannot be followed raises :class:`LogoutRefused`; the web layer shows its
description on authserver's own page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from authserver.protocol import jws
from authserver.protocol.errors import LogoutRefused
from authserver.protocol.ports import ClientRecord

MAX_STATE = 2048
NOT_OURS = "The id_token_hint was not issued by this server."


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    """A logout request that may be followed: whom it is for, and where it returns."""

    client: ClientRecord | None
    # Registered for ``client``; None: the person stays on authserver afterwards.
    post_logout_redirect_uri: str | None
    # Passed back unchanged (§3); dropped when longer than any client needs.
    state: str | None

    @property
    def client_id(self) -> str | None:
        return self.client.client_id if self.client is not None else None


Keys = Callable[[], list[dict[str, Any]]]


def hinted_client_id(hint: str | None, issuer: str, keys: Keys) -> str | None:
    """The client an ``id_token_hint`` was issued to; None without a hint. ``keys``: the
    tenant's published JWKs, read only when there is a hint to check.

    An expired ID token is still a fine hint (§2); its signature and issuer must be ours.
    """
    if not hint:
        return None
    try:
        claims = jws.verify(hint, keys(), jws.SIGNING_ALGS)
    except jws.JWSError:
        raise LogoutRefused(NOT_OURS) from None
    aud = claims.get("aud")
    aud = aud[0] if isinstance(aud, list) and len(aud) == 1 else aud
    if claims.get("iss") != issuer or not isinstance(aud, str):
        raise LogoutRefused(NOT_OURS)
    return aud


def check_logout_request(params: Mapping[str, str], issuer: str, keys: Keys,
                         find_client: Callable[[str], ClientRecord | None]) -> LogoutRequest:
    """The logout request ``params`` make, or :class:`LogoutRefused` saying why not."""
    client_id = params.get("client_id")
    hinted = hinted_client_id(params.get("id_token_hint"), issuer, keys)
    if client_id and hinted and client_id != hinted:
        raise LogoutRefused("client_id does not match the id_token_hint.")
    client_id = client_id or hinted
    client = find_client(client_id) if client_id else None
    if client_id and client is None:
        raise LogoutRefused("The application is not registered.")
    target = params.get("post_logout_redirect_uri")
    if target:
        if client is None:
            raise LogoutRefused("post_logout_redirect_uri needs id_token_hint or client_id.")
        if target not in client.post_logout_redirect_uris:
            raise LogoutRefused("post_logout_redirect_uri is not registered for this application.")
    state = params.get("state")
    return LogoutRequest(client, target or None,
                         state if state and len(state) <= MAX_STATE else None)


def return_uri(post_logout_redirect_uri: str, state: str | None) -> str:
    """Where the person goes after confirming: the registered URI, plus ``state`` (§3)."""
    if not state:
        return post_logout_redirect_uri
    separator = "&" if urlsplit(post_logout_redirect_uri).query else "?"
    return post_logout_redirect_uri + separator + urlencode([("state", state)])
