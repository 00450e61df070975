"""The account page is a list of sections, one per kind of sign-in method, each
registered by its feature module (totp.py, recovery.py, passkeys.py …)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from authserver.protocol.policies import FactorPolicy
from authserver.web.account.access import AccountView

EXTENSION = "authserver.account_sections"


@dataclass(frozen=True, slots=True)
class AccountSection:
    name: str
    template: str  # a partial in templates/account/
    order: int
    # Extra template variables for this section, computed per request.
    context: Callable[[AccountView], Mapping[str, Any]] | None = None
    # Whether the tenant's sign-in policy offers what this section sets up (None: always).
    offered: Callable[[FactorPolicy], bool] | None = None


def register(app: Flask) -> None:
    app.extensions.setdefault(EXTENSION, {})


def register_section(app: Flask, section: AccountSection) -> None:
    app.extensions.setdefault(EXTENSION, {})[section.name] = section


def sections(policy: FactorPolicy) -> list[AccountSection]:
    """The sections this tenant's policy offers, in page order."""
    table: dict[str, AccountSection] = current_app.extensions.get(EXTENSION, {})
    shown = [s for s in table.values() if s.offered is None or s.offered(policy)]
    return sorted(shown, key=lambda s: (s.order, s.name))
