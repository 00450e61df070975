"""``authserver audit``: list, export, verify and purge a tenant's audit log (issue 11,
Deliver 7). ``verify`` exits 1 naming the first edited, inserted or deleted record;
``purge`` exports what it deletes in the same run unless told ``--no-export``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from authserver.cli.common import admin, cli, emit, json_option, tenant_option
from authserver.services import audit_log
from authserver.services.audit_log import AuditFilter


@cli.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


def _filters(command: Any) -> Any:
    for name, text in (("--target", "Only records about this target."),
                       ("--action", "Only this action (e.g. token.issued)."),
                       ("--actor", "Only this actor (e.g. client:web, user:<sub>, cli)."),
                       ("--until", "Only records before this ISO 8601 time."),
                       ("--since", "Only records at or after this ISO 8601 time.")):
        command = click.option(name, metavar="TEXT" if name in ("--target", "--action",
                                                                 "--actor") else "ISO",
                               help=text)(command)
    return command


def _wanted(since: str | None, until: str | None, actor: str | None, action: str | None,
            target: str | None) -> AuditFilter:
    return AuditFilter(since=audit_log.parse_instant("--since", since),
                       until=audit_log.parse_instant("--until", until),
                       actor=actor, action=action, target=target)


@audit_group.command("list")
@tenant_option
@_filters
@click.option("--limit", type=click.IntRange(1, audit_log.MAX_PAGE), default=50,
              show_default=True, help="At most this many records (newest first).")
@json_option
def audit_list(tenant_slug: str, since: str | None, until: str | None, actor: str | None,
               action: str | None, target: str | None, limit: int, as_json: bool) -> None:
    """List records, newest first."""
    views = audit_log.list_events(admin(), tenant_slug,
                                  _wanted(since, until, actor, action, target), limit)

    def human() -> None:
        if not views:
            click.echo("no audit records")
        for v in views:
            click.echo(f"{v['occurred_at']}\t{v['actor']}\t{v['action']}\t"
                       f"{v['target'] or '-'}\t{v['ip'] or '-'}\t{v['request_id'] or '-'}")

    emit(as_json, views, human)


@audit_group.command("export")
@tenant_option
@_filters
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
def audit_export(tenant_slug: str, since: str | None, until: str | None,
                 actor: str | None, action: str | None, target: str | None,
                 output: Path | None) -> None:
    """Export records, oldest first, as JSON Lines."""
    lines = audit_log.export_events(admin(), tenant_slug,
                                    _wanted(since, until, actor, action, target))
    if output is None:
        for line in lines:
            sys.stdout.write(line.decode())
        return
    count = 0
    with output.open("wb") as handle:
        for line in lines:
            handle.write(line)
            count += 1
    click.echo(f"exported {count} record{'' if count == 1 else 's'} to {output}", err=True)


@audit_group.command("verify")
@tenant_option
@json_option
def audit_verify(tenant_slug: str, as_json: bool) -> None:
    """Check the tenant's hash chain; exit 1 naming the first edited, inserted or
    deleted record."""
    verdict = audit_log.verify_chain(admin(), tenant_slug)
    problem = verdict.problem
    out = {"tenant": tenant_slug, "intact": problem is None, "checked": verdict.checked,
           "last_seq": verdict.last_seq,
           "problem": None if problem is None else {
               "kind": problem.kind, "record": problem.record, "detail": problem.detail}}

    def human() -> None:
        if problem is None:
            click.echo(f"audit chain of {tenant_slug} intact: {verdict.checked} "
                       f"record{'' if verdict.checked == 1 else 's'} checked")
        else:
            click.echo(f"audit chain of {tenant_slug} broken: {problem.kind}: "
                       f"{problem.record}: {problem.detail}")

    emit(as_json, out, human)
    if problem is not None:
        raise SystemExit(1)


@audit_group.command("purge")
@tenant_option
@click.option("--before", required=True, metavar="ISO",
              help="Delete the records older than this ISO 8601 time.")
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path),
              help="First write the records to be deleted to this file (JSON Lines).")
@click.option("--no-export", is_flag=True, help="Delete without keeping a copy.")
@json_option
def audit_purge(tenant_slug: str, before: str, export_path: Path | None, no_export: bool,
                as_json: bool) -> None:
    """Retention: export, then delete, the records older than --before; the chain
    keeps an anchor so `audit verify` still checks what remains."""
    if (export_path is None) == (not no_export):
        raise click.UsageError("give --export FILE (the records are written there before "
                               "they are deleted), or --no-export explicitly (not both)")
    older_than = audit_log.parse_instant("--before", before)
    assert older_than is not None
    if export_path is None:
        result = audit_log.purge_events(admin(), tenant_slug, older_than, None)
    else:
        if export_path.exists():
            raise click.UsageError(f"{export_path} exists; the export never overwrites")
        with export_path.open("xb") as handle:
            result = audit_log.purge_events(admin(), tenant_slug, older_than, handle)
    out = {"tenant": tenant_slug, "purged": result.purged, "anchor_seq": result.anchor_seq,
           "export": str(export_path) if export_path else None}
    emit(as_json, out, lambda: click.echo(
        f"purged {result.purged} record{'' if result.purged == 1 else 's'} of "
        f"{tenant_slug}" + (f" (exported to {export_path})" if export_path else "")))
