// Browser tests of passkeys with Chromium's own WebAuthn stack and its DevTools virtual
// authenticators: a phone-like platform authenticator (CTAP2, internal, resident keys, user
// verification) and a USB security key. Registration from My account, passwordless login by
// the button and by autofill (conditional mediation), the passkey as the step after the
// password, step-up from an e-service, and removal; pages checked against WCAG 2.1 AA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  startNpass, launchChromium, cli, axe, fitsWidth, eserviceCallback, pageWithAuthenticator, credentials,
  citizenWithTwoStep, setUpTwoStep, addPasskey,
} from './npass.mjs';

let npass, base, dir, browser, callback, callbackUrl;
const PASSWORD = 'cerul de deasupra Chisinaului';
const PHONE = { width: 390, height: 844 };

before(async () => {
  npass = await startNpass();
  ({ base, dir } = npass);
  assert.match(base, /^http:\/\/localhost:\d+$/, 'passkeys need a host name');
  browser = await launchChromium();
  ({ server: callback, url: callbackUrl } = await eserviceCallback());
});

after(async () => {
  await browser?.close();
  callback?.close();
  npass?.stop();
});

test('a passkey is added from My account and logs in without a password, by the button and by autofill', async () => {
  const a = await pageWithAuthenticator(browser, 'platform');
  const { page } = a;
  // This browser offers no autofill for passkeys (as some do not): the button is the way.
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await citizenWithTwoStep(npass, page, '2000000000004', 'ion@example.md');
  await page.getByRole('link', { name: 'Manage passkeys' }).click();
  await page.getByRole('heading', { name: 'Passkeys', exact: true }).waitFor();
  await axe(page, 'en-passkeys-empty');
  await addPasskey(base, page, 'My phone');
  assert.ok((await page.content()).includes('My phone'));
  await axe(page, 'en-passkeys-one');
  await fitsWidth(page, 'en-passkeys-one');
  const [cred] = await credentials(a);
  assert.ok(cred.isResidentCredential, 'a discoverable credential');
  // The list with a passkey, in every language and width.
  for (const width of [320, 390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    for (const lang of ['ro', 'ru', 'en']) {
      await page.goto(`${base}/account/passkeys?lang=${lang}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal(await page.locator('form[action="/account/passkeys/rename"]').count(), 1);
      await fitsWidth(page, `${width}px ${lang} passkeys`);
      if (width !== 320) await axe(page, `${width}-${lang}-passkeys`);
    }
  }
  await page.setViewportSize(PHONE);
  await page.goto(`${base}/account?lang=en`);

  // Logged out, the login page offers the passkey; the button logs in with no password.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByText('You have logged out.').waitFor();
  assert.equal(await page.locator('#national_id').getAttribute('autocomplete'), 'username webauthn');
  await axe(page, 'en-login-with-passkey');
  await page.getByRole('button', { name: 'Log in with a passkey' }).click();
  await page.getByRole('heading', { name: 'My account' }).waitFor();
  assert.ok((await page.content()).includes('substantial'));
  assert.ok((await credentials(a))[0].signCount > cred.signCount, 'the authenticator signed');

  // Autofill: opening the login page starts a conditional request on the identifier field;
  // the virtual authenticator answers it as a citizen picking the suggestion would.
  const other = await pageWithAuthenticator(browser, 'platform');
  await other.cdp.send('WebAuthn.addCredential', { authenticatorId: other.authenticatorId, credential: (await credentials(a))[0] });
  const before = (await credentials(other))[0].signCount;
  await other.page.goto(`${base}/login`);
  await other.page.getByRole('heading', { name: 'My account' }).waitFor();
  assert.ok((await credentials(other))[0].signCount > before, 'logged in by the passkey');
});

test('a security key is the step after the password, then it is removed', async () => {
  const a = await pageWithAuthenticator(browser, 'usb-key');
  const { page } = a;
  await citizenWithTwoStep(npass, page, '2002003004007', 'ana@example.md');
  await addPasskey(base, page, 'Work key');
  const [cred] = await credentials(a);
  assert.equal(cred.isResidentCredential, false, 'the key keeps no discoverable credential');

  // The password with the code left empty asks for the key.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.locator('#national_id').fill('2002003004007');
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'Confirm with your passkey' }).waitFor();
  await axe(page, 'en-passkey-step');
  await fitsWidth(page, 'en-passkey-step');
  await page.getByRole('button', { name: 'Use my passkey' }).click();
  await page.getByRole('heading', { name: 'My account' }).waitFor();

  // Removed: the citizen is told, and the password with the code logs in as before.
  await page.goto(`${base}/account/passkeys`);
  await page.getByRole('button', { name: 'Remove "Work key"' }).click();
  await page.getByText('The passkey is removed.').waitFor();
  assert.ok(!(await page.content()).includes('Work key"'));
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.locator('#national_id').fill('2002003004007');
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByText('The identification number, the password or the verification code is wrong.').waitFor();
});

test('a browser still at level low steps up with a passkey for an e-service, in Romanian', async () => {
  const es = cli(dir, ['eservice', 'add', '--name', 'Portalul fiscal', '--redirect-uri', callbackUrl,
    '--scope', 'openid', '--scope', 'profile', '--min-level', 'substantial']);
  cli(dir, ['citizen', 'add', '--national-id', '2001001001005', '--given-name', 'Maria', '--family-name', 'Ciobanu',
    '--email', 'maria@example.md', '--language', 'ro', '--password-stdin'], PASSWORD + '\n');
  // This browser logged in with the password alone, before two-step existed (level low).
  const low = await pageWithAuthenticator(browser, 'platform', { locale: 'ro-MD' });
  await low.page.goto(`${base}/login`);
  await low.page.locator('#national_id').fill('2001001001005');
  await low.page.locator('#password').fill(PASSWORD);
  await low.page.getByRole('button', { name: 'Autentificare', exact: true }).click();
  await low.page.getByRole('heading', { name: 'Contul meu' }).waitFor();

  // Meanwhile, on another device, two-step and a passkey (synced to this one's authenticator).
  const phone = await pageWithAuthenticator(browser, 'platform');
  await setUpTwoStep(base, phone.page, '2001001001005');
  await addPasskey(base, phone.page, 'Telefonul meu');
  await low.cdp.send('WebAuthn.addCredential', { authenticatorId: low.authenticatorId, credential: (await credentials(phone))[0] });

  // The e-service needs substantial: the step-up page offers the passkey, which reaches it.
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: es.client_id, redirect_uri: callbackUrl, scope: 'openid profile',
    state: 'st-1', nonce: 'n-1', code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  await low.page.goto(`${base}/authorize?${q}`);
  await low.page.getByRole('heading', { name: 'Este necesară o autentificare mai puternică' }).waitFor();
  await axe(low.page, 'ro-step-up-passkey');
  await low.page.locator('#main').getByRole('button', { name: 'Autentificare cu o cheie de acces' }).click();
  await low.page.getByRole('button', { name: 'Permit', exact: true }).click();
  await low.page.waitForURL(/\/cb\?code=/);
  const code = new URL(low.page.url()).searchParams.get('code');
  // The e-service's tokens say how the citizen logged in: substantial, by a passkey.
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${es.client_id}:${es.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callbackUrl, code_verifier: verifier }),
  });
  assert.equal(res.status, 200);
  const claims = JSON.parse(Buffer.from((await res.json()).id_token.split('.')[1], 'base64url').toString());
  assert.equal(claims.acr, 'http://eidas.europa.eu/LoA/substantial');
  for (const m of ['swk', 'user', 'mfa']) assert.ok(claims.amr.includes(m), `amr ${claims.amr} has ${m}`);
  assert.ok(!claims.amr.includes('pwd'), 'no password was used');
});
