"""Changing and deleting registered clients, under the same rules as registration.

An update never touches the client's credentials (client_id, public or confidential,
authentication method, secret): those change by registering a new client. Everything
else is rebuilt as a :class:`ClientSpec` from the stored row, changed, and validated by
``validated_fields``, the one path registration uses too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from authserver.services.claim_mapping import ClaimsEdit, apply_edit
from authserver.services.clients import (
    ClientSpec,
    inherited_absolute_for,
    validated_fields,
)
from authserver.services.errors import InvalidInput, NotFound
from authserver.services.refresh_limits import RefreshLimits
from authserver.storage.models import Client
from authserver.storage.repositories import AuditRepository, ClientRepository

_SHOWN_AS = {"allowed_scopes": "scope"}


class ClientCache(Protocol):
    def invalidate(self, tenant_id: int | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class ListEdit:
    """A change to a list: ``replace`` it whole, or ``add`` and ``remove`` values.

    Adding a value already there changes nothing; removing one that is not there is
    refused, because it is most likely a typo that would leave the intended value
    registered.
    """

    replace: Sequence[str] | None = None
    add: Sequence[str] = ()
    remove: Sequence[str] = ()

    @property
    def is_empty(self) -> bool:
        return self.replace is None and not self.add and not self.remove

    def apply(self, current: Sequence[str], field_name: str) -> list[str]:
        if self.replace is not None and (self.add or self.remove):
            raise InvalidInput(field_name, "replace the list or add/remove values, not both")
        if self.replace is not None:
            return list(dict.fromkeys(self.replace))
        missing = [v for v in self.remove if v not in current]
        if missing:
            raise InvalidInput(field_name, f"{missing[0]!r} is not registered (registered: "
                               f"{', '.join(map(repr, current)) or 'none'})")
        kept = [v for v in current if v not in self.remove]
        return list(dict.fromkeys([*kept, *self.add]))


@dataclass(frozen=True, slots=True)
class ClientChanges:
    """What to change; None or an empty ListEdit leaves a field as it is."""

    name: str | None = None
    grant_types: Sequence[str] | None = None
    redirect_uris: ListEdit = ListEdit()
    post_logout_redirect_uris: ListEdit = ListEdit()
    scopes: ListEdit = ListEdit()
    web_origins: ListEdit = ListEdit()
    application_type: str | None = None
    id_token_alg: str | None = None
    access_token_alg: str | None = None
    require_pkce: bool | None = None
    require_state: bool | None = None
    first_party: bool | None = None
    refresh_token_idle_ttl: int | None = None
    refresh_token_absolute_ttl: int | None = None
    # A client has a key set or a key set URL, never both (RFC 7591 §2): setting one
    # drops the other.
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    # "" removes the URI (the client is no longer told of logouts).
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool | None = None
    explicit_errors: bool | None = None
    # The roles and attributes its tokens carry (services/claim_mapping.py).
    claims: ClaimsEdit | None = None

    @property
    def is_empty(self) -> bool:
        return all(
            value.is_empty if isinstance(value, ListEdit) else value is None
            for value in (getattr(self, f.name) for f in dataclasses.fields(self)))


def spec_of(client: Client) -> ClientSpec:
    """The registration request that would produce ``client`` as it is stored."""
    code_flow = "authorization_code" in client.grant_types
    return ClientSpec(
        name=client.name, public=client.is_public, grant_types=tuple(client.grant_types),
        redirect_uris=tuple(client.redirect_uris),
        post_logout_redirect_uris=tuple(client.post_logout_redirect_uris),
        scopes=tuple(client.allowed_scopes), auth_method=client.token_endpoint_auth_method,
        first_party=client.first_party,
        # Stored False only because the client made no authorization requests: adding
        # authorization_code later gets registration's default, never PKCE silently off.
        require_pkce=client.require_pkce or not code_flow,
        require_state=client.require_state or not code_flow,
        id_token_alg=client.id_token_signed_response_alg,
        access_token_alg=client.access_token_signed_response_alg,
        refresh_token_idle_ttl=client.refresh_token_idle_ttl,
        refresh_token_absolute_ttl=client.refresh_token_absolute_ttl,
        jwks=client.jwks, jwks_uri=client.jwks_uri, client_id=client.client_id,
        web_origins=tuple(client.web_origins or ()), application_type=client.application_type,
        backchannel_logout_uri=client.backchannel_logout_uri,
        backchannel_logout_session_required=client.backchannel_logout_session_required,
        explicit_errors=client.explicit_errors,
    )


def _changed_spec(spec: ClientSpec, changes: ClientChanges) -> ClientSpec:
    values: dict[str, Any] = {
        key: getattr(changes, key) for key in (
            "name", "application_type", "id_token_alg", "access_token_alg", "require_pkce",
            "require_state", "first_party", "refresh_token_idle_ttl",
            "refresh_token_absolute_ttl", "backchannel_logout_session_required",
            "explicit_errors")
        if getattr(changes, key) is not None}
    if changes.backchannel_logout_uri is not None:
        values["backchannel_logout_uri"] = changes.backchannel_logout_uri or None
    if changes.grant_types is not None:
        values["grant_types"] = tuple(changes.grant_types)
    for key, label in (("redirect_uris", "redirect_uri"),
                       ("post_logout_redirect_uris", "post_logout_redirect_uri"),
                       ("scopes", "scope"), ("web_origins", "web_origin")):
        edit: ListEdit = getattr(changes, key)
        if not edit.is_empty:
            values[key] = tuple(edit.apply(getattr(spec, key) or (), label))
    if changes.jwks is not None:
        values.update(jwks=changes.jwks, jwks_uri=changes.jwks_uri)
    elif changes.jwks_uri is not None:
        values.update(jwks_uri=changes.jwks_uri, jwks=None)
    return dataclasses.replace(spec, **values)


def get_client(repo: ClientRepository, client_id: str) -> Client:
    found = repo.get(client_id)
    if found is None:
        tenant = repo.owner()
        where = f"tenant {tenant.slug!r}" if tenant is not None else "this tenant"
        raise NotFound(f"no client {client_id!r} in {where}")
    return found


def _invalidate_after_commit(repo: ClientRepository, cache: ClientCache | None) -> None:
    # After the commit, not before: a request between invalidation and commit would
    # cache the old registration again for a whole CLIENT_CACHE_TTL.
    if cache is not None:
        tenant_id = repo.tenant_id
        repo.after_commit(lambda: cache.invalidate(tenant_id))


def update_client(repo: ClientRepository, audit: AuditRepository, client_id: str,
                  changes: ClientChanges, actor: str, *,
                  global_limits: RefreshLimits | None = None,
                  cache: ClientCache | None = None,
                  allow_private_jwks_uri: bool = False) -> tuple[Client, list[str]]:
    """Apply ``changes``; returns the client and the names (as ``client_summary`` has
    them) of what changed, empty when every value was already as asked. The secret is
    kept."""
    client = get_client(repo, client_id)
    spec = _changed_spec(spec_of(client), changes)
    fields = validated_fields(spec, inherited_absolute_for(repo, global_limits),
                              allow_private_jwks_uri)
    columns = [k for k, v in fields.items() if getattr(client, k) != v]
    for key in columns:
        setattr(client, key, fields[key])
    # Named as `client show` names them.
    values = {_SHOWN_AS.get(k, k): fields[k] for k in columns}
    if changes.claims is not None:
        mapping = apply_edit(client.claim_mapping, changes.claims)
        if mapping != client.claim_mapping:
            client.claim_mapping = mapping
            values["claims"] = mapping
    changed = sorted(values)
    if changed:
        repo.flush()
        # Values too, so the audit log says what a client could do after the change;
        # a key set is only named (it is long and public anyway).
        audit.record(actor, "client.updated", client_id, changed=changed,
                     **{k: v for k, v in values.items() if k != "jwks"})
        _invalidate_after_commit(repo, cache)
    return client, changed


def delete_client(repo: ClientRepository, audit: AuditRepository, client_id: str, actor: str,
                  *, cache: ClientCache | None = None) -> None:
    repo.delete(get_client(repo, client_id))
    audit.record(actor, "client.deleted", client_id)
    _invalidate_after_commit(repo, cache)
