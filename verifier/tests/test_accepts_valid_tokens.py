"""Valid tokens for every supported algorithm are accepted and yield typed Claims."""

from __future__ import annotations

import pytest
from avtestkit import AUDIENCE, default_claims, mint

from authserver_verifier import Claims, InsufficientScope, Verifier


@pytest.mark.parametrize("alg", ["ES256", "ES384", "RS256", "PS256", "EdDSA"])
def test_token_signed_with_a_published_key_is_accepted(alg, keys, static_verifier, static_issuer):
    token = mint(keys[alg], default_claims(static_issuer))
    claims = static_verifier.verify(token)
    assert claims.sub == "user-123", f"{alg}: sub not carried through"


def test_claims_expose_typed_attributes_and_raw_mapping(keys, static_verifier, static_issuer):
    token = mint(keys["ES256"], default_claims(static_issuer, tenant="acme"))
    claims = static_verifier.verify(token)
    assert isinstance(claims, Claims), "verify must return a Claims object"
    assert claims.iss == static_issuer, "iss attribute wrong"
    assert claims.aud == (AUDIENCE,), "aud attribute must be a tuple even for a string aud"
    assert claims.client_id == "client-abc", "client_id attribute wrong"
    assert claims.jti == "jti-1", "jti attribute wrong"
    assert isinstance(claims.exp, int) and isinstance(claims.iat, int), "exp/iat must be numbers"
    assert claims.scopes == frozenset({"stores:read", "profile"}), "scope string not split"
    assert claims["tenant"] == "acme", "raw item access broken"
    assert claims.get("missing", 7) == 7, ".get default broken"
    assert "tenant" in claims and len(claims) == len(claims.to_dict()), "Mapping protocol broken"
    with pytest.raises(AttributeError):
        claims.sub = "someone-else"  # type: ignore[misc]


def test_token_string_may_be_given_as_bytes(keys, static_verifier, static_issuer):
    token = mint(keys["ES256"], default_claims(static_issuer))
    assert static_verifier.verify(token.encode()).sub == "user-123", "bytes token rejected"


def test_typ_is_case_insensitive_and_accepts_media_type_form(keys, static_verifier, static_issuer):
    for typ in ("AT+JWT", "application/at+jwt", "Application/AT+JWT"):
        token = mint(keys["ES256"], default_claims(static_issuer), typ=typ)
        assert static_verifier.verify(token).sub == "user-123", f"typ {typ!r} wrongly rejected"


def test_token_without_kid_uses_the_only_key_matching_its_alg(keys, static_verifier, static_issuer):
    token = mint(keys["EdDSA"], default_claims(static_issuer), kid=None)
    assert static_verifier.verify(token).sub == "user-123", "kid-less token with unique key refused"


def test_audience_list_containing_ours_is_accepted(keys, static_verifier, static_issuer):
    token = mint(keys["ES256"], default_claims(static_issuer, aud=["other", AUDIENCE]))
    assert static_verifier.verify(token).aud == ("other", AUDIENCE), "aud list not accepted"


def test_required_scopes_present_pass_and_missing_raise_insufficient_scope(
    keys, static_verifier, static_issuer
):
    token = mint(keys["ES256"], default_claims(static_issuer, scope="stores:read stores:write"))
    claims = static_verifier.verify(token, required_scopes=["stores:read", "stores:write"])
    assert claims.has_scopes("stores:write"), "granted scopes not reported"
    with pytest.raises(InsufficientScope) as info:
        static_verifier.verify(token, required_scopes=["admin"])
    assert info.value.required_scopes == ("admin",), "required scopes not recorded on the error"
    assert info.value.status_code == 403 and info.value.error == "insufficient_scope"


def test_scp_list_claim_is_accepted_as_scopes(keys, static_verifier, static_issuer):
    token = mint(keys["ES256"], default_claims(static_issuer, scope=..., scp=["a", "b"]))
    assert static_verifier.verify(token, required_scopes="a b").scopes == {"a", "b"}, (
        "scp list not read as scopes"
    )


def test_several_accepted_audiences_can_be_configured(keys):
    verifier = Verifier(
        issuer="https://i.example",
        audience=["api-a", "api-b"],
        algorithms=("ES256",),
        jwks={"keys": [keys["ES256"].jwk()]},
    )
    token = mint(keys["ES256"], default_claims("https://i.example", aud="api-b"))
    assert verifier.verify(token).aud == ("api-b",), "second configured audience not accepted"


def test_verifier_does_not_import_the_server_package():
    # A fresh interpreter: in a combined test run the server's own tests import authserver.
    import subprocess
    import sys

    code = ("import sys, authserver_verifier, authserver_verifier.contrib.wsgi; "
            "print('authserver' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "False", "authserver_verifier must never import authserver"
