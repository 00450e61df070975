"""`authserver audit list|export|verify|purge` (docs/cli.md, docs/audit.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from authserver.runtime import Runtime
from tests.cli.support import Cli, ok, ok_json, refused
from tests.support.audit import rows, tamper
from tests.support.oauth import build_world


@pytest.fixture
def acme(runtime: Runtime, cli: Cli) -> Runtime:
    """Tenant acme (its set-up records) and one change made through the CLI."""
    build_world(runtime)
    ok(cli("tenant", "update", "acme", "--refresh-token-idle-ttl", "3d"))
    return runtime


def test_list_shows_newest_first_with_the_commands_context(acme: Runtime, cli: Cli) -> None:
    views = ok_json(cli("audit", "list", "--tenant", "acme", "--json"))
    assert [v["id"] for v in views] == sorted((v["id"] for v in views), reverse=True)
    mine = [v for v in views if v["actor"] == "cli"]
    assert mine, f"the CLI's own change is listed: {[v['action'] for v in views]}"
    assert mine[0]["actor_kind"] == "operator" and mine[0]["ip"] is None
    assert mine[0]["user_agent"] == "authserver-cli" and len(mine[0]["request_id"]) == 32
    assert all(v["seq"] for v in views), "listing seals first: every record has its seq"


def test_list_filters(acme: Runtime, cli: Cli) -> None:
    every = ok_json(cli("audit", "list", "--tenant", "acme", "--json"))
    created = ok_json(cli("audit", "list", "--tenant", "acme", "--action", "client.created",
                          "--json"))
    assert {v["target"] for v in created} == {"web", "spa", "service"}
    assert [v["target"] for v in ok_json(cli("audit", "list", "--tenant", "acme", "--target",
                                             "spa", "--action", "client.created",
                                             "--json"))] == ["spa"]
    assert {v["actor"] for v in ok_json(cli("audit", "list", "--tenant", "acme", "--actor",
                                            "cli", "--json"))} == {"cli"}
    assert len(ok_json(cli("audit", "list", "--tenant", "acme", "--limit", "2",
                           "--json"))) == 2
    oldest = every[-1]["occurred_at"]
    assert ok_json(cli("audit", "list", "--tenant", "acme", "--until", oldest,
                       "--json")) == [], "--until is exclusive"
    assert len(ok_json(cli("audit", "list", "--tenant", "acme", "--since", oldest,
                           "--json"))) == len(every)
    assert ok_json(cli("audit", "list", "--tenant", "acme", "--since", "2999-01-01",
                       "--json")) == []


def test_bad_arguments_are_refused_in_one_line(acme: Runtime, cli: Cli) -> None:
    refused(cli("audit", "list", "--tenant", "acme", "--since", "yesterday"),
            "--since: must be an ISO 8601 date or time")
    refused(cli("audit", "list", "--tenant", "nope"), "no tenant 'nope'")
    refused(cli("audit", "verify", "--tenant", "nope"), "no tenant 'nope'")
    refused(cli("audit", "list", "--tenant", "acme", "--limit", "0"), "--limit", status=2)


def test_verify_passes_then_names_an_edited_record(acme: Runtime, cli: Cli) -> None:
    result = ok(cli("audit", "verify", "--tenant", "acme"))
    assert "intact" in result.out
    victim = rows(acme)[2]
    tamper(acme, victim.id, target="someone-else")
    broken = cli("audit", "verify", "--tenant", "acme")
    assert broken.status == 1, f"a broken chain exits 1: {broken.out}"
    assert f"broken: edited: record id={victim.id} " in broken.out, broken.out
    verdict = json.loads(cli("audit", "verify", "--tenant", "acme", "--json").out)
    assert verdict["intact"] is False and verdict["problem"]["kind"] == "edited"


def test_export_writes_json_lines_oldest_first(acme: Runtime, cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "audit.jsonl"
    result = ok(cli("audit", "export", "--tenant", "acme", "--output", str(target)))
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert f"exported {len(lines)} records" in result.err
    assert [x["id"] for x in lines] == sorted(x["id"] for x in lines)
    assert {"event_id", "actor", "action", "target", "before", "after", "ip", "user_agent",
            "request_id", "seq", "chain_hash"} <= set(lines[0])
    to_stdout = ok(cli("audit", "export", "--tenant", "acme", "--action", "client.created"))
    assert len(to_stdout.out.splitlines()) == 3


def test_purge_exports_first_and_verify_still_passes(acme: Runtime, cli: Cli,
                                                     tmp_path: Path) -> None:
    everything = rows(acme)
    cutoff = everything[3].occurred_at.isoformat()
    refused(cli("audit", "purge", "--tenant", "acme", "--before", cutoff),
            "--export FILE", status=2)
    refused(cli("audit", "purge", "--tenant", "acme", "--before", cutoff, "--export",
                str(tmp_path / "x"), "--no-export"), "not both", status=2)
    target = tmp_path / "purged.jsonl"
    out = ok_json(cli("audit", "purge", "--tenant", "acme", "--before", cutoff, "--export",
                      str(target), "--json"))
    exported = [json.loads(line) for line in target.read_text().splitlines()]
    older = [r.id for r in everything if r.occurred_at < everything[3].occurred_at]
    assert out["purged"] == len(exported) == len(older) > 0
    assert [x["id"] for x in exported] == older
    refused(cli("audit", "purge", "--tenant", "acme", "--before", cutoff, "--export",
                str(target)), "exists", status=2)
    assert "intact" in ok(cli("audit", "verify", "--tenant", "acme")).out
    kept = rows(acme)
    tamper(acme, kept[-1].id, action="forged.action")
    assert cli("audit", "verify", "--tenant", "acme").status == 1, \
        "tampering after a purge is still caught"


def test_purge_without_export_when_asked_explicitly(acme: Runtime, cli: Cli) -> None:
    cutoff = rows(acme)[-1].occurred_at.isoformat()
    out = ok_json(cli("audit", "purge", "--tenant", "acme", "--before", cutoff, "--no-export",
                      "--json"))
    assert out["purged"] > 0 and out["export"] is None
    assert "intact" in ok(cli("audit", "verify", "--tenant", "acme")).out
