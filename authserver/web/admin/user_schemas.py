"""The admin API's users, sessions and consents as marshmallow schemas (request bodies
strict, responses documented field by field for the OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from authserver.services.user_lifecycle import UserStatus
from authserver.web.admin import core

_NAME = validate.Length(min=1, max=200)
_EMAIL = validate.Length(min=3, max=320)
_PHONE = validate.Length(min=1, max=32)
_USERNAME = validate.Length(min=1, max=150)
_MASKED = "Masked (a•••e@example.com, +44•••••••34) unless the caller has users:read:pii."


class UserSchema(Schema):
    sub = fields.String(required=True)
    email = fields.String(required=True, metadata={"description": _MASKED})
    email_verified = fields.Boolean(required=True)
    username = fields.String(required=True, allow_none=True)
    given_name = fields.String(required=True, allow_none=True)
    family_name = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True, metadata={"description": _MASKED})
    phone_verified = fields.Boolean(required=True)
    disabled = fields.Boolean(required=True)
    password_set = fields.Boolean(required=True)
    single_session = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "null: the tenant's setting applies"})
    invitation_pending = fields.Boolean(required=True)
    password_changed_at = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True, allow_none=True)
    updated_at = fields.String(required=True, allow_none=True)


UserPage = core.page_schema(UserSchema, "UserPage")


class UserListArgs(core.PageArgs):
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=320), metadata={
        "description": "Case-insensitive text inside the given or family name or the "
        "email address; without users:read:pii an email matches only as a whole address."})
    status = fields.String(load_default=None,
                           validate=validate.OneOf([s.value for s in UserStatus]))


class InvitationSchema(Schema):
    sent = fields.Boolean(required=True)
    expires_at = fields.String(required=True)
    problem = fields.String(required=True, allow_none=True)


class CreatedUserSchema(UserSchema):
    invitation = fields.Nested(InvitationSchema, allow_none=True, metadata={
        "description": "Present when the user was created with invite: true."})


class NewUserSchema(core.StrictSchema):
    email = fields.String(required=True, validate=_EMAIL)
    username = fields.String(validate=_USERNAME)
    given_name = fields.String(validate=_NAME)
    family_name = fields.String(validate=_NAME)
    phone = fields.String(validate=_PHONE)
    email_verified = fields.Boolean(load_default=False)
    phone_verified = fields.Boolean(load_default=False)
    password = fields.String(validate=validate.Length(min=1, max=1024), metadata={
        "description": "A first password, under the tenant's password rules."})
    invite = fields.Boolean(load_default=False, metadata={
        "description": "Mail the person a link to choose their password (7 days)."})


class UserChangeSchema(core.StrictSchema):
    """Omitted fields stay; null removes an optional one."""

    email = fields.String(validate=_EMAIL)
    username = fields.String(allow_none=True, validate=_USERNAME)
    given_name = fields.String(allow_none=True, validate=_NAME)
    family_name = fields.String(allow_none=True, validate=_NAME)
    phone = fields.String(allow_none=True, validate=_PHONE)
    email_verified = fields.Boolean()
    phone_verified = fields.Boolean()
    single_session = fields.Boolean(allow_none=True)


class PasswordSchema(core.StrictSchema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class InvitedSchema(Schema):
    sub = fields.String(required=True)
    email = fields.String(required=True, metadata={"description": _MASKED})
    invitation = fields.Nested(InvitationSchema, required=True)


class RemovedSchema(Schema):
    sub = fields.String(required=True)
    removed = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class EndedSessionsSchema(Schema):
    sub = fields.String(required=True)
    sids = fields.List(fields.String(), required=True)


class SessionSchema(Schema):
    sid = fields.String(required=True)
    sub = fields.String(required=True)
    email = fields.String(required=True, metadata={"description": _MASKED})
    device = fields.String(required=True)
    user_agent = fields.String(required=True, allow_none=True)
    ip = fields.String(required=True, allow_none=True)
    signed_in_at = fields.String(required=True)
    last_seen_at = fields.String(required=True)
    amr = fields.List(fields.String(), required=True)


SessionPage = core.page_schema(SessionSchema, "SessionPage")


class SessionListArgs(core.PageArgs):
    user = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                         metadata={"description": "Only this user's sessions (sub)."})


class ConsentSchema(Schema):
    client_id = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    granted_at = fields.String(required=True)
    updated_at = fields.String(required=True)


ConsentPage = core.page_schema(ConsentSchema, "ConsentPage")


class RevokedConsentSchema(Schema):
    consent = fields.Boolean(required=True, metadata={
        "description": "A remembered consent was forgotten."})
    grants = fields.Integer(required=True, metadata={"description": "Grants revoked."})


class ImportArgs(core.StrictSchema):
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "Check every row and report; import nothing."})


class ImportedRowSchema(Schema):
    row = fields.Integer(required=True)
    sub = fields.String(required=True)
    email = fields.String(required=True, metadata={"description": _MASKED})
    roles = fields.List(fields.String(), required=True)
    invitation = fields.String(required=True, validate=validate.OneOf(("queued", "not_sent")))


class RejectedRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "File line (header: 1)."})
    column = fields.String(required=True, metadata={"description": "'*' for the row."})
    reason = fields.String(required=True)


class ImportReportSchema(Schema):
    rows = fields.Integer(required=True)
    imported_count = fields.Integer(required=True)
    rejected_count = fields.Integer(required=True)
    dry_run = fields.Boolean(required=True)
    imported = fields.List(fields.Nested(ImportedRowSchema), required=True)
    rejected = fields.List(fields.Nested(RejectedRowSchema), required=True)
