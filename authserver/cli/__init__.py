"""The ``authserver`` command: database, tenants, clients, users, sessions, keys,
serving, demo.

Operators script these commands, so options and ``--json`` output are a stable
interface. Errors print one line to stderr: exit 2 for bad configuration or usage,
1 for a refused operation; never a traceback.

One module per noun registers its commands on the group in :mod:`authserver.cli.common`;
each command parses, calls one service operation and prints its result.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import click

from authserver.cli import (
    access_groups,
    apis,
    audit,
    client_changes,
    clients,
    consent,
    db,
    dcr,
    demo,
    keys,
    roles,
    serve,
    sessions,
    tenants,
    user_lifecycle,
    users,
    worker,
)
from authserver.cli.common import cli
from authserver.cli.common import runtime as _runtime
from authserver.services import audit_context
from authserver.services.envelope import DecryptionError
from authserver.services.errors import ServiceError, database_problem
from authserver.settings import SettingsError

__all__ = ["_runtime", "cli", "main"]
# Imported for the commands they register on ``cli``.
_NOUNS = (
    access_groups,
    apis,
    audit,
    client_changes,
    clients,
    consent,
    db,
    dcr,
    demo,
    keys,
    roles,
    serve,
    sessions,
    tenants,
    users,
    user_lifecycle,
    worker,
)


def _fail(message: str, status: int) -> NoReturn:
    click.echo(f"authserver: {message}", err=True)
    raise SystemExit(status)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="authserver: %(levelname)s: %(message)s")
    # The audit context of everything this command records: no address, an id of its own.
    with audit_context.bound(audit_context.for_cli()):
        _main(argv)


def _main(argv: list[str] | None) -> None:
    try:
        cli.main(args=argv, prog_name="authserver", standalone_mode=False)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.Abort:
        _fail("aborted", 1)
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except SettingsError as exc:
        _fail(f"configuration error: {exc}", 2)
    except ServiceError as exc:
        _fail(str(exc), 1)
    except DecryptionError as exc:
        _fail(f"cannot decrypt keys: {exc}", 1)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:
        detail = database_problem(exc)
        if detail is None:
            raise
        _fail(f"database error: {detail} (is the database reachable, and did you run "
              "`authserver db upgrade`?)", 1)


if __name__ == "__main__":
    main()
