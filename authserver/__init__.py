"""authserver: an OAuth 2.0 / OpenID Connect authorization server for many tenants."""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask

from authserver.runtime import Runtime, build_runtime
from authserver.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Composition root: build the runtime (settings, database, keys) and the Flask app."""
    runtime = runtime or build_runtime(settings)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Set on our logger, not the root: the CLI configures the root before the app exists.
    logging.getLogger("authserver").setLevel(runtime.settings.log_level)
    app = Flask(__name__, instance_path=str(runtime.settings.instance_path.resolve()),
                template_folder="web/templates", static_folder="web/static")
    app.config.update(
        SECRET_KEY=_derive(runtime.master_key, b"flask-session-signing"),
        # The flow cookie (pending authorization requests, CSRF token); sign-in sessions
        # have their own per-tenant cookie (web/sessions.py).
        SESSION_COOKIE_NAME="__Host-authserver-flow" if runtime.settings.https
        else "authserver-flow",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_SECURE=runtime.settings.https,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    from authserver import web
    from authserver.web.flow_cookie import FlowCookieInterface

    app.session_interface = FlowCookieInterface()
    web.register(app, runtime)
    if not runtime.settings.is_production:
        # Development only: a relying party to sign in to right after `make run`.
        from authserver.web import demo_rp

        demo_rp.register(app, runtime, _derive(runtime.master_key, b"demo-rp-cookie"))
    return app


def _derive(master_key: bytes, purpose: bytes) -> bytes:
    # One configured secret; independent keys per purpose so no key serves two roles.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master_key)
