"""Admin API ``POST /tenants/<slug>/users:import`` (Deliver 8): a text/csv body; the
report as JSON (200 even with rejected rows); 400 for a bad file, 413 too big, 415
another type; imported emails masked without users:read:pii."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.user_import_csv import MAX_BYTES
from authserver.storage.models import OutboxMessage
from tests.support.admin_api import AdminHttp, as_admin, error_code
from tests.support.oauth import World

IMPORT = "/tenants/acme/users:import"
CSV = {"Content-Type": "text/csv; charset=utf-8"}


def send(admin: AdminHttp, body: bytes | str, headers: dict[str, str] | None = None,
         **query: str) -> Any:
    return admin.post(IMPORT, headers=CSV if headers is None else headers, data=body,
                      query_string=query)


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, \
        f"expected {status} {code}, got {response.status_code}: {response.get_json()}"
    assert error_code(response) == code, response.get_json()
    return response.get_json()["error"]


def outbox(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        return session.query(OutboxMessage).count()


def test_a_file_with_bad_rows_imports_the_good_ones_and_reports_the_rest(
        admin: AdminHttp, runtime: Runtime) -> None:
    response = send(admin, "email,given_name,phone\nbob@example.com,Bob,+15551234567\n"
                    "ann@example.com,Ann,\nbad,,\n")
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["rows"], report["imported_count"], report["rejected_count"]) == (3, 1, 2)
    assert [(r["row"], r["email"]) for r in report["imported"]] == [(2, "bob@example.com")]
    assert [(r["row"], r["column"]) for r in report["rejected"]] == [(3, "email"),
                                                                     (4, "email")]
    assert "already exists" in report["rejected"][0]["reason"]
    bob = admin.get("/tenants/acme/users", query_string={"q": "bob@"}).get_json()["items"][0]
    assert bob["invitation_pending"] is True and bob["phone"] == "+15551234567"
    assert outbox(runtime) >= 1, "the invitation mail is queued in the outbox"


def test_dry_run_and_masking(admin: AdminHttp, http: FlaskClient, runtime: Runtime,
                             world: World) -> None:
    report = send(admin, "email\ncarol@example.com\n", dry_run="true").get_json()
    assert report["dry_run"] is True and report["imported_count"] == 1
    assert admin.get("/tenants/acme/users", query_string={"q": "carol"}).get_json()[
        "items"] == []
    no_pii = as_admin(http, runtime, "acme", "nopii", scopes=("admin:read", "admin:write"))
    masked = send(no_pii, "email\ncarol@example.com\n").get_json()
    assert masked["imported"][0]["email"] == "c•••l@example.com"


def test_file_level_refusals(admin: AdminHttp, http: FlaskClient, runtime: Runtime,
                             world: World) -> None:
    bad = refused(send(admin, "email,nickname\n"), 400, "invalid_input")
    assert "nickname" in bad["details"]["file"][0]
    refused(send(admin, b"email\n\xff\n"), 400, "invalid_input")
    refused(send(admin, "email\n" + "x" * MAX_BYTES), 413, "too_large")
    refused(send(admin, "email\na@example.com\n", {"Content-Type": "application/json"}),
            415, "unsupported_media_type")
    refused(send(admin, "email\n", {}), 415, "unsupported_media_type")
    refused(admin.post("/tenants/nope/users:import", headers=CSV, data="email\n"), 403,
            "forbidden")
    refused(send(admin, "email\n", dry_run="maybe"), 400, "invalid_input")
    reader = as_admin(http, runtime, "acme", "reader", scopes=("admin:read",))
    refused(send(reader, "email\na@example.com\n"), 403, "forbidden")
