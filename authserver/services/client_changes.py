"""Changing and deleting registered clients, under the same rules as registration.

The client_id and its kind (public or confidential) never change: those need a new
registration. Everything else is rebuilt as a :class:`ClientSpec` from the stored row,
changed, and validated by ``validated_fields``, the one path registration uses too. The
secret is kept, except when the authentication method changes to or from a secret one
(client_secrets.secret_after_method_change).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from authserver.protocol.registry import KEY_SET_AUTH_METHODS, SECRET_AUTH_METHODS
from authserver.services.claim_mapping import ClaimsEdit, apply_edit
from authserver.services.client_secrets import secret_after_method_change
from authserver.services.clients import (
    ClientSpec,
    inherited_absolute_for,
    validated_fields,
)
from authserver.services.errors import InvalidInput, NotFound
from authserver.services.list_edit import ListEdit
from authserver.services.refresh_limits import RefreshLimits
from authserver.storage.models import Client, utcnow
from authserver.storage.repositories import AuditRepository, ClientRepository

__all__ = ["INHERIT", "ClientCache", "ClientChanges", "ClientUpdate", "ListEdit",
           "delete_client", "get_client", "invalidate_after_commit", "spec_of",
           "update_client"]

_SHOWN_AS = {"allowed_scopes": "scope"}
# A refresh limit of 0 in ClientChanges: none of the client's own (a limit is never 0).
INHERIT = 0


class ClientCache(Protocol):
    def invalidate(self, tenant_id: int | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class ClientChanges:
    """What to change; None or an empty ListEdit leaves a field as it is."""

    name: str | None = None
    # Between the confidential methods only; to or from a secret one the secret is made
    # or dropped (client_secrets.secret_after_method_change).
    auth_method: str | None = None
    grant_types: Sequence[str] | None = None
    redirect_uris: ListEdit = field(default_factory=ListEdit)
    post_logout_redirect_uris: ListEdit = field(default_factory=ListEdit)
    scopes: ListEdit = field(default_factory=ListEdit)
    web_origins: ListEdit = field(default_factory=ListEdit)
    application_type: str | None = None
    id_token_alg: str | None = None
    access_token_alg: str | None = None
    require_pkce: bool | None = None
    require_state: bool | None = None
    first_party: bool | None = None
    # Seconds; INHERIT (0) goes back to the tenant's (or the settings') limit.
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
    for key in ("refresh_token_idle_ttl", "refresh_token_absolute_ttl"):
        if values.get(key) == INHERIT:
            values[key] = None
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
    if changes.auth_method is not None:
        values["auth_method"] = _method_change(spec, changes.auth_method)
        if changes.auth_method not in KEY_SET_AUTH_METHODS:
            # Leaving private_key_jwt: its key set goes with it (unless given, refused).
            values.update(jwks=None, jwks_uri=None)
    if changes.jwks is not None:
        values.update(jwks=changes.jwks, jwks_uri=changes.jwks_uri)
    elif changes.jwks_uri is not None:
        values.update(jwks_uri=changes.jwks_uri, jwks=None)
    return dataclasses.replace(spec, **values)


def _method_change(spec: ClientSpec, method: str) -> str:
    # Public or confidential is what the client is (where its code runs), not a setting.
    if spec.public and method != "none":
        raise InvalidInput("auth_method", "a public client has no credentials, and stays "
                           "public: register a confidential client instead")
    if not spec.public and method == "none":
        raise InvalidInput("auth_method", "a confidential client stays confidential: "
                           "register a public client instead")
    return method


@dataclass(frozen=True, slots=True)
class ClientUpdate:
    client: Client
    changed: list[str]  # names as ``client_summary`` has them; empty: nothing changed
    # A new secret, shown once: made only when the method became a secret one.
    client_secret: str | None = None


def get_client(repo: ClientRepository, client_id: str, *, for_update: bool = False) -> Client:
    found = repo.get(client_id, for_update=for_update)
    if found is None:
        tenant = repo.owner()
        where = f"tenant {tenant.slug!r}" if tenant is not None else "this tenant"
        raise NotFound(f"no client {client_id!r} in {where}")
    return found


def invalidate_after_commit(repo: ClientRepository, cache: ClientCache | None) -> None:
    # After the commit, not before: a request between invalidation and commit would
    # cache the old registration again for a whole CLIENT_CACHE_TTL.
    if cache is not None:
        tenant_id = repo.tenant_id
        repo.after_commit(lambda: cache.invalidate(tenant_id))


def update_client(repo: ClientRepository, audit: AuditRepository, client_id: str,
                  changes: ClientChanges, actor: str, *,
                  global_limits: RefreshLimits | None = None,
                  cache: ClientCache | None = None,
                  allow_private_jwks_uri: bool = False,
                  now: dt.datetime | None = None) -> ClientUpdate:
    """Apply ``changes``; returns the client and the names (as ``client_summary`` has
    them) of what changed, empty when every value was already as asked. The secret is
    kept unless the authentication method changes to or from a secret one."""
    # Locked: a concurrent rotation must not hand out a secret this change then drops.
    client = get_client(repo, client_id, for_update=True)
    old_method = client.token_endpoint_auth_method
    spec = _changed_spec(spec_of(client), changes)
    fields = validated_fields(spec, inherited_absolute_for(repo, global_limits),
                              allow_private_jwks_uri)
    columns = [k for k, v in fields.items() if getattr(client, k) != v]
    for key in columns:
        setattr(client, key, fields[key])
    secret = secret_after_method_change(client, old_method, now or utcnow())
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
        details = {k: v for k, v in values.items() if k != "jwks"}
        if (old_method in SECRET_AUTH_METHODS) != (client.token_endpoint_auth_method
                                              in SECRET_AUTH_METHODS):
            details["client_secret"] = "[redacted]"  # made or dropped: named, never shown
        audit.record(actor, "client.updated", client_id, changed=changed, **details)
        invalidate_after_commit(repo, cache)
    return ClientUpdate(client, changed, secret)


def delete_client(repo: ClientRepository, audit: AuditRepository, client_id: str, actor: str,
                  *, cache: ClientCache | None = None) -> None:
    repo.delete(get_client(repo, client_id))
    audit.record(actor, "client.deleted", client_id)
    invalidate_after_commit(repo, cache)
