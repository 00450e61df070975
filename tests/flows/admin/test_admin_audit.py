"""Admin API: the audit log (Deliver 1 "audit events", Deliver 7): newest first with
filters by time, actor, action and target, cursor paging, JSON Lines export, admin:read
only, and the tenant's own log only."""

from __future__ import annotations

import base64
import json

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.admin_api import AdminHttp, as_admin, error_code
from tests.support.tokens import audit_events

EVENTS = "/tenants/acme/audit-events"
EXPORT = "/tenants/acme/audit-events:export"


def _all_pages(admin: AdminHttp, **query: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    for _ in range(50):
        sent = {**query, **({"cursor": cursor} if cursor else {})}
        response = admin.get(EVENTS, query_string=sent)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging never ended")


def test_the_log_is_listed_newest_first_and_pages_without_overlap(admin: AdminHttp) -> None:
    first = admin.get(EVENTS).get_json()["items"]
    ids = [item["id"] for item in first]
    assert ids == sorted(ids, reverse=True), "newest first"
    paged = _all_pages(admin, limit="2")
    assert [i["id"] for i in paged] == ids, "pages of 2 give the same records, in order"
    created = [i for i in first if i["action"] == "client.created"]
    assert {i["target"] for i in created} >= {"web", "spa", "service", "admin"}
    assert all(i["seq"] and i["chain_hash"] for i in first), "listing seals first"


def test_the_admin_tokens_own_issuance_is_there_with_its_context(
        http: FlaskClient, admin: AdminHttp) -> None:
    issued = admin.get(EVENTS, query_string={"action": "token.issued",
                                             "actor": "client:admin"}).get_json()["items"]
    assert len(issued) == 1, issued
    assert issued[0]["details"]["grant_type"] == "client_credentials"
    assert issued[0]["ip"] == "127.0.0.1" and len(issued[0]["request_id"]) == 32
    response = admin.get(EVENTS, headers={"X-Request-ID": "admin-listing-1"})
    assert response.headers["X-Request-ID"] == "admin-listing-1"


def test_filters_by_action_actor_target_and_time(admin: AdminHttp) -> None:
    every = _all_pages(admin)
    spa = admin.get(EVENTS, query_string={"target": "spa", "action": "client.created"}
                    ).get_json()["items"]
    assert [i["target"] for i in spa] == ["spa"]
    mine = admin.get(EVENTS, query_string={"actor": "client:admin"}).get_json()["items"]
    assert mine and {i["actor"] for i in mine} == {"client:admin"}
    oldest = every[-1]["occurred_at"]
    assert admin.get(EVENTS, query_string={"until": oldest}).get_json()["items"] == []
    assert len(_all_pages(admin, since=str(oldest))) == len(every)
    assert admin.get(EVENTS, query_string={"since": "2999-01-01T00:00:00Z"}
                     ).get_json()["items"] == []


@pytest.mark.parametrize("query, code", [
    ({"since": "yesterday"}, "invalid_input"),
    ({"until": "2026-13-45"}, "invalid_input"),
    ({"limit": "0"}, "invalid_input"),
    ({"limit": "201"}, "invalid_input"),
    ({"actor": ""}, "invalid_input"),
    ({"colour": "blue"}, "invalid_input"),
    ({"cursor": "!!!"}, "invalid_cursor"),
    ({"cursor": base64.urlsafe_b64encode(b'"text"').decode().rstrip("=")}, "invalid_cursor"),
])
def test_bad_queries_are_400_with_a_stable_code(admin: AdminHttp, query: dict[str, str],
                                                code: str) -> None:
    response = admin.get(EVENTS, query_string=query)
    assert response.status_code == 400, f"{query} must be refused: {response.get_json()}"
    assert error_code(response) == code


def test_export_streams_json_lines_oldest_first(admin: AdminHttp) -> None:
    response = admin.get(EXPORT)
    assert response.status_code == 200, response.data[:200]
    assert response.mimetype == "application/jsonl"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [x["id"] for x in lines] == sorted(x["id"] for x in lines), "oldest first"
    assert len(lines) >= len(_all_pages(admin)) - 1
    only = admin.get(EXPORT, query_string={"action": "client.created"})
    assert {json.loads(line)["target"] for line in
            only.get_data(as_text=True).splitlines()} >= {"web", "spa", "service"}
    refused = admin.get(EXPORT, query_string={"since": "not-a-time"})
    assert refused.status_code == 400 and error_code(refused) == "invalid_input"


@pytest.mark.parametrize("path", [EVENTS, EXPORT])
def test_without_admin_read_it_is_403_and_audited(http: FlaskClient, runtime: Runtime,
                                                  admin: AdminHttp, path: str) -> None:
    nobody = as_admin(http, runtime, "acme", "no-admin-scope", scopes=("stores:read",))
    response = nobody.get(path)
    assert response.status_code == 403, "admin:read is required"
    assert error_code(response) == "forbidden"
    assert any(e.actor == "client:no-admin-scope"
               for e in audit_events(runtime, "admin.denied"))
    assert AdminHttp(http, None).get(path).status_code == 401


@pytest.mark.parametrize("path", [EVENTS, EXPORT])
def test_another_tenants_admin_cannot_read_this_log(http: FlaskClient, runtime: Runtime,
                                                   admin: AdminHttp, path: str) -> None:
    other = as_admin(http, runtime, "globex")
    response = other.get(path)
    assert response.status_code == 403, "tenant globex must not read acme's audit log"
    assert error_code(response) == "forbidden"
