"""The pending-request store as the pages see it: this browser's binding handle lives in
its flow cookie; the requests live server-side (services/interactions.py)."""

from __future__ import annotations

from flask import session

from authserver.protocol.authorization import AuthorizationRequest
from authserver.protocol.interaction import Progress
from authserver.services.interactions import (
    Pending,
    PendingInteractions,
    move_to_new_handle,
    new_browser_handle,
)
from authserver.web.context import runtime, tenant
from authserver.web.i18n import remember_ui_locales

HANDLE_KEY = "interactions"


def _store() -> PendingInteractions:
    return PendingInteractions(runtime().database, tenant().id)


def browser_handle() -> str | None:
    """This browser's binding handle, from its flow cookie (None before it has one)."""
    value = session.get(HANDLE_KEY)
    return value if isinstance(value, str) and value else None


def _handle_or_new() -> str:
    handle = browser_handle()
    if handle is None:
        handle = session[HANDLE_KEY] = new_browser_handle()
    return handle


def begin(authz: AuthorizationRequest, progress: Progress) -> str:
    return _store().begin(_handle_or_new(), authz, progress, runtime().clock())


def find(uid: str) -> Pending | None:
    found = _store().find(uid, browser_handle(), runtime().clock())
    if found is not None:
        # The pages of this sign-in speak the language the application asked for.
        remember_ui_locales(found.request.ui_locales)
    return found


def save(uid: str, progress: Progress) -> bool:
    handle = browser_handle()
    return handle is not None and _store().save(uid, handle, progress, runtime().clock())


def finish(uid: str) -> bool:
    handle = browser_handle()
    return handle is not None and _store().finish(uid, handle, runtime().clock())


def new_flow_cookie() -> None:
    """Nothing from before sign-in carries over (session fixation): a new flow cookie, a
    new CSRF token, and a new binding handle that this browser's open requests move to."""
    old = browser_handle()
    session.clear()
    new = _handle_or_new()
    if old is not None:
        move_to_new_handle(runtime().database, old, new, runtime().clock())
