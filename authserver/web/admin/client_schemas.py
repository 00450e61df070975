"""The admin API's client schemas: what a client reads as, and the bodies that register,
change and rotate one (web/admin/clients.py). Names are those of RFC 7591 and
``authserver client show``."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from authserver.services.client_rules import APPLICATION_TYPES, AUTH_METHODS, GRANT_TYPES
from authserver.services.client_secrets import MAX_OVERLAP, MAX_SECRET_LIFETIME
from authserver.services.keys import SUPPORTED_ALGS
from authserver.web.admin import core

_URI = fields.String(validate=validate.Length(min=1, max=2000))
_TTL = validate.Range(min=1, max=400 * 86400)
_CLIENT_ID = validate.Length(min=1, max=64)


def _uris() -> fields.List:
    return fields.List(_URI, validate=validate.Length(max=100))


def _jwks(value: dict[str, Any]) -> None:
    keys = value.get("keys")
    if not isinstance(keys, list) or not keys or len(keys) > 20 or not all(
            isinstance(k, dict) for k in keys):
        raise ValidationError('Must be a JWK Set: {"keys": [1-20 JWK objects]}.')


class ClientSchema(Schema):
    client_id = fields.String(required=True)
    name = fields.String(required=True)
    public = fields.Boolean(required=True)
    token_endpoint_auth_method = fields.String(required=True)
    grant_types = fields.List(fields.String(), required=True)
    redirect_uris = fields.List(fields.String(), required=True)
    post_logout_redirect_uris = fields.List(fields.String(), required=True)
    scope = fields.String(required=True, metadata={"description": "Space-separated."})
    first_party = fields.Boolean(required=True)
    require_pkce = fields.Boolean(required=True)
    require_state = fields.Boolean(required=True)
    id_token_signed_response_alg = fields.String(required=True)
    access_token_signed_response_alg = fields.String(required=True)
    refresh_token_idle_ttl = fields.Integer(required=True, allow_none=True)
    refresh_token_absolute_ttl = fields.Integer(required=True, allow_none=True)
    web_origins = fields.List(fields.String(), required=True)
    application_type = fields.String(required=True)
    explicit_errors = fields.Boolean(required=True)
    jwks_uri = fields.String(required=True, allow_none=True)
    jwks = fields.Dict(required=True, allow_none=True)
    backchannel_logout_uri = fields.String(required=True, allow_none=True)
    backchannel_logout_session_required = fields.Boolean(required=True)
    client_secret_expires_at = fields.String(required=True, allow_none=True)
    previous_secret_expires_at = fields.String(required=True, allow_none=True)
    claims = fields.Dict(required=True, allow_none=True, metadata={
        "description": "The claim mapping (docs/roles-and-claims.md); null: none."})
    created_at = fields.String(required=True, allow_none=True)


class ClientWithSecretSchema(ClientSchema):
    client_secret = fields.String(allow_none=True, metadata={
        "description": "Shown only in this answer; stored as a digest."})


ClientPage = core.page_schema(ClientSchema, "ClientPage")


class _Registration(core.StrictSchema):
    """The fields registration and change share (names as a client reads them)."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    grant_types = fields.List(fields.String(validate=validate.OneOf(GRANT_TYPES)),
                              validate=validate.Length(min=1, max=10))
    redirect_uris = _uris()
    post_logout_redirect_uris = _uris()
    scope = fields.String(validate=validate.Length(min=1, max=2000))
    token_endpoint_auth_method = fields.String(validate=validate.OneOf(AUTH_METHODS))
    first_party = fields.Boolean()
    require_pkce = fields.Boolean()
    require_state = fields.Boolean()
    id_token_signed_response_alg = fields.String(validate=validate.OneOf(SUPPORTED_ALGS))
    access_token_signed_response_alg = fields.String(validate=validate.OneOf(SUPPORTED_ALGS))
    jwks = fields.Dict(validate=_jwks)
    jwks_uri = _URI
    web_origins = _uris()
    application_type = fields.String(validate=validate.OneOf(APPLICATION_TYPES))
    backchannel_logout_session_required = fields.Boolean()
    explicit_errors = fields.Boolean()


class NewClientSchema(_Registration):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    client_id = fields.String(validate=_CLIENT_ID)
    public = fields.Boolean()
    refresh_token_idle_ttl = fields.Integer(validate=_TTL)
    refresh_token_absolute_ttl = fields.Integer(validate=_TTL)
    backchannel_logout_uri = _URI


class ClientChangeSchema(_Registration):
    refresh_token_idle_ttl = fields.Integer(allow_none=True, validate=_TTL, metadata={
        "description": "null: the tenant's limit again."})
    refresh_token_absolute_ttl = fields.Integer(allow_none=True, validate=_TTL, metadata={
        "description": "null: the tenant's limit again."})
    backchannel_logout_uri = fields.String(allow_none=True, validate=validate.Length(
        min=1, max=2000), metadata={"description": "null: no back-channel logout."})
    claims = fields.Dict(allow_none=True, metadata={
        "description": "Replaces the claim mapping: {roles, attributes, attributes_in} "
                       "(docs/roles-and-claims.md); null or {}: none."})


class RotateSecretSchema(core.StrictSchema):
    overlap_seconds = fields.Integer(load_default=86400, validate=validate.Range(
        min=0, max=int(MAX_OVERLAP.total_seconds())), metadata={
        "description": "How long the old secret keeps working (0: it stops now)."})
    expires_in_seconds = fields.Integer(validate=validate.Range(
        min=1, max=int(MAX_SECRET_LIFETIME.total_seconds())), metadata={
        "description": "The new secret stops working after this; default: never."})


class RotatedSecretSchema(Schema):
    client_id = fields.String(required=True)
    client_secret = fields.String(required=True)
    client_secret_expires_at = fields.String(required=True, allow_none=True)
    previous_secret_expires_at = fields.String(required=True, allow_none=True)
