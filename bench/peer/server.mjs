// The peer for the load harness: oidc-provider (the certified reference provider), configured
// like npass for the measured workloads: one confidential client (client_secret_basic), code +
// PKCE, ES256 ID tokens, rotating refresh tokens, and its built-in development login/consent
// pages for the browser-less login flow. Tokens live in its in-memory adapter.
// Usage: node server.mjs PORT   (prints "listening" when ready)
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 0);
const issuer = `http://127.0.0.1:${port}`;
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench',
    client_secret: 'bench-secret-bench-secret-bench-secret-123',
    redirect_uris: ['http://127.0.0.1:9/cb'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [{ ...key, kid: 'peer-1', alg: 'ES256', use: 'sig' }] },
  pkce: { required: () => true },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: { openid: ['sub'], profile: ['given_name', 'family_name'], email: ['email'] },
  features: { devInteractions: { enabled: true } },
  issueRefreshToken: async () => true,
  rotateRefreshToken: true,
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, given_name: 'Ion', family_name: 'Popescu', email: `${id}@example.md` }),
  }),
});
provider.on('server_error', (ctx, err) => console.error(err));
const server = provider.listen(port, '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
