"""The demo relying party's pages: sign in, see the tokens, refresh, sign out.

It is an ordinary confidential client (``demo-web`` in the demo tenant) that happens to be
served by this process; see oidc_client.py for the protocol half. Development only: the
composition root mounts it only when AUTHSERVER_ENV is not production.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, render_template, request

from authserver.demo import (
    DEMO_CLIENTS,
    DEMO_EMAIL,
    DEMO_RP_CLIENT,
    DEMO_RP_PATH,
    DEMO_TENANT,
    demo_rp_uris,
    demo_rp_url,
    read_credentials,
)
from authserver.protocol.jws import JWSError, parse_unverified
from authserver.web.context import runtime
from authserver.web.demo_rp import oidc_client as rp
from authserver.web.demo_rp.oidc_client import Pending, RPConfig, RPError
from authserver.web.demo_rp.store import RPCookie
from authserver.web.security import page_headers

bp = Blueprint("demo_rp", __name__, url_prefix=DEMO_RP_PATH)
_ID_TOKEN_ALG = next(s.id_token_alg for s in DEMO_CLIENTS if s.client_id == DEMO_RP_CLIENT)


def _cookie() -> RPCookie:
    store: RPCookie = current_app.extensions["authserver.demo_rp"]
    return store


def _config() -> RPConfig:
    settings = runtime().settings
    saved = read_credentials(settings).get("client_secrets")
    secret = saved.get(DEMO_RP_CLIENT) if isinstance(saved, dict) else None
    if not isinstance(secret, str):
        raise RPError("there are no demo credentials yet: run `authserver demo` "
                      "(`make run` does) and reload this page")
    callback, after_logout = demo_rp_uris(settings)
    return RPConfig(runtime().issuer(DEMO_TENANT), DEMO_RP_CLIENT, secret, callback,
                    after_logout, _ID_TOKEN_ALG)


def _page(state: dict[str, Any], status: int = 200, **context: Any) -> Response:
    state.setdefault("csrf", secrets.token_urlsafe(24))
    html = render_template("demo_rp/index.html", csrf=state["csrf"], email=DEMO_EMAIL,
                           **context)
    response = page_headers(Response(html, status=status, mimetype="text/html"))
    _cookie().save(response, state)
    return response


def _go(url: str, state: dict[str, Any]) -> Response:
    response = redirect(url, 303 if request.method == "POST" else 302)
    response.headers["Cache-Control"] = "no-store"
    _cookie().save(response, state)
    return response


def _check_csrf(state: dict[str, Any]) -> None:
    sent, expected = request.form.get("csrf", ""), str(state.get("csrf", ""))
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise RPError("this form was not sent from the page this browser loaded: reload "
                      "the page and try again")


def _elsewhere() -> Response | None:
    # Cookies are per host name: a browser on localhost while PUBLIC_URL says 127.0.0.1
    # would come back from sign-in without its state, so send it to PUBLIC_URL first.
    public = urlsplit(runtime().settings.public_url)
    if request.host != public.netloc or request.scheme != public.scheme:
        return redirect(demo_rp_url(runtime().settings), 302)
    return None


def _decoded(token: str) -> dict[str, Any]:
    try:
        header, claims, _, _ = parse_unverified(token)
    except JWSError:
        return {"header": {}, "claims": {}}
    return {"header": header, "claims": claims}


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _token_set(tokens: dict[str, Any], id_claims: dict[str, Any]) -> dict[str, Any]:
    return {"id_token": tokens["id_token"], "access_token": tokens["access_token"],
            "refresh_token": tokens.get("refresh_token"), "scope": tokens.get("scope", ""),
            "expires_at": time.time() + int(tokens.get("expires_in", 0)),
            "sub": id_claims["sub"]}


@bp.errorhandler(RPError)
def _refused(exc: RPError) -> Response:
    state = _cookie().load(request)
    state.pop("pending", None)
    status = 502 if isinstance(exc, rp.RPUnreachable) else 400
    return _page(state, status, error=str(exc), panels=None)


@bp.get("/")
def index() -> Response:
    if moved := _elsewhere():
        return moved
    state = _cookie().load(request)
    notice = state.pop("notice", None)
    returned = request.args.get("state")
    if returned:
        expected = state.pop("logout_state", "")
        notice = ("You are signed out of authserver, and the demo RP forgot your tokens."
                  if expected and hmac.compare_digest(returned, expected)
                  else "Ignored a sign-out response this browser did not ask for.")
    tokens = state.get("tokens")
    if not tokens:
        return _page(state, notice=notice, panels=None)
    panels = {"id_token": _decoded(tokens["id_token"]),
              "access_token": _decoded(tokens["access_token"]),
              "expires_at": _when(tokens["expires_at"]), "scope": tokens["scope"],
              "has_refresh_token": bool(tokens.get("refresh_token"))}
    try:
        panels["userinfo"] = rp.userinfo(rp.discover(_config().issuer), tokens["access_token"])
    except RPError as exc:
        panels["userinfo_error"] = str(exc)
    return _page(state, notice=notice, panels=panels, as_json=_pretty)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


@bp.get("/login")
def login() -> Response:
    if moved := _elsewhere():
        return moved
    config = _config()
    meta = rp.discover(config.issuer)
    pending = Pending.new()
    state = _cookie().load(request)
    state["pending"] = dataclasses.asdict(pending)
    return _go(rp.authorization_url(meta, config, pending), state)


@bp.get("/callback")
def callback() -> Response:
    state = _cookie().load(request)
    saved = state.pop("pending", None)
    if not saved or not hmac.compare_digest(request.args.get("state", ""), saved["state"]):
        raise RPError("this sign-in response does not belong to a sign-in this browser "
                      "started (state does not match): start again")
    config = _config()
    if request.args.get("iss") != config.issuer:  # RFC 9207: mix-up defence
        raise RPError("the sign-in response names another issuer")
    if request.args.get("error"):
        state["notice"] = (f"Sign-in did not complete: {request.args['error']}. "
                           f"{request.args.get('error_description', '')}").strip()
        return _go(url=demo_rp_url(runtime().settings), state=state)
    pending = Pending(**saved)
    meta = rp.discover(config.issuer)
    tokens = rp.exchange_code(meta, config, request.args.get("code", ""), pending)
    claims = rp.validate_id_token(meta, config, tokens.get("id_token", ""), now=time.time(),
                                  nonce=pending.nonce, access_token=tokens.get("access_token"))
    state["tokens"] = _token_set(tokens, claims)
    state["notice"] = "Signed in. The ID token's signature and claims were checked."
    return _go(demo_rp_url(runtime().settings), state)


@bp.post("/refresh")
def refresh() -> Response:
    state = _cookie().load(request)
    _check_csrf(state)
    tokens = state.get("tokens") or {}
    if not tokens.get("refresh_token"):
        raise RPError("there is no refresh token to use: sign in first")
    config = _config()
    meta = rp.discover(config.issuer)
    fresh = rp.refresh(meta, config, tokens["refresh_token"])
    claims = {"sub": tokens["sub"]}
    if fresh.get("id_token"):  # OIDC Core §12.2: same iss, sub and aud; no nonce check
        claims = rp.validate_id_token(meta, config, fresh["id_token"], now=time.time(),
                                      nonce=None, access_token=fresh.get("access_token"),
                                      sub=tokens["sub"])
    rotated = fresh.get("refresh_token") not in (None, tokens["refresh_token"])
    state["tokens"] = _token_set({"id_token": tokens["id_token"],
                                  "refresh_token": tokens["refresh_token"], **fresh}, claims)
    state["notice"] = ("Refreshed: a new access token" + (", ID token" if fresh.get("id_token")
                       else "") + (" and refresh token (the old one is now spent)."
                                   if rotated else "."))
    return _go(demo_rp_url(runtime().settings), state)


@bp.post("/logout")
def logout() -> Response:
    state = _cookie().load(request)
    _check_csrf(state)
    tokens = state.get("tokens")
    if not tokens:
        raise RPError("you are not signed in to the demo RP")
    config = _config()
    meta = rp.discover(config.issuer)
    if tokens.get("refresh_token"):
        rp.revoke(meta, config, tokens["refresh_token"])  # RFC 7009: the RP is done with it
    logout_state = secrets.token_urlsafe(24)
    # The tokens are dropped now: the RP is signed out whatever the person does next.
    new_state = {"csrf": state.get("csrf"), "logout_state": logout_state}
    return _go(rp.end_session_url(meta, config, tokens["id_token"], logout_state), new_state)
