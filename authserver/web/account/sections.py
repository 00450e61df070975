"""The account page is a list of sections, one per kind of sign-in method, each
registered by its feature module (totp.py, recovery.py, passkeys.py …)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from authserver.web.account.access import AccountView

EXTENSION = "authserver.account_sections"


@dataclass(frozen=True, slots=True)
class AccountSection:
    name: str
    template: str  # a partial in templates/account/
    order: int
    # Extra template variables for this section, computed per request.
    context: Callable[[AccountView], Mapping[str, Any]] | None = None


def register(app: Flask) -> None:
    app.extensions.setdefault(EXTENSION, {})


def register_section(app: Flask, section: AccountSection) -> None:
    app.extensions.setdefault(EXTENSION, {})[section.name] = section


def sections() -> list[AccountSection]:
    table: dict[str, AccountSection] = current_app.extensions.get(EXTENSION, {})
    return sorted(table.values(), key=lambda s: (s.order, s.name))
