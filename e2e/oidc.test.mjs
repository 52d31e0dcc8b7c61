// Interoperability: a certified OpenID Connect client library (openid-client, from npm) logs a
// citizen in to an e-service through npass in a real browser, validates the ID token, reads
// userinfo, and is refused a second redemption of the same code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import * as client from 'openid-client';
import { startNpass, launchChromium, cli, axe } from './npass.mjs';

let npass, browser, callback, callbackUrl, seen;

before(async () => {
  npass = await startNpass();
  browser = await launchChromium();
  seen = [];
  callback = createServer((req, res) => {
    seen.push(req.url);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the e-service');
  });
  await new Promise((r) => callback.listen(0, '127.0.0.1', r));
  callbackUrl = `http://127.0.0.1:${callback.address().port}/cb`;
});

after(async () => {
  await browser?.close();
  callback?.close();
  npass?.stop();
});

test('openid-client: discovery, code + PKCE, ID token validation, userinfo, refresh, revocation, RP-initiated logout', async () => {
  const password = 'cerul de deasupra Chisinaului';
  cli(npass.dir, ['citizen', 'add', '--national-id', '2000000000004', '--given-name', 'Ion', '--family-name', 'Popescu',
    '--email', 'ion@example.md', '--language', 'en', '--password-stdin'], password + '\n');
  const byeUrl = callbackUrl.replace('/cb', '/bye');
  const es = cli(npass.dir, ['eservice', 'add', '--name', 'Tax portal', '--redirect-uri', callbackUrl,
    '--post-logout-redirect-uri', byeUrl, '--scope', 'openid', '--scope', 'profile', '--scope', 'email', '--scope', 'roles']);
  // The operator declares a role and grants it to Ion (design note 0019).
  const roles = cli(npass.dir, ['eservice', 'roles', es.client_id, '--declare', 'taxpayer', '--declare', 'inspector',
    '--grant', '2000000000004=taxpayer']);
  assert.deepEqual(roles.grants.map((g) => g.role), ['taxpayer']);
  assert.ok(es.client_secret.length >= 43, 'a 256-bit secret, shown once');

  const config = await client.discovery(new URL(npass.base), es.client_id,
    { client_secret: es.client_secret, id_token_signed_response_alg: 'ES256' },
    client.ClientSecretBasic(es.client_secret), { execute: [client.allowInsecureRequests] });
  assert.equal(config.serverMetadata().issuer, npass.base);

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl, scope: 'openid profile email roles', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });

  const page = await (await browser.newContext({ locale: 'en-GB', bypassCSP: true })).newPage();
  await page.goto(url.href);
  await page.locator('#national_id').fill('2000000000004');
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'Share your details' }).waitFor();
  assert.ok((await page.content()).includes('Tax portal'));
  await axe(page, 'en-consent');
  await page.getByRole('button', { name: 'Allow', exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(callbackUrl));
  const back = new URL(page.url());
  assert.equal(back.searchParams.get('iss'), npass.base);

  const tokens = await client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  const claims = tokens.claims();
  assert.equal(claims.iss, npass.base);
  assert.equal(claims.aud, es.client_id);
  assert.equal(claims.acr, 'http://eidas.europa.eu/LoA/low');
  assert.deepEqual(claims.amr, ['pwd']);
  assert.notEqual(claims.sub, '2000000000004', 'pairwise subject, not the national identifier');
  assert.deepEqual(claims.roles, ['taxpayer'], 'the roles claim, read by openid-client');

  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.given_name, 'Ion');
  assert.equal(info.family_name, 'Popescu');
  assert.equal(info.email, 'ion@example.md');
  assert.deepEqual(info.roles, ['taxpayer']);

  // Refresh: a new access token and a rotated refresh token; the old refresh token is spent.
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal((await client.fetchUserInfo(config, refreshed.access_token, claims.sub)).given_name, 'Ion');
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token));

  // Revocation (RFC 7009) of a fresh grant's refresh token.
  const page2 = await (await browser.newContext({ locale: 'en-GB' })).newPage();
  const verifier2 = client.randomPKCECodeVerifier();
  const state2 = client.randomState();
  await page2.goto(client.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl, scope: 'openid profile', state: state2,
    code_challenge: await client.calculatePKCECodeChallenge(verifier2), code_challenge_method: 'S256',
  }).href);
  await page2.locator('#national_id').fill('2000000000004');
  await page2.locator('#password').fill(password);
  await page2.getByRole('button', { name: 'Log in', exact: true }).click();
  await page2.waitForURL((u) => u.href.startsWith(callbackUrl));
  const second = await client.authorizationCodeGrant(config, new URL(page2.url()), { pkceCodeVerifier: verifier2, expectedState: state2 });
  await client.tokenRevocation(config, second.refresh_token);
  await assert.rejects(client.refreshTokenGrant(config, second.refresh_token));
  await assert.rejects(client.fetchUserInfo(config, second.access_token, claims.sub));

  // RP-initiated logout: the citizen confirms, npass ends the session and returns with state.
  const endUrl = client.buildEndSessionUrl(config, { id_token_hint: refreshed.id_token ?? tokens.id_token, post_logout_redirect_uri: byeUrl, state: 'bye-state' });
  await page.goto(endUrl.href);
  await page.locator('#main').getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL((u) => u.href.startsWith(byeUrl));
  assert.equal(new URL(page.url()).searchParams.get('state'), 'bye-state');
  await page.goto(`${npass.base}/account`);
  assert.ok(page.url().startsWith(`${npass.base}/login`), 'the npass session has ended');

  await assert.rejects(
    client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }),
    (e) => e.error === 'invalid_grant' || /invalid_grant/.test(String(e.cause?.error ?? e.message)),
  );
  // The replay revoked the tokens of the first redemption.
  await assert.rejects(client.fetchUserInfo(config, refreshed.access_token, claims.sub));
});
