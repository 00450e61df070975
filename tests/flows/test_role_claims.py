"""Per-client claim mapping (docs/roles-and-claims.md) through a real code flow and
refresh: roles and mapped attributes reach the ID token, the access token and userinfo
only when the client's mapping asks, are read afresh at each refresh, never replace a
registered claim, and cost a client without a mapping no statement."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from authserver.runtime import Runtime, admin_context
from authserver.services import client_admin, role_admin
from authserver.services.claim_mapping import ClaimsEdit
from authserver.services.client_changes import ClientChanges
from authserver.services.errors import InvalidInput
from authserver.services.roles import RoleSpec
from authserver.services.user_groups import GroupSpec
from authserver.storage.models import Client
from tests.flows.test_token_path_statements import counts, recorded
from tests.support.oauth import World, build_world, exchange
from tests.support.tokens import (
    client_credentials,
    expect_tokens,
    refresh,
    user_code,
    user_tokens,
    userinfo,
    verify_jwt,
)

ANN = "ann@example.com"


@pytest.fixture
def world(runtime: Runtime) -> World:
    built = build_world(runtime)
    ctx = admin_context(runtime, "test")
    role_admin.create_role(ctx, "acme", RoleSpec("viewer", permissions=["stores:read"]))
    role_admin.create_role(ctx, "acme", RoleSpec("clerk", permissions=["stores:write"]))
    role_admin.grant_role(ctx, "acme", "viewer", email=ANN)
    role_admin.create_group(ctx, "acme", GroupSpec("staff", roles=("clerk",)))
    role_admin.add_member(ctx, "acme", "staff", email=ANN)
    role_admin.set_user_attributes(ctx, "acme", built.user_sub,
                                   {"department": "sales", "regions": ["eu", "us"],
                                    "badge": "not mapped"})
    return built


def map_claims(runtime: Runtime, client_id: str, mapping: dict[str, object]) -> None:
    client_admin.update_client(admin_context(runtime, "test"), "acme", client_id,
                               ClientChanges(claims=ClaimsEdit(replace=mapping)))


def claims_of(http: FlaskClient, body: dict[str, object]) -> tuple[dict, dict]:
    _, access = verify_jwt(http, str(body["access_token"]))
    _, id_token = verify_jwt(http, str(body["id_token"]))
    return access, id_token


def test_without_a_mapping_no_token_carries_roles_or_attributes(
        http: FlaskClient, world: World) -> None:
    tokens = user_tokens(http, world)
    access, id_token = claims_of(http, tokens.body)
    for name, claims in (("access token", access), ("ID token", id_token)):
        assert "roles" not in claims and "department" not in claims, \
            f"the {name} of an unmapped client carries mapped claims: {claims}"
    info = userinfo(http, tokens.access_token).get_json()
    assert "roles" not in info and "department" not in info, info


def test_mapped_roles_and_attributes_reach_both_tokens_and_follow_changes_at_refresh(
        runtime: Runtime, http: FlaskClient, world: World) -> None:
    map_claims(runtime, "web", {"roles": ["id_token", "access_token"],
                                "attributes": {"department": "dept", "regions": "regions"}})
    tokens = user_tokens(http, world, scope="openid profile email offline_access")
    access, id_token = claims_of(http, tokens.body)
    for name, claims in (("access token", access), ("ID token", id_token)):
        assert claims.get("roles") == ["clerk", "viewer"], \
            f"the {name} should carry the direct and the group's roles: {claims}"
        assert (claims.get("dept"), claims.get("regions")) == ("sales", ["eu", "us"]), \
            f"the {name} should carry the mapped attributes: {claims}"
        assert "badge" not in claims and "department" not in claims, claims
        assert claims["sub"] == world.user_sub
    ctx = admin_context(runtime, "test")
    role_admin.revoke_role(ctx, "acme", "viewer", email=ANN)
    role_admin.set_user_attributes(ctx, "acme", world.user_sub, {"department": "support"})
    body = expect_tokens(refresh(http, tokens.refresh_token, "web", world.web_secret),
                         "refresh")
    access, id_token = claims_of(http, body)
    for name, claims in (("access token", access), ("ID token", id_token)):
        assert claims.get("roles") == ["clerk"], f"the refreshed {name}: {claims}"
        assert claims.get("dept") == "support" and "regions" not in claims, claims


def test_roles_go_only_where_the_mapping_says_and_userinfo_when_asked(
        runtime: Runtime, http: FlaskClient, world: World) -> None:
    map_claims(runtime, "web", {"roles": ["access_token", "userinfo"],
                                "attributes": {"department": "dept"},
                                "attributes_in": ["userinfo"]})
    tokens = user_tokens(http, world)
    access, id_token = claims_of(http, tokens.body)
    assert access.get("roles") == ["clerk", "viewer"] and "roles" not in id_token, \
        (access, id_token)
    assert "dept" not in access and "dept" not in id_token, (access, id_token)
    info = userinfo(http, tokens.access_token).get_json()
    assert (info.get("roles"), info.get("dept")) == (["clerk", "viewer"], "sales"), info
    assert info["email"] == ANN, "userinfo's own claims stay"


def test_a_mapping_can_never_name_a_registered_claim(runtime: Runtime, world: World) -> None:
    for claim in ("sub", "iss", "aud", "email", "roles", "scope", "client_id"):
        with pytest.raises(InvalidInput) as caught:
            map_claims(runtime, "web", {"attributes": {"department": claim}})
        assert "registered claim" in caught.value.problem, caught.value
    for bad in ({"roles": ["cookie"]}, {"roles": "id_token"}, {"colour": 1},
                {"attributes": {"department": "a", "regions": "a"}},
                {"attributes": {"1bad": "x"}}, {"attributes": ["department"]}):
        with pytest.raises(InvalidInput):
            map_claims(runtime, "web", bad)


def test_a_stored_mapping_onto_registered_claims_still_changes_none_of_them(
        runtime: Runtime, http: FlaskClient, world: World) -> None:
    # Written past the checks (an old row, a hand edit): the token builder filters too.
    with runtime.database.session() as session:
        session.execute(update(Client).where(Client.client_id == "web").values(
            claim_mapping={"attributes": {"department": "sub", "regions": "iss",
                                          "badge": "aud"}}))
    runtime.clients.invalidate()
    tokens = user_tokens(http, world)
    access, id_token = claims_of(http, tokens.body)
    assert access["sub"] == id_token["sub"] == world.user_sub, (access, id_token)
    assert access["iss"] == id_token["iss"] and access["iss"].endswith("/t/acme"), access
    assert id_token["aud"] == "web", id_token


def test_client_credentials_tokens_carry_no_user_claims(runtime: Runtime, http: FlaskClient,
                                                        world: World) -> None:
    map_claims(runtime, "service", {"roles": ["access_token"],
                                    "attributes": {"department": "dept"}})
    body = expect_tokens(client_credentials(http, world), "client credentials")
    _, claims = verify_jwt(http, body["access_token"])
    assert "roles" not in claims and "dept" not in claims, claims


def test_statements_are_added_only_when_the_mapping_asks(
        runtime: Runtime, http: FlaskClient, world: World) -> None:
    def measured_exchange() -> tuple[tuple[int, int], tuple[int, int]]:
        code, verifier, request = user_code(http, world)
        with recorded(runtime) as log:
            body = expect_tokens(exchange(http, code, verifier, "web", world.web_secret,
                                          redirect_uri=request["redirect_uri"]), "exchange")
        exchanged = counts(log)
        with recorded(runtime) as log:
            expect_tokens(refresh(http, body["refresh_token"], "web", world.web_secret),
                          "refresh")
        return exchanged, counts(log)

    measured_exchange()  # warm the caches
    assert measured_exchange() == ((8, 3), (9, 3)), \
        "an unmapped client must keep the token path's statement counts"
    map_claims(runtime, "web", {"roles": ["id_token"]})
    measured_exchange()
    assert measured_exchange() == ((9, 4), (10, 4)), \
        "roles alone: one statement (direct and group roles together) in one transaction"
    map_claims(runtime, "web", {"roles": ["id_token"], "attributes": {"department": "dept"}})
    measured_exchange()
    assert measured_exchange() == ((10, 4), (11, 4)), \
        "roles and attributes: two statements in one transaction"
