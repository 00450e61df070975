"""Discovery documents: OIDC under the issuer, RFC 8414 in both of its URL forms."""

from __future__ import annotations

import json

from flask import Blueprint, Response

from authserver.i18n import SUPPORTED_LOCALES
from authserver.protocol.metadata import metadata
from authserver.web import cors
from authserver.web.context import runtime, tenant
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("discovery", __name__)


def _document(openid: bool) -> Response:
    rt = runtime()
    info = tenant()
    algs = sorted(rt.keyring.snapshot(info.id).signing_algs(rt.clock()))
    acr_values = info.factor_policy.acr_values_supported
    document = metadata(rt.issuer(info.slug), algs, openid, acr_values)
    document["ui_locales_supported"] = list(SUPPORTED_LOCALES)  # the hosted pages' languages
    if info.registration_mode != "off":  # RFC 8414 §2, OIDC Discovery §3
        document["registration_endpoint"] = f"{rt.issuer(info.slug)}/register"
    body = json.dumps(document, separators=(",", ":"))
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return cors.apply(response, cors.PUBLIC_DOCUMENT)


_OPENID = f"{TENANT_PREFIX}/.well-known/openid-configuration"
_RFC8414 = (f"{TENANT_PREFIX}/.well-known/oauth-authorization-server",
            f"/.well-known/oauth-authorization-server{TENANT_PREFIX}")


# Automatic OPTIONS off: the preflight view below answers OPTIONS (CORS).
@bp.get(_OPENID, provide_automatic_options=False)
def openid_configuration() -> Response:
    return _document(openid=True)


@bp.get(_RFC8414[0], provide_automatic_options=False)
@bp.get(_RFC8414[1], provide_automatic_options=False)
def authorization_server_metadata() -> Response:
    # RFC 8414 §3 inserts the well-known segment before the issuer's path; many clients
    # append it instead, so both are served.
    return _document(openid=False)


@bp.route(_OPENID, methods=["OPTIONS"])
@bp.route(_RFC8414[0], methods=["OPTIONS"])
@bp.route(_RFC8414[1], methods=["OPTIONS"])
def metadata_preflight() -> Response:
    return cors.preflight(cors.PUBLIC_DOCUMENT)
