"""Flask layer: blueprints, error rendering and request plumbing."""

from __future__ import annotations

from flask import Flask

from authserver.runtime import Runtime


def register(app: Flask, runtime: Runtime) -> None:
    from authserver.web import (
        account,
        branding,
        discovery,
        errors,
        health,
        i18n,
        interaction,
        invitations,
        jwks,
        landing,
        logout,
        password_change,
        problems,
        reset,
        sessions,
        signup,
        tenancy,
        token,
        userinfo,
    )
    from authserver.web.oauth import authorize

    app.extensions["authserver"] = runtime
    errors.register(app)
    i18n.register(app)
    problems.register(app)
    from authserver.web.security import refuse_nul_bytes

    app.before_request(refuse_nul_bytes)
    from authserver.web import admin

    admin.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(landing.bp)
    tenancy.register(app)
    sessions.register(app)
    for blueprint in (jwks.bp, discovery.bp, token.bp, authorize.bp, userinfo.bp, logout.bp,
                      reset.bp, invitations.bp):
        app.register_blueprint(blueprint)
    interaction.register(app)
    account.register(app)
    signup.register(app)
    password_change.register(app)
    branding.register(app)
    from authserver.web.token_endpoint import TokenEndpoint

    app.wsgi_app = TokenEndpoint(app.wsgi_app, runtime)  # type: ignore[method-assign]
