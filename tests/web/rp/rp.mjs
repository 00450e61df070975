// Independent relying party for the end-to-end browser test, built on openid-client 5
// (panva; an OpenID Foundation certified RP library), so nothing of authserver's own
// stack (Authlib) judges authserver's responses.
//
// Environment: RP_ISSUER, RP_CLIENT_ID, RP_CLIENT_SECRET, RP_PORT; RP_LISTEN_FD, when set,
// is a listening socket on RP_PORT inherited from the test (so the port is never free
// for another process to take between choosing it and serving on it).
// GET /login[?prompt=none][&acr_values=2]  starts an authorization code flow: fresh state, nonce and
//                           PKCE S256 verifier, then a 302 to the authorization endpoint.
// GET /callback             openid-client checks the response (state, iss), exchanges the
//                           code with client_secret_basic and the PKCE verifier, validates
//                           the ID token (signature against the JWKS, iss, aud, azp, exp,
//                           iat, nonce, at_hash) and calls userinfo; the outcome is shown as
//                           JSON in <pre id="result"> (status 200, or 400 with an error).
// Prints one JSON line {"ready": ...} on stdout once discovery has succeeded.
// RP_REGISTER=1 (instead of RP_CLIENT_ID/RP_CLIENT_SECRET): the RP registers itself at the
// discovered registration_endpoint (RFC 7591; Bearer RP_INITIAL_ACCESS_TOKEN when set) as
// a native app on its loopback redirect URI, reads its registration back (RFC 7592,
// Client.fromUri) and reports the registered client_id in the ready line.
import http from 'node:http';
import { Issuer, generators } from 'openid-client';

const { RP_ISSUER, RP_CLIENT_ID, RP_CLIENT_SECRET, RP_PORT, RP_LISTEN_FD, RP_REGISTER,
  RP_INITIAL_ACCESS_TOKEN } = process.env;
const redirectUri = `http://127.0.0.1:${RP_PORT}/callback`;

// Discovery: {issuer}/.well-known/openid-configuration; openid-client checks that the
// document's issuer is the one asked for.
const issuer = await Issuer.discover(RP_ISSUER);
if (issuer.issuer !== RP_ISSUER) throw new Error(`discovered issuer ${issuer.issuer}`);
const metadata = {
  redirect_uris: [redirectUri],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'RS256',
};
let registration = null;
let client;
if (RP_REGISTER) {
  // Loopback http redirect URIs are for native apps (RFC 8252 §7.3).
  client = await issuer.Client.register(
    { ...metadata, application_type: 'native', client_name: 'openid-client RP',
      grant_types: ['authorization_code'] },
    RP_INITIAL_ACCESS_TOKEN ? { initialAccessToken: RP_INITIAL_ACCESS_TOKEN } : {});
  const readBack = await issuer.Client.fromUri(client.registration_client_uri,
                                               client.registration_access_token);
  registration = { client_id: client.client_id, read_back_client_id: readBack.client_id,
    read_back_redirect_uris: readBack.redirect_uris,
    has_secret: Boolean(client.client_secret) };
} else {
  client = new issuer.Client({ ...metadata, client_id: RP_CLIENT_ID,
                               client_secret: RP_CLIENT_SECRET });
}
const pending = new Map(); // state -> { nonce, codeVerifier }

function escapeHtml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function reply(res, status, body) {
  const json = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><title>RP</title><pre id="result">${escapeHtml(json)}</pre>`);
  console.log(JSON.stringify({ event: 'reply', status, body }));
}

function decodeHeader(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
}

async function login(req, res, url) {
  const state = generators.state();
  const nonce = generators.nonce();
  const codeVerifier = generators.codeVerifier();
  pending.set(state, { nonce, codeVerifier });
  const params = {
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: generators.codeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  };
  const prompt = url.searchParams.get('prompt');
  if (prompt) params.prompt = prompt;
  const acrValues = url.searchParams.get('acr_values');
  if (acrValues) params.acr_values = acrValues;
  res.writeHead(302, { Location: client.authorizationUrl(params), 'Cache-Control': 'no-store' });
  res.end();
}

async function callback(req, res) {
  const params = client.callbackParams(req);
  const flow = pending.get(params.state);
  if (!flow) return reply(res, 400, { error: 'unknown_state', params });
  pending.delete(params.state);
  const tokenSet = await client.callback(redirectUri, params, {
    response_type: 'code',
    state: params.state,
    nonce: flow.nonce,
    code_verifier: flow.codeVerifier,
  });
  // Passing the TokenSet makes openid-client check userinfo's sub against the ID token's.
  const userinfo = await client.userinfo(tokenSet);
  return reply(res, 200, {
    callback_params: Object.keys(params).sort(),
    iss_param: params.iss,
    nonce: flow.nonce,
    claims: tokenSet.claims(),
    id_token: tokenSet.id_token,
    id_token_header: decodeHeader(tokenSet.id_token),
    access_token: tokenSet.access_token,
    token_type: tokenSet.token_type,
    scope: tokenSet.scope,
    expires_in: tokenSet.expires_in,
    userinfo,
  });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${RP_PORT}`);
  try {
    if (url.pathname === '/login') return await login(req, res, url);
    if (url.pathname === '/callback') return await callback(req, res);
    return reply(res, 404, { error: 'not_found' });
  } catch (err) {
    return reply(res, 400, {
      error: err.error || err.name,
      message: err.message,
      error_description: err.error_description,
    });
  }
});
const listenOn = RP_LISTEN_FD ? [{ fd: Number(RP_LISTEN_FD) }] : [Number(RP_PORT), '127.0.0.1'];
server.listen(...listenOn, () => {
  console.log(JSON.stringify({ ready: true, issuer: issuer.issuer, redirect_uri: redirectUri,
    registration,
    authorization_response_iss_parameter_supported:
      issuer.authorization_response_iss_parameter_supported }));
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
