"""The tenant's JSON Web Key Set (RFC 7517): public keys only, cacheable."""

from __future__ import annotations

import json

from flask import Blueprint, Response

from authserver.web import cors
from authserver.web.context import runtime, tenant
from authserver.web.tenancy import TENANT_PREFIX

bp = Blueprint("jwks", __name__, url_prefix=TENANT_PREFIX)


@bp.get("/jwks", provide_automatic_options=False)
@cors.cors(cors.PUBLIC_DOCUMENT)
def jwks() -> Response:
    rt = runtime()
    body = rt.keyring.snapshot(tenant().id).jwks(rt.clock())
    response = Response(json.dumps(body, separators=(",", ":")),
                        mimetype="application/jwk-set+json")
    # Rotation publishes keys KEY_PUBLISH_LEAD ahead of use, which settings keep above
    # this max-age, so caching verifiers never meet a kid they could not have fetched.
    response.headers["Cache-Control"] = f"public, max-age={rt.settings.jwks_max_age}"
    return response


@bp.route("/jwks", methods=["OPTIONS"])
def jwks_preflight() -> Response:
    return cors.preflight(cors.PUBLIC_DOCUMENT)
