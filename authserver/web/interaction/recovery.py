"""Recovery codes on the further-factor page: the partial posts ``code`` to the shared
factor route (factors.py), which runs the RecoveryCodeAuthenticator. Offered whenever
the person has a second factor and unused codes (flow.offered_methods)."""

from __future__ import annotations

from flask import Flask

from authserver.services.authn import Authenticator
from authserver.services.authn.recovery import RecoveryCodeAuthenticator
from authserver.web.context import runtime, tenant
from authserver.web.interaction.authenticators import Factor, register_factor


def _authenticator() -> Authenticator:
    rt = runtime()
    return RecoveryCodeAuthenticator(rt.database, rt.throttle, tenant().id)


def register(app: Flask) -> None:
    register_factor(app, Factor("recovery", build=_authenticator,
                                template="interaction/factor_recovery.html"))
