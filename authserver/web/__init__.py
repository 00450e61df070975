"""Flask layer: blueprints, error rendering and request plumbing."""

from __future__ import annotations

from flask import Flask

from authserver.runtime import Runtime


def register(app: Flask, runtime: Runtime) -> None:
    from authserver.web import errors, health, jwks, tenancy

    app.extensions["authserver"] = runtime
    errors.register(app)
    app.register_blueprint(health.bp)
    tenancy.register(app)
    app.register_blueprint(jwks.bp)
