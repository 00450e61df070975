"""``/admin/api/v1/tenants/{slug}/registration`` and ``…/registration-tokens``: a tenant's
dynamic client registration settings (mode, software statements) and its initial access
tokens (docs/dynamic-registration.md). The registration endpoint itself is
``{issuer}/register`` (web/registration.py)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from authserver.services import dcr_admin, tenant_admin
from authserver.services.admin_access import ADMIN_READ, ADMIN_WRITE
from authserver.services.dcr_admin import MAX_TOKEN_LIFETIME
from authserver.services.registration_settings import MODES, RegistrationChange
from authserver.web.admin import core

blp = core.admin_blueprint("registration", "Dynamic client registration (RFC 7591): who "
                           "may register clients at {issuer}/register, trusted software "
                           "statement issuers, and initial access tokens.")


class RegistrationSchema(Schema):
    mode = fields.String(required=True, metadata={"enum": list(MODES)})
    requires_software_statement = fields.Boolean(required=True)
    software_statement_issuers = fields.List(fields.String(), required=True)


class RegistrationChangeSchema(core.StrictSchema):
    mode = fields.String(validate=validate.OneOf(MODES))
    requires_software_statement = fields.Boolean()


class IssuerSchema(core.StrictSchema):
    issuer = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    jwks = fields.Dict(required=True, metadata={"description": "The issuer's JWK Set "
                                                "(public keys; private members are dropped)."})


class IssuerArgs(core.StrictSchema):
    issuer = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TokenSchema(Schema):
    token_id = fields.String(required=True)
    description = fields.String(allow_none=True)
    state = fields.String(required=True, metadata={"enum": ["live", "expired", "used up",
                                                            "revoked"]})
    expires_at = fields.String(required=True)
    max_uses = fields.Integer(allow_none=True, metadata={"description": "null: unlimited"})
    uses = fields.Integer(required=True)
    revoked_at = fields.String(allow_none=True)
    created_by = fields.String(required=True)
    created_at = fields.String(required=True)


class CreatedTokenSchema(TokenSchema):
    token = fields.String(required=True, metadata={
        "description": "The Bearer token for {issuer}/register, shown only in this answer."})


TokenPage = core.page_schema(TokenSchema, "RegistrationTokenPage")


class NewTokenSchema(core.StrictSchema):
    expires_in = fields.Integer(validate=validate.Range(min=1, max=MAX_TOKEN_LIFETIME),
                                metadata={"description": "Seconds (default one day)."})
    max_uses = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1_000_000),
                              metadata={"description": "Default 1; null: unlimited."})
    description = fields.String(validate=validate.Length(min=1, max=200))


@blp.route("/tenants/<string:slug>/registration")
class Registration(MethodView):
    @core.requires(ADMIN_READ)
    @blp.etag
    @blp.response(200, RegistrationSchema)
    def get(self, slug: str) -> dict[str, Any]:
        """The tenant's registration mode, whether a software statement is required, and
        the software statement issuers it trusts."""
        core.tenant_for(slug)
        return dcr_admin.registration_settings(core.admin_context(), slug)

    @core.requires(ADMIN_WRITE)
    @blp.etag
    @blp.arguments(RegistrationChangeSchema)
    @blp.response(200, RegistrationSchema)
    def patch(self, change: dict[str, Any], slug: str) -> dict[str, Any]:
        """Change the mode (``off``, ``initial-access-token``, ``open``) or whether a
        software statement is required. Needs ``If-Match``."""
        core.tenant_for(slug)
        ctx = core.admin_context()
        blp.check_etag(dcr_admin.registration_settings(ctx, slug), RegistrationSchema)
        return _changed(slug, RegistrationChange(
            mode=change.get("mode"),
            requires_statement=change.get("requires_software_statement")))


def _changed(slug: str, change: RegistrationChange) -> dict[str, Any]:
    ctx = core.admin_context()
    tenant_admin.update_tenant(ctx, slug, None, None, None, registration=change)
    return dcr_admin.registration_settings(ctx, slug)


@blp.route("/tenants/<string:slug>/registration/software-statement-issuers")
class StatementIssuers(MethodView):
    @core.requires(ADMIN_WRITE)
    @blp.arguments(IssuerSchema)
    @blp.response(200, RegistrationSchema)
    def post(self, issuer: dict[str, Any], slug: str) -> dict[str, Any]:
        """Trust software statements signed by ``issuer``'s keys (replaces the keys of an
        issuer already trusted)."""
        core.tenant_for(slug)
        return _changed(slug, RegistrationChange(trust_issuer=(issuer["issuer"],
                                                               issuer["jwks"])))

    @core.requires(ADMIN_WRITE)
    @blp.arguments(IssuerArgs, location="query")
    @blp.response(200, RegistrationSchema)
    def delete(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Stop trusting ``issuer``'s software statements."""
        core.tenant_for(slug)
        return _changed(slug, RegistrationChange(distrust_issuer=args["issuer"]))


@blp.route("/tenants/<string:slug>/registration-tokens")
class Tokens(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(core.PageArgs, location="query")
    @blp.response(200, TokenPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The tenant's initial access tokens in token_id order (never their values)."""
        core.tenant_for(slug)
        start = core.after(args["cursor"])
        rows = dcr_admin.page_tokens(core.admin_context(), slug,
                                     start if isinstance(start, str) else None,
                                     args["limit"] + 1)
        return core.page(rows, args["limit"], key=lambda row: row["token_id"])

    @core.requires(ADMIN_WRITE)
    @blp.arguments(NewTokenSchema)
    @blp.response(201, CreatedTokenSchema)
    def post(self, new: dict[str, Any], slug: str) -> dict[str, Any]:
        """Create an initial access token; its value is in this answer only."""
        core.tenant_for(slug)
        created = dcr_admin.create_token(core.admin_context(), slug, new.get("expires_in"),
                                         new.get("max_uses", 1), new.get("description"))
        return {**created.view, "token": created.token}


@blp.route("/tenants/<string:slug>/registration-tokens/<string:token_id>")
class Token(MethodView):
    @core.requires(ADMIN_WRITE)
    @blp.response(200, TokenSchema)
    def delete(self, slug: str, token_id: str) -> dict[str, Any]:
        """Revoke the token (clients it registered stay registered)."""
        core.tenant_for(slug)
        return dcr_admin.revoke_token(core.admin_context(), slug, token_id)
