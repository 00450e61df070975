"""The audit log's hash chain (docs/audit.md): every record sealed into its tenant's
chain, and `verify` naming the first record edited, inserted or deleted with plain SQL,
before and after a purge."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, insert

from authserver.runtime import Runtime, admin_context
from authserver.services import audit_log
from authserver.services.audit_context import RequestContext, bound
from authserver.services.errors import Conflict
from authserver.storage.models import AuditEvent
from tests.support.audit import flush_audit, rows, tamper, verify
from tests.support.oauth import build_world
from tests.support.tokens import tenant_id


def _write(runtime: Runtime, count: int, slug: str = "acme") -> None:
    tid = tenant_id(runtime, slug)
    for n in range(count):
        with runtime.database.unit_of_work() as uow:
            uow.audit(tid).record("cli", "test.happened", f"thing-{n}", n=n)


@pytest.fixture
def chain(runtime: Runtime) -> list[AuditEvent]:
    """Tenant acme with its set-up records plus five, all sealed."""
    build_world(runtime)
    _write(runtime, 5)
    flush_audit(runtime)
    sealed = rows(runtime)
    assert len(sealed) >= 8, "the world's set-up records and five more"
    return sealed


def test_every_record_is_sealed_in_order_and_the_chain_verifies(
        runtime: Runtime, chain: list[AuditEvent]) -> None:
    assert [r.seq for r in chain] == list(range(1, len(chain) + 1)), \
        "seq numbers 1..n in the order the records were written"
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.chain_hash, f"record {after.id} chains to the one before"
    assert all(r.mac and r.event_id for r in chain), "every record has its MAC and event id"
    verdict = verify(runtime)
    assert verdict.intact, f"an untouched chain verifies: {verdict.problem}"
    assert verdict.checked == len(chain)


def test_an_edited_record_is_reported_as_edited(runtime: Runtime,
                                                chain: list[AuditEvent]) -> None:
    victim = chain[4]
    tamper(runtime, victim.id, actor="user:someone-else")
    problem = verify(runtime).problem
    assert problem is not None, "an edited actor must break the chain"
    assert problem.kind == "edited", problem
    assert f"id={victim.id} " in problem.record, f"names the edited record: {problem.record}"


def test_edited_details_are_reported_too(runtime: Runtime, chain: list[AuditEvent]) -> None:
    victim = chain[-2]
    tamper(runtime, victim.id, details={"n": 999})
    problem = verify(runtime).problem
    assert problem is not None and problem.kind == "edited", problem
    assert f"id={victim.id} " in problem.record


def test_a_record_deleted_from_the_middle_is_reported(runtime: Runtime,
                                                      chain: list[AuditEvent]) -> None:
    gone, after = chain[3], chain[4]
    with runtime.database.session() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == gone.id))
    problem = verify(runtime).problem
    assert problem is not None and problem.kind == "deleted", problem
    assert f"id={after.id} " in problem.record, \
        f"names the record after the gap: {problem.record}"
    assert f"seq {gone.seq}" in problem.detail, problem.detail


def test_records_deleted_from_the_end_are_reported(runtime: Runtime,
                                                   chain: list[AuditEvent]) -> None:
    with runtime.database.session() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id.in_([r.id for r in chain[-2:]])))
    problem = verify(runtime).problem
    assert problem is not None and problem.kind == "deleted", problem
    assert f"seq {chain[-2].seq} to {chain[-1].seq}" in problem.record, problem.record


def test_a_row_inserted_with_sql_is_reported_and_never_sealed(
        runtime: Runtime, chain: list[AuditEvent]) -> None:
    with runtime.database.session() as session:
        session.execute(insert(AuditEvent).values(
            tenant_id=chain[0].tenant_id, occurred_at=chain[-1].occurred_at, actor="cli",
            action="user.created", target="ghost", details={}, event_id="f" * 32,
            mac="0" * 64))
    flush_audit(runtime)
    ghost = rows(runtime, event_id="f" * 32)[0]
    assert ghost.seq is None, "the sealer refuses a record whose MAC does not verify"
    problem = verify(runtime).problem
    assert problem is not None and problem.kind == "inserted", problem
    assert f"id={ghost.id} " in problem.record


def test_a_row_inserted_with_faked_seal_columns_is_reported(
        runtime: Runtime, chain: list[AuditEvent]) -> None:
    """Copying a real record's MAC and seal does not help: the chain hash covers the
    event id and the seq, under a key the database does not hold."""
    model = chain[2]
    with runtime.database.session() as session:
        session.execute(insert(AuditEvent).values(
            tenant_id=model.tenant_id, occurred_at=model.occurred_at, actor=model.actor,
            action=model.action, target=model.target, details=model.details,
            actor_kind=model.actor_kind, event_id="e" * 32, mac=model.mac,
            seq=model.seq + 1, prev_hash=model.chain_hash, chain_hash=model.chain_hash))
    problem = verify(runtime).problem
    assert problem is not None and problem.kind == "inserted", problem
    assert f"event_id={'e' * 32}" in problem.record, problem.record


def test_a_forged_chain_head_is_reported(runtime: Runtime, chain: list[AuditEvent]) -> None:
    """Hiding a deletion at the end by moving the head back does not work either."""
    from sqlalchemy import update

    from authserver.storage.models import AuditChainHead

    with runtime.database.session() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == chain[-1].id))
        session.execute(update(AuditChainHead).where(AuditChainHead.chain == chain[0].tenant_id)
                        .values(seq=chain[-2].seq, chain_hash=chain[-2].chain_hash))
    problem = verify(runtime).problem
    assert problem is not None and problem.record == "chain head", problem


def test_purge_exports_then_deletes_and_the_rest_still_verifies(
        runtime: Runtime, chain: list[AuditEvent], tmp_path: Path) -> None:
    cutoff = chain[5].occurred_at
    with (tmp_path / "export.jsonl").open("xb") as export:
        result = audit_log.purge_events(admin_context(runtime, "cli"), "acme", cutoff, export)
    exported = [json.loads(line) for line in
                (tmp_path / "export.jsonl").read_text().splitlines()]
    purged_ids = [r.id for r in chain if r.occurred_at < cutoff]
    assert [e["id"] for e in exported] == purged_ids, "the export holds exactly what was purged"
    assert result.purged == len(purged_ids)
    left = rows(runtime)
    assert {r.id for r in left}.isdisjoint(purged_ids), "the purged records are gone"
    assert any(r.action == "audit.purged" for r in left), "the purge is itself audited"
    verdict = verify(runtime)
    assert verdict.intact, f"what remains verifies from the anchor: {verdict.problem}"
    # Tampering after a purge is still caught, including deleting the first kept record.
    with runtime.database.session() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == left[0].id))
    problem = verify(runtime).problem
    assert problem is not None and problem.kind == "deleted", problem


def test_purge_refuses_a_chain_that_does_not_verify(runtime: Runtime,
                                                    chain: list[AuditEvent]) -> None:
    tamper(runtime, chain[1].id, action="nothing.happened")
    with pytest.raises(Conflict, match="does not verify"):
        audit_log.purge_events(admin_context(runtime, "cli"), "acme", chain[-1].occurred_at,
                               None)
    assert len(rows(runtime)) == len(chain), "nothing was purged"


def test_secrets_are_redacted_by_name_and_context_is_stored(runtime: Runtime) -> None:
    build_world(runtime)
    tid = tenant_id(runtime)
    context = RequestContext("192.0.2.7", "pytest-agent", "req-12345678")
    with bound(context), runtime.database.unit_of_work() as uow:
        uow.audit(tid).record("client:web", "client.updated", "web",
                              before={"client_secret_digest": "abc", "name": "Old"},
                              after={"client_secret_digest": "def", "name": "New"},
                              password="hunter2", refresh_token="rt-value",
                              token_endpoint_auth_method="client_secret_basic",
                              key_material=["-----BEGIN PRIVATE KEY-----"])
    row = rows(runtime, action="client.updated")[0]
    assert row.details["before"] == {"client_secret_digest": "[redacted]", "name": "Old"}
    assert row.details["after"]["client_secret_digest"] == "[redacted]"
    assert row.details["password"] == "[redacted]"
    assert row.details["refresh_token"] == "[redacted]"
    assert row.details["key_material"] == "[redacted]"
    assert row.details["token_endpoint_auth_method"] == "client_secret_basic", \
        "a setting's name is not a secret"
    assert (row.ip, row.user_agent, row.request_id) == (
        "192.0.2.7", "pytest-agent", "req-12345678"), "the bound request context is stored"
    assert (row.actor_kind, row.mac is not None) == ("client", True)
    flush_audit(runtime)
    assert verify(runtime).intact, "the redacted record is what was MACed"


def test_concurrent_sealers_never_give_two_records_one_seq(runtime: Runtime) -> None:
    build_world(runtime)
    _write(runtime, 30)
    errors: list[BaseException] = []

    def seal() -> None:
        try:
            flush_audit(runtime)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=seal) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    seqs = [r.seq for r in rows(runtime)]
    assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"one seq each: {seqs}"
    assert verify(runtime).intact


def test_records_from_before_the_chain_are_left_alone_but_later_ones_are_not(
        runtime: Runtime) -> None:
    """Migration 0013 marks the last record written before the chain existed (chain
    head -1): those have no MAC and are neither sealed nor reported; a MAC-less row
    added after the marker is, and so is a changed marker."""
    from sqlalchemy import update

    from authserver.storage.models import AuditChainHead

    build_world(runtime)
    tid = tenant_id(runtime)
    with runtime.database.session() as session:
        legacy_id = session.execute(insert(AuditEvent).values(
            tenant_id=tid, occurred_at=rows(runtime)[0].occurred_at, actor="cli",
            action="client.created", target="old", details={})).inserted_primary_key[0]
        session.add(AuditChainHead(chain=-1, seq=legacy_id, anchor_seq=0))
    _write(runtime, 2)
    flush_audit(runtime)
    assert rows(runtime, target="old")[0].seq is None, "a pre-chain record is never sealed"
    assert verify(runtime).intact, "and not reported"
    with runtime.database.session() as session:
        session.execute(insert(AuditEvent).values(
            tenant_id=tid, occurred_at=rows(runtime)[0].occurred_at, actor="cli",
            action="client.created", target="forged", details={}))
    problem = verify(runtime).problem
    assert problem is not None and problem.kind == "inserted" and "target" not in \
        problem.detail, problem
    with runtime.database.session() as session:
        session.execute(update(AuditChainHead).where(AuditChainHead.chain == -1)
                        .values(seq=10**9))
    problem = verify(runtime).problem
    assert problem is not None and problem.record.startswith("pre-chain marker"), problem
