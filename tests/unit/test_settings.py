"""Settings: defaults, sources and their precedence, and one-line errors for bad values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from authserver.settings import Settings, SettingsError, load_settings

HEX_KEY = "ab" * 32


def test_defaults_give_a_working_development_setup(tmp_path: Path) -> None:
    settings = load_settings({})
    assert settings.env == "development"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.database_url.startswith("sqlite:///"), "default database must be SQLite"
    assert settings.database_url.endswith("instance/authserver.db")
    assert settings.redis_url is None, "Redis must be optional"
    assert settings.access_token_ttl == 600


def test_environment_variables_are_parsed_into_typed_values() -> None:
    settings = load_settings({
        "AUTHSERVER_PUBLIC_URL": "https://id.example.com/",
        "AUTHSERVER_ACCESS_TOKEN_TTL": "15m",
        "AUTHSERVER_REFRESH_TOKEN_IDLE_TTL": "7d",
        "AUTHSERVER_MASTER_KEY": HEX_KEY,
        "AUTHSERVER_REDIS_URL": "redis://127.0.0.1:6379/0",
        "AUTHSERVER_DATABASE_URL": "postgresql://u@db/authserver",
    })
    assert settings.public_url == "https://id.example.com", "trailing slash must be stripped"
    assert settings.access_token_ttl == 900
    assert settings.refresh_token_idle_ttl == 7 * 86400
    assert settings.master_key == bytes.fromhex(HEX_KEY)
    assert settings.database_url == "postgresql+psycopg://u@db/authserver", \
        "plain postgresql:// must be routed to psycopg 3"
    assert settings.issuer_for("acme") == "https://id.example.com/t/acme"


def test_toml_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    config = tmp_path / "authserver.toml"
    config.write_text('[authserver]\npublic_url = "https://a.example"\naccess_token_ttl = 120\n'
                      'id_token_ttl = "5m"\n')
    settings = load_settings({"AUTHSERVER_CONFIG": str(config),
                              "AUTHSERVER_ACCESS_TOKEN_TTL": "300"})
    assert settings.public_url == "https://a.example"
    assert settings.id_token_ttl == 300
    assert settings.access_token_ttl == 300, "environment must override the TOML file"


def test_master_key_accepts_base64() -> None:
    import base64

    key = bytes(range(32))
    settings = load_settings({"AUTHSERVER_MASTER_KEY": base64.b64encode(key).decode()})
    assert settings.master_key == key


@pytest.mark.parametrize(("environ", "setting", "fragment"), [
    ({"AUTHSERVER_ACCESS_TOKEN_TTL": "soon"}, "ACCESS_TOKEN_TTL", "duration"),
    ({"AUTHSERVER_ACCESS_TOKEN_TTL": "0"}, "ACCESS_TOKEN_TTL", "greater than zero"),
    ({"AUTHSERVER_PUBLIC_URL": "ftp://x"}, "PUBLIC_URL", "http"),
    ({"AUTHSERVER_PUBLIC_URL": "https://x/?a=b"}, "PUBLIC_URL", "query"),
    ({"AUTHSERVER_DATABASE_URL": "mysql://x/y"}, "DATABASE_URL", "sqlite"),
    ({"AUTHSERVER_REDIS_URL": "http://x"}, "REDIS_URL", "redis://"),
    ({"AUTHSERVER_MASTER_KEY": "short"}, "MASTER_KEY", "32 random bytes"),
    ({"AUTHSERVER_ENV": "staging"}, "ENV", "production"),
    ({"AUTHSERVER_LOG_LEVEL": "LOUD"}, "LOG_LEVEL", "DEBUG"),
    ({"AUTHSERVER_ACCES_TOKEN_TTL": "60"}, "ACCES_TOKEN_TTL", "unknown setting"),
    ({"AUTHSERVER_MASTER_KEY": HEX_KEY, "AUTHSERVER_MASTER_KEY_FILE": "/k"},
     "MASTER_KEY", "not both"),
    ({"AUTHSERVER_REFRESH_TOKEN_IDLE_TTL": "40d"}, "REFRESH_TOKEN_IDLE_TTL", "ABSOLUTE"),
    ({"AUTHSERVER_JWKS_MAX_AGE": "1h"}, "KEY_PUBLISH_LEAD", "JWKS_MAX_AGE"),
    ({"AUTHSERVER_ENV": "production", "AUTHSERVER_PUBLIC_URL": "https://id.example"},
     "MASTER_KEY", "production needs"),
    ({"AUTHSERVER_ENV": "production", "AUTHSERVER_MASTER_KEY": HEX_KEY},
     "PUBLIC_URL", "https"),
    ({"AUTHSERVER_CONFIG": "/nonexistent/authserver.toml"}, "CONFIG", "does not exist"),
    ({"AUTHSERVER_JWKS_URI_ALLOW_PRIVATE": "maybe"}, "JWKS_URI_ALLOW_PRIVATE", "true or false"),
    ({"AUTHSERVER_ENV": "production", "AUTHSERVER_MASTER_KEY": HEX_KEY,
      "AUTHSERVER_PUBLIC_URL": "https://id.example", "AUTHSERVER_JWKS_URI_ALLOW_PRIVATE": "1"},
     "JWKS_URI_ALLOW_PRIVATE", "must not be set in production"),
])
def test_bad_values_are_refused_naming_the_setting(
    environ: dict[str, str], setting: str, fragment: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    message = str(caught.value)
    assert message.startswith(f"AUTHSERVER_{setting}: "), f"error must name the setting: {message}"
    assert fragment in message, f"error must say what is wrong: {message}"
    assert "\n" not in message, "the error must fit on one line"


def test_private_jwks_uri_addresses_are_refused_unless_allowed_for_development() -> None:
    assert load_settings({}).jwks_uri_allow_private is False, "the SSRF guard is on by default"
    allowed = load_settings({"AUTHSERVER_JWKS_URI_ALLOW_PRIVATE": "true"})
    assert allowed.jwks_uri_allow_private is True


def test_unknown_and_malformed_toml_is_refused(tmp_path: Path) -> None:
    typo = tmp_path / "typo.toml"
    typo.write_text("publik_url = 'https://x'\n")
    with pytest.raises(SettingsError, match="PUBLIK_URL: unknown setting"):
        load_settings({"AUTHSERVER_CONFIG": str(typo)})
    broken = tmp_path / "broken.toml"
    broken.write_text("public_url = \n")
    with pytest.raises(SettingsError, match=r"AUTHSERVER_CONFIG: .* is not valid TOML"):
        load_settings({"AUTHSERVER_CONFIG": str(broken)})


def test_settings_are_immutable() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.public_url = "https://evil.example"  # type: ignore[misc]


def test_bad_setting_stops_the_cli_with_one_line_and_status_2(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "AUTHSERVER_ACCESS_TOKEN_TTL": "forever",
           "AUTHSERVER_INSTANCE_PATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "authserver.cli", "tenant", "list"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, f"exit status must be 2, got {done.returncode}: {done.stderr}"
    assert "Traceback" not in done.stderr, f"no traceback for a bad setting: {done.stderr}"
    lines = done.stderr.strip().splitlines()
    assert lines == ["authserver: configuration error: AUTHSERVER_ACCESS_TOKEN_TTL: must be a "
                     "duration such as 600, 10m, 12h or 7d, got 'forever'"], lines


def test_production_without_master_key_refuses_to_start(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "AUTHSERVER_ENV": "production",
           "AUTHSERVER_PUBLIC_URL": "https://id.example", "AUTHSERVER_INSTANCE_PATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", "import authserver.wsgi"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert "AUTHSERVER_MASTER_KEY: production needs" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "master.key").exists(), "production must never generate a key"
