"""Which APIs a token is for and which scopes it carries (RFC 8707, RFC 6749 §3.3).

One decision, used by the authorization endpoint and every grant at the token endpoint:

- each ``resource`` must be an API the tenant has (registered, or the built-in admin
  API) that the client is allowed (directly or through an access group); anything else
  is ``invalid_target``, with the same description whether the API exists or not;
- a scope an API defines needs that API among the token's audiences and the client's
  grant of that scope on it, else ``invalid_scope``;
- the tenant's issuer is always a valid ``resource`` (authserver itself: userinfo), so
  one token can serve userinfo and an API;
- without ``resource`` the token is for authserver itself (userinfo), as before. If API
  scopes are asked for without one, a client allowed exactly one API gets that API as
  its default audience (Auth0's default audience, per client); a client allowed several
  must name the API, so a token never goes to an audience the client did not choose.
  The built-in admin API is never a default: admin tokens are asked for by name;
- with a resource, only the user scopes (openid, profile …) may sit beside API scopes:
  a token for an API carries nothing that API did not define.

Docs: docs/apis-and-access-groups.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from authserver.protocol.errors import InvalidScopeError, InvalidTargetError
from authserver.protocol.grants.common import USER_SCOPES, validate_resources
from authserver.protocol.ports import ApiDirectory, ApiRecord, ClientRecord

NOT_ALLOWED = "The client may not request one or more of these scopes."


@dataclass(frozen=True, slots=True)
class Audience:
    """The audiences (APIs; none: authserver itself) and scope of one access token."""

    apis: tuple[ApiRecord, ...]
    scope: str

    @property
    def resources(self) -> tuple[str, ...]:
        return tuple(api.identifier for api in self.apis)


def _allowed_api(client: ClientRecord, apis: ApiDirectory, resource: str) -> ApiRecord:
    api = apis.get(resource)
    if api is None or not (api.open_to_all or resource in client.api_permissions):
        # Unknown and not allowed read the same: no probing for a tenant's APIs.
        raise InvalidTargetError("The client may not request tokens for this resource.",
                                 detail=f"resource not allowed: {resource[:200]}")
    return api


def _default_api(client: ClientRecord, apis: ApiDirectory) -> ApiRecord:
    allowed = [api for api in map(apis.get, client.api_permissions)
               if api is not None and not api.builtin]
    if not allowed:
        raise InvalidScopeError(NOT_ALLOWED, detail="API scopes without any allowed API")
    if len(allowed) > 1:
        raise InvalidScopeError("Name the API these scopes are for with a resource parameter.",
                                detail="API scopes without resource, several APIs allowed")
    return allowed[0]


def _check_scope(client: ClientRecord, chosen: Sequence[ApiRecord], api_scopes: frozenset[str],
                 scope: str) -> None:
    defining = [api for api in chosen if scope in api.scopes]
    if defining:
        allowed = any(scope in client.api_permissions.get(api.identifier, ())
                      for api in defining)
    elif chosen:
        # Beside an API only the user scopes (they govern the ID token and consent).
        allowed = scope in USER_SCOPES and scope in client.allowed_scopes
    else:
        allowed = scope not in api_scopes and scope in client.allowed_scopes
    if not allowed:
        # The values are the requester's own input: logged, never echoed (errors.py).
        raise InvalidScopeError(NOT_ALLOWED, detail=f"not allowed: {scope[:100]}")


def _one_signing_alg(chosen: Sequence[ApiRecord], client: ClientRecord) -> None:
    algs = {api.access_token_alg or client.access_token_signed_response_alg for api in chosen}
    if len(algs) > 1:
        raise InvalidTargetError("These resources need differently signed tokens; ask for "
                                 "one at a time.", detail=f"algorithms {sorted(algs)}")


def default_scopes(client: ClientRecord, chosen: Sequence[ApiRecord],
                   api_scopes: frozenset[str]) -> list[str]:
    """What a client-credentials request without ``scope`` gets: every scope it holds
    on the chosen APIs; without one, its own non-user scopes no API defines."""
    if chosen:
        nothing: frozenset[str] = frozenset()
        held = [s for api in chosen
                for s in sorted(client.api_permissions.get(api.identifier, nothing) & api.scopes)]
        return list(dict.fromkeys(held))
    return [s for s in client.allowed_scopes if s not in USER_SCOPES and s not in api_scopes]


def resolve_target(client: ClientRecord, scopes: Sequence[str], resources: Sequence[str],
                   apis: ApiDirectory, *, default_all: bool = False) -> Audience:
    """The token's audiences and scope, or ``invalid_target`` / ``invalid_scope``.

    ``default_all``: an empty ``scopes`` means every scope the client holds for the
    audience (client credentials); otherwise it stays empty.
    """
    chosen = [_allowed_api(client, apis, r) for r in validate_resources(resources)]
    api_scopes = apis.scopes()
    requested = list(dict.fromkeys(scopes))
    if not chosen and any(s in api_scopes for s in requested):
        chosen = [_default_api(client, apis)]
    if chosen:
        _one_signing_alg(chosen, client)
    if not requested and default_all:
        requested = default_scopes(client, chosen, api_scopes)
    for scope in requested:
        _check_scope(client, chosen, api_scopes, scope)
    return Audience(tuple(chosen), " ".join(requested))


def narrowed(scopes: Sequence[str], granted_resources: Sequence[str],
             requested_resources: Sequence[str], apis: ApiDirectory) -> tuple[list[str],
                                                                               tuple[str, ...]]:
    """RFC 8707 §2.2 at the token endpoint (code exchange, refresh): ``resource`` may
    only narrow the audiences the grant was given, and the scopes narrow with them."""
    if not requested_resources:
        return list(scopes), tuple(granted_resources)
    requested = validate_resources(requested_resources)
    if any(r not in granted_resources for r in requested):
        raise InvalidTargetError("The resource was not part of the authorization grant.",
                                 detail="resource outside the grant")
    kept = [a for a in map(apis.get, requested) if a is not None]
    return ([s for s in scopes if s in USER_SCOPES or any(s in a.scopes for a in kept)],
            requested)
