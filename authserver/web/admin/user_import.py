"""``POST /admin/api/v1/tenants/<slug>/users:import``: users from a CSV file sent as the
body (``Content-Type: text/csv``), each imported row invited, each rejected row
reported (services/user_import.py; docs/admin-api.md, User import)."""

from __future__ import annotations

from typing import Any

from flask import request

from authserver.runtime.import_wiring import import_setup
from authserver.services.admin_access import ADMIN_WRITE, READ_PII
from authserver.services.pii_masking import mask_email
from authserver.services.user_import import import_users
from authserver.services.user_import_csv import COLUMNS, MAX_BYTES, MAX_ROWS, FileTooLarge
from authserver.web.admin import core
from authserver.web.admin import user_schemas as s
from authserver.web.context import runtime

blp = core.admin_blueprint("user_import", "Bulk import of users from a CSV file.")

CSV_TYPE = "text/csv"


def _too_large() -> core.AdminError:
    return core.AdminError(413, "too_large", f"The file is larger than {MAX_BYTES} bytes; "
                           "split it into several files.", {"max_bytes": MAX_BYTES})


def _body() -> bytes:
    if request.mimetype != CSV_TYPE:
        raise core.AdminError(415, "unsupported_media_type",
                              f"Send the file as the body with Content-Type: {CSV_TYPE}.")
    if request.content_length is not None and request.content_length > MAX_BYTES:
        raise _too_large()  # refused before reading a byte of it
    # Chunked bodies carry no length: read one byte past the limit and no more.
    data = request.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large()
    return data


@blp.route("/tenants/<string:slug>/users:import", methods=["POST"])
@core.requires(ADMIN_WRITE)
@blp.arguments(s.ImportArgs, location="query")
@blp.doc(requestBody={"required": True, "description": (
    f"A CSV file (UTF-8), header row first: columns {', '.join(COLUMNS)} (only email "
    f"required; roles separated by ';'); at most {MAX_ROWS} rows and {MAX_BYTES} bytes."),
    "content": {CSV_TYPE: {"schema": {"type": "string"}}}})
@blp.response(200, s.ImportReportSchema)
@blp.alt_response(400, schema=core.ErrorSchema, description="The file as a whole is "
                  "refused (``invalid_input``, details.file); nothing was imported.")
@blp.alt_response(413, schema=core.ErrorSchema, description="Larger than the limit "
                  "(``too_large``).")
@blp.alt_response(415, schema=core.ErrorSchema, description="Not text/csv "
                  "(``unsupported_media_type``).")
def import_csv(args: dict[str, Any], slug: str) -> dict[str, Any]:
    """Import users: good rows are created and invited, bad rows reported (line, column,
    reason); a row is all or nothing. 200 even when rows were rejected: the report says."""
    core.tenant_for(slug)
    data = _body()
    try:
        report = import_users(core.admin_context(), slug, data, import_setup(runtime(), slug),
                              args["dry_run"]).as_dict()
    except FileTooLarge:
        raise _too_large() from None
    if not core.caller().can(READ_PII):
        for row in report["imported"]:
            row["email"] = mask_email(row["email"])
    return report
