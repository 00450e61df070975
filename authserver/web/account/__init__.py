"""The account page ``{issuer}/account``: where a person manages how they sign in.

Sign-in is required; without a session the page starts an interaction of its own
(access.py) through the same hosted pages as any client. Each kind of sign-in method
adds a section (sections.py) and its own routes on ``bp``.
"""

from __future__ import annotations

from types import ModuleType

from flask import Flask

from authserver.web.account import home, passkeys, phone, sections
from authserver.web.account import password as password_section
from authserver.web.account import recovery as recovery_section
from authserver.web.account import signed_in as sessions_section
from authserver.web.account import totp as totp_section
from authserver.web.account.access import AccountView, signed_in_account
from authserver.web.account.blueprint import bp
from authserver.web.account.home import render_account
from authserver.web.account.sections import AccountSection, register_section

__all__ = ["SECTION_MODULES", "AccountSection", "AccountView", "bp", "register",
           "register_section", "render_account", "signed_in_account"]
_ROUTES = (home,)
# Each section module has register(app) (register_section) and its routes on ``bp``.
SECTION_MODULES: tuple[ModuleType, ...] = (password_section, totp_section, recovery_section,
                                              passkeys, phone, sessions_section)


def register(app: Flask) -> None:
    sections.register(app)
    for module in SECTION_MODULES:
        module.register(app)
    app.register_blueprint(bp)
