"""``/admin/api/v1/tenants/{slug}/clients``: a tenant's applications — list, register,
read, change (every registration field, the secret kept), delete, rotate the secret.

A secret appears in two answers only: the registration's and the rotation's (and an
update's that takes up a secret method, which makes one). The same services as
``authserver client …`` do the work (services/client_admin.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.views import MethodView

from authserver.services import client_admin
from authserver.services.admin_access import ADMIN_READ, ADMIN_WRITE
from authserver.services.claim_mapping import ClaimsEdit
from authserver.services.client_changes import INHERIT, ClientChanges, ListEdit
from authserver.services.clients import ClientSpec
from authserver.services.errors import InvalidInput
from authserver.web.admin import core
from authserver.web.admin.client_schemas import (
    ClientChangeSchema,
    ClientPage,
    ClientSchema,
    ClientWithSecretSchema,
    NewClientSchema,
    RotatedSecretSchema,
    RotateSecretSchema,
)
from authserver.web.admin.errors import AdminError

blp = core.admin_blueprint("clients", "Applications (OAuth clients) of a tenant: every "
                           "registration field, secret rotation with an overlap.")

# The services name fields as registration's rules do; the API names them as its bodies.
_API_FIELD = {
    "redirect_uri": "redirect_uris", "post_logout_redirect_uri": "post_logout_redirect_uris",
    "web_origin": "web_origins", "auth_method": "token_endpoint_auth_method",
    "id_token_alg": "id_token_signed_response_alg", "grant_type": "grant_types",
    "access_token_alg": "access_token_signed_response_alg", "overlap": "overlap_seconds",
    "secret_expires_in": "expires_in_seconds",
}


@contextmanager
def _fields_named_as_the_api() -> Iterator[None]:
    try:
        yield
    except InvalidInput as refused:
        name = _API_FIELD.get(refused.field, refused.field)
        raise AdminError(400, "invalid_input", f"{name}: {refused.problem}",
                         {name: [refused.problem]}) from None


def _spec(body: dict[str, Any]) -> ClientSpec:
    scope = body.get("scope")
    optional = {key: body[name] for key, name in (
        ("first_party", "first_party"), ("require_pkce", "require_pkce"),
        ("require_state", "require_state"), ("id_token_alg", "id_token_signed_response_alg"),
        ("access_token_alg", "access_token_signed_response_alg"),
        ("backchannel_logout_session_required", "backchannel_logout_session_required"),
        ("explicit_errors", "explicit_errors"), ("public", "public")) if name in body}
    return ClientSpec(
        name=body["name"], grant_types=tuple(body.get("grant_types", ())),
        redirect_uris=tuple(body.get("redirect_uris", ())),
        post_logout_redirect_uris=tuple(body.get("post_logout_redirect_uris", ())),
        scopes=scope.split() if scope is not None else None,
        auth_method=body.get("token_endpoint_auth_method"), jwks=body.get("jwks"),
        jwks_uri=body.get("jwks_uri"), client_id=body.get("client_id"),
        refresh_token_idle_ttl=body.get("refresh_token_idle_ttl"),
        refresh_token_absolute_ttl=body.get("refresh_token_absolute_ttl"),
        web_origins=tuple(body.get("web_origins", ())),
        application_type=body.get("application_type"),
        backchannel_logout_uri=body.get("backchannel_logout_uri"), **optional)


def _replace(body: dict[str, Any], name: str, split: bool = False) -> ListEdit:
    if name not in body:
        return ListEdit()
    return ListEdit(replace=body[name].split() if split else list(body[name]))


def _limit(body: dict[str, Any], name: str) -> int | None:
    return INHERIT if name in body and body[name] is None else body.get(name)


def _changes(body: dict[str, Any]) -> ClientChanges:
    """PATCH semantics: a field given replaces the value (a list whole); one left out
    stays; ``null`` clears what may be cleared."""
    return ClientChanges(
        name=body.get("name"), auth_method=body.get("token_endpoint_auth_method"),
        grant_types=body.get("grant_types"),
        redirect_uris=_replace(body, "redirect_uris"),
        post_logout_redirect_uris=_replace(body, "post_logout_redirect_uris"),
        scopes=_replace(body, "scope", split=True),
        web_origins=_replace(body, "web_origins"),
        application_type=body.get("application_type"),
        id_token_alg=body.get("id_token_signed_response_alg"),
        access_token_alg=body.get("access_token_signed_response_alg"),
        require_pkce=body.get("require_pkce"), require_state=body.get("require_state"),
        first_party=body.get("first_party"),
        refresh_token_idle_ttl=_limit(body, "refresh_token_idle_ttl"),
        refresh_token_absolute_ttl=_limit(body, "refresh_token_absolute_ttl"),
        jwks=body.get("jwks"), jwks_uri=body.get("jwks_uri"),
        backchannel_logout_uri=("" if "backchannel_logout_uri" in body
                                and body["backchannel_logout_uri"] is None
                                else body.get("backchannel_logout_uri")),
        backchannel_logout_session_required=body.get("backchannel_logout_session_required"),
        explicit_errors=body.get("explicit_errors"),
        claims=ClaimsEdit(replace=body["claims"] or {}) if "claims" in body else None)


@blp.route("/tenants/<string:slug>/clients")
class Clients(MethodView):
    @core.requires(ADMIN_READ)
    @blp.arguments(core.PageArgs, location="query")
    @blp.response(200, ClientPage)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The tenant's clients, in registration order (never a secret)."""
        core.tenant_for(slug)
        rows = client_admin.page_clients(core.admin_context(), slug,
                                         core.after_id(args["cursor"]), args["limit"] + 1)
        return core.page(rows, args["limit"], key=lambda r: r.id, dump=lambda r: r.summary)

    @core.requires(ADMIN_WRITE)
    @blp.arguments(NewClientSchema)
    @blp.response(201, ClientWithSecretSchema)
    def post(self, body: dict[str, Any], slug: str) -> dict[str, Any]:
        """Register a client; its generated secret is in this answer only. 409 if the
        client_id is taken."""
        core.tenant_for(slug)
        with _fields_named_as_the_api():
            created = client_admin.create_client(core.admin_context(), slug, _spec(body))
        return {**created.summary, "client_secret": created.client_secret}


@blp.route("/tenants/<string:slug>/clients/<string:client_id>")
class Client(MethodView):
    @core.requires(ADMIN_READ)
    @blp.etag
    @blp.response(200, ClientSchema)
    def get(self, slug: str, client_id: str) -> dict[str, Any]:
        """One client's registration (never its secret)."""
        core.tenant_for(slug)
        return client_admin.show_client(core.admin_context(), slug, client_id)

    @core.requires(ADMIN_WRITE)
    @blp.etag
    @blp.arguments(ClientChangeSchema)
    @blp.response(200, ClientWithSecretSchema)
    def patch(self, body: dict[str, Any], slug: str, client_id: str) -> dict[str, Any]:
        """Change any registration field, keeping the secret. Needs ``If-Match``. A
        change of ``token_endpoint_auth_method`` to a secret method from
        ``private_key_jwt`` makes a secret, returned here once; the other way drops it."""
        core.tenant_for(slug)
        ctx = core.admin_context()
        blp.check_etag(client_admin.show_client(ctx, slug, client_id), ClientSchema)
        with _fields_named_as_the_api():
            updated = client_admin.update_client(ctx, slug, client_id, _changes(body))
        # The ETag is of the registration as GET shows it, never of a secret.
        blp.set_etag(updated.summary, ClientSchema)
        if updated.client_secret is None:
            return updated.summary
        return {**updated.summary, "client_secret": updated.client_secret}

    @core.requires(ADMIN_WRITE)
    @blp.etag
    @blp.response(204)
    def delete(self, slug: str, client_id: str) -> None:
        """Delete the client (as ``authserver client delete``). Needs ``If-Match``."""
        core.tenant_for(slug)
        ctx = core.admin_context()
        blp.check_etag(client_admin.show_client(ctx, slug, client_id), ClientSchema)
        client_admin.delete_client(ctx, slug, client_id)


@blp.route("/tenants/<string:slug>/clients/<string:client_id>:rotate-secret")
class RotateSecret(MethodView):
    @core.requires(ADMIN_WRITE)
    @blp.arguments(RotateSecretSchema)
    @blp.response(200, RotatedSecretSchema)
    def post(self, body: dict[str, Any], slug: str, client_id: str) -> dict[str, Any]:
        """A new secret, in this answer only; the old one keeps working for
        ``overlap_seconds`` (default 86400; 0 ends it now). 409 for a client without a
        secret (public or ``private_key_jwt``)."""
        core.tenant_for(slug)
        lifetime = body.get("expires_in_seconds")
        with _fields_named_as_the_api():
            rotated = client_admin.rotate_secret(
                core.admin_context(), slug, client_id,
                dt.timedelta(seconds=body["overlap_seconds"]),
                dt.timedelta(seconds=lifetime) if lifetime is not None else None)
        return rotated.view()
