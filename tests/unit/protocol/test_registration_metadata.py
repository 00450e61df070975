"""The sans-I/O rules of dynamic registration (protocol/registration_metadata.py): which
redirect URIs each kind of client may register (RFC 8252, RFC 9700 §4.1), the metadata
defaults and type checks (RFC 7591 §2), and software statement verification (§2.3)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto.jwk import JWK

from authserver.protocol import jws
from authserver.protocol.errors import (
    InvalidClientMetadataError,
    InvalidRedirectUriError,
    InvalidSoftwareStatementError,
    UnapprovedSoftwareStatementError,
)
from authserver.protocol.registration_metadata import (
    DEFAULT_SCOPES,
    merged_with_statement,
    parse_metadata,
    parse_request_body,
    redirect_uri_problem,
    verify_software_statement,
)

WEB, NATIVE = "web", "native"
OIDC_SCOPES = frozenset({"openid", "profile", "email", "phone", "address", "offline_access"})

# (uri, application_type, public, a fragment of the problem, or None when accepted)
REDIRECT_URI_RULES = [
    # Web applications: https only.
    ("https://app.example/cb", WEB, False, None),
    ("https://app.example:8443/cb?x=1", WEB, True, None),
    ("https://localhost/cb", WEB, False, None),
    ("http://app.example/cb", WEB, False, "https"),
    ("http://127.0.0.1/cb", WEB, False, "https"),
    ("http://localhost:3000/cb", WEB, True, "https"),
    ("com.example.app:/cb", WEB, True, "native applications"),
    # Native applications: https, loopback http (any of the three names), private-use
    # schemes in reverse-domain form when they have no secret.
    ("https://app.example/cb", NATIVE, True, None),
    ("http://127.0.0.1/cb", NATIVE, True, None),
    ("http://127.0.0.1:51004/cb", NATIVE, False, None),
    ("http://[::1]/cb", NATIVE, True, None),
    ("http://localhost/cb", NATIVE, True, None),
    ("http://app.example/cb", NATIVE, True, "loopback"),
    ("http://127.0.0.2/cb", NATIVE, True, "loopback"),
    ("http://localhost.evil.example/cb", NATIVE, True, "loopback"),
    ("com.example.app:/oauth2redirect", NATIVE, True, None),
    ("com.example.app:/cb", NATIVE, False, "without a client secret"),
    ("myapp:/cb", NATIVE, True, "reverse domain"),
    ("javascript:alert(1)", NATIVE, True, "never a redirect URI"),
    ("data:text/html,hi", NATIVE, True, "never a redirect URI"),
    ("file:///etc/passwd", NATIVE, True, "never a redirect URI"),
    # For everyone: no fragment, no wildcard, no user information, absolute.
    ("https://app.example/cb#x", WEB, False, "fragment"),
    ("https://app.example/cb#", NATIVE, True, "fragment"),
    ("https://*.app.example/cb", WEB, False, "wildcard"),
    ("https://app.example/*", WEB, False, "wildcard"),
    ("https://user@app.example/cb", WEB, False, "user information"),
    ("https://user:pw@app.example/cb", WEB, False, "user information"),
    ("http://evil.example@127.0.0.1/cb", NATIVE, True, "user information"),
    ("/relative/cb", WEB, False, "absolute"),
    ("app.example/cb", WEB, False, "absolute"),
    ("https:///cb", WEB, False, "no host"),
    ("https://[::1/cb", WEB, False, "valid"),
    ("", WEB, False, "non-empty"),
    (None, WEB, False, "non-empty"),
    (7, NATIVE, True, "non-empty"),
]


@pytest.mark.parametrize(("uri", "application_type", "public", "problem"), REDIRECT_URI_RULES,
                         ids=[f"{r[1]}-{'public' if r[2] else 'secret'}-{r[0]}"
                              for r in REDIRECT_URI_RULES])
def test_redirect_uri_rules(uri: Any, application_type: str, public: bool,
                            problem: str | None) -> None:
    found = redirect_uri_problem(uri, application_type, public)
    if problem is None:
        assert found is None, f"{uri!r} ({application_type}) must be accepted: {found}"
    else:
        assert found is not None, f"{uri!r} ({application_type}) must be refused"
        assert problem in found, f"{uri!r}: expected the reason to mention {problem!r}: {found}"


def test_defaults_are_those_of_rfc_7591_and_oidc_registration() -> None:
    meta = parse_metadata({"redirect_uris": ["https://app.example/cb"]},
                          allowed_scopes=OIDC_SCOPES)
    assert meta.grant_types == ("authorization_code",)
    assert meta.response_types == ("code",)
    assert meta.token_endpoint_auth_method == "client_secret_basic"
    assert meta.application_type == "web"
    assert meta.scope == DEFAULT_SCOPES
    assert meta.id_token_signed_response_alg == "RS256"
    assert not meta.public
    assert meta.extras() == {}


def test_unknown_members_and_language_tagged_names_are_ignored() -> None:
    meta = parse_metadata({"redirect_uris": ["https://app.example/cb"], "client_name": "App",
                           "client_name#ja-Jpan-JP": "アプリ", "x-custom": {"a": 1}},
                          allowed_scopes=OIDC_SCOPES)
    assert meta.client_name == "App"
    assert meta.extras() == {"client_name": "App"}


def test_redirect_uri_errors_are_invalid_redirect_uri_others_invalid_client_metadata() -> None:
    with pytest.raises(InvalidRedirectUriError) as bad_uri:
        parse_metadata({"redirect_uris": ["http://app.example/cb"]}, allowed_scopes=OIDC_SCOPES)
    assert "https" in bad_uri.value.description
    with pytest.raises(InvalidClientMetadataError):
        parse_metadata({"redirect_uris": ["https://app.example/cb"],
                        "post_logout_redirect_uris": ["http://app.example/"]},
                       allowed_scopes=OIDC_SCOPES)
    with pytest.raises(InvalidClientMetadataError):
        parse_metadata({"redirect_uris": ["https://app.example/cb"], "scope": "openid api:x"},
                       allowed_scopes=OIDC_SCOPES)


@pytest.mark.parametrize("body", [b"", b"[]", b"null", b"{", b"1", b'{"a":"\\u0000"}',
                                  b"{" + b'"a":[' * 20 + b"]" * 20 + b"}",
                                  b'{"a": "' + b"x" * 70_000 + b'"}'])
def test_the_body_must_be_a_bounded_json_object(body: bytes) -> None:
    with pytest.raises(InvalidClientMetadataError):
        parse_request_body(body)


def test_statement_claims_take_precedence_but_not_the_jwt_claims() -> None:
    merged = merged_with_statement({"client_name": "body", "scope": "openid"},
                                   {"iss": "https://d.example", "exp": 1, "client_name": "stmt",
                                    "software_statement": "nested"})
    assert merged == {"client_name": "stmt", "scope": "openid"}


ISSUER = "https://directory.example"
NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def _key() -> tuple[ec.EllipticCurvePrivateKey, dict[str, Any]]:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(JWK.from_pyca(key.public_key()).export_public())
    return key, {"keys": [{**jwk, "kid": "d1"}]}


def test_a_statement_from_a_trusted_issuer_verifies() -> None:
    key, jwks = _key()
    token = jws.sign({"iss": ISSUER, "software_id": "s1", "iat": int(NOW.timestamp())},
                     key, "ES256", "d1")
    claims = verify_software_statement(token, {ISSUER: jwks}, NOW)
    assert claims["software_id"] == "s1"


def test_statements_that_are_unsigned_forged_or_untrusted_are_refused() -> None:
    key, jwks = _key()
    other, _ = _key()
    none_header = jws.b64url(b'{"alg":"none"}')
    unsigned = f"{none_header}.{jws.b64url(json.dumps({'iss': ISSUER}).encode())}."
    with pytest.raises(InvalidSoftwareStatementError):
        verify_software_statement(unsigned, {ISSUER: jwks}, NOW)
    with pytest.raises(InvalidSoftwareStatementError):
        verify_software_statement(jws.sign({"iss": ISSUER}, other, "ES256", "d1"),
                                  {ISSUER: jwks}, NOW)
    with pytest.raises(UnapprovedSoftwareStatementError):
        verify_software_statement(jws.sign({"iss": "https://x.example"}, key, "ES256", "d1"),
                                  {ISSUER: jwks}, NOW)
    expired = jws.sign({"iss": ISSUER, "exp": int(NOW.timestamp()) - 60}, key, "ES256", "d1")
    with pytest.raises(InvalidSoftwareStatementError):
        verify_software_statement(expired, {ISSUER: jwks}, NOW)
