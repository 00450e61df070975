"""Errors services raise for the CLI, admin API and pages to turn into plain words."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError


class ServiceError(Exception):
    """Base class; ``str(err)`` is safe to show to the operator who made the request."""


class InvalidInput(ServiceError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


def database_problem(exc: BaseException) -> str | None:
    """The driver's first line when ``exc`` says the database is unreachable, not
    migrated or refused a statement; None for any other exception. Lets the CLI and the
    admin API report it in plain words without importing the database layer."""
    if not isinstance(exc, OperationalError | ProgrammingError | IntegrityError):
        return None
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
