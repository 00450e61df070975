"""The hosted interaction pages: login (the factors), account choice and consent.

The authorization endpoint (web/oauth/authorize.py) hands a validated request to these
pages through a server-side pending request bound to the browser (pending.py); they
record what the person did in its :class:`~authserver.protocol.interaction.Progress`
and resume the request when the protocol says nothing more is needed (flow.py).
"""

from __future__ import annotations

from types import ModuleType

from flask import Flask

from authserver.web.interaction import authenticators, consent, factors, login, pages
from authserver.web.interaction import recovery as recovery_factor
from authserver.web.interaction import totp as totp_factor
from authserver.web.interaction.blueprint import bp

__all__ = ["FACTOR_MODULES", "bp", "register"]
_ROUTES = (consent, factors, login, pages)  # imported for their routes on ``bp``
# Each factor module registers its Factor (authenticators.py) and adds its own routes.
FACTOR_MODULES: tuple[ModuleType, ...] = (totp_factor, recovery_factor)


def register(app: Flask) -> None:
    authenticators.register(app)
    for module in FACTOR_MODULES:
        module.register(app)
    app.register_blueprint(bp)
