"""The audience and scope rules (protocol/audience.py), rule by rule, against fakes."""

from __future__ import annotations

from typing import Any

import pytest

from authserver.protocol.audience import narrowed, resolve_target
from authserver.protocol.errors import OAuth2Error
from tests.unit.protocol.fakes import FakeApis, api, client

ORDERS = "https://orders.example/"
STOCK = "urn:example:api:stock"
ADMIN = "https://id.example/admin/api"
ISSUER_API = api("https://id.example/t/acme", open_to_all=True, builtin=True)
APIS = FakeApis([api(ORDERS, "orders:read", "orders:write"), api(STOCK, "stock:read"),
                 api(ADMIN, "admin:read", builtin=True), ISSUER_API])


def app(**permissions: Any) -> Any:
    held = {ORDERS: frozenset({"orders:read"}), **permissions}
    return client(api_permissions=held, allowed_scopes=("openid", "profile", "legacy"))


def refused(*args: Any, **kwargs: Any) -> str:
    with pytest.raises(OAuth2Error) as caught:
        resolve_target(*args, **kwargs)
    return str(caught.value.error)


@pytest.mark.parametrize(("scopes", "resources", "expected"), [
    (["orders:read"], [ORDERS], ((ORDERS,), "orders:read")),
    (["openid", "orders:read"], [ORDERS], ((ORDERS,), "openid orders:read")),
    (["orders:read"], [], ((ORDERS,), "orders:read")),
    (["openid", "legacy"], [], ((), "openid legacy")),
    (["openid"], ["https://id.example/t/acme"], (("https://id.example/t/acme",), "openid")),
], ids=["named API", "user scope beside it", "default audience", "authserver itself",
        "the issuer, open to all"])
def test_accepted(scopes: list[str], resources: list[str],
                  expected: tuple[tuple[str, ...], str]) -> None:
    target = resolve_target(app(), scopes, resources, APIS)
    assert (target.resources, target.scope) == expected


@pytest.mark.parametrize(("scopes", "resources", "permissions", "error"), [
    ([], ["https://nobody.example/"], {}, "invalid_target"),
    ([], [STOCK], {}, "invalid_target"),
    (["orders:write"], [ORDERS], {}, "invalid_scope"),
    (["stock:read"], [ORDERS], {}, "invalid_scope"),
    (["legacy"], [ORDERS], {}, "invalid_scope"),
    (["orders:read"], [], {STOCK: frozenset({"stock:read"})}, "invalid_scope"),
    (["admin:read"], [], {ADMIN: frozenset({"admin:read"})}, "invalid_scope"),
    (["profile"], [ORDERS, STOCK], {STOCK: frozenset()}, None),
], ids=["unknown API", "API not allowed", "scope not held", "another API's scope",
        "non-user scope beside an API", "two APIs, no resource", "admin API never default",
        "two APIs named"])
def test_refused(scopes: list[str], resources: list[str], permissions: dict[str, Any],
                 error: str | None) -> None:
    if error is None:
        assert resolve_target(app(**permissions), scopes, resources, APIS).resources == (
            ORDERS, STOCK)
        return
    assert refused(app(**permissions), scopes, resources, APIS) == error


def test_apis_with_different_algorithms_cannot_share_a_token() -> None:
    apis = FakeApis([api(ORDERS, "orders:read", access_token_alg="PS256"), api(STOCK)])
    held = client(api_permissions={ORDERS: frozenset(), STOCK: frozenset()})
    assert refused(held, [], [ORDERS, STOCK], apis) == "invalid_target"


def test_default_scopes_are_those_held_on_the_audience() -> None:
    held = app(**{ORDERS: frozenset({"orders:read", "orders:write", "gone:scope"})})
    target = resolve_target(held, [], [ORDERS], APIS, default_all=True)
    assert target.scope == "orders:read orders:write", "only scopes the API still defines"


def test_narrowing_keeps_user_scopes_and_the_chosen_apis_scopes() -> None:
    scopes, resources = narrowed(["openid", "orders:read", "stock:read"], (ORDERS, STOCK),
                                 [STOCK], APIS)
    assert (scopes, resources) == (["openid", "stock:read"], (STOCK,))
    with pytest.raises(OAuth2Error) as caught:
        narrowed(["openid"], (ORDERS,), [STOCK], APIS)
    assert caught.value.error == "invalid_target"
