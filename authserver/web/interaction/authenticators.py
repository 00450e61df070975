"""The sign-in factors the pages offer, one table keyed by method name.

A factor module (totp.py, passkeys.py …) registers a :class:`Factor` with what checks it
and the partial templates that ask for it on the login, further-factor and enrolment
pages. Kept in the app's extensions so a test can register a factor of its own without
patching anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from authserver.services.authentication import PasswordSignIn
from authserver.services.authn import Authenticator
from authserver.services.authn.password import PasswordAuthenticator
from authserver.web.context import runtime, tenant
from authserver.web.known_device import known_devices

EXTENSION = "authserver.authenticators"
Factory = Callable[[], Authenticator]


@dataclass(frozen=True, slots=True)
class Factor:
    """One way of proving who one is. ``method`` is a policies.SECOND_FACTOR_METHODS
    name, or "pwd", "recovery", "magic_link"; the templates are partials in
    templates/interaction/ shown on the page of that step."""

    method: str
    build: Factory | None = None  # the authenticator, for the current tenant
    template: str | None = None  # on the further-factor page
    enrol_template: str | None = None  # on the enrolment page
    login_template: str | None = None  # on the login page (a passwordless way in)


def _password() -> Authenticator:
    rt = runtime()
    return PasswordAuthenticator(PasswordSignIn(rt.database, rt.throttle, known_devices(),
                                                tenant().id, rt.passwords))


def register(app: Flask) -> None:
    # The password is also a further factor, after a passwordless first one (an emailed
    # link and a code are both possession: a second kind of factor is what makes MFA).
    app.extensions[EXTENSION] = {"pwd": Factor("pwd", build=_password,
                                               template="interaction/factor_password.html")}


def register_factor(app: Flask, factor: Factor) -> None:
    app.extensions[EXTENSION][factor.method] = factor


def factors() -> dict[str, Factor]:
    table: dict[str, Factor] = current_app.extensions[EXTENSION]
    return table


def factor(method: str) -> Factor | None:
    return factors().get(method)


def authenticator(method: str) -> Authenticator:
    """The authenticator for ``method``, for the current tenant."""
    found = factor(method)
    if found is None or found.build is None:
        raise KeyError(f"no authenticator for {method!r}")
    return found.build()
