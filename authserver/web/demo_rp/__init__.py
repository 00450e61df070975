"""A built-in demo relying party at ``/demo-rp/``, for development only.

A newcomer runs ``make run``, opens the printed URL and signs in as the demo user: the
pages show the validated ID token, the access token's claims, the userinfo response, a
refresh and RP-initiated logout. The composition root (``create_app``) registers it only
when AUTHSERVER_ENV is not production.
"""

from __future__ import annotations

from flask import Flask

from authserver.demo import DEMO_RP_PATH
from authserver.runtime import Runtime

__all__ = ["register"]


def register(app: Flask, runtime: Runtime, cookie_key: bytes) -> None:
    if runtime.settings.is_production:  # belt and braces: create_app already checks
        return
    from authserver.web.demo_rp.store import RPCookie
    from authserver.web.demo_rp.views import bp

    app.extensions["authserver.demo_rp"] = RPCookie(cookie_key, DEMO_RP_PATH,
                                                    runtime.settings.https)
    app.register_blueprint(bp)
