"""The built-in admin API and the operator's catalogue of built-in access groups.

The admin API (``{PUBLIC_URL}/admin/api``) exists in every tenant without a row; grants
and groups name it by the key ``builtin:admin`` so that they survive a change of
PUBLIC_URL. Built-in groups come from a TOML file (AUTHSERVER_ACCESS_GROUP_CATALOGUE;
the shipped example is ``access_groups.example.toml`` beside this module) and are never
stored: tenants only assign them. Docs: docs/apis-and-access-groups.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from authserver.protocol.grants.common import is_resource_identifier
from authserver.protocol.ports import ApiRecord

EXAMPLE_CATALOGUE = Path(__file__).with_name("access_groups.example.toml")
ADMIN_API_KEY = "builtin:admin"
ADMIN_API_PATH = "/admin/api"
ADMIN_SCOPES = ("admin:read", "admin:write", "users:read:pii")
BUILTIN_PREFIX = "builtin-"
CUSTOM_PREFIX = "grp-"
_KEY = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
# resource:action, more segments allowed (users:read:pii); no spaces (RFC 6749 §3.3).
SCOPE_FORM = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*(?::[A-Za-z0-9_.-]+)+$")
MAX_SCOPE = 100


class CatalogueError(ValueError):
    """The catalogue file is unreadable or malformed; the message names the problem."""


def valid_scope(scope: str) -> bool:
    return len(scope) <= MAX_SCOPE and SCOPE_FORM.fullmatch(scope) is not None


@dataclass(frozen=True, slots=True)
class BuiltinGroup:
    key: str
    name: str
    description: str
    # API identifier (PUBLIC_URL filled in) → scopes.
    permissions: Mapping[str, frozenset[str]]

    @property
    def ref(self) -> str:
        return BUILTIN_PREFIX + self.key


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The built-in groups, and the identifier of the built-in admin API."""

    admin_identifier: str
    groups: tuple[BuiltinGroup, ...] = ()
    _by_ref: dict[str, BuiltinGroup] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_ref.update({g.ref: g for g in self.groups})

    @property
    def admin_api(self) -> ApiRecord:
        return ApiRecord(identifier=self.admin_identifier, name="authserver admin API",
                         scopes=frozenset(ADMIN_SCOPES), builtin=True)

    def group(self, ref: str) -> BuiltinGroup | None:
        return self._by_ref.get(ref)

    def by_name(self, name: str) -> BuiltinGroup | None:
        return next((g for g in self.groups if g.name.casefold() == name.casefold()), None)

    def api_key(self, identifier: str) -> str:
        """How grants and groups store an API: its identifier, or the admin API's key."""
        return ADMIN_API_KEY if identifier == self.admin_identifier else identifier

    def api_identifier(self, key: str) -> str:
        return self.admin_identifier if key == ADMIN_API_KEY else key


def admin_api_identifier(public_url: str) -> str:
    return public_url.rstrip("/") + ADMIN_API_PATH


def _scopes(raw: object, where: str) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(s, str) and valid_scope(s) for s in raw):
        raise CatalogueError(f"{where}: a list of resource:action scopes")
    return frozenset(raw)


def _group(key: str, raw: object, public_url: str) -> BuiltinGroup:
    where = f"groups.{key}"
    if not _KEY.fullmatch(key):
        raise CatalogueError(f"{where}: the key must be lowercase letters, digits and '-'")
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise CatalogueError(f"{where}: needs a name")
    permissions_raw = raw.get("permissions", {})
    if not isinstance(permissions_raw, dict):
        raise CatalogueError(f"{where}.permissions: a table of API identifier = [scopes]")
    permissions: dict[str, frozenset[str]] = {}
    for api, scopes in permissions_raw.items():
        identifier = api.replace("{public_url}", public_url.rstrip("/"))
        if not is_resource_identifier(identifier):
            raise CatalogueError(f"{where}.permissions: {api!r} is not an absolute URI or URN")
        permissions[identifier] = _scopes(scopes, f"{where}.permissions.{api!r}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise CatalogueError(f"{where}.description: text")
    return BuiltinGroup(key, raw["name"][:100], description, permissions)


def load_catalogue(path: Path | None, public_url: str) -> Catalogue:
    """Read the catalogue at ``path`` (None: the shipped example)."""
    source = path or EXAMPLE_CATALOGUE
    try:
        with source.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise CatalogueError(f"cannot read {source}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source} is not valid TOML: {exc}") from None
    raw_groups = data.get("groups", {})
    if not isinstance(raw_groups, dict):
        raise CatalogueError(f"{source}: [groups.KEY] tables expected")
    groups = tuple(_group(key, raw, public_url) for key, raw in raw_groups.items())
    names = [g.name.casefold() for g in groups]
    if len(set(names)) != len(names):
        raise CatalogueError(f"{source}: two groups have the same name")
    return Catalogue(admin_api_identifier(public_url), groups)
