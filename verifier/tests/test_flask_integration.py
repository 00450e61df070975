"""Flask: BearerAuth extension, require_scope decorator, current_claims()."""

from __future__ import annotations

import pytest

flask = pytest.importorskip("flask")

from avcontract import ISSUER, check_contract, make_verifier  # noqa: E402
from avtestkit import AUDIENCE, default_claims, mint  # noqa: E402
from flask import Flask, g  # noqa: E402

from authserver_verifier.contrib.flask import BearerAuth, current_claims, require_scope  # noqa: E402


@pytest.fixture
def app(keys):
    app = Flask("stores")
    auth = BearerAuth(app, verifier=make_verifier(keys))

    @app.get("/stores")
    @require_scope("stores:read")
    def list_stores():
        assert g.token_claims is current_claims()
        return {"sub": current_claims().sub}

    @app.post("/stores")
    @require_scope("stores:write")
    def create_store():
        return {"created": True}

    @app.get("/me")
    @require_scope
    def me():
        return {"client": current_claims().client_id}

    @app.get("/admin")
    @auth.require_scope("admin")
    def admin():
        return {"ok": True}

    @app.get("/open")
    def open_view():
        return {"claims": g.get("token_claims")}

    return app


def flask_requester(app):
    client = app.test_client()

    def request(method, path, authorization):
        headers = {"Authorization": authorization} if authorization is not None else {}
        resp = client.open(path, method=method, headers=headers)
        return resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.get_json()

    return request


def test_flask_decorator_honours_the_rfc6750_contract(app, keys):
    check_contract(flask_requester(app), keys, "flask")


def test_bare_decorator_requires_only_a_valid_token(app, keys):
    request = flask_requester(app)
    token = mint(keys["ES256"], default_claims(ISSUER))
    assert request("GET", "/me", f"Bearer {token}")[2] == {"client": "client-abc"}
    assert request("GET", "/me", None)[0] == 401, "bare decorator let an anonymous call through"


def test_extension_method_decorator_checks_scopes(app, keys):
    token = mint(keys["ES256"], default_claims(ISSUER, scope="admin"))
    assert flask_requester(app)("GET", "/admin", f"Bearer {token}")[0] == 200


def test_unprotected_views_see_no_claims(app, keys):
    assert flask_requester(app)("GET", "/open", None)[2] == {"claims": None}


def test_current_claims_outside_a_protected_view_raises(app):
    with app.test_request_context("/"), pytest.raises(RuntimeError):
        current_claims()


def test_init_app_builds_a_verifier_from_config(keys):
    app = Flask("cfg")
    app.config.update(
        AUTHSERVER_ISSUER=ISSUER,
        AUTHSERVER_AUDIENCE=AUDIENCE,
        AUTHSERVER_JWKS_URI="https://issuer.example.test/t/default/jwks",
    )
    auth = BearerAuth()
    auth.init_app(app)
    assert auth.verifier is not None and auth.verifier.algorithms == {"ES256"}
    assert app.extensions["authserver_verifier"] is auth
