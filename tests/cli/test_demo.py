"""`authserver demo`: the development data set whose credentials stay valid across runs.

Secrets and passwords are stored as digests and hashes, so the plaintext ones are kept in
instance/demo-credentials.json (0600) and reused while they still match the database."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

from authserver.settings import Settings
from tests.cli.test_cli import ok, refused
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def _demo(cli: Cli) -> dict:  # type: ignore[type-arg]
    return json.loads(ok(cli("demo", "--json")).out)


def _secrets(data: dict) -> dict[str, str | None]:  # type: ignore[type-arg]
    return {c["client_id"]: c["client_secret"] for c in data["clients"]}


def test_demo_creates_its_tenant_clients_and_user_once(cli: Cli) -> None:
    first = _demo(cli)
    assert first["issuer"] == "http://127.0.0.1:8000/t/demo"
    assert first["demo_rp"] == "http://127.0.0.1:8000/demo-rp/"
    by_id = {c["client_id"]: c for c in first["clients"]}
    assert set(by_id) == {"demo-web", "demo-spa", "demo-service"}
    assert by_id["demo-spa"]["client_secret"] is None
    assert by_id["demo-service"]["grant_types"] == ["client_credentials"]
    assert "http://127.0.0.1:8000/demo-rp/callback" in by_id["demo-web"]["redirect_uris"], \
        "demo-web must accept the demo relying party's callback"
    _demo(cli)
    assert len(json.loads(ok(cli("client", "list", "--tenant", "demo", "--json")).out)) == 3


def test_running_demo_twice_keeps_the_same_secrets_and_password(cli: Cli,
                                                                settings: Settings) -> None:
    first, second = _demo(cli), _demo(cli)
    assert _secrets(second) == _secrets(first), "secrets must stay valid across `make run`"
    assert second["user"] == first["user"], "the password must stay valid across `make run`"
    path = settings.instance_path / "demo-credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "the credentials file must be 0600"
    saved = json.loads(path.read_text())
    assert saved["password"] == first["user"]["password"]
    assert saved["client_secrets"] == {k: v for k, v in _secrets(first).items() if v}


def test_the_printed_text_names_the_demo_rp_and_the_credentials(cli: Cli) -> None:
    data = _demo(cli)
    out = ok(cli("demo")).out
    assert out.startswith("Demo relying party: http://127.0.0.1:8000/demo-rp/\n"), out
    assert f"sign in there as demo@example.com with password {data['user']['password']}" in out
    assert f"client_id=demo-web client_secret={_secrets(data)['demo-web']}" in out


def test_credentials_that_no_longer_match_are_replaced(cli: Cli, settings: Settings) -> None:
    first = _demo(cli)
    path: Path = settings.instance_path / "demo-credentials.json"
    path.write_text(json.dumps({"client_secrets": {"demo-web": "not-the-secret"},
                                "password": "not the password"}))
    second = _demo(cli)
    assert _secrets(second)["demo-web"] != "not-the-secret"
    assert second["user"]["password"] != "not the password"
    assert _secrets(second)["demo-service"] != _secrets(first)["demo-service"], \
        "a secret missing from the file cannot be printed, so it is replaced"
    assert _demo(cli)["user"] == second["user"], "the replacements are saved and reused"


def test_demo_follows_public_url_for_the_demo_rp(cli: Cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _demo(cli)
    monkeypatch.setenv("AUTHSERVER_PUBLIC_URL", "http://127.0.0.1:18000")
    moved = _demo(cli)
    web = next(c for c in moved["clients"] if c["client_id"] == "demo-web")
    assert "http://127.0.0.1:18000/demo-rp/callback" in web["redirect_uris"]
    assert "http://127.0.0.1:8000/demo-rp/callback" not in web["redirect_uris"]


def test_demo_is_refused_in_production(cli: Cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AUTHSERVER_ENV", "production")
    monkeypatch.setenv("AUTHSERVER_PUBLIC_URL", "https://id.example")
    refused(cli("demo"), "demo creates accounts with well-known credentials and is for "
                         "development only; it refuses to run with AUTHSERVER_ENV=production")
    tenants = json.loads(ok(cli("tenant", "list", "--json")).out)
    assert "demo" not in [t["slug"] for t in tenants], "nothing may be created"
