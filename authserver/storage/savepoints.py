"""Savepoints inside a unit of work: a part of it that fails rolls back alone.

SQLite's Python driver (pysqlite, legacy transaction control) sends no ``BEGIN`` until
the first INSERT/UPDATE/DELETE, and a ``SAVEPOINT`` outside a transaction *starts* one,
which its ``RELEASE`` then commits: a unit of work whose first write sat in a savepoint
would commit that part at once, whatever happened after. :func:`begin_with_savepoints`
opens the real transaction first, so savepoints nest inside it as on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from authserver.storage.unit_of_work import UnitOfWork


def begin_with_savepoints(uow: UnitOfWork) -> None:
    """Make sure ``uow``'s transaction has begun in the database (call before its first
    write, before any :func:`savepoint`)."""
    connection = uow.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:  # type: ignore[attr-defined]
        connection.exec_driver_sql("BEGIN")


@contextmanager
def savepoint(uow: UnitOfWork) -> Iterator[None]:
    """Everything written in the block is kept only if the block ends normally; an
    exception rolls back to the savepoint (and propagates) and the unit of work goes on."""
    with uow.session.begin_nested():
        yield
