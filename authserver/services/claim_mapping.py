"""Checking and changing a client's claim mapping (protocol/claim_mapping.py reads it).

Stored on the client as JSON::

    {"roles": ["id_token", "access_token", "userinfo"],
     "attributes": {"department": "dept"},
     "attributes_in": ["id_token", "access_token", "userinfo"]}

``roles`` names the tokens that carry a ``roles`` claim; ``attributes`` maps user
attribute keys to claim names; ``attributes_in`` (default: all three) where they go.
An empty mapping is stored as NULL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authserver.protocol.claim_mapping import REGISTERED_CLAIMS, TARGETS
from authserver.services.errors import InvalidInput
from authserver.services.user_attributes import check_key

_CLAIM = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
MAX_MAPPED_ATTRIBUTES = 20
_MEMBERS = ("roles", "attributes", "attributes_in")


def _targets(value: object, member: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise InvalidInput(f"claims.{member}", f"a list of {', '.join(TARGETS)}")
    unknown = [t for t in value if t not in TARGETS]
    if unknown:
        raise InvalidInput(f"claims.{member}", f"{unknown[0][:40]!r} is not one of "
                           f"{', '.join(TARGETS)}")
    return [t for t in TARGETS if t in value]


def check_claim_name(name: object) -> str:
    if not isinstance(name, str) or not _CLAIM.fullmatch(name):
        raise InvalidInput("claims.attributes", "claim names: a letter, then up to 63 "
                           "letters, digits, _ . -")
    if name in REGISTERED_CLAIMS:
        raise InvalidInput("claims.attributes", f"{name!r} is a registered claim; a mapped "
                           "attribute may not replace it")
    return name


def check_mapping(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The mapping as stored (members in a fixed order), or None when it maps nothing."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput("claims", "an object with roles, attributes, attributes_in")
    unknown = [k for k in value if k not in _MEMBERS]
    if unknown:
        raise InvalidInput("claims", f"unknown member {str(unknown[0])[:40]!r}")
    roles = _targets(value.get("roles") or [], "roles")
    attributes = value.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        raise InvalidInput("claims.attributes", "an object: attribute key → claim name")
    if len(attributes) > MAX_MAPPED_ATTRIBUTES:
        raise InvalidInput("claims.attributes", f"at most {MAX_MAPPED_ATTRIBUTES}")
    mapped = {check_key(k): check_claim_name(v) for k, v in attributes.items()}
    if len(set(mapped.values())) != len(mapped):
        raise InvalidInput("claims.attributes", "two attributes map to the same claim")
    result: dict[str, Any] = {}
    if roles:
        result["roles"] = roles
    if mapped:
        result["attributes"] = mapped
        if "attributes_in" in value:
            result["attributes_in"] = _targets(value["attributes_in"], "attributes_in")
    return result or None


@dataclass(frozen=True, slots=True)
class ClaimsEdit:
    """A change: ``replace`` the whole mapping (the admin API; {} or None-valued parts
    remove it), or edit parts of it (the CLI); None leaves a part as it is."""

    replace: Mapping[str, Any] | None = None
    roles: Sequence[str] | None = None  # [] removes the roles claim
    set_attributes: Mapping[str, str] | None = None  # key → claim name, added or changed
    remove_attributes: Sequence[str] = ()

    @property
    def is_empty(self) -> bool:
        return (self.replace is None and self.roles is None and not self.set_attributes
                and not self.remove_attributes)


def apply_edit(current: Mapping[str, Any] | None, edit: ClaimsEdit) -> dict[str, Any] | None:
    if edit.replace is not None:
        if edit.roles is not None or edit.set_attributes or edit.remove_attributes:
            raise InvalidInput("claims", "replace the mapping or edit parts of it, not both")
        return check_mapping(edit.replace)
    value: dict[str, Any] = dict(current or {})
    if edit.roles is not None:
        value["roles"] = list(edit.roles)
    attributes = dict(value.get("attributes") or {})
    missing = [k for k in edit.remove_attributes if k not in attributes]
    if missing:
        raise InvalidInput("claims.attributes", f"{missing[0][:64]!r} is not mapped")
    for key in edit.remove_attributes:
        del attributes[key]
    attributes.update(edit.set_attributes or {})
    value["attributes"] = attributes
    return check_mapping(value)
