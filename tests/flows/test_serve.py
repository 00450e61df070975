"""`authserver serve` runs the real app under gunicorn on loopback, as `make run` does."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from authserver.storage.database import Database
from tests.support.server import live_server, url_of

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def test_served_demo_tenant_publishes_its_jwks(database: Database, tmp_path: Path) -> None:
    with live_server(url_of(database), tmp_path) as server:
        issuer = server.cli_json("demo")["issuer"]
        with urllib.request.urlopen(f"{issuer}/jwks", timeout=5) as response:  # noqa: S310
            assert response.headers["Cache-Control"].startswith("public, max-age=")
            keys = json.load(response)["keys"]
        assert sorted(k["alg"] for k in keys) == ["ES256", "RS256"]
        assert all(not PRIVATE_MEMBERS & set(k) for k in keys), "JWKS leaks private parts"
        with urllib.request.urlopen(f"{server.base_url}/readyz", timeout=5) as response:  # noqa: S310
            assert json.load(response)["status"] == "ok"
