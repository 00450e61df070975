"""Flask's signed-cookie session (our "flow cookie"), with its serializer built once.

Flask builds an itsdangerous serializer on every request, including API calls that never
touch the session; caching it per app removes that cost from the token endpoint.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class FlowCookieInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializer: URLSafeTimedSerializer | None = None
        self._key: object = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._serializer is None or self._key != key:
            self._serializer = super().get_signing_serializer(app)
            self._key = key
        return self._serializer
