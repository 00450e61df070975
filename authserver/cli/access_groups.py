"""``authserver access-group``: built-in and custom access groups, membership, default."""

from __future__ import annotations

from typing import Any

import click

from authserver.cli.common import admin, cli, echo_fields, emit, json_option, tenant_option
from authserver.services import access_groups as service

group_option = click.option("--group", "group", required=True, metavar="GROUP",
                            help="The group's id (builtin-pos, grp-3) or name.")
permission_option = click.option(
    "--permission", "permissions", multiple=True, nargs=2, metavar="API SCOPES",
    help="An API identifier and the scopes the group grants on it, space-separated "
         "(repeatable).")


@cli.group("access-group")
def access_group() -> None:
    """Access groups: named sets of per-API scopes assigned to clients."""


def _permissions(values: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for api, scopes in values:
        merged.setdefault(api, []).extend(scopes.split())
    return merged


def _line(view: dict[str, Any]) -> str:
    flags = [view["status"]] + (["built in"] if view["builtin"] else []) + (
        ["default"] if view["default"] else [])
    return f"{view['id']}\t{view['name']}\t{view['clients']} client(s)\t{', '.join(flags)}"


def _print(view: dict[str, Any]) -> None:
    echo_fields({**view, "permissions": "; ".join(
        f"{api}: {' '.join(scopes)}" for api, scopes in view["permissions"].items())})


@access_group.command("create")
@tenant_option
@click.option("--name", required=True)
@click.option("--description", default="")
@permission_option
@json_option
def group_create(tenant_slug: str, name: str, description: str,
                 permissions: tuple[tuple[str, str], ...], as_json: bool) -> None:
    """Create a custom access group."""
    view = service.create_group(admin(), tenant_slug, service.GroupSpec(
        name=name, description=description, permissions=_permissions(permissions)))
    emit(as_json, view, lambda: click.echo(f"created access group {view['id']} ({view['name']})"))


@access_group.command("list")
@tenant_option
@click.option("--search", help="Only groups whose name contains this (any case).")
@json_option
def group_list(tenant_slug: str, search: str | None, as_json: bool) -> None:
    """List built-in and custom groups, with status and number of clients."""
    views = service.list_groups(admin(), tenant_slug, search)
    emit(as_json, views, lambda: [click.echo(_line(v)) for v in views])


@access_group.command("show")
@tenant_option
@group_option
@json_option
def group_show(tenant_slug: str, group: str, as_json: bool) -> None:
    """Show a group, its permissions and its clients."""
    view = service.show_group(admin(), tenant_slug, group)
    emit(as_json, view, lambda: _print(view))


@access_group.command("update")
@tenant_option
@group_option
@click.option("--name", help="Rename the group.")
@click.option("--description")
@permission_option
@click.option("--no-permissions", is_flag=True, help="The group grants nothing.")
@json_option
def group_update(tenant_slug: str, group: str, name: str | None, description: str | None,
                 permissions: tuple[tuple[str, str], ...], no_permissions: bool,
                 as_json: bool) -> None:
    """Rename a custom group or replace its description or permissions."""
    if permissions and no_permissions:
        raise click.UsageError("give --permission or --no-permissions, not both")
    replaced = {} if no_permissions else (_permissions(permissions) or None)
    changes = service.GroupChanges(name=name, description=description, permissions=replaced)
    if changes == service.GroupChanges():
        raise click.UsageError("nothing to update; give at least one option (see --help)")
    view = service.update_group(admin(), tenant_slug, group, changes)
    emit(as_json, view, lambda: click.echo(
        f"updated access group {view['id']}: {', '.join(view['changed'])}" if view["changed"]
        else f"access group {view['id']} already had these values; nothing changed"))


def _activation(active: bool) -> Any:
    @tenant_option
    @group_option
    @json_option
    def command(tenant_slug: str, group: str, as_json: bool) -> None:
        view = service.set_group_active(admin(), tenant_slug, group, active)
        emit(as_json, view, lambda: click.echo(f"access group {view['id']} is {view['status']}"))

    return command


access_group.command("deactivate", help="Deactivate a custom group no client uses.")(
    _activation(False))
access_group.command("activate", help="Activate a deactivated custom group.")(
    _activation(True))


def _membership(member: bool) -> Any:
    @tenant_option
    @group_option
    @click.option("--client", "client_id", required=True, metavar="CLIENT_ID")
    @json_option
    def command(tenant_slug: str, group: str, client_id: str, as_json: bool) -> None:
        view = service.assign(admin(), tenant_slug, group, client_id, member=member)
        verb = "added to" if member else "removed from"
        emit(as_json, view, lambda: click.echo(f"{client_id} {verb} {view['name']}"))

    return command


access_group.command("assign", help="Add a client to a group.")(_membership(True))
access_group.command("unassign", help="Take a client out of a group.")(_membership(False))


@access_group.command("default")
@tenant_option
@click.option("--group", "group", metavar="GROUP", help="The group new clients join.")
@click.option("--none", "none", is_flag=True, help="New clients join no group.")
@json_option
def group_default(tenant_slug: str, group: str | None, none: bool, as_json: bool) -> None:
    """Show or set the tenant's default group for new clients."""
    if group and none:
        raise click.UsageError("give --group or --none, not both")
    if group or none:
        view = service.set_default_group(admin(), tenant_slug, group)
    else:
        view = service.default_group(admin(), tenant_slug)
    emit(as_json, {"default": view}, lambda: click.echo(
        f"default group: {view['id']} ({view['name']})" if view else "no default group"))
