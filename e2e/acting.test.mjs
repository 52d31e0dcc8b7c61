// Acting for another in a real browser (design note 0019), read by a certified OpenID Connect
// client library (openid-client): a representative logs in for the organisation; a citizen gives
// a mandate from My account, the representative accepts it and logs in for the mandator; an
// e-service that takes no delegated logins never gets one; the mandate ended, the tokens stop
// speaking for the mandator. Pages checked with axe-core (WCAG 2.1 AA) on a 320 px phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { startNpass, launchChromium, cli, axe, fitsWidth, citizenWithTwoStep, setUpTwoStep, eserviceCallback } from './npass.mjs';

const PASSWORD = 'cerul de deasupra Chisinaului';
const ION = '2000000000004';
const MARIA = '2005006007000';
const IDNO = '1003600055556';
let npass, browser, callback, ionPage, mariaPage, social, tax;

const phone = (extra = {}) => browser.newContext({ locale: 'en-GB', viewport: { width: 320, height: 640 }, ...extra });

before(async () => {
  npass = await startNpass();
  browser = await launchChromium();
  callback = await eserviceCallback();
  const add = (name) => cli(npass.dir, ['eservice', 'add', '--name', name, '--redirect-uri', callback.url,
    '--scope', 'openid', '--scope', 'profile']);
  social = add('Social portal');
  tax = add('Tax portal');
  cli(npass.dir, ['eservice', 'contexts', social.client_id, '--mandates', 'true']);
  const t = cli(npass.dir, ['eservice', 'contexts', tax.client_id, '--organizations', 'true']);
  assert.deepEqual(t.contexts, { organizations: true, mandates: false, require: null });
  ionPage = await (await phone()).newPage();
  await citizenWithTwoStep(npass, ionPage, ION, 'ion@example.md');
  cli(npass.dir, ['citizen', 'add', '--national-id', MARIA, '--given-name', 'Maria', '--family-name', 'Ceban',
    '--email', 'maria@example.md', '--language', 'en', '--password-stdin'], PASSWORD + '\n');
  mariaPage = await (await phone()).newPage();
  await setUpTwoStep(npass.base, mariaPage, MARIA);
});

after(async () => {
  await browser?.close();
  callback?.server.close();
  npass?.stop();
});

/** The e-service `es` as openid-client sees it. */
async function rp(es) {
  return client.discovery(new URL(npass.base), es.client_id, { client_secret: es.client_secret },
    client.ClientSecretBasic(es.client_secret), { execute: [client.allowInsecureRequests] });
}

/** Starts a login at `es` in `page` (already logged in to npass); returns what finishing needs. */
async function startLogin(page, config) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: callback.url, scope: 'openid profile', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  await page.goto(url.href);
  return { verifier, state };
}

/** Agrees to share if asked, and redeems the code at the e-service. */
async function finishLogin(page, config, { verifier, state }) {
  const allow = page.getByRole('button', { name: 'Allow', exact: true });
  await Promise.race([allow.waitFor().then(() => allow.click()), page.waitForURL((u) => u.href.startsWith(callback.url))]);
  await page.waitForURL((u) => u.href.startsWith(callback.url));
  const tokens = await client.authorizationCodeGrant(config, new URL(page.url()),
    { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
  const claims = tokens.claims();
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  return { tokens, claims, info };
}

test('a representative logs in for the organisation', async () => {
  cli(npass.dir, ['org', 'add', '--idno', IDNO, '--name', 'Moldcarton SRL', '--admin', ION]);
  await ionPage.goto(`${npass.base}/account/organisations`);
  await ionPage.getByLabel('National identification number', { exact: true }).fill(MARIA);
  await ionPage.getByLabel('Roles in the organisation').fill('accountant');
  await ionPage.getByRole('button', { name: 'Name the representative' }).click();
  await ionPage.getByText('The representative was named.').waitFor();

  const config = await rp(tax);
  const started = await startLogin(mariaPage, config);
  await mariaPage.getByRole('heading', { name: 'Whom are you logging in for?', level: 1 }).waitFor();
  await axe(mariaPage, 'en-context');
  await fitsWidth(mariaPage, 'en-context');
  await mariaPage.getByRole('radio', { name: /Moldcarton SRL \(IDNO 1003600055556\)/ }).check();
  await mariaPage.getByRole('button', { name: 'Continue' }).click();
  const { claims, info } = await finishLogin(mariaPage, config, started);
  const org = { id: `NTRMD-${IDNO}`, number: IDNO, name: 'Moldcarton SRL', roles: ['accountant'] };
  assert.deepEqual(claims.org, org, 'the org claim, read by openid-client');
  assert.deepEqual(claims.act, { sub: claims.sub }, 'the person who acted is the subject');
  assert.deepEqual(info.org, org);
  assert.equal(info.given_name, 'Maria');

  // The chooser in Romanian, remembered: the organisation is ticked.
  const ro = await (await phone({ locale: 'ro-RO', storageState: await mariaPage.context().storageState() })).newPage();
  await startLogin(ro, config);
  await ro.getByRole('heading', { name: 'În numele cui vă autentificați?', level: 1 }).waitFor();
  assert.ok(await ro.getByRole('radio', { name: /Moldcarton SRL/ }).isChecked());
  await axe(ro, 'ro-context');
  await fitsWidth(ro, 'ro-context');
});

test('a citizen gives a mandate, the representative logs in for them, and it ends', async () => {
  const config = await rp(social);
  // Ion's own subject at the Social portal.
  const own = await finishLogin(ionPage, config, await startLogin(ionPage, config));
  assert.equal(own.claims.act, undefined);

  // Ion gives Maria a mandate for the Social portal from My account.
  await ionPage.goto(`${npass.base}/account`);
  await ionPage.getByRole('link', { name: /^Mandates/ }).click();
  await ionPage.getByRole('heading', { name: 'Mandates', level: 1 }).waitFor();
  await axe(ionPage, 'en-mandates');
  await fitsWidth(ionPage, 'en-mandates');
  // Without an e-service: refused at the field.
  const lastDay = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  await ionPage.getByLabel('The national identification number of the person who will act for you').fill(MARIA);
  await ionPage.getByLabel('Last day').fill(lastDay);
  await ionPage.getByRole('button', { name: 'Give the mandate' }).click();
  await ionPage.getByRole('alert').getByText('Choose at least one of the e-services listed.').waitFor();
  await axe(ionPage, 'en-mandates-error');
  assert.equal(await ionPage.getByRole('checkbox', { name: 'Tax portal' }).count(), 0, 'the Tax portal takes no mandates');
  await ionPage.getByRole('checkbox', { name: 'Social portal' }).check();
  await ionPage.getByRole('button', { name: 'Give the mandate' }).click();
  await ionPage.getByText('The mandate was given.').waitFor();
  assert.match(await ionPage.locator('main').innerText(), /Maria Ceban \(2005006007000\) — Social portal/);

  // Maria accepts it.
  await mariaPage.goto(`${npass.base}/account/mandates`);
  await mariaPage.getByRole('button', { name: 'Accept the mandate of Ion Popescu' }).click();
  await mariaPage.getByText('The mandate was accepted').waitFor();
  await axe(mariaPage, 'en-mandates-accepted');

  // She logs in at the Social portal for Ion: the subject is Ion's, she is in act.
  const started = await startLogin(mariaPage, config);
  await mariaPage.getByRole('radio', { name: 'Ion Popescu' }).check();
  await mariaPage.getByRole('button', { name: 'Continue' }).click();
  const { tokens, claims, info } = await finishLogin(mariaPage, config, started);
  assert.equal(claims.sub, own.claims.sub, 'the token is about Ion');
  assert.ok(claims.act?.sub && claims.act.sub !== claims.sub, 'Maria, in act');
  assert.equal(info.given_name, 'Ion');
  assert.deepEqual(info.act, claims.act);

  // The Tax portal takes no delegated logins: Ion is never offered there.
  const taxConfig = await rp(tax);
  const atTax = await startLogin(mariaPage, taxConfig);
  await mariaPage.getByRole('heading', { name: 'Whom are you logging in for?' }).waitFor();
  assert.equal(await mariaPage.getByRole('radio', { name: 'Ion Popescu' }).count(), 0);
  await mariaPage.getByRole('radio', { name: 'For myself' }).check();
  await mariaPage.getByRole('button', { name: 'Continue' }).click();
  const mine = await finishLogin(mariaPage, taxConfig, atTax);
  assert.equal(mine.claims.act, undefined);
  assert.equal(mine.info.given_name, 'Maria');

  // Ion ends it; the access token no longer answers for him, nor does the refresh token.
  await ionPage.goto(`${npass.base}/account/mandates`);
  await ionPage.getByRole('button', { name: 'End the mandate with Maria Ceban' }).click();
  await ionPage.getByText('The mandate was ended.').waitFor();
  await assert.rejects(client.fetchUserInfo(config, tokens.access_token, claims.sub));
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token));
  // And his history says who acted for him.
  await ionPage.goto(`${npass.base}/account`);
  await ionPage.getByText('Someone logged in for you with your mandate').first().waitFor();
});
