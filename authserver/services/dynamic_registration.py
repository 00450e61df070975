"""Dynamic client registration (RFC 7591) and its management protocol (RFC 7592).

A tenant's ``registration_mode`` says who may register: nobody (``off``), holders of an
initial access token an operator created (``initial-access-token``), or anyone
(``open``, throttled per source address). Registration goes through the same
``register_client`` and ``update_client`` as ``authserver client create``/``update``, so
every rule of client registration applies; protocol/registration_metadata.py adds the
rules for registration by parties the operator does not know (redirect URIs by
application type, only sign-in grants, only the tenant's OpenID Connect scopes).

Every operation is one unit of work; its audit records are written in it. Errors are
protocol errors (the JSON body of RFC 7591 §3.2.2), never a service error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from authserver.protocol.errors import (
    InvalidClientMetadataError,
    InvalidRedirectUriError,
    InvalidRequestError,
    InvalidSoftwareStatementError,
    InvalidTokenError,
    NotFoundError,
    OAuth2Error,
)
from authserver.protocol.grants.common import USER_SCOPES
from authserver.protocol.registration_metadata import (
    ClientMetadata,
    merged_with_statement,
    parse_metadata,
    parse_request_body,
    verify_software_statement,
)
from authserver.protocol.tokens import digest
from authserver.services import client_changes
from authserver.services.admin_context import AdminContext
from authserver.services.client_changes import ClientChanges, ListEdit
from authserver.services.clients import (
    SECRET_METHODS,
    ClientSpec,
    new_client_id,
    register_client,
    secret_digest_matches,
)
from authserver.services.errors import InvalidInput
from authserver.services.key_lifecycle import ensure_signing_keys
from authserver.services.throttle import Policy, Throttle
from authserver.storage.models import Client, ClientRegistration, Tenant
from authserver.storage.repositories import AuditRepository, ClientRepository, TenantRepository
from authserver.storage.repositories.registration import (
    ClientRegistrationRepository,
    InitialAccessTokenRepository,
    SoftwareStatementIssuerRepository,
)

OPEN_ACTOR = "dcr:open"
# Open registration, per source address: every attempt counts, successful or not.
# 20 an hour is more than any developer needs by hand; a script filling the client
# table is slowed to one registration per block (10 minutes doubling up to a day).
OPEN_SOURCE = Policy(20, dt.timedelta(hours=1), dt.timedelta(minutes=10), dt.timedelta(days=1))
# What a dynamically registered client may ask for: the tenant's OpenID Connect scopes,
# never an API's (those are granted by an operator: docs/dynamic-registration.md).
DCR_SCOPES = USER_SCOPES
# RFC 7592 §2.2: fields a client must not send in an update.
_SERVER_FIELDS = ("registration_access_token", "registration_client_uri",
                  "client_secret_expires_at", "client_id_issued_at")
# ClientSpec's field names as RFC 7591 names them, for error descriptions.
_DCR_NAMES = {"name": "client_name", "auth_method": "token_endpoint_auth_method",
              "grant_type": "grant_types", "id_token_alg": "id_token_signed_response_alg",
              "post_logout_redirect_uri": "post_logout_redirect_uris", "scope": "scope"}
_BAD_TOKEN = "The access token is missing, invalid, expired or used up."


class RegistrationThrottled(InvalidRequestError):
    """Too many open registrations from one address (429, with Retry-After)."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many registrations from this address; try again later.")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Answer:
    """The JSON body of a successful response (RFC 7591 §3.2.1, RFC 7592 §3)."""

    body: dict[str, Any]


def _tenant(session: Session, slug: str) -> Tenant:
    tenant = TenantRepository(session).by_slug(slug)
    if tenant is None:
        raise NotFoundError("No such tenant.")
    return tenant


def _trusted_issuers(session: Session, tenant: Tenant) -> dict[str, Mapping[str, Any]]:
    return {row.issuer: row.jwks for row in SoftwareStatementIssuerRepository(
        session, tenant.id).all()}


def _metadata(session: Session, tenant: Tenant, body: Mapping[str, Any],
              now: dt.datetime) -> tuple[ClientMetadata, str | None]:
    """The request's metadata, with a software statement's claims taking precedence
    (RFC 7591 §3.1.1); and the statement's issuer, when there is one."""
    statement = body.get("software_statement")
    if statement is None:
        if tenant.registration_requires_statement:
            raise InvalidSoftwareStatementError(
                "This server registers clients only with a software statement.")
        return parse_metadata(body, allowed_scopes=DCR_SCOPES), None
    claims = verify_software_statement(statement, _trusted_issuers(session, tenant), now)
    merged = merged_with_statement(body, claims)
    return parse_metadata(merged, allowed_scopes=DCR_SCOPES), str(claims["iss"])


def _protocol_error(exc: InvalidInput) -> OAuth2Error:
    """A registration rule's refusal as RFC 7591 §3.2.2 names it."""
    if exc.field == "redirect_uri":
        return InvalidRedirectUriError(exc.problem)
    return InvalidClientMetadataError(f"{_DCR_NAMES.get(exc.field, exc.field)}: {exc.problem}")


def _spec(meta: ClientMetadata, client_id: str) -> ClientSpec:
    return ClientSpec(
        name=meta.client_name or client_id, public=meta.public,
        grant_types=meta.grant_types, redirect_uris=meta.redirect_uris,
        post_logout_redirect_uris=meta.post_logout_redirect_uris, scopes=meta.scope,
        auth_method=meta.token_endpoint_auth_method, first_party=False,
        id_token_alg=meta.id_token_signed_response_alg, jwks=meta.jwks,
        jwks_uri=meta.jwks_uri, client_id=client_id, application_type=meta.application_type,
        backchannel_logout_uri=meta.backchannel_logout_uri,
        backchannel_logout_session_required=meta.backchannel_logout_session_required)


def information(client: Client, registration: ClientRegistration, endpoint: str, *,
                secret: str | None = None, access_token: str | None = None) -> dict[str, Any]:
    """The client information response (RFC 7591 §3.2.1): the metadata as registered,
    defaults included. The secret and the registration access token only when just
    issued: only their digests are kept."""
    extras = dict(registration.extra_metadata or {})
    extras.pop("client_name", None)
    info: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.timestamp()),
        "client_name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "response_types": ["code"] if "authorization_code" in client.grant_types else [],
        "grant_types": list(client.grant_types),
        "application_type": client.application_type,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "scope": " ".join(client.allowed_scopes),
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "subject_type": "public",
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
        **extras,
        "registration_client_uri": f"{endpoint}/{client.client_id}",
    }
    for name in ("jwks", "jwks_uri", "backchannel_logout_uri"):
        if getattr(client, name) is not None:
            info[name] = getattr(client, name)
    if client.token_endpoint_auth_method in SECRET_METHODS:
        # RFC 7591 §3.2.1: when the secret expires (an operator's rotation may set it),
        # 0 if it never does.
        expires = client.secret_expires_at
        info["client_secret_expires_at"] = int(expires.timestamp()) if expires else 0
    if secret is not None:
        info["client_secret"] = secret
    if access_token is not None:
        info["registration_access_token"] = access_token
    return info


def _registrant(session: Session, tenant: Tenant, bearer: str | None, source: str,
                throttle: Throttle | None, now: dt.datetime) -> tuple[str, str | None]:
    """Who registers: (audit actor, initial access token id). Spends one use of the
    token, in the registration's own transaction (so a refused registration costs none)."""
    mode = tenant.registration_mode
    if mode == "open":
        if throttle is not None:
            wait = throttle.longest_wait(tenant.id, [("dcr-open", source)])
            if wait:
                raise RegistrationThrottled(wait)
            throttle.failure(tenant.id, "dcr-open", source, OPEN_SOURCE)
        return OPEN_ACTOR, None
    if mode != "initial-access-token":
        raise NotFoundError("Dynamic client registration is not enabled for this tenant.")
    if not bearer or len(bearer) > 512:
        raise InvalidTokenError("An initial access token is required (Authorization: Bearer).")
    token = InitialAccessTokenRepository(session, tenant.id).spend(digest(bearer), now)
    if token is None:
        raise InvalidTokenError(_BAD_TOKEN)
    return f"dcr:{token.token_id}", token.token_id


def register(ctx: AdminContext, tenant_slug: str, body: bytes, bearer: str | None,
             source: str, endpoint: str, throttle: Throttle | None = None) -> Answer:
    """RFC 7591 §3: register a client from the JSON ``body``. ``endpoint`` is the
    registration endpoint's URL, ``source`` the caller's address (open mode's throttle)."""
    now = ctx.clock()
    with ctx.transaction() as session:
        tenant = _tenant(session, tenant_slug)
        # Who registers first, so nobody without a token learns what the server accepts;
        # the token's use is given back if the registration is then refused (rollback).
        actor, token_id = _registrant(session, tenant, bearer, source, throttle, now)
        meta, statement_issuer = _metadata(session, tenant, parse_request_body(body), now)
        acting = dataclasses.replace(ctx, actor=actor)
        client_id = new_client_id()
        try:
            registered = register_client(
                ClientRepository(session, tenant.id), AuditRepository(session, tenant.id),
                _spec(meta, client_id), actor, global_limits=ctx.refresh_limits,
                allow_private_jwks_uri=ctx.allow_private_jwks_uri,
                # The default access group grants APIs; a self-registered client (open
                # mode: anybody) gets none until an operator assigns it a group.
                join_default_group=False)
        except InvalidInput as exc:
            raise _protocol_error(exc) from None
        ensure_signing_keys(acting, session, tenant, (meta.id_token_signed_response_alg,
                                                      registered.client.access_token_signed_response_alg))
        access_token = secrets.token_urlsafe(32)
        registration = ClientRegistrationRepository(session, tenant.id).add(ClientRegistration(
            client_pk=registered.client.id, access_token_digest=digest(access_token),
            registered_by=actor, extra_metadata=meta.extras()))
        AuditRepository(session, tenant.id).record(
            actor, "client.registered", client_id, mode=tenant.registration_mode,
            initial_access_token_id=token_id, software_id=meta.texts.get("software_id"),
            software_statement_issuer=statement_issuer,
            redirect_uris=list(meta.redirect_uris),
            token_endpoint_auth_method=meta.token_endpoint_auth_method,
            registration_access_token="[redacted]")
        return Answer(information(registered.client, registration, endpoint,
                                  secret=registered.client_secret, access_token=access_token))


def _authenticated(session: Session, tenant: Tenant, client_id: str,
                   bearer: str | None) -> tuple[Client, ClientRegistration]:
    """The client whose registration access token ``bearer`` is (RFC 7592 §1); the same
    401 whether the client is unknown, registered otherwise, or the token wrong, so the
    answer never says which clients exist."""
    found = ClientRegistrationRepository(session, tenant.id).of_client(client_id) \
        if len(client_id) <= 64 else None
    presented = digest(bearer) if bearer and len(bearer) <= 512 else ""
    stored = found[1].access_token_digest if found else "0" * 64
    if not hmac.compare_digest(stored, presented) or found is None:
        raise InvalidTokenError("The registration access token is invalid.")
    return found


def read(ctx: AdminContext, tenant_slug: str, client_id: str, bearer: str | None,
         endpoint: str) -> Answer:
    """RFC 7592 §2.1: the client's current registration (no secret: only its digest is
    kept)."""
    with ctx.transaction() as session:
        client, registration = _authenticated(session, _tenant(session, tenant_slug),
                                               client_id, bearer)
        return Answer(information(client, registration, endpoint))


def _update_body(body: Mapping[str, Any], client: Client) -> None:
    """RFC 7592 §2.2: the request names the client, carries none of the server's own
    fields, and a client_secret in it must be the current one."""
    if body.get("client_id") != client.client_id:
        raise InvalidClientMetadataError("client_id must be given and be this client's.")
    sent = [name for name in _SERVER_FIELDS if name in body]
    if sent:
        raise InvalidClientMetadataError(f"{sent[0]} must not be sent in an update "
                                         "(RFC 7592 §2.2).")
    if "client_secret" in body:
        secret = body["client_secret"]
        if not isinstance(secret, str) or not secret_digest_matches(client.secret_digest,
                                                                     secret):
            raise InvalidClientMetadataError("client_secret is not the client's current "
                                             "secret.")


def _changes(meta: ClientMetadata, client_id: str) -> ClientChanges:
    """A replacement of everything RFC 7591 registers (RFC 7592 §2.2: omitted fields
    take their defaults), as an update under registration's rules."""
    return ClientChanges(
        name=meta.client_name or client_id, grant_types=meta.grant_types,
        redirect_uris=ListEdit(replace=meta.redirect_uris),
        post_logout_redirect_uris=ListEdit(replace=meta.post_logout_redirect_uris),
        scopes=ListEdit(replace=meta.scope), application_type=meta.application_type,
        id_token_alg=meta.id_token_signed_response_alg, jwks=meta.jwks,
        jwks_uri=meta.jwks_uri, backchannel_logout_uri=meta.backchannel_logout_uri or "",
        backchannel_logout_session_required=meta.backchannel_logout_session_required)


def replace(ctx: AdminContext, tenant_slug: str, client_id: str, bearer: str | None,
            body: bytes, endpoint: str) -> Answer:
    """RFC 7592 §2.2: replace the client's metadata. The secret stays; the registration
    access token is rotated and the new one returned."""
    now = ctx.clock()
    with ctx.transaction() as session:
        tenant = _tenant(session, tenant_slug)
        client, registration = _authenticated(session, tenant, client_id, bearer)
        actor = f"client:{client.client_id}"
        acting = dataclasses.replace(ctx, actor=actor)
        request = parse_request_body(body)
        _update_body(request, client)
        meta, statement_issuer = _metadata(session, tenant, request, now)
        if meta.token_endpoint_auth_method != client.token_endpoint_auth_method:
            raise InvalidClientMetadataError(
                "token_endpoint_auth_method cannot change: register a new client instead.")
        try:
            changed = client_changes.update_client(
                ClientRepository(session, tenant.id), AuditRepository(session, tenant.id),
                client_id, _changes(meta, client_id), actor, global_limits=ctx.refresh_limits,
                cache=ctx.clients, allow_private_jwks_uri=ctx.allow_private_jwks_uri,
                now=now).changed
        except InvalidInput as exc:
            raise _protocol_error(exc) from None
        ensure_signing_keys(acting, session, tenant, (client.id_token_signed_response_alg,
                                                      client.access_token_signed_response_alg))
        extras = meta.extras()
        changed_extras = sorted(k for k in {*extras, *(registration.extra_metadata or {})}
                                if extras.get(k) != (registration.extra_metadata or {}).get(k))
        access_token = secrets.token_urlsafe(32)
        registration.extra_metadata = extras
        registration.access_token_digest = digest(access_token)
        session.flush()
        AuditRepository(session, tenant.id).record(
            actor, "client.registration_updated", client_id,
            changed=sorted({*changed, *changed_extras}),
            software_statement_issuer=statement_issuer,
            registration_access_token="[redacted]")
        return Answer(information(client, registration, endpoint, access_token=access_token))


def delete(ctx: AdminContext, tenant_slug: str, client_id: str, bearer: str | None) -> None:
    """RFC 7592 §2.3: delete the client, as ``authserver client delete`` does."""
    with ctx.transaction() as session:
        tenant = _tenant(session, tenant_slug)
        client, registration = _authenticated(session, tenant, client_id, bearer)
        ClientRegistrationRepository(session, tenant.id).delete(registration)
        client_changes.delete_client(ClientRepository(session, tenant.id),
                                     AuditRepository(session, tenant.id), client.client_id,
                                     f"client:{client.client_id}", cache=ctx.clients)
