// node-oidc-provider baseline for bench/run.py: ONE process, client_credentials with
// client_secret_basic, resource indicators on so the token is a JWT access token: ES256
// for resource https://api.example.com (the default), RS256 for
// https://api-rs256.example.com (the "cc RS256" scenario selects it with `resource`).
//
//   node bench/node/server.mjs PORT CLIENT_ID CLIENT_SECRET
//
// oidc-provider is resolved from bench/.node/node_modules (installed by bench/run.py).
// Prints "listening <issuer>" on stdout once ready.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '.node', 'package.json'));
const { default: Provider } = await import(pathToFileURL(require.resolve('oidc-provider')).href);

const [port = '9201', clientId = 'bench-service', clientSecret = 'bench-secret'] =
  process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  .export({ format: 'jwk' });
// An RSA key too: ID tokens default to RS256, and RS256 access tokens use it.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  .export({ format: 'jwk' });

const SCOPE = 'stores:read stores:write';
const RS256_RESOURCE = 'https://api-rs256.example.com';

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: SCOPE,
  }],
  jwks: { keys: [{ ...ec, kid: 'es256', alg: 'ES256', use: 'sig' },
                 { ...rsa, kid: 'rs256', alg: 'RS256', use: 'sig' }] },
  scopes: ['openid', 'offline_access', 'stores:read', 'stores:write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://api.example.com',
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => ({
        scope: SCOPE,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: resourceIndicator === RS256_RESOURCE ? 'RS256' : 'ES256' } },
      }),
    },
  },
  ttl: { ClientCredentials: 600 },
});
provider.proxy = false;

const server = createServer(provider.callback());
server.keepAliveTimeout = 30_000;
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
