"""The known-device cookie (services/known_devices.py): set at each password sign-in,
read only by the sign-in form's POST."""

from __future__ import annotations

from flask import Response, current_app, request

from authserver.services.known_devices import LIFETIME, KnownDevices
from authserver.web.context import runtime, tenant
from authserver.web.security import session_cookie_name

_EXTENSION = "authserver.known_devices"


def known_devices() -> KnownDevices:
    devices: KnownDevices | None = current_app.extensions.get(_EXTENSION)
    if devices is None:  # derived once per app; a race only derives the same key twice
        devices = current_app.extensions[_EXTENSION] = KnownDevices.from_master_key(
            runtime().master_key)
    return devices


def device_cookie_name() -> str:
    # Per tenant, like the session cookie; __Host- under https (RFC 6265bis §4.1.3.2).
    return session_cookie_name(tenant().slug, runtime().settings.https) + "-device"


def device_cookie() -> str | None:
    return request.cookies.get(device_cookie_name())


def set_device_cookie(response: Response, token: str) -> None:
    # Strict: only our own sign-in form's POST needs it, never a cross-site request.
    response.set_cookie(device_cookie_name(), token, max_age=int(LIFETIME.total_seconds()),
                        path="/", secure=runtime().settings.https, httponly=True,
                        samesite="Strict")
