"""`authserver serve` and AUTHSERVER_BIND: a setting, validated, read when --bind is absent."""

from __future__ import annotations

from typing import Any

import pytest

from authserver.settings import SettingsError, load_settings
from tests.cli.support import Cli, ok, refused


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    calls: dict[str, Any] = {}
    monkeypatch.setattr("authserver.serve.serve", lambda **kwargs: calls.update(kwargs))
    return calls


def test_authserver_bind_is_a_known_setting(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                            served: dict[str, Any]) -> None:
    monkeypatch.setenv("AUTHSERVER_BIND", "0.0.0.0:9000")
    ok(cli("db", "current"))  # any command: BIND is no longer an unknown setting
    ok(cli("serve"))
    assert served["bind"] == "0.0.0.0:9000", "serve listens where AUTHSERVER_BIND says"
    ok(cli("serve", "--bind", "127.0.0.1:9100"))
    assert served["bind"] == "127.0.0.1:9100", "--bind wins over AUTHSERVER_BIND"


def test_serve_defaults_to_loopback_port_8000(cli: Cli, served: dict[str, Any]) -> None:
    ok(cli("serve"))
    assert served["bind"] == "127.0.0.1:8000"


@pytest.mark.parametrize("bind", ["127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1", ":8000",
                                  "127.0.0.1:http"])
def test_a_bad_bind_address_is_refused(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                       served: dict[str, Any], bind: str) -> None:
    refused(cli("serve", "--bind", bind), "must be HOST:PORT with a port 1-65535", status=2)
    monkeypatch.setenv("AUTHSERVER_BIND", bind)
    refused(cli("serve"), "configuration error: AUTHSERVER_BIND: must be HOST:PORT with a "
                          "port 1-65535", status=2)
    assert served == {}, "nothing may be served with a bad address"


@pytest.mark.parametrize("bind", ["127.0.0.1:8000", "[::1]:8443", "id.example:80",
                                  "unix:/run/authserver.sock"])
def test_bind_accepts_what_gunicorn_accepts(bind: str) -> None:
    assert load_settings({"AUTHSERVER_BIND": bind}).bind == bind


def test_workers_and_threads_stay_unknown_settings() -> None:
    # Only deploy/gunicorn.conf.py reads them; the CLI has --workers and --threads.
    with pytest.raises(SettingsError, match="WORKERS: unknown setting"):
        load_settings({"AUTHSERVER_WORKERS": "4"})
