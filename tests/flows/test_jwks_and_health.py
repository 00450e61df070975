"""Each tenant's JWKS over HTTP, and the liveness/readiness probes."""

from __future__ import annotations

from flask.testing import FlaskClient

from authserver.runtime import Runtime, ensure_default_tenant
from authserver.services.tenants import create_tenant

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


def add_tenant(runtime: Runtime, slug: str) -> None:
    with runtime.database.session() as session:
        create_tenant(session, runtime.master_key, runtime.key_timing, slug, None, "test",
                      runtime.clock())


def test_jwks_lists_rs256_and_es256_public_keys_with_cache_control(
    runtime: Runtime, http: FlaskClient
) -> None:
    add_tenant(runtime, "acme")
    response = http.get("/t/acme/jwks")
    assert response.status_code == 200
    assert response.mimetype == "application/jwk-set+json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    keys = response.get_json()["keys"]
    assert sorted(k["alg"] for k in keys) == ["ES256", "RS256"]
    for key in keys:
        assert not PRIVATE_MEMBERS & set(key), f"JWKS leaks private members: {sorted(key)}"


def test_each_tenant_has_its_own_keys(runtime: Runtime, http: FlaskClient) -> None:
    add_tenant(runtime, "acme")
    add_tenant(runtime, "globex")
    acme = {k["kid"] for k in http.get("/t/acme/jwks").get_json()["keys"]}
    globex = {k["kid"] for k in http.get("/t/globex/jwks").get_json()["keys"]}
    assert acme and globex and not acme & globex, "tenants must not share keys"


def test_unknown_tenants_and_paths_are_404_json(runtime: Runtime, http: FlaskClient) -> None:
    for path in ("/t/nope/jwks", "/t/NOT%20A%20SLUG/jwks", "/t/acme/../jwks", "/nothing"):
        response = http.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"] == "not_found", path


def test_wrong_method_is_405_not_500(runtime: Runtime, http: FlaskClient) -> None:
    add_tenant(runtime, "acme")
    response = http.post("/t/acme/jwks")
    assert response.status_code == 405
    assert response.get_json()["error"] == "invalid_request"


def test_healthz_is_always_ok(http: FlaskClient) -> None:
    assert http.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_reports_ready_with_migrated_database_and_keys(
    runtime: Runtime, http: FlaskClient
) -> None:
    not_ready = http.get("/readyz")
    assert not_ready.status_code == 503, "no default tenant yet: not ready"
    assert "no default tenant" in not_ready.get_json()["checks"]["keys"]
    ensure_default_tenant(runtime, "test")
    runtime.tenants.invalidate()
    ready = http.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["checks"] == {"database": "ok", "schema": "ok", "keys": "ok"}


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from authserver import create_app
    from authserver.settings import Settings

    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
                        instance_path=tmp_path, master_key=b"k" * 32)
    response = create_app(settings).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unreachable"
