"""What the passkey routes of the sign-in and account pages share: the tenant's WebAuthn
relying party, and the JSON answers of the options endpoints (errors included: a
fetch from passkeys.js must never get an HTML page or a 500)."""

from __future__ import annotations

import orjson
from flask import Response
from werkzeug.exceptions import HTTPException

from authserver.services import sign_in_errors
from authserver.services.authn.webauthn import PasskeySignIn, RelyingParty
from authserver.services.passkeys import Passkeys
from authserver.web.context import runtime, tenant
from authserver.web.problems import code_of, text_of
from authserver.web.security import check_csrf

EXPIRED_PAGE = sign_in_errors.PASSKEY_PAGE_EXPIRED.message


def relying_party() -> RelyingParty:
    """RP ID = the host of the tenant's issuer (PUBLIC_URL), origin = its origin."""
    return RelyingParty.for_issuer(runtime().issuer(tenant().slug), tenant().display_name)


def passkey_sign_in() -> PasskeySignIn:
    rt = runtime()
    return PasskeySignIn(rt.database, rt.throttle, tenant().id, relying_party())


def passkeys() -> Passkeys:
    return Passkeys(runtime().database, tenant().id, relying_party())


def json_answer(body: str | bytes, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def json_error(status: int, message: str) -> Response:
    """``error`` is what passkeys.js shows: the message in the page's language with its
    code, as the pages show it; ``error_code`` alone, for scripts."""
    code = code_of(message)
    text = text_of(message)
    body = {"error": f"{text} ({code})" if code else text, "error_code": code}
    return json_answer(orjson.dumps(body), status)


def csrf_refused() -> Response | None:
    """None when the form's CSRF token is this browser's; otherwise the JSON 400."""
    try:
        check_csrf()
    except HTTPException:
        return json_error(400, EXPIRED_PAGE)
    return None
