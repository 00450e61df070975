"""User attributes: free-form key → value pairs for attribute-based decisions downstream.

A value is a string or a list of strings. Keys and sizes are bounded so an attribute can
always travel in a token: a key is a letter then up to 63 letters, digits or ``_ . -``;
a string at most 1,024 characters; a list at most 50 strings; a user at most 50
attributes of at most 16 KiB in all (as JSON). They reach tokens only through a client's
claim mapping (services/claim_mapping.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from authserver.services.errors import InvalidInput, NotFound
from authserver.storage.models import User
from authserver.storage.repositories import AuditRepository
from authserver.storage.repositories.user_attributes import UserAttributeRepository

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
MAX_STRING = 1024
MAX_LIST = 50
MAX_ATTRIBUTES = 50
MAX_TOTAL_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class AttributeEdit:
    """Keys to set (or change) and keys to remove, as ``user update`` takes them."""

    assign: Mapping[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()


def check_key(key: object) -> str:
    if not isinstance(key, str) or not KEY.fullmatch(key):
        shown = key[:80] if isinstance(key, str) else type(key).__name__
        raise InvalidInput("attributes", f"key {shown!r}: a letter, then up to 63 letters, "
                           "digits, _ . -")
    return key


def _check_string(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput("attributes", f"{key}: values are strings or lists of strings")
    if len(value) > MAX_STRING or "\x00" in value:
        raise InvalidInput("attributes", f"{key}: at most {MAX_STRING} characters, no NUL")
    return value


def check_value(key: str, value: object) -> str | list[str]:
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            raise InvalidInput("attributes", f"{key}: at most {MAX_LIST} values")
        return [_check_string(key, v) for v in value]
    return _check_string(key, value)


def check_attributes(values: Mapping[str, Any]) -> dict[str, str | list[str]]:
    checked = {check_key(k): check_value(k, v) for k, v in values.items()}
    if len(checked) > MAX_ATTRIBUTES:
        raise InvalidInput("attributes", f"at most {MAX_ATTRIBUTES} per user")
    if len(json.dumps(checked, ensure_ascii=False).encode()) > MAX_TOTAL_BYTES:
        raise InvalidInput("attributes", f"at most {MAX_TOTAL_BYTES} bytes in all, as JSON")
    return dict(sorted(checked.items()))


def parse_assignment(text: str) -> tuple[str, str | list[str]]:
    """``key=value`` as the CLI takes it; a value that is a JSON list is a list."""
    key, sep, value = text.partition("=")
    if not sep:
        raise InvalidInput("attributes", f"{text[:80]!r}: give key=value")
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise InvalidInput("attributes", f"{key}: a list is a JSON array of strings") \
                from None
        return check_key(key), check_value(key, parsed)
    return check_key(key), check_value(key, value)


def attributes_of(session: Session, tenant_id: int, user_id: int) -> dict[str, Any]:
    return UserAttributeRepository(session, tenant_id).of_user(user_id)


def set_attributes(session: Session, tenant_id: int, user: User, values: Mapping[str, Any],
                   actor: str) -> tuple[dict[str, Any], list[str]]:
    """The user's attributes become exactly ``values``; returns them and the changed keys.
    The audit record has the changed keys' values before and after."""
    new = check_attributes(values)
    repo = UserAttributeRepository(session, tenant_id)
    old = repo.of_user(user.id)
    changed = sorted(k for k in {*old, *new} if old.get(k) != new.get(k))
    if changed:
        repo.replace(user.id, new)
        AuditRepository(session, tenant_id).record(
            actor, "user.attributes_changed", user.sub,
            before={k: old[k] for k in changed if k in old},
            after={k: new[k] for k in changed if k in new})
    return new, changed


def edit_attributes(session: Session, tenant_id: int, user: User,
                    assign: Mapping[str, Any], remove: Iterable[str],
                    actor: str) -> tuple[dict[str, Any], list[str]]:
    """Set some keys and remove others (the CLI's --attribute / --remove-attribute)."""
    remove = [check_key(k) for k in remove]
    clash = set(assign) & set(remove)
    if clash:
        raise InvalidInput("attributes", f"{sorted(clash)[0]}: both set and removed")
    current = attributes_of(session, tenant_id, user.id)
    missing = [k for k in remove if k not in current]
    if missing:
        raise NotFound(f"user {user.email} has no attribute {missing[0]!r}")
    new = {k: v for k, v in current.items() if k not in remove} | dict(assign)
    return set_attributes(session, tenant_id, user, new, actor)
