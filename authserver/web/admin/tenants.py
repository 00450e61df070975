"""``/admin/api/v1/tenants``: the tenants the caller administers (every tenant for the
operator tenant's administrators; their own otherwise)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from authserver.services import tenant_admin
from authserver.services.account_policy import (
    MAX_HISTORY,
    MAX_LENGTH_CEILING,
    MAX_LENGTH_FLOOR,
    MIN_LENGTH_FLOOR,
    AccountPolicyChange,
)
from authserver.services.admin_access import ADMIN_READ, ADMIN_WRITE
from authserver.services.branding import BrandingChange
from authserver.services.session_limits import SessionLimitsChange
from authserver.services.sign_in_policy import SignInPolicyChange
from authserver.web.admin import core
from authserver.web.context import runtime

blp = core.admin_blueprint("tenants", "Tenants: each has its own issuer, keys, "
                           "applications, people and policies.")

_SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$", error="1-63 lower-case letters, "
                        "digits and '-', starting with a letter or digit")
_TTL = validate.Range(min=1, max=400 * 86400)
_TEN_YEARS = 10 * 365 * 86400


class SignInSchema(core.StrictSchema):
    mfa = fields.String(validate=validate.OneOf(("off", "optional", "required")))
    mfa_methods = fields.List(fields.String(validate=validate.Length(max=32)),
                              validate=validate.Length(min=1, max=10))
    magic_links = fields.Boolean()
    phone_sign_in = fields.Boolean()


class SignupSchema(core.StrictSchema):
    enabled = fields.Boolean()
    domains = fields.List(fields.String(validate=validate.Length(max=253)),
                          validate=validate.Length(max=100))
    default_role = fields.String(allow_none=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.:-]{1,100}$", error="up to 100 letters, digits and _ - . :"))


class PasswordPolicySchema(core.StrictSchema):
    min_length = fields.Integer(validate=validate.Range(min=MIN_LENGTH_FLOOR,
                                                        max=MAX_LENGTH_CEILING))
    max_length = fields.Integer(validate=validate.Range(min=MAX_LENGTH_FLOOR,
                                                        max=MAX_LENGTH_CEILING))
    min_score = fields.Integer(validate=validate.Range(min=0, max=4))
    history = fields.Integer(validate=validate.Range(min=0, max=MAX_HISTORY))
    # Seconds; bounded so that the stored value fits the database's integer column.
    history_period = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=_TEN_YEARS))
    max_age = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=_TEN_YEARS))


class TenantSchema(Schema):
    slug = fields.String(required=True)
    display_name = fields.String(required=True)
    issuer = fields.String(required=True)
    discovery = fields.String(required=True)
    jwks_uri = fields.String(required=True)
    refresh_token_idle_ttl = fields.Integer(allow_none=True)
    refresh_token_absolute_ttl = fields.Integer(allow_none=True)
    session_idle_ttl = fields.Integer(allow_none=True)
    session_absolute_ttl = fields.Integer(allow_none=True)
    sign_in = fields.Dict(required=True)
    signup = fields.Dict(required=True)
    password_policy = fields.Dict(required=True)
    single_session = fields.Boolean(required=True)
    brand_color = fields.String(allow_none=True)
    brand_logo_url = fields.String(allow_none=True)
    brand_logo = fields.Dict(allow_none=True)
    created_at = fields.String(required=True)


TenantPage = core.page_schema(TenantSchema, "TenantPage")


class NewTenantSchema(core.StrictSchema):
    slug = fields.String(required=True, validate=_SLUG)
    display_name = fields.String(validate=validate.Length(min=1, max=200))


class TenantChangeSchema(core.StrictSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    refresh_token_idle_ttl = fields.Integer(validate=_TTL)
    refresh_token_absolute_ttl = fields.Integer(validate=_TTL)
    session_idle_ttl = fields.Integer(validate=_TTL)
    session_absolute_ttl = fields.Integer(validate=_TTL)
    sign_in = fields.Nested(SignInSchema)
    signup = fields.Nested(SignupSchema)
    password_policy = fields.Nested(PasswordPolicySchema)
    single_session = fields.Boolean()
    brand_color = fields.String(validate=validate.Regexp(
        r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", error="#rgb or #rrggbb"))
    brand_logo_url = fields.String(validate=validate.Length(max=2000))


def _view(record: tenant_admin.TenantRecord) -> dict[str, Any]:
    return record.view(runtime().settings.issuer_for(record.slug))


@blp.route("/tenants")
class Tenants(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(core.PageArgs, location="query")
    @blp.response(200, TenantPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List the tenants the caller administers, in slug order."""
        who = core.caller()
        ctx = core.admin_context()
        if not who.operator:
            start = core.after(args["cursor"])
            own = [] if start is not None else [tenant_admin.show_tenant(ctx, who.tenant_slug)]
            return core.page(own, args["limit"], key=lambda r: r.slug, dump=_view)
        start = core.after(args["cursor"])
        rows = tenant_admin.page_tenants(ctx, start if isinstance(start, str) else None,
                                         args["limit"] + 1)
        return core.page(rows, args["limit"], key=lambda r: r.slug, dump=_view)

    @core.requires(ADMIN_WRITE)
    @blp.arguments(NewTenantSchema)
    @blp.response(201, TenantSchema)
    def post(self, new: dict[str, Any]) -> dict[str, Any]:
        """Create a tenant (operator tenant only), with its data key and signing keys."""
        core.require_operator()
        record = tenant_admin.create_tenant(core.admin_context(), new["slug"],
                                            new.get("display_name"))
        return _view(record)


@blp.route("/tenants/<string:slug>")
class Tenant(MethodView):
    @core.requires(ADMIN_READ)
    @blp.etag
    @blp.response(200, TenantSchema)
    def get(self, slug: str) -> dict[str, Any]:
        """One tenant and its policies."""
        core.tenant_for(slug)
        return _view(tenant_admin.show_tenant(core.admin_context(), slug))

    @core.requires(ADMIN_WRITE)
    @blp.etag
    @blp.arguments(TenantChangeSchema)
    @blp.response(200, TenantSchema)
    def patch(self, change: dict[str, Any], slug: str) -> dict[str, Any]:
        """Change the tenant's name, token and session limits, sign-in and account
        policy, or branding. Needs ``If-Match`` with the ETag of the current state."""
        core.tenant_for(slug)
        ctx = core.admin_context()
        blp.check_etag(_view(tenant_admin.show_tenant(ctx, slug)), TenantSchema)
        record = tenant_admin.update_tenant(
            ctx, slug, change.get("display_name"), change.get("refresh_token_idle_ttl"),
            change.get("refresh_token_absolute_ttl"), sign_in=_sign_in(change),
            sessions=SessionLimitsChange(change.get("session_idle_ttl"),
                                         change.get("session_absolute_ttl")),
            accounts=_accounts(change),
            brand=BrandingChange(color=change.get("brand_color"),
                                 logo_url=change.get("brand_logo_url")))
        return _view(record)


def _sign_in(change: dict[str, Any]) -> SignInPolicyChange | None:
    given = change.get("sign_in")
    if not given:
        return None
    methods = given.get("mfa_methods")
    return SignInPolicyChange(mfa=given.get("mfa"),
                              mfa_methods=",".join(methods) if methods is not None else None,
                              magic_links=given.get("magic_links"),
                              phone_sign_in=given.get("phone_sign_in"))


def _accounts(change: dict[str, Any]) -> AccountPolicyChange | None:
    signup = change.get("signup") or {}
    rules = change.get("password_policy") or {}
    domains = signup.get("domains")
    result = AccountPolicyChange(
        signup=signup.get("enabled"),
        signup_domains=",".join(domains) if domains is not None else None,
        default_role=("" if "default_role" in signup and signup["default_role"] is None
                      else signup.get("default_role")),
        password_min_length=rules.get("min_length"),
        password_max_length=rules.get("max_length"),
        password_min_score=rules.get("min_score"),
        password_history=rules.get("history"),
        password_history_period=_off(rules, "history_period"),
        password_max_age=_off(rules, "max_age"),
        single_session=change.get("single_session"))
    return None if result.is_empty() else result


def _off(rules: dict[str, Any], name: str) -> int | None:
    # null clears the period (the CLI's "off"), which the service spells 0.
    if name in rules and rules[name] is None:
        return 0
    return rules.get(name)
