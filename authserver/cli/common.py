"""What every ``authserver`` command shares: the click group, the runtime, output.

Commands parse their options, call one operation of ``services/*_admin.py`` with
:func:`admin`, and print what it returns; they open no sessions and touch no rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import click

from authserver.runtime import Runtime, admin_context, build_runtime
from authserver.services.admin_context import AdminContext
from authserver.settings import parse_bind, parse_duration

# The actor of every audit record a command writes.
ACTOR = "cli"


class SettingType(click.ParamType):
    """A CLI option read with the same parser as its AUTHSERVER_* setting, so both
    accept exactly the same values and refuse the rest with the same message."""

    def __init__(self, name: str, parse: Callable[[Any], Any]) -> None:
        self.name = name
        self.parse = parse

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            return self.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION = SettingType("duration", parse_duration)
BIND = SettingType("bind", parse_bind)


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
tenant_option = click.option("--tenant", "tenant_slug", required=True, metavar="SLUG",
                             help="Tenant slug.")


@cache
def runtime() -> Runtime:
    # Built on first use, so that `--help` and usage errors need no valid settings.
    return build_runtime()


def admin() -> AdminContext:
    """The operator operations' context, acting as the CLI."""
    return admin_context(runtime(), ACTOR)


def emit(as_json: bool, data: Any, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        human()


def echo_fields(view: dict[str, Any]) -> None:
    """``key: value`` lines, the human form of a ``show`` command."""
    for key, value in view.items():
        click.echo(f"{key}: {value}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """authserver: OAuth 2.0 / OpenID Connect authorization server."""
