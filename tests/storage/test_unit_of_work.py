"""The unit of work: one transaction for every repository it hands out, and callbacks
that run only once that transaction has committed."""

from __future__ import annotations

import pytest

from authserver.runtime import Runtime
from authserver.services.accounts import NewUser, create_user
from authserver.services.tenants import create_tenant


@pytest.fixture
def tenant_id(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        return create_tenant(session, runtime.master_key, runtime.key_timing, "acme", None,
                             "test", runtime.clock()).id


def _add_ann(runtime: Runtime, tenant_id: int) -> None:
    with runtime.database.unit_of_work() as uow:
        create_user(uow.users(tenant_id), uow.audit(tenant_id),
                    NewUser(email="ann@example.com", password="correct horse", username="ann"),
                    "test", runtime.clock(), runtime.passwords)


def test_what_a_unit_of_work_writes_is_committed_when_it_ends(runtime: Runtime,
                                                              tenant_id: int) -> None:
    _add_ann(runtime, tenant_id)
    with runtime.database.unit_of_work() as uow:
        assert uow.users(tenant_id).by_email("ann@example.com") is not None
        assert uow.audit(tenant_id).recent()[0].action == "user.created", \
            "the audit record must commit with the change it records"


def test_a_unit_of_work_that_raises_writes_nothing(runtime: Runtime, tenant_id: int) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError), runtime.database.unit_of_work() as uow:
        create_user(uow.users(tenant_id), uow.audit(tenant_id),
                    NewUser(email="bob@example.com", password="correct horse"), "test",
                    runtime.clock(), runtime.passwords)
        uow.after_commit(lambda: ran.append("after commit"))
        raise RuntimeError("the operation failed half way")
    with runtime.database.unit_of_work() as uow:
        assert uow.users(tenant_id).by_email("bob@example.com") is None
        assert not [e for e in uow.audit(tenant_id).recent() if e.action == "user.created"]
    assert ran == [], "a rolled-back unit of work must not run its after-commit callbacks"


def test_after_commit_callbacks_run_once_the_change_is_visible(runtime: Runtime,
                                                               tenant_id: int) -> None:
    seen: list[bool] = []

    def look() -> None:
        with runtime.database.unit_of_work() as other:
            seen.append(other.users(tenant_id).by_email("cy@example.com") is not None)

    with runtime.database.unit_of_work() as uow:
        create_user(uow.users(tenant_id), uow.audit(tenant_id),
                    NewUser(email="cy@example.com", password="correct horse"), "test",
                    runtime.clock(), runtime.passwords)
        uow.after_commit(look)
        assert seen == []
    assert seen == [True]


def test_the_sign_in_lookup_takes_an_email_or_a_user_name(runtime: Runtime,
                                                          tenant_id: int) -> None:
    _add_ann(runtime, tenant_id)
    with runtime.database.session() as session:
        other = create_tenant(session, runtime.master_key, runtime.key_timing, "globex", None,
                              "test", runtime.clock()).id
    with runtime.database.unit_of_work() as uow:
        users = uow.users(tenant_id)
        assert users.by_identifier("Ann@Example.com") is not None
        assert users.by_identifier("ann") is not None
        assert users.by_identifier("ANN") is None, "user names match exactly"
        assert uow.users(other).by_identifier("ann@example.com") is None, \
            "another tenant's sign-in lookup must not find acme's user"
