// A single-page app with no library: authorization code + PKCE S256, then fetch() against
// authserver on another origin (token, userinfo, JWKS, refresh, revocation). Results go to
// #result as JSON for the test to assert; a failed fetch is recorded, not thrown, so the
// test sees which call the browser blocked.
"use strict";

const config = JSON.parse(document.getElementById("config").textContent);
const out = document.getElementById("result");

function b64url(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text) {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function random(n) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

async function call(url, init) {
  // What the page may read of a cross-origin answer; a CORS refusal is a TypeError.
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
    return {status: response.status, body,
            www_authenticate: response.headers.get("WWW-Authenticate")};
  } catch (error) {
    return {blocked: String(error)};
  }
}

async function metadata() {
  return (await call(`${config.issuer}/.well-known/openid-configuration`)).body;
}

async function start() {
  const meta = await metadata();
  const verifier = random(32);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const state = random(16);
  const nonce = random(16);
  sessionStorage.setItem("flow", JSON.stringify({verifier, state, nonce}));
  const query = new URLSearchParams({
    response_type: "code", client_id: config.client_id, redirect_uri: config.redirect_uri,
    scope: "openid profile email", state, nonce,
    code_challenge: b64url(digest), code_challenge_method: "S256"});
  location.assign(`${meta.authorization_endpoint}?${query}`);
}

async function verifyIdToken(idToken, jwks) {
  // The ID token's RS256 signature, checked with WebCrypto against the fetched JWKS.
  const [head, payload, signature] = idToken.split(".");
  const header = JSON.parse(new TextDecoder().decode(fromB64url(head)));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  const key = await crypto.subtle.importKey(
      "jwk", {kty: jwk.kty, n: jwk.n, e: jwk.e, alg: "RS256", ext: true},
      {name: "RSASSA-PKCS1-v1_5", hash: "SHA-256"}, false, ["verify"]);
  const valid = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5", key, fromB64url(signature),
      new TextEncoder().encode(`${head}.${payload}`));
  return {valid, alg: header.alg,
          claims: JSON.parse(new TextDecoder().decode(fromB64url(payload)))};
}

function form(fields) {
  // URLSearchParams as the body: Content-Type application/x-www-form-urlencoded, a
  // "simple" request, so the token endpoint gets no preflight.
  return {method: "POST", body: new URLSearchParams(fields)};
}

async function callback() {
  const params = Object.fromEntries(new URLSearchParams(location.search));
  const flow = JSON.parse(sessionStorage.getItem("flow"));
  const meta = await metadata();
  const result = {params, state_ok: params.state === flow.state, nonce: flow.nonce};
  const token = await call(meta.token_endpoint, form({
    grant_type: "authorization_code", code: params.code, redirect_uri: config.redirect_uri,
    client_id: config.client_id, code_verifier: flow.verifier}));
  result.token = token;
  const access = token.body && token.body.access_token;
  if (!access) {  // nothing more to try; the test reports what the exchange answered
    out.textContent = JSON.stringify(result);
    return;
  }
  // An Authorization header is not "simple": the browser sends a preflight first.
  result.userinfo = await call(meta.userinfo_endpoint,
                               {headers: {Authorization: `Bearer ${access}`}});
  result.userinfo_without_token = await call(meta.userinfo_endpoint,
                                             {headers: {Authorization: "Bearer nope"}});
  const jwks = await call(meta.jwks_uri);
  const keys = (jwks.body && jwks.body.keys) || [];
  result.jwks = {status: jwks.status, blocked: jwks.blocked, kids: keys.map((k) => k.kid)};
  result.id_token = keys.length ? await verifyIdToken(token.body.id_token, jwks.body) : null;
  const refreshed = await call(meta.token_endpoint, form({
    grant_type: "refresh_token", refresh_token: token.body.refresh_token,
    client_id: config.client_id}));
  result.refresh = refreshed;
  result.revocation = await call(meta.revocation_endpoint, form({
    token: (refreshed.body || {}).refresh_token, client_id: config.client_id}));
  result.refresh_after_revocation = await call(meta.token_endpoint, form({
    grant_type: "refresh_token", refresh_token: (refreshed.body || {}).refresh_token,
    client_id: config.client_id}));
  result.replayed_code = await call(meta.token_endpoint, form({
    grant_type: "authorization_code", code: params.code, redirect_uri: config.redirect_uri,
    client_id: config.client_id, code_verifier: flow.verifier}));
  // Introspection is for resource servers: the browser must not let the page read it.
  result.introspection = await call(meta.introspection_endpoint, form({token: access}));
  out.textContent = JSON.stringify(result);
}

async function probe() {
  // The same page served from an origin no client registered: nothing may be readable.
  const issuer = config.issuer;
  out.textContent = JSON.stringify({
    discovery: await call(`${issuer}/.well-known/openid-configuration`),
    jwks: await call(`${issuer}/jwks`),
    token: await call(`${issuer}/token`, form({grant_type: "refresh_token",
                                               refresh_token: "x", client_id: config.client_id})),
    userinfo: await call(`${issuer}/userinfo`, {headers: {Authorization: "Bearer x"}}),
  });
}

const pages = {"/callback": callback, "/probe": probe};
(pages[location.pathname] || start)().catch((error) => {
  out.textContent = JSON.stringify({error: String(error), stack: error.stack});
});
