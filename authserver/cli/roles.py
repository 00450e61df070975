"""``authserver role …`` and ``authserver user-group …``: roles, groups of users, grants.

``user-group``, not ``group``: access groups (``access-group``) are sets of API
permissions for clients; these are sets of people holding roles together.
"""

from __future__ import annotations

from typing import Any

import click

from authserver.cli.common import admin, cli, echo_fields, emit, json_option, tenant_option
from authserver.services import role_admin
from authserver.services.roles import RoleChanges, RoleSpec
from authserver.services.user_groups import GroupSpec


def _user_options(command: Any) -> Any:
    command = click.option("--sub", help="The user's sub (instead of --user).")(command)
    return click.option("--user", "email", metavar="EMAIL", help="The user's email.")(command)


def _one_user(email: str | None, sub: str | None) -> None:
    if (email is None) == (sub is None):
        raise click.UsageError("name the user with --user EMAIL or --sub (exactly one)")


def _permissions(values: tuple[str, ...]) -> list[str]:
    """Repeatable, and each may hold several, comma- or space-separated."""
    return [p for v in values for p in v.replace(",", " ").split()]


def _echo_access(view: dict[str, Any]) -> None:
    click.echo(f"{view['email']}: roles {', '.join(view['roles']) or '(none)'}; groups "
               f"{', '.join(view['groups']) or '(none)'}; effective "
               f"{', '.join(view['effective_roles']) or '(none)'}")


@cli.group()
def role() -> None:
    """Roles: named sets of permissions (resource:action[:qualifier]) given to users."""


@role.command("create")
@tenant_option
@click.option("--name", required=True, help="Role name (letters, digits, _ - . :).")
@click.option("--description", default="", help="What the role is for.")
@click.option("--permission", "permissions", multiple=True, metavar="PERMISSION",
              help="A permission such as admin:read (repeatable, or comma-separated).")
@json_option
def role_create(tenant_slug: str, name: str, description: str, permissions: tuple[str, ...],
                as_json: bool) -> None:
    """Create a role."""
    view = role_admin.create_role(admin(), tenant_slug,
                                  RoleSpec(name, description, _permissions(permissions)))
    emit(as_json, view, lambda: click.echo(f"created role {name}"))


@role.command("list")
@tenant_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=1000, show_default=True)
@click.option("--name-prefix", help="Only roles whose name starts with this.")
@json_option
def role_list(tenant_slug: str, limit: int, name_prefix: str | None, as_json: bool) -> None:
    """List a tenant's roles, oldest first."""
    views = [v for _, v in role_admin.list_roles(admin(), tenant_slug, limit,
                                                 name_prefix=name_prefix)]
    emit(as_json, views, lambda: [click.echo(
        f"{v['name']}\t{' '.join(v['permissions'])}\t{v['description']}") for v in views])


@role.command("show")
@tenant_option
@click.argument("name")
@json_option
def role_show(tenant_slug: str, name: str, as_json: bool) -> None:
    """Show a role, and how many users and groups hold it."""
    view = role_admin.show_role(admin(), tenant_slug, name)
    emit(as_json, view, lambda: echo_fields(view))


@role.command("update")
@tenant_option
@click.argument("name")
@click.option("--description", help="New description.")
@click.option("--permission", "permissions", multiple=True, metavar="PERMISSION",
              help="Replace the permissions with these (repeatable).")
@click.option("--add-permission", "added", multiple=True, metavar="PERMISSION",
              help="Add a permission (repeatable).")
@click.option("--remove-permission", "removed", multiple=True, metavar="PERMISSION",
              help="Remove a permission (repeatable).")
@click.option("--no-permissions", is_flag=True, help="Remove every permission.")
@json_option
def role_update(tenant_slug: str, name: str, description: str | None,
                permissions: tuple[str, ...], added: tuple[str, ...],
                removed: tuple[str, ...], no_permissions: bool, as_json: bool) -> None:
    """Change a role's description or permissions."""
    if no_permissions and permissions:
        raise click.UsageError("--no-permissions and --permission contradict each other")
    replace = [] if no_permissions else (_permissions(permissions) or None)
    if description is None and replace is None and not added and not removed:
        raise click.UsageError("nothing to update; give --description or a --permission "
                               "option")
    view, changed = role_admin.update_role(admin(), tenant_slug, name, RoleChanges(
        description, replace, _permissions(added), _permissions(removed)))
    emit(as_json, {**view, "changed": changed}, lambda: click.echo(
        f"updated role {name}: {', '.join(changed)}" if changed
        else f"role {name} already had these values; nothing changed"))


@role.command("delete")
@tenant_option
@click.argument("name")
@click.option("--force", is_flag=True, help="Delete even while users or groups hold it.")
def role_delete(tenant_slug: str, name: str, force: bool) -> None:
    """Delete a role (refused while held, unless --force; always while it is the
    tenant's default role for sign-up)."""
    role_admin.delete_role(admin(), tenant_slug, name, force)
    click.echo(f"deleted role {name}")


@role.command("grant")
@tenant_option
@click.option("--role", "role_name", required=True, help="The role to give.")
@_user_options
@json_option
def role_grant(tenant_slug: str, role_name: str, email: str | None, sub: str | None,
               as_json: bool) -> None:
    """Give a user a role."""
    _one_user(email, sub)
    view = role_admin.grant_role(admin(), tenant_slug, role_name, email, sub)
    emit(as_json, view, lambda: _echo_access(view))


@role.command("revoke")
@tenant_option
@click.option("--role", "role_name", required=True, help="The role to take away.")
@_user_options
@json_option
def role_revoke(tenant_slug: str, role_name: str, email: str | None, sub: str | None,
                as_json: bool) -> None:
    """Take a role a user holds directly away (roles through groups stay)."""
    _one_user(email, sub)
    view = role_admin.revoke_role(admin(), tenant_slug, role_name, email, sub)
    emit(as_json, view, lambda: _echo_access(view))


@role.command("of")
@tenant_option
@_user_options
@json_option
def role_of(tenant_slug: str, email: str | None, sub: str | None, as_json: bool) -> None:
    """A user's roles, groups, effective roles and permissions."""
    _one_user(email, sub)
    view = role_admin.user_access(admin(), tenant_slug, email, sub)
    emit(as_json, view, lambda: echo_fields(view))


@cli.group("user-group")
def user_group() -> None:
    """Groups of users holding roles together (not access groups, which are clients')."""


@user_group.command("create")
@tenant_option
@click.option("--name", required=True, help="Group name (letters, digits, _ - . :).")
@click.option("--description", default="", help="What the group is for.")
@click.option("--role", "roles", multiple=True, metavar="ROLE",
              help="A role the group's members get (repeatable).")
@json_option
def group_create(tenant_slug: str, name: str, description: str, roles: tuple[str, ...],
                 as_json: bool) -> None:
    """Create a user group."""
    view = role_admin.create_group(admin(), tenant_slug, GroupSpec(name, description, roles))
    emit(as_json, view, lambda: click.echo(f"created user group {name}"))


@user_group.command("list")
@tenant_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=1000, show_default=True)
@json_option
def group_list(tenant_slug: str, limit: int, as_json: bool) -> None:
    """List a tenant's user groups, oldest first."""
    views = [v for _, v in role_admin.list_groups(admin(), tenant_slug, limit)]
    emit(as_json, views, lambda: [click.echo(
        f"{v['name']}\t{v['members']} member(s)\t{' '.join(v['roles'])}") for v in views])


@user_group.command("show")
@tenant_option
@click.argument("name")
@json_option
def group_show(tenant_slug: str, name: str, as_json: bool) -> None:
    """Show a user group, its roles and members."""
    view = role_admin.show_group(admin(), tenant_slug, name)
    emit(as_json, view, lambda: echo_fields(view))


@user_group.command("delete")
@tenant_option
@click.argument("name")
def group_delete(tenant_slug: str, name: str) -> None:
    """Delete a user group; its members lose the roles it gave them."""
    role_admin.delete_group(admin(), tenant_slug, name)
    click.echo(f"deleted user group {name}")


def _member_command(name: str, add: bool) -> None:
    @user_group.command(name, help="Add a user to the group." if add
                        else "Remove a user from the group.")
    @tenant_option
    @click.argument("group")
    @_user_options
    @json_option
    def command(tenant_slug: str, group: str, email: str | None, sub: str | None,
                as_json: bool) -> None:
        _one_user(email, sub)
        operation = role_admin.add_member if add else role_admin.remove_member
        view = operation(admin(), tenant_slug, group, email, sub)
        emit(as_json, view, lambda: _echo_access(view))


def _group_role_command(name: str, grant: bool) -> None:
    @user_group.command(name, help="Give the group's members a role." if grant
                        else "Take a role from the group.")
    @tenant_option
    @click.argument("group")
    @click.option("--role", "role_name", required=True, help="The role.")
    @json_option
    def command(tenant_slug: str, group: str, role_name: str, as_json: bool) -> None:
        operation = role_admin.grant_group_role if grant else role_admin.revoke_group_role
        view = operation(admin(), tenant_slug, group, role_name)
        emit(as_json, view, lambda: click.echo(
            f"user group {group}: roles {', '.join(view['roles']) or '(none)'}"))


_member_command("add-member", add=True)
_member_command("remove-member", add=False)
_group_role_command("grant", grant=True)
_group_role_command("revoke", grant=False)
