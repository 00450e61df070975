"""``/admin/api/v1/tenants/<slug>/audit-events``: the tenant's audit log, newest first
with filters and cursor paging, and ``…/audit-events:export`` as streamed JSON Lines
(docs/audit.md). Both need ``admin:read``; both first ship and seal what was written so
far, as ``authserver audit list|export`` do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from flask import Response, stream_with_context
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from authserver.services import audit_log
from authserver.services.admin_access import ADMIN_READ
from authserver.services.audit_log import AuditFilter
from authserver.web.admin import core
from authserver.web.admin.errors import AdminError

blp = core.admin_blueprint("audit_events", "The tenant's tamper-evident audit log: who "
                           "did what, to what, from where.")

JSONL = "application/jsonl"
_TEXT = validate.Length(min=1, max=200)


class AuditFilterArgs(core.StrictSchema):
    since = fields.AwareDateTime(load_default=None, default_timezone=dt.UTC, metadata={
        "description": "Only records at or after this time (ISO 8601)."})
    until = fields.AwareDateTime(load_default=None, default_timezone=dt.UTC, metadata={
        "description": "Only records before this time (ISO 8601)."})
    actor = fields.String(load_default=None, validate=_TEXT, metadata={
        "description": "e.g. ``client:web``, ``user:<id>``, ``cli``."})
    action = fields.String(load_default=None, validate=_TEXT,
                           metadata={"description": "e.g. ``token.issued``."})
    target = fields.String(load_default=None, validate=_TEXT)


class AuditPageArgs(AuditFilterArgs, core.PageArgs):
    pass


class AuditEventSchema(Schema):
    id = fields.Integer(required=True)
    event_id = fields.String(allow_none=True)
    tenant = fields.String(required=True)
    occurred_at = fields.String(required=True)
    actor = fields.String(required=True)
    actor_kind = fields.String(allow_none=True, metadata={
        "description": "user, client, operator, system or anonymous"})
    action = fields.String(required=True)
    target = fields.String(allow_none=True)
    before = fields.Raw(allow_none=True, metadata={"description": "Changed fields before "
                                                   "the change (secrets redacted)."})
    after = fields.Raw(allow_none=True)
    details = fields.Dict(required=True)
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    seq = fields.Integer(allow_none=True, metadata={"description": "Place in the chain."})
    prev_hash = fields.String(allow_none=True)
    chain_hash = fields.String(allow_none=True)


AuditEventPage = core.page_schema(AuditEventSchema, "AuditEventPage")


def _wanted(args: dict[str, Any]) -> AuditFilter:
    return AuditFilter(since=args.get("since"), until=args.get("until"),
                       actor=args.get("actor"), action=args.get("action"),
                       target=args.get("target"))


def _before_id(cursor: str | None) -> int | None:
    start = core.after(cursor)
    if start is not None and (not isinstance(start, int) or isinstance(start, bool)):
        raise AdminError(400, "invalid_cursor", "The cursor is not one this API gave out.")
    return start


@blp.route("/tenants/<string:slug>/audit-events")
class AuditEvents(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(AuditPageArgs, location="query")
    @blp.response(200, AuditEventPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The tenant's audit records, newest first; filter by time, actor, action and
        target."""
        core.tenant_for(slug)
        before_id = _before_id(args["cursor"])
        rows = audit_log.list_events(core.admin_context(), slug, _wanted(args),
                                     args["limit"] + 1, before_id)
        return core.page(rows, args["limit"], key=lambda row: row["id"])


@blp.route("/tenants/<string:slug>/audit-events:export")
class AuditExport(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(AuditFilterArgs, location="query")
    @blp.doc(responses={"200": {
        "description": "Every matching record, oldest first, one JSON object "
                       "(an AuditEvent) per line; streamed.",
        "content": {JSONL: {"schema": {"type": "string"}}}}})
    def get(self, args: dict[str, Any], slug: str) -> Response:
        """Export the matching records as JSON Lines (``application/jsonl``)."""
        core.tenant_for(slug)
        lines: Iterator[bytes] = audit_log.export_events(core.admin_context(), slug,
                                                         _wanted(args))
        response = Response(stream_with_context(lines), mimetype=JSONL)
        response.headers["Content-Disposition"] = f'attachment; filename="audit-{slug}.jsonl"'
        return response
