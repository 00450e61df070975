"""The one way tests build a runtime and an app: the production graph, given the test's
database and clock at construction (build_runtime's injection), never patched afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask

from authserver.runtime import Runtime, build_runtime
from authserver.services.passwords import Passwords
from authserver.services.senders import Senders
from authserver.settings import Settings
from authserver.storage.database import Database


def make_runtime(settings: Settings, database: Database,
                 clock: Callable[[], dt.datetime], senders: Senders | None = None,
                 passwords: Passwords | None = None) -> Runtime:
    """A runtime on ``database`` and ``clock``, as the ``runtime`` fixture builds it;
    ``senders`` (e.g. :class:`tests.support.senders.RecordingSender` per channel) replaces
    the configured ones, ``passwords`` (e.g. :class:`tests.support.passwords.
    CountingPasswords`) the hasher built from the settings."""
    return build_runtime(settings, database=database, clock=clock, senders=senders,
                         passwords=passwords)


def make_app(runtime: Runtime) -> Flask:
    """The app over ``runtime``, in Flask's testing mode, as the ``app`` fixture builds it."""
    from authserver import create_app

    app = create_app(runtime=runtime)
    app.testing = True
    return app
