"""Errors services raise for the CLI, admin API and pages to turn into plain words."""

from __future__ import annotations


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
