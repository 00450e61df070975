"""ASGI: pure middleware for Starlette, and the RequireScope dependency for FastAPI/Starlette."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from avcontract import ISSUER, REALM, check_contract, make_verifier
from avtestkit import default_claims, mint
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient

from authserver_verifier import Claims
from authserver_verifier.contrib.asgi import (
    CLAIMS_KEY,
    BearerAuthError,
    BearerAuthMiddleware,
    RequireScope,
    install_error_handler,
)


def requester(app):
    client = TestClient(app)

    def request(method, path, authorization):
        headers = {"Authorization": authorization} if authorization is not None else {}
        resp = client.request(method, path, headers=headers)
        return resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.json()

    return request


async def stores(request: Request):
    if request.method == "POST":
        await RequireScope("stores:write")(request)  # on top of the middleware's check
    claims = request.scope[CLAIMS_KEY]
    assert request.state.token_claims is claims
    return JSONResponse({"sub": claims.sub})


async def health(request: Request):
    return JSONResponse({"ok": True})


async def ws_endpoint(websocket):
    await websocket.accept()
    await websocket.send_json({"sub": websocket.scope[CLAIMS_KEY].sub})
    await websocket.close()


@pytest.fixture
def starlette_app(keys):
    app = Starlette(
        routes=[
            Route("/stores", stores, methods=["GET", "POST"]),
            Route("/health", health),
            WebSocketRoute("/ws", ws_endpoint),
        ],
        middleware=[
            Middleware(
                BearerAuthMiddleware,
                verifier=make_verifier(keys),
                path_scopes={"/stores": "stores:read", "/health": None},
            )
        ],
    )
    install_error_handler(app)
    return app


def test_starlette_middleware_honours_the_rfc6750_contract(starlette_app, keys):
    check_contract(requester(starlette_app), keys, "starlette")


def test_public_path_skips_the_middleware(starlette_app):
    assert requester(starlette_app)("GET", "/health", None)[0] == 200


def test_websocket_handshake_is_authenticated(starlette_app, keys):
    from starlette.websockets import WebSocketDisconnect

    client = TestClient(starlette_app)
    token = mint(keys["ES256"], default_claims(ISSUER))
    with client.websocket_connect("/ws", headers={"Authorization": f"Bearer {token}"}) as ws:
        assert ws.receive_json() == {"sub": "user-123"}, "claims not available to websocket"
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws"):
        pass
    assert info.value.code == 1008, "unauthenticated websocket not closed with 1008"


def test_multiple_authorization_headers_are_a_bad_request(starlette_app, keys):
    token = mint(keys["ES256"], default_claims(ISSUER))
    client = TestClient(starlette_app)
    resp = client.get(
        "/stores",
        headers=[("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")],
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"


@pytest.fixture
def fastapi_app(keys):
    fastapi = pytest.importorskip("fastapi")
    from fastapi import Depends

    app = fastapi.FastAPI()
    app.state.authserver_verifier = make_verifier(keys)
    install_error_handler(app)

    @app.get("/stores")
    def list_stores(claims: Claims = Depends(RequireScope("stores:read"))):
        return {"sub": claims.sub}

    @app.post("/stores")
    async def create_store(claims: Claims = Depends(RequireScope("stores:write"))):
        return {"sub": claims.sub}

    return app


def test_fastapi_dependency_honours_the_rfc6750_contract(fastapi_app, keys):
    check_contract(requester(fastapi_app), keys, "fastapi")


def test_fastapi_without_error_handler_keeps_status_and_challenge(keys):
    fastapi = pytest.importorskip("fastapi")
    from fastapi import Depends

    app = fastapi.FastAPI()
    verifier = make_verifier(keys)

    @app.get("/stores")
    def list_stores(claims: Claims = Depends(RequireScope("x", verifier=verifier))):
        return {"sub": claims.sub}

    resp = TestClient(app).get("/stores")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"] == f'Bearer realm="{REALM}"'
    assert resp.json() == {
        "detail": {"error": "unauthorized", "error_description": "bearer token required"}
    }


def test_require_scope_without_any_verifier_is_a_configuration_error():
    app = Starlette()
    request = Request({"type": "http", "headers": [], "app": app, "method": "GET", "path": "/"})
    with pytest.raises(RuntimeError):
        import asyncio

        asyncio.run(RequireScope("x")(request))


def test_bearer_auth_error_exposes_the_underlying_error(keys):
    import asyncio

    verifier = make_verifier(keys)
    request = Request(
        {
            "type": "http",
            "headers": [(b"authorization", b"Bearer x.y.z")],
            "app": Starlette(),
            "method": "GET",
            "path": "/",
        }
    )
    with pytest.raises(BearerAuthError) as info:
        asyncio.run(RequireScope(verifier=verifier)(request))
    assert info.value.status_code == 401 and info.value.error.error == "invalid_token"
