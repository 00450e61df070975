"""services/client_changes: an update is validated like a registration, and the process
that makes it drops its cached registrations only once the change is committed."""

from __future__ import annotations

import pytest

from authserver.runtime import Runtime
from authserver.services.client_changes import (
    ClientChanges,
    ListEdit,
    delete_client,
    update_client,
)
from authserver.services.clients import ClientSpec, register_client
from authserver.services.errors import InvalidInput
from authserver.services.refresh_limits import RefreshLimits
from authserver.services.tenants import create_tenant
from authserver.storage.repositories import AuditRepository, ClientRepository


class RecordingCache:
    def __init__(self) -> None:
        self.invalidated: list[int | None] = []

    def invalidate(self, tenant_id: int | None = None) -> None:
        self.invalidated.append(tenant_id)


@pytest.fixture
def tenant_id(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        tenant = create_tenant(session, runtime.master_key, runtime.key_timing, "acme", "Acme",
                               "test", runtime.clock())
        register_client(ClientRepository(session, tenant.id), AuditRepository(session, tenant.id),
                        ClientSpec(name="Web", client_id="web",
                                   redirect_uris=("https://app.example/cb",)), "test")
        return tenant.id


def update(runtime: Runtime, tenant_id: int, changes: ClientChanges,
           cache: RecordingCache | None = None, **kwargs: object) -> list[str]:
    with runtime.database.session() as session:
        changed = update_client(
            ClientRepository(session, tenant_id), AuditRepository(session, tenant_id), "web",
            changes, "test", cache=cache, **kwargs).changed  # type: ignore[arg-type]
        if cache is not None:
            assert cache.invalidated == [], "invalidated before the commit"
        return changed


def test_the_cache_is_invalidated_after_the_commit(runtime: Runtime, tenant_id: int) -> None:
    cache = RecordingCache()
    assert update(runtime, tenant_id, ClientChanges(name="Renamed"), cache) == ["name"]
    assert cache.invalidated == [tenant_id]


def test_a_rolled_back_update_leaves_the_cache_alone(runtime: Runtime, tenant_id: int) -> None:
    cache = RecordingCache()
    with pytest.raises(RuntimeError), runtime.database.session() as session:
        update_client(ClientRepository(session, tenant_id), AuditRepository(session, tenant_id),
                      "web", ClientChanges(name="Renamed"), "test", cache=cache)
        raise RuntimeError("the unit of work fails after the update")
    assert cache.invalidated == [], "nothing was committed, so nothing is stale"


def test_delete_invalidates_the_cache(runtime: Runtime, tenant_id: int) -> None:
    cache = RecordingCache()
    with runtime.database.session() as session:
        delete_client(ClientRepository(session, tenant_id), AuditRepository(session, tenant_id),
                      "web", "test", cache=cache)
    assert cache.invalidated == [tenant_id]


def test_an_update_is_refused_by_the_registration_rules(runtime: Runtime,
                                                        tenant_id: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        update(runtime, tenant_id, ClientChanges(
            redirect_uris=ListEdit(add=("https://App.example/cb",))))
    assert str(raised.value) == ("redirect_uri: 'https://App.example/cb' must be written "
                                 "'https://app.example/cb'")


def test_the_global_absolute_limit_applies_to_updates(runtime: Runtime, tenant_id: int) -> None:
    with pytest.raises(InvalidInput,
                       match=r"which is 2d \(AUTHSERVER_REFRESH_TOKEN_ABSOLUTE_TTL\)"):
        update(runtime, tenant_id, ClientChanges(refresh_token_idle_ttl=3 * 86400),
               global_limits=RefreshLimits(86400, 2 * 86400))


def test_list_edits() -> None:
    assert ListEdit(add=("b", "a")).apply(["a"], "x") == ["a", "b"]
    assert ListEdit(remove=("a",)).apply(["a", "b"], "x") == ["b"]
    assert ListEdit(replace=("c", "c")).apply(["a"], "x") == ["c"]
    with pytest.raises(InvalidInput, match="replace the list or add/remove values, not both"):
        ListEdit(replace=("c",), add=("d",)).apply([], "x")
    with pytest.raises(InvalidInput, match="'z' is not registered"):
        ListEdit(remove=("z",)).apply(["a"], "x")
    assert ClientChanges().is_empty and not ClientChanges(first_party=False).is_empty
