"""Tenant isolation: a repository bound to one tenant never finds another tenant's rows."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from authserver.runtime import Runtime
from authserver.services.accounts import NewUser, create_user
from authserver.services.clients import ClientSpec, register_client
from authserver.services.tenants import create_tenant
from authserver.storage.repositories import (
    AuditRepository,
    ClientRepository,
    SigningKeyRepository,
    UserRepository,
)

SPEC = ClientSpec(name="Shop", client_id="shop", redirect_uris=("https://shop.example/cb",))


@pytest.fixture
def two_tenants(runtime: Runtime) -> tuple[int, int]:
    ids = []
    with runtime.database.session() as session:
        for slug in ("acme", "globex"):
            tenant = create_tenant(session, runtime.master_key, runtime.key_timing, slug, None,
                                   "test", runtime.clock())
            ids.append(tenant.id)
    return ids[0], ids[1]


def test_a_client_is_invisible_from_another_tenant(runtime: Runtime, two_tenants) -> None:
    acme, globex = two_tenants
    with runtime.database.session() as session:
        register_client(ClientRepository(session, acme), AuditRepository(session, acme), SPEC, "t")
    with runtime.database.session() as session:
        assert ClientRepository(session, acme).get("shop") is not None
        assert ClientRepository(session, globex).get("shop") is None, \
            "tenant globex must not find acme's client"
        assert ClientRepository(session, globex).all() == []


def test_the_same_identifiers_can_exist_in_two_tenants(runtime: Runtime, two_tenants) -> None:
    with runtime.database.session() as session:
        for tenant_id in two_tenants:
            register_client(ClientRepository(session, tenant_id),
                            AuditRepository(session, tenant_id), SPEC, "t")
            create_user(UserRepository(session, tenant_id), AuditRepository(session, tenant_id),
                        NewUser(email="ann@example.com", password="correct horse"), "t",
                        runtime.clock(), runtime.passwords)
    with runtime.database.session() as session:
        acme_user = UserRepository(session, two_tenants[0]).by_email("ann@example.com")
        globex_user = UserRepository(session, two_tenants[1]).by_email("ann@example.com")
        assert acme_user is not None and globex_user is not None
        assert acme_user.sub != globex_user.sub, "subjects must be distinct per tenant"
        assert UserRepository(session, two_tenants[1]).by_sub(acme_user.sub) is None, \
            "a subject from acme must not resolve in globex"


def test_a_users_keys_and_clients_lookups_with_the_wrong_tenant_find_nothing(
    runtime: Runtime, two_tenants
) -> None:
    acme, globex = two_tenants
    with runtime.database.session() as session:
        acme_kid = SigningKeyRepository(session, acme).all()[0].kid
        assert SigningKeyRepository(session, globex).get(acme_kid) is None
        assert SigningKeyRepository(session, acme).get(acme_kid) is not None


def test_deleting_through_another_tenants_repository_is_refused(
    runtime: Runtime, two_tenants
) -> None:
    acme, globex = two_tenants
    with runtime.database.session() as session:
        client = register_client(ClientRepository(session, acme), AuditRepository(session, acme),
                                 SPEC, "t").client
        with pytest.raises(LookupError):
            ClientRepository(session, globex).delete(client)


def test_the_database_enforces_uniqueness_within_a_tenant(runtime: Runtime, two_tenants) -> None:
    acme, _ = two_tenants
    from authserver.storage.models import User

    with pytest.raises(IntegrityError), runtime.database.session() as session:
        for _ in range(2):
            session.add(User(tenant_id=acme, sub="same", email="x@example.com"))
            session.flush()
