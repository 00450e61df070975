"""What every admin-API resource module uses: its blueprint, the permission check, the
tenant it acts on, errors, paging and the caller's admin context (docs/admin-api.md).

A resource module builds its blueprint with :func:`admin_blueprint`, decorates each view
with ``@requires(permission)`` (outermost, so that an unauthenticated request is refused
before its input is read), finds its tenant with :func:`tenant_for` and calls the same
services the CLI calls with :func:`admin_context`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson
from authserver_verifier import VerificationUnavailable, Verifier, VerifierError
from authserver_verifier.errors import bearer_challenge
from flask import current_app, g, request
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate
from webargs.flaskparser import FlaskParser

from authserver.protocol import jws
from authserver.protocol.token_activity import access_token_activity
from authserver.runtime import Runtime
from authserver.runtime import admin_context as build_admin_context
from authserver.services.admin_access import (
    AdminCaller,
    admin_audience,
    caller_of,
    record_denial,
)
from authserver.services.admin_context import AdminContext
from authserver.services.tenants import TenantInfo
from authserver.web.admin import errors
from authserver.web.admin.errors import AdminError

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

REALM = "admin-api"
MAX_PAGE = 200
DEFAULT_PAGE = 50
# The longest bearer token read; longer ones are refused before any parsing.
MAX_TOKEN_BYTES = 8192


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "Stable error code."})
    message = fields.String(required=True)
    details = fields.Dict(metadata={"description": "Structured detail, e.g. the fields."})


class ErrorSchema(Schema):
    """Every admin-API error: ``{"error": {"code", "message", "details"?}}``."""

    error = fields.Nested(ErrorBody, required=True)


class StrictSchema(Schema):
    """Request bodies: an unknown field is an error (400 ``invalid_input``), not ignored."""

    class Meta:
        unknown = RAISE


class PageArgs(StrictSchema):
    limit = fields.Integer(load_default=DEFAULT_PAGE,
                           validate=validate.Range(min=1, max=MAX_PAGE),
                           metadata={"description": f"Items per page (1-{MAX_PAGE})."})
    cursor = fields.String(load_default=None, validate=validate.Length(max=1000),
                           metadata={"description": "``next_cursor`` of the page before."})


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The schema of one page of ``item``: ``{"items": [...], "next_cursor": ...}``."""
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item), required=True),
        "next_cursor": fields.String(required=True, allow_none=True,
                                     metadata={"description": "null on the last page"}),
    })


def encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).rstrip(b"=").decode()


def after(cursor: str | None) -> Any:
    """The key to start after (keyset paging), from a cursor a page gave out."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise AdminError(400, "invalid_cursor", "The cursor is not one this API gave out."
                         ) from None


def page(rows: Sequence[T], limit: int, key: Callable[[T], Any],
         dump: Callable[[T], Any] | None = None) -> dict[str, Any]:
    """A page from ``rows``, fetched as ``limit + 1`` rows in ``key`` order: the extra
    row only tells whether there is a next page."""
    shown = rows[:limit]
    more = len(rows) > limit
    return {"items": [dump(r) if dump else r for r in shown],
            "next_cursor": encode_cursor(key(shown[-1])) if more and shown else None}


class _Parser(FlaskParser):
    # Bad input is 400 invalid_input here, as everywhere else in authserver.
    DEFAULT_VALIDATION_STATUS = 400
    # The schema decides (StrictSchema: RAISE) for the query string too: a misspelt
    # filter is an error, not a silently wider answer.
    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {}


class AdminBlueprint(Blueprint):
    ARGUMENTS_PARSER = _Parser()


def admin_blueprint(name: str, description: str) -> AdminBlueprint:
    """The blueprint of one admin-API resource (registered by web/admin/__init__.py)."""
    blueprint = AdminBlueprint(name, f"authserver.web.admin.{name}", description=description)
    errors.install(blueprint)
    return blueprint


# --- who is calling -----------------------------------------------------------------

def _runtime() -> Runtime:
    rt: Runtime = current_app.extensions["authserver"]
    return rt


def _unauthenticated(reason: str, tenant_id: int | None = None) -> AdminError:
    rt = _runtime()
    record_denial(rt.database, tenant_id, "anonymous", reason, request.method, request.path)
    challenge = bearer_challenge(REALM, "invalid_token", "The bearer token is missing, "
                                 "invalid, expired or revoked.")
    return AdminError(401, "unauthenticated", "A valid bearer token for the admin API is "
                      "required.", headers={"WWW-Authenticate": challenge})


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_BYTES:
        return None
    return token


def _claimed_issuer(token: str) -> str | None:
    """The ``iss`` the token claims, unverified: only to pick the tenant whose keys then
    verify it."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer if isinstance(issuer, str) else None


def _issuing_tenant(rt: Runtime, token: str) -> TenantInfo | None:
    issuer = _claimed_issuer(token)
    prefix = f"{rt.settings.public_url}/t/"
    if issuer is None or not issuer.startswith(prefix):
        return None
    return rt.tenants.find(issuer[len(prefix):])


def _verifier(rt: Runtime, tenant: TenantInfo) -> Verifier:
    """The tenant's verifier (our own library), rebuilt when its published keys change."""
    jwks = rt.keyring.snapshot(tenant.id).jwks(rt.clock())
    kids = tuple(sorted(str(k.get("kid")) for k in jwks["keys"]))
    cache: dict[int, tuple[tuple[str, ...], Verifier]] = \
        current_app.extensions.setdefault("authserver.admin_verifiers", {})
    hit = cache.get(tenant.id)
    if hit is not None and hit[0] == kids:
        return hit[1]
    verifier = Verifier(issuer=rt.settings.issuer_for(tenant.slug),
                        audience=admin_audience(rt.settings.public_url),
                        algorithms=jws.SIGNING_ALGS, jwks=jwks, leeway=0, realm=REALM,
                        clock=lambda: rt.clock().timestamp())
    cache[tenant.id] = (kids, verifier)
    return verifier


def _role_permissions(rt: Runtime) -> Callable[[int, str], frozenset[str]]:
    def held(tenant_id: int, sub: str) -> frozenset[str]:
        from authserver.services import roles  # type: ignore[attr-defined]

        return roles.permissions_of_subject(rt.database, tenant_id, sub)  # type: ignore[no-any-return]
    return held


def _authenticate() -> AdminCaller:
    rt = _runtime()
    token = _bearer_token()
    if token is None:
        raise _unauthenticated("no bearer token")
    tenant = _issuing_tenant(rt, token)
    if tenant is None:
        raise _unauthenticated("token from no tenant of this server")
    try:
        claims = _verifier(rt, tenant).verify(token)
    except VerificationUnavailable:
        raise AdminError(503, "temporarily_unavailable", "Try again shortly.") from None
    except VerifierError as error:
        raise _unauthenticated(f"token refused: {error.description}", tenant.id) from None
    audience = admin_audience(rt.settings.public_url)
    activity = access_token_activity(rt.tenant_context(tenant), token, rt.clock(),
                                     audience=audience)
    if not activity.active:
        raise _unauthenticated("token revoked or its grant ended", tenant.id)
    return caller_of(claims, tenant.id, tenant.slug, rt.settings.admin_operator_tenant,
                     _role_permissions(rt))


def _forbidden(caller: AdminCaller, reason: str, permission: str | None = None
               ) -> AdminError:
    record_denial(_runtime().database, caller.tenant_id, caller.actor, reason,
                  request.method, request.path, permission)
    return AdminError(403, "forbidden", "This caller may not do that.",
                      {"permission": permission} if permission else None)


_DENIALS = {
    "401": {"description": "No valid bearer token (``unauthenticated``).",
            "content": {"application/json": {"schema": "Error"}}},
    "403": {"description": "The caller lacks the permission (``forbidden``).",
            "content": {"application/json": {"schema": "Error"}}},
}


def requires(permission: str) -> Callable[[F], F]:
    """Only callers holding ``permission`` (``admin:read``, ``admin:write``,
    ``users:read:pii``) get through; others get 401/403 and an audit record."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            caller = _authenticate()
            if not caller.can(permission):
                raise _forbidden(caller, "missing permission", permission)
            g.admin_caller = caller
            return view(*args, **kwargs)

        doc = copy.deepcopy(getattr(view, "_apidoc", {}))
        manual = doc.setdefault("manual_doc", {})
        manual["security"] = [{"bearerAuth": []}]
        manual.setdefault("responses", {}).update(copy.deepcopy(_DENIALS))
        manual.setdefault("description", f"Requires `{permission}`.")
        checked._apidoc = doc  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def caller() -> AdminCaller:
    """The verified caller of this request (set by :func:`requires`)."""
    found: AdminCaller = g.admin_caller
    return found


def tenant_for(slug: str) -> TenantInfo:
    """The tenant named in the path, if the caller may administer it: another tenant's
    administrator gets 403 whether or not the tenant exists (existence is not told)."""
    who = caller()
    if not who.may_administer(slug):
        raise _forbidden(who, f"tenant {slug[:63]} is not the caller's")
    found = _runtime().tenants.find(slug)
    if found is None:
        raise AdminError(404, "not_found", "No such tenant.")
    return found


def require_operator() -> None:
    """Only the operator tenant's administrators (e.g. to create tenants)."""
    who = caller()
    if not who.operator:
        raise _forbidden(who, "operator only")


def admin_context() -> AdminContext:
    """What the services/*_admin.py operations need, acting as the caller."""
    return build_admin_context(_runtime(), caller().actor)
