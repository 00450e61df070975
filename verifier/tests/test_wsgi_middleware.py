"""WSGI middleware: claims in environ, per-path scopes, public paths."""

from __future__ import annotations

import json

import pytest

werkzeug = pytest.importorskip("werkzeug")

from avcontract import ISSUER, check_contract, make_verifier  # noqa: E402
from avtestkit import default_claims, mint  # noqa: E402
from werkzeug.test import Client  # noqa: E402

from authserver_verifier.contrib.wsgi import CLAIMS_KEY, BearerAuthMiddleware  # noqa: E402


def inner_app(environ, start_response):
    claims = environ.get(CLAIMS_KEY)
    body = json.dumps({"sub": claims.sub} if claims is not None else {"public": True}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def requester(app):
    client = Client(app)

    def request(method, path, authorization):
        headers = {"Authorization": authorization} if authorization is not None else {}
        resp = client.open(path, method=method, headers=headers)
        return resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.get_json()

    return request


@pytest.fixture
def wrapped(keys):
    return BearerAuthMiddleware(
        inner_app,
        make_verifier(keys),
        path_scopes={"/stores": "stores:read", "/health": None},
        required_scopes=(),
    )


class PostNeedsWrite(BearerAuthMiddleware):
    """Method-aware policy built on the public ScopePolicy, as docs suggest for REST APIs."""

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            self.policy.rules = [("/stores", ("stores:write",))]
        else:
            self.policy.rules = [("/stores", ("stores:read",))]
        return super().__call__(environ, start_response)


def test_wsgi_middleware_honours_the_rfc6750_contract(keys):
    check_contract(requester(PostNeedsWrite(inner_app, make_verifier(keys))), keys, "wsgi")


def test_public_prefix_needs_no_token(wrapped):
    assert requester(wrapped)("GET", "/health", None)[:3:2] == (200, {"public": True})


def test_prefix_matches_whole_path_segments_only(wrapped, keys):
    token = mint(keys["ES256"], default_claims(ISSUER, scope="other"))
    request = requester(wrapped)
    assert request("GET", "/storesfront", f"Bearer {token}")[0] == 200, (
        "/storesfront wrongly required the /stores scope"
    )
    assert request("GET", "/stores/7", f"Bearer {token}")[0] == 403, "/stores/7 not protected"


def test_unlisted_paths_still_require_a_valid_token(wrapped):
    assert requester(wrapped)("GET", "/anything", None)[0] == 401


def test_cors_preflight_passes_without_token(wrapped):
    assert requester(wrapped)("OPTIONS", "/stores", None)[0] == 200


def test_global_required_scopes(keys):
    app = BearerAuthMiddleware(inner_app, make_verifier(keys), required_scopes="profile admin")
    token = mint(keys["ES256"], default_claims(ISSUER, scope="profile"))
    assert requester(app)("GET", "/x", f"Bearer {token}")[0] == 403


def test_over_real_http(keys):
    """The middleware behind a real WSGI server (wsgiref) answers over the socket."""
    import threading
    import urllib.error
    import urllib.request
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    httpd = make_server(
        "127.0.0.1", 0, BearerAuthMiddleware(inner_app, make_verifier(keys)), handler_class=Quiet
    )
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}/stores"
        token = mint(keys["ES256"], default_claims(ISSUER))
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert json.loads(resp.read()) == {"sub": "user-123"}
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(url, timeout=5)
        assert info.value.code == 401
        assert info.value.headers["WWW-Authenticate"] == 'Bearer realm="stores"'
    finally:
        httpd.shutdown()
        httpd.server_close()
