"""The ``claims`` request parameter (OIDC Core §5.5) releases nothing beyond the granted scopes.

The consent page lists scopes (Core §3.1.2.4), so a claim no granted scope covers (§5.4)
was never consented to: ``claims`` may pick, within the granted scopes' claims, which go
into the ID token, and nothing else; ``essential`` does not change that. The same rule holds
at userinfo, in the ID token of the code exchange and in the ID token of every refresh.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec
from tests.support.oauth import (
    ISSUER_PATH,
    REDIRECT,
    Pkce,
    World,
    approve_consent,
    authorize_params,
    build_world,
    exchange,
    obtain_code,
    query_of,
)
from tests.support.tokens import (
    UserTokens,
    add_client,
    describe,
    expect_tokens,
    refresh,
    signed_in,
    userinfo,
    verify_jwt,
)

# The attack from the security review: a client allowed only openid asks for personal data.
GREEDY = {"userinfo": {"email": None, "name": None}, "id_token": {"email": None}}
ID_TOKEN_ONLY_CLAIMS = {"iss", "sub", "aud", "exp", "iat", "auth_time", "acr", "amr", "azp",
                        "sid", "nonce", "at_hash"}


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def secrets_by_client(runtime: Runtime, world: World) -> dict[str, str]:
    """Two more confidential clients: one allowed only openid, one openid and email."""
    found: dict[str, str] = {}
    for client_id, scopes in (("only-openid", ("openid",)),
                              ("openid-email", ("openid", "email"))):
        secret = add_client(runtime, ClientSpec(name=client_id, client_id=client_id,
                                                redirect_uris=(REDIRECT,), scopes=scopes))
        assert secret, f"{client_id} must be confidential"
        found[client_id] = secret
    return found


def tokens_for(http: FlaskClient, runtime: Runtime, client_id: str, secret: str, scope: str,
               claims: dict[str, object]) -> UserTokens:
    signed_in(http, runtime)
    pkce = Pkce()
    request = authorize_params(client_id, pkce, scope=scope, claims=json.dumps(claims))
    query = obtain_code(http, request)
    assert "code" in query, f"{client_id}: the authorization request failed: {query}"
    body = expect_tokens(exchange(http, query["code"], pkce, client_id, secret),
                         f"{client_id}: code exchange")
    return UserTokens(body, pkce, request)


def id_token_claims(http: FlaskClient, tokens: UserTokens | dict[str, object]) -> set[str]:
    token = tokens.id_token if isinstance(tokens, UserTokens) else str(tokens["id_token"])
    _header, claims = verify_jwt(http, token)
    return set(claims)


def userinfo_claims(http: FlaskClient, access_token: str) -> dict[str, object]:
    response = userinfo(http, access_token)
    assert response.status_code == 200, f"userinfo: {describe(response)}"
    body: dict[str, object] = response.get_json()
    return body


# --- a client allowed only openid ------------------------------------------------------------


def test_the_consent_page_of_the_attack_asks_only_for_openid(
    http: FlaskClient, runtime: Runtime, secrets_by_client: dict[str, str]
) -> None:
    signed_in(http, runtime)
    request = authorize_params("only-openid", Pkce(), scope="openid", claims=json.dumps(GREEDY))
    response = http.get(f"{ISSUER_PATH}/authorize?{urlencode(request)}")
    assert response.status_code in (302, 303), describe(response)
    page = http.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "<code>openid</code>" in html, "the consent page must list the openid scope"
    for asked in ("email", "name", "profile"):
        assert f"<code>{asked}</code>" not in html, (
            f"the consent page lists only scopes; {asked} must not appear as one")
    query = query_of(approve_consent(http, response.headers["Location"]).headers["Location"])
    assert "code" in query, f"consenting to openid must succeed: {query}"


def test_a_client_allowed_only_openid_gets_no_email_or_name_at_userinfo(
    http: FlaskClient, runtime: Runtime, secrets_by_client: dict[str, str]
) -> None:
    tokens = tokens_for(http, runtime, "only-openid", secrets_by_client["only-openid"],
                        "openid", GREEDY)
    body = userinfo_claims(http, tokens.access_token)
    assert set(body) == {"sub"}, (
        f"claims.userinfo asked for email and name with only openid granted; "
        f"userinfo released {sorted(body)}")


def test_a_client_allowed_only_openid_gets_no_email_in_the_id_token(
    http: FlaskClient, runtime: Runtime, secrets_by_client: dict[str, str]
) -> None:
    tokens = tokens_for(http, runtime, "only-openid", secrets_by_client["only-openid"],
                        "openid", GREEDY)
    released = id_token_claims(http, tokens) - ID_TOKEN_ONLY_CLAIMS
    assert released == set(), (
        f"claims.id_token asked for email with only openid granted; the ID token carries "
        f"{sorted(released)}")


def test_essential_does_not_override_the_granted_scope(
    http: FlaskClient, runtime: Runtime, secrets_by_client: dict[str, str]
) -> None:
    essential = {"essential": True}
    claims = {"userinfo": {"email": essential, "name": essential},
              "id_token": {"email": essential, "email_verified": essential}}
    tokens = tokens_for(http, runtime, "only-openid", secrets_by_client["only-openid"],
                        "openid", claims)
    assert set(userinfo_claims(http, tokens.access_token)) == {"sub"}, (
        "essential claims outside the granted scopes must not be released at userinfo")
    released = id_token_claims(http, tokens) - ID_TOKEN_ONLY_CLAIMS
    assert released == set(), f"essential claims in the ID token: {sorted(released)}"


def test_a_refresh_issued_id_token_releases_nothing_beyond_openid(
    http: FlaskClient, runtime: Runtime, secrets_by_client: dict[str, str]
) -> None:
    secret = secrets_by_client["only-openid"]
    tokens = tokens_for(http, runtime, "only-openid", secret, "openid", GREEDY)
    body = expect_tokens(refresh(http, tokens.refresh_token, "only-openid", secret), "refresh")
    assert "id_token" in body, "a refresh of an openid grant returns an ID token"
    released = id_token_claims(http, body) - ID_TOKEN_ONLY_CLAIMS
    assert released == set(), f"the refresh-issued ID token carries {sorted(released)}"
    assert set(userinfo_claims(http, str(body["access_token"]))) == {"sub"}, (
        "the refreshed access token must not unlock more at userinfo")


# --- a client allowed openid and email -------------------------------------------------------


def test_claims_selects_email_for_the_id_token_when_the_email_scope_was_granted(
    http: FlaskClient, runtime: Runtime, secrets_by_client: dict[str, str]
) -> None:
    tokens = tokens_for(http, runtime, "openid-email", secrets_by_client["openid-email"],
                        "openid email", {"id_token": {"email": None, "name": None}})
    _header, claims = verify_jwt(http, tokens.id_token)
    assert claims.get("email") == "ann@example.com", (
        f"claims.id_token.email with the email scope granted belongs in the ID token: {claims}")
    assert "name" not in claims, "name is a profile claim and profile was not granted"
    assert "email_verified" not in claims, "only the claims asked for go into the ID token"


def test_a_profile_claim_is_not_released_to_a_client_granted_email(
    http: FlaskClient, runtime: Runtime, secrets_by_client: dict[str, str]
) -> None:
    tokens = tokens_for(http, runtime, "openid-email", secrets_by_client["openid-email"],
                        "openid email", {"userinfo": {"name": None, "given_name": None}})
    body = userinfo_claims(http, tokens.access_token)
    assert set(body) == {"sub", "email", "email_verified"}, (
        f"userinfo releases the email scope's claims, never profile's: {sorted(body)}")


def test_the_scope_granted_not_the_one_allowed_is_what_counts(
    http: FlaskClient, runtime: Runtime, secrets_by_client: dict[str, str]
) -> None:
    # The client may ask for email, but this request did not: nothing of email's is released.
    tokens = tokens_for(http, runtime, "openid-email", secrets_by_client["openid-email"],
                        "openid", {"userinfo": {"email": None}, "id_token": {"email": None}})
    assert set(userinfo_claims(http, tokens.access_token)) == {"sub"}
    assert id_token_claims(http, tokens) - ID_TOKEN_ONLY_CLAIMS == set()


def test_a_refresh_keeps_releasing_what_the_grant_covers(
    http: FlaskClient, runtime: Runtime, secrets_by_client: dict[str, str]
) -> None:
    secret = secrets_by_client["openid-email"]
    tokens = tokens_for(http, runtime, "openid-email", secret, "openid email",
                        {"id_token": {"email": None}})
    body = expect_tokens(refresh(http, tokens.refresh_token, "openid-email", secret), "refresh")
    _header, claims = verify_jwt(http, str(body["id_token"]))
    assert claims.get("email") == "ann@example.com", (
        f"the refresh-issued ID token keeps the claims the grant covers: {claims}")


def test_a_refresh_narrowed_to_openid_drops_the_email_claim(
    http: FlaskClient, runtime: Runtime, secrets_by_client: dict[str, str]
) -> None:
    secret = secrets_by_client["openid-email"]
    tokens = tokens_for(http, runtime, "openid-email", secret, "openid email",
                        {"id_token": {"email": None}})
    body = expect_tokens(refresh(http, tokens.refresh_token, "openid-email", secret,
                                 scope="openid"), "narrowed refresh")
    assert body.get("scope") == "openid", f"the narrowed scope: {body.get('scope')}"
    released = id_token_claims(http, body) - ID_TOKEN_ONLY_CLAIMS
    assert released == set(), (
        f"a refresh asking only for openid must not put email in its ID token: {released}")
    assert set(userinfo_claims(http, str(body["access_token"]))) == {"sub"}
