"""Which authenticator checks which factor (keyed by its RFC 8176 amr value).

Kept in the app's extensions so the set of factors is one table: a new factor adds an
entry, and a test can put a fake authenticator in place without patching anything.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

from authserver.services.authentication import PasswordSignIn
from authserver.services.authn import Authenticator
from authserver.services.authn.password import PasswordAuthenticator
from authserver.web.context import runtime, tenant
from authserver.web.known_device import known_devices

EXTENSION = "authserver.authenticators"
Factory = Callable[[], Authenticator]


def _password() -> Authenticator:
    rt = runtime()
    return PasswordAuthenticator(PasswordSignIn(rt.database, rt.throttle, known_devices(),
                                                tenant().id, rt.passwords))


def register(app: Flask) -> None:
    app.extensions[EXTENSION] = {"pwd": _password}


def authenticator(amr: str) -> Authenticator:
    """The authenticator for factor ``amr``, for the current tenant."""
    factories: dict[str, Factory] = current_app.extensions[EXTENSION]
    return factories[amr]()
