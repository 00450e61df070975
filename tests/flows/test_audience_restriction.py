"""Audience restriction (RFC 8707) and API scopes at the token and authorization endpoints.

A client gets tokens only for the APIs it is allowed (directly or through an access
group) and only with the scopes it holds there: anything else is ``invalid_target`` or
``invalid_scope``, for every grant. An API's own lifetime and algorithm are in its tokens.
The built-in admin API is an audience like any other. Docs: docs/apis-and-access-groups.md.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime, admin_context
from authserver.services import access_groups, api_admin, api_grants
from authserver.services.clients import ClientSpec
from tests.support.apis import (
    BILLING_API,
    STORES_API,
    grant_api,
    register_api,
)
from tests.support.oauth import (
    ISSUER,
    World,
    authorize_params,
    build_world,
    exchange,
    obtain_code,
)
from tests.support.tokens import (
    add_client,
    client_credentials,
    expect_error,
    expect_tokens,
    refresh,
    signed_in,
    user_code,
    user_tokens,
    verify_jwt,
)

ADMIN_API = "http://127.0.0.1:8000/admin/api"
REPORTS_API = "urn:example:api:reports"


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def cc_client(runtime: Runtime, client_id: str) -> str:
    secret = add_client(runtime, ClientSpec(
        name=client_id, client_id=client_id, grant_types=("client_credentials",),
        scopes=("stores:read",)))
    assert secret
    return secret


def cc(http: FlaskClient, world: World, client_id: str, secret: str, scope: str | None = None,
       resources: tuple[str, ...] = ()) -> object:
    return client_credentials(http, world, scope=scope, resources=resources,
                              client_id=client_id, secret=secret)


def claims_of(http: FlaskClient, body: dict[str, object]) -> dict[str, object]:
    return verify_jwt(http, str(body["access_token"]))[1]


# --- client credentials ----------------------------------------------------------------------


def test_an_allowed_resource_and_scope_make_the_audience_and_scope(
    world: World, http: FlaskClient
) -> None:
    body = expect_tokens(client_credentials(http, world, scope="inventory:write",
                                            resources=[STORES_API]), "allowed API and scope")
    claims = claims_of(http, body)
    assert (claims["aud"], claims["scope"], body["scope"]) == (
        STORES_API, "inventory:write", "inventory:write")


def test_without_scope_a_resource_gets_every_scope_the_client_holds_there(
    world: World, http: FlaskClient
) -> None:
    body = expect_tokens(client_credentials(http, world, resources=[STORES_API]), "no scope")
    assert body["scope"] == "inventory:read inventory:write"


def test_an_unregistered_resource_is_invalid_target(world: World, http: FlaskClient) -> None:
    expect_error(client_credentials(http, world, resources=["https://nobody.example/"]), 400,
                 "invalid_target", "a resource no API of the tenant has")


def test_a_registered_api_the_client_is_not_allowed_is_invalid_target(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    secret = cc_client(runtime, "stranger")
    response = cc(http, world, "stranger", secret, resources=(STORES_API,))
    body = expect_error(response, 400, "invalid_target", "an API the client was not allowed")
    unknown = expect_error(cc(http, world, "stranger", secret, resources=("https://x.example/",)),
                           400, "invalid_target", "an unknown API")
    assert body == unknown, "an unknown API and a forbidden one must read the same"


def test_an_api_scope_the_client_does_not_hold_is_invalid_scope(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    secret = cc_client(runtime, "reader")
    grant_api(runtime, STORES_API, "reader", ["inventory:read"])
    expect_tokens(cc(http, world, "reader", secret, "inventory:read", (STORES_API,)), "held")
    expect_error(cc(http, world, "reader", secret, "inventory:write", (STORES_API,)), 400,
                 "invalid_scope", "a scope of the API the client does not hold")


def test_a_scope_of_another_api_than_the_resource_is_invalid_scope(
    world: World, http: FlaskClient
) -> None:
    expect_error(client_credentials(http, world, scope="invoices:read", resources=[STORES_API]),
                 400, "invalid_scope", "billing's scope in a token for the stores API")
    expect_error(client_credentials(http, world, scope="stores:read", resources=[STORES_API]),
                 400, "invalid_scope", "a non-API scope beside an API")


def test_api_scopes_without_resource_go_to_the_one_api_the_client_is_allowed(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    secret = cc_client(runtime, "reader")
    grant_api(runtime, STORES_API, "reader", ["inventory:read"])
    body = expect_tokens(cc(http, world, "reader", secret, "inventory:read"), "default audience")
    assert claims_of(http, body)["aud"] == STORES_API, "the client's one API is its default"


def test_api_scopes_without_resource_need_one_when_several_apis_are_allowed(
    world: World, http: FlaskClient
) -> None:
    expect_error(client_credentials(http, world, scope="inventory:read"), 400, "invalid_scope",
                 "service holds two APIs: which one is meant must be said")


def test_without_resource_or_api_scope_the_token_is_for_authserver(
    world: World, http: FlaskClient
) -> None:
    body = expect_tokens(client_credentials(http, world), "no resource, no scope")
    assert claims_of(http, body)["aud"] == ISSUER
    assert body["scope"] == "stores:read stores:write", "the client's own non-API scopes"


def test_an_apis_lifetime_and_algorithm_are_in_its_tokens(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    register_api(runtime, REPORTS_API, ["reports:read"], ttl=120, alg="PS256")
    grant_api(runtime, REPORTS_API, "service", ["reports:read"])
    body = expect_tokens(client_credentials(http, world, resources=[REPORTS_API]), "reports")
    header, claims = verify_jwt(http, str(body["access_token"]))
    assert header["alg"] == "PS256", "the API's algorithm, not the client's ES256"
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 120, "the API's lifetime"
    assert claims["aud"] == REPORTS_API, "a URN is an API identifier too"
    plain = expect_tokens(client_credentials(http, world, resources=[STORES_API]), "stores")
    header, claims = verify_jwt(http, str(plain["access_token"]))
    assert header["alg"] == "ES256" and plain["expires_in"] == 600, "defaults elsewhere"


def test_two_apis_that_need_different_algorithms_are_invalid_target(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    register_api(runtime, REPORTS_API, ["reports:read"], alg="PS256")
    grant_api(runtime, REPORTS_API, "service", ["reports:read"])
    expect_error(client_credentials(http, world, resources=[STORES_API, REPORTS_API]), 400,
                 "invalid_target", "one token cannot be signed two ways")
    body = expect_tokens(client_credentials(http, world, resources=[STORES_API, BILLING_API]),
                         "two APIs that agree")
    assert claims_of(http, body)["aud"] == [STORES_API, BILLING_API]


def test_the_admin_api_is_an_audience_granted_like_any_api(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    secret = cc_client(runtime, "ops")
    expect_error(cc(http, world, "ops", secret, "admin:read", (ADMIN_API,)), 400,
                 "invalid_target", "the admin API without a grant")
    grant_api(runtime, ADMIN_API, "ops", ["admin:read"])
    body = expect_tokens(cc(http, world, "ops", secret, "admin:read", (ADMIN_API,)), "admin")
    assert claims_of(http, body)["aud"] == ADMIN_API
    expect_error(cc(http, world, "ops", secret, "admin:write", (ADMIN_API,)), 400,
                 "invalid_scope", "admin:write was not granted")


def test_the_builtin_admin_group_grants_admin_read_and_write_but_not_pii(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    secret = cc_client(runtime, "ops")
    access_groups.assign(admin_context(runtime, "test"), "acme", "Admin", "ops")
    body = expect_tokens(cc(http, world, "ops", secret, None, (ADMIN_API,)), "via Admin group")
    assert body["scope"] == "admin:read admin:write"
    expect_error(cc(http, world, "ops", secret, "users:read:pii", (ADMIN_API,)), 400,
                 "invalid_scope", "the Admin group does not grant users:read:pii")


def test_a_group_grants_its_apis_and_leaving_it_takes_them_away_at_once(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    ctx = admin_context(runtime, "test")
    secret = cc_client(runtime, "till")
    access_groups.create_group(ctx, "acme", access_groups.GroupSpec(
        name="Tills", permissions={BILLING_API: ["invoices:read"]}))
    access_groups.assign(ctx, "acme", "tills", "till")
    expect_tokens(cc(http, world, "till", secret, "invoices:read", (BILLING_API,)), "member")
    access_groups.assign(ctx, "acme", "Tills", "till", member=False)
    expect_error(cc(http, world, "till", secret, "invoices:read", (BILLING_API,)), 400,
                 "invalid_target", "the cached client must forget the group it left")


def test_a_revoked_direct_grant_takes_effect_on_a_warm_cache(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    expect_tokens(client_credentials(http, world, resources=[BILLING_API]), "before")
    api_grants.revoke_api(admin_context(runtime, "test"), "acme", BILLING_API, "service")
    expect_error(client_credentials(http, world, resources=[BILLING_API]), 400,
                 "invalid_target", "after the grant was revoked")


def test_a_deleted_api_is_no_audience_any_more(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    expect_tokens(client_credentials(http, world, resources=[BILLING_API]), "before")
    api_admin.delete_api(admin_context(runtime, "test"), "acme", BILLING_API)
    expect_error(client_credentials(http, world, resources=[BILLING_API]), 400,
                 "invalid_target", "after the API was deleted")


def test_the_issuer_is_a_resource_any_client_may_name_beside_an_api(
    world: World, http: FlaskClient
) -> None:
    body = expect_tokens(client_credentials(http, world, resources=[ISSUER, STORES_API]),
                         "the issuer beside an API")
    assert claims_of(http, body)["aud"] == [ISSUER, STORES_API]
    assert body["scope"] == "inventory:read inventory:write", "the issuer adds no scopes"
    secretless = expect_tokens(client_credentials(http, world, resources=[ISSUER]), "issuer")
    assert claims_of(http, secretless)["aud"] == ISSUER


# --- authorization code and refresh --------------------------------------------------------


def authorize(http: FlaskClient, world: World, scope: str, resource: str) -> dict[str, str]:
    """The authorization response's parameters for ann, signed in, asking ``scope``."""
    signed_in(http, world.runtime)
    return obtain_code(http, authorize_params("web", scope=scope, resource=resource))


def test_a_user_token_for_an_allowed_api_carries_its_scope(
    world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world, scope="openid inventory:read", resource=STORES_API)
    claims = claims_of(http, tokens.body)
    assert (claims["aud"], claims["scope"]) == (STORES_API, "openid inventory:read")
    assert "id_token" in tokens.body, "openid still gives an ID token beside an API"


def test_authorize_with_a_resource_the_client_may_not_use_is_invalid_target(
    world: World, http: FlaskClient
) -> None:
    answer = authorize(http, world, "openid", BILLING_API)
    assert answer.get("error") == "invalid_target", f"web may not use billing: {answer}"


def test_authorize_with_an_api_scope_the_client_does_not_hold_is_invalid_scope(
    world: World, http: FlaskClient
) -> None:
    answer = authorize(http, world, "openid inventory:write", STORES_API)
    assert answer.get("error") == "invalid_scope", f"web holds only inventory:read: {answer}"


def test_a_grant_revoked_before_the_exchange_makes_the_exchange_invalid_target(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    code, verifier, request = user_code(http, world, scope="openid inventory:read",
                                        resource=STORES_API)
    api_grants.revoke_api(admin_context(runtime, "test"), "acme", STORES_API, "web")
    expect_error(exchange(http, code, verifier, "web", world.web_secret,
                          redirect_uri=request["redirect_uri"]), 400, "invalid_target",
                 "the client lost the API between authorize and exchange")


def test_a_resource_at_the_exchange_outside_the_code_is_invalid_target(
    world: World, http: FlaskClient
) -> None:
    code, verifier, request = user_code(http, world, scope="openid inventory:read",
                                        resource=STORES_API)
    expect_error(exchange(http, code, verifier, "web", world.web_secret,
                          redirect_uri=request["redirect_uri"], resource=BILLING_API), 400,
                 "invalid_target", "RFC 8707 §2.2: resource can only narrow the grant")


def test_refresh_keeps_the_audience_and_stops_once_the_grant_is_revoked(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world, scope="openid offline_access inventory:read",
                         resource=STORES_API)
    renewed = expect_tokens(refresh(http, tokens.refresh_token, "web", world.web_secret),
                            "refresh")
    assert claims_of(http, renewed)["aud"] == STORES_API, "the refreshed token keeps its API"
    expect_error(refresh(http, renewed["refresh_token"], "web", world.web_secret,
                         resource=BILLING_API), 400, "invalid_target",
                 "refresh cannot add an audience")
    api_grants.revoke_api(admin_context(runtime, "test"), "acme", STORES_API, "web",
                         ["inventory:read"])
    expect_error(refresh(http, renewed["refresh_token"], "web", world.web_secret), 400,
                 "invalid_scope", "a scope taken away is not renewed")
