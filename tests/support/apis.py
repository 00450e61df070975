"""Registering APIs and granting them to clients, through the same services the CLI and
the admin API call (so fixtures go through the validation and cache invalidation too)."""

from __future__ import annotations

from collections.abc import Sequence

from authserver.runtime import Runtime, admin_context
from authserver.services import api_admin, api_grants

# The APIs of the standard test world (tests/support/oauth.build_world). Their scopes
# are not the stores:* scopes the clients were registered with, so requests without a
# resource keep their meaning (a token for authserver itself with those scopes).
STORES_API = "https://api.example/stores"
BILLING_API = "https://billing.example/"
STORES_SCOPES = ("inventory:read", "inventory:write")
BILLING_SCOPES = ("invoices:read",)


def register_api(runtime: Runtime, identifier: str, scopes: Sequence[str] = (), *,
                 name: str = "API", tenant: str = "acme", ttl: int | None = None,
                 alg: str | None = None, introspection_clients: Sequence[str] = ()) -> None:
    api_admin.create_api(admin_context(runtime, "test"), tenant, api_admin.ApiSpec(
        identifier=identifier, name=name, scopes=scopes, access_token_ttl=ttl,
        access_token_alg=alg, introspection_clients=introspection_clients))


def grant_api(runtime: Runtime, identifier: str, client_id: str, scopes: Sequence[str] = (),
              tenant: str = "acme") -> None:
    api_grants.grant_api(admin_context(runtime, "test"), tenant, identifier, client_id, scopes)


def register_world_apis(runtime: Runtime) -> None:
    """The stores and billing APIs; service may have both, web the stores API to read."""
    register_api(runtime, STORES_API, STORES_SCOPES, name="Stores")
    register_api(runtime, BILLING_API, BILLING_SCOPES, name="Billing")
    grant_api(runtime, STORES_API, "service", STORES_SCOPES)
    grant_api(runtime, BILLING_API, "service", BILLING_SCOPES)
    grant_api(runtime, STORES_API, "web", ("inventory:read",))


def set_introspection_clients(runtime: Runtime, identifier: str, client_ids: Sequence[str],
                              tenant: str = "acme") -> None:
    """Make ``client_ids`` the resource server of the API: they may introspect its tokens."""
    api_admin.update_api(admin_context(runtime, "test"), tenant, identifier,
                         api_admin.ApiChanges(introspection_clients=client_ids))
