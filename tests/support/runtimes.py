"""The one way tests build a runtime and an app: the production graph, given the test's
database and clock at construction (build_runtime's injection), never patched afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask

from authserver.runtime import Runtime, build_runtime
from authserver.settings import Settings
from authserver.storage.database import Database


def make_runtime(settings: Settings, database: Database,
                 clock: Callable[[], dt.datetime]) -> Runtime:
    """A runtime on ``database`` and ``clock``, as the ``runtime`` fixture builds it."""
    return build_runtime(settings, database=database, clock=clock)


def make_app(runtime: Runtime) -> Flask:
    """The app over ``runtime``, in Flask's testing mode, as the ``app`` fixture builds it."""
    from authserver import create_app

    app = create_app(runtime=runtime)
    app.testing = True
    return app
