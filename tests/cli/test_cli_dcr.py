"""`authserver dcr token create|list|revoke` and `authserver tenant update --registration …`:
initial access tokens printed once, kept as digests, listed without their value; the
registration mode and trusted software statement issuers of a tenant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto.jwk import JWK

from authserver.storage.database import Database
from authserver.storage.models import AuditEvent, InitialAccessToken
from tests.cli.support import Cli, ok, ok_json, refused


@pytest.fixture
def acme(cli: Cli) -> None:
    ok(cli("tenant", "create", "acme"))


def test_a_token_is_printed_once_and_stored_only_as_a_digest(cli: Cli, acme: None,
                                                             database: Database) -> None:
    created = ok_json(cli("dcr", "token", "create", "--tenant", "acme", "--expires-in", "2h",
                          "--max-uses", "3", "--description", "partner onboarding", "--json"))
    assert created["token"] and created["token_id"].startswith("iat_")
    assert (created["max_uses"], created["uses"], created["state"]) == (3, 0, "live")
    assert created["description"] == "partner onboarding"
    with database.session() as session:
        row = session.query(InitialAccessToken).one()
        assert row.token_digest != created["token"] and len(row.token_digest) == 64
        events = [e.action for e in session.query(AuditEvent).all()]
        stored = json.dumps([e.details for e in session.query(AuditEvent).all()])
    assert "dcr.token_created" in events
    assert created["token"] not in stored, "the audit log must not hold the token"

    listed = ok_json(cli("dcr", "token", "list", "--tenant", "acme", "--json"))
    assert [t["token_id"] for t in listed] == [created["token_id"]]
    assert "token" not in listed[0], "a list never shows a token's value"
    human = ok(cli("dcr", "token", "list", "--tenant", "acme")).out
    assert created["token_id"] in human and created["token"] not in human


def test_defaults_are_one_use_and_one_day(cli: Cli, acme: None) -> None:
    created = ok_json(cli("dcr", "token", "create", "--tenant", "acme", "--json"))
    assert created["max_uses"] == 1
    unlimited = ok_json(cli("dcr", "token", "create", "--tenant", "acme", "--unlimited-uses",
                            "--json"))
    assert unlimited["max_uses"] is None
    human = ok(cli("dcr", "token", "create", "--tenant", "acme")).out
    assert "shown only now" in human


def test_revoke(cli: Cli, acme: None) -> None:
    created = ok_json(cli("dcr", "token", "create", "--tenant", "acme", "--json"))
    revoked = ok_json(cli("dcr", "token", "revoke", "--tenant", "acme", created["token_id"],
                          "--json"))
    assert revoked["state"] == "revoked" and revoked["revoked_at"]
    refused(cli("dcr", "token", "revoke", "--tenant", "acme", "iat_nope"),
            "no initial access token 'iat_nope' in tenant 'acme'")


def test_token_refusals(cli: Cli, acme: None) -> None:
    refused(cli("dcr", "token", "create", "--tenant", "nope"), "no tenant 'nope'")
    refused(cli("dcr", "token", "create", "--tenant", "acme", "--expires-in", "400d"),
            "expires_in: must be between 1 second and 365 days")
    refused(cli("dcr", "token", "create", "--tenant", "acme", "--max-uses", "0"),
            "--max-uses", status=2)
    refused(cli("dcr", "token", "create", "--tenant", "acme", "--max-uses", "2",
                "--unlimited-uses"), "contradict", status=2)
    refused(cli("dcr", "token", "create", "--tenant", "acme", "--expires-in", "soon"),
            "--expires-in", status=2)


def test_tenant_update_sets_the_registration_mode(cli: Cli, acme: None) -> None:
    shown = ok_json(cli("tenant", "show", "acme", "--json"))
    assert shown["registration"] == {"mode": "off", "requires_software_statement": False,
                                     "software_statement_issuers": []}
    for mode in ("initial-access-token", "open", "off"):
        view = ok_json(cli("tenant", "update", "acme", "--registration", mode, "--json"))
        assert view["registration"]["mode"] == mode
    refused(cli("tenant", "update", "acme", "--registration", "sometimes"), "--registration",
            status=2)


def _jwks_file(tmp_path: Path, private: bool = False) -> Path:
    key = JWK.from_pyca(ec.generate_private_key(ec.SECP256R1()))
    exported = key.export_private() if private else key.export_public()
    path = tmp_path / "directory.jwks"
    path.write_text(json.dumps({"keys": [{**json.loads(exported), "kid": "d1"}]}))
    return path


def test_software_statement_issuers(cli: Cli, acme: None, tmp_path: Path,
                                    database: Database) -> None:
    refused(cli("tenant", "update", "acme", "--require-software-statement", "on"),
            "trust a software statement issuer first")
    view = ok_json(cli("tenant", "update", "acme", "--software-statement-issuer",
                       "https://directory.example", "--software-statement-jwks-file",
                       str(_jwks_file(tmp_path, private=True)),
                       "--require-software-statement", "on", "--json"))
    assert view["registration"]["software_statement_issuers"] == ["https://directory.example"]
    assert view["registration"]["requires_software_statement"] is True
    from authserver.storage.models import SoftwareStatementIssuer

    with database.session() as session:
        stored = session.query(SoftwareStatementIssuer).one().jwks
    assert "d" not in stored["keys"][0], "only the public half of a key is kept"

    ok(cli("tenant", "update", "acme", "--require-software-statement", "off"))
    view = ok_json(cli("tenant", "update", "acme", "--remove-software-statement-issuer",
                       "https://directory.example", "--json"))
    assert view["registration"]["software_statement_issuers"] == []
    refused(cli("tenant", "update", "acme", "--remove-software-statement-issuer",
                "https://directory.example"), "is not a trusted issuer")


def test_software_statement_issuer_refusals(cli: Cli, acme: None, tmp_path: Path) -> None:
    refused(cli("tenant", "update", "acme", "--software-statement-issuer", "https://d.example"),
            "go together", status=2)
    refused(cli("tenant", "update", "acme", "--software-statement-issuer", "https://d.example",
                "--software-statement-jwks-file", str(tmp_path / "missing.json")),
            "cannot read a JSON JWKS", status=2)
    bad = tmp_path / "bad.json"
    bad.write_text('{"keys": [{"kty": "EC"}]}')
    refused(cli("tenant", "update", "acme", "--software-statement-issuer", "https://d.example",
                "--software-statement-jwks-file", str(bad)), "software_statement_jwks")
    refused(cli("tenant", "update", "acme", "--software-statement-issuer", "has space",
                "--software-statement-jwks-file", str(_jwks_file(tmp_path))),
            "software_statement_issuer")
