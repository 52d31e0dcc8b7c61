// Browser tests of the places citizens got trapped: registering from an e-service and coming
// back to it (on a phone, in Romanian), reaching the level an e-service needs without two-step
// authentication (in Russian), a registration whose link was lost (in English), a code that was
// just used, and the show-password button. Every page is checked against WCAG 2.1 AA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startNpass, launchChromium, cli, axe, mailLink, fitsWidth, totp, eserviceCallback } from './npass.mjs';

let npass, base, dir, browser, callback, callbackUrl;
const PASSWORD = 'cerul de deasupra Chisinaului';

before(async () => {
  npass = await startNpass();
  ({ base, dir } = npass);
  browser = await launchChromium();
  ({ server: callback, url: callbackUrl } = await eserviceCallback());
});

after(async () => {
  await browser?.close();
  callback?.close();
  npass?.stop();
});

/** An authorization request of e-service `es` for the browser to open. */
function authorizeUrl(es) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: es.client_id, redirect_uri: callbackUrl, scope: 'openid profile',
    state: 'st-1', nonce: 'n-1', code_challenge: challenge, code_challenge_method: 'S256',
  });
  return `${base}/authorize?${q}`;
}

test('registering from an e-service comes back to it, on a phone, in Romanian', async () => {
  const es = cli(dir, ['eservice', 'add', '--name', 'Portalul fiscal', '--redirect-uri', callbackUrl,
    '--scope', 'openid', '--scope', 'profile']);
  const page = await (await browser.newContext({ bypassCSP: true, locale: 'ro-MD', viewport: { width: 390, height: 844 } })).newPage();
  await page.goto(authorizeUrl(es));
  await page.getByRole('link', { name: 'Creați un cont' }).click();
  await page.locator('#national_id').fill('2000000000004');
  await page.locator('#given_name').fill('Ion');
  await page.locator('#family_name').fill('Popescu');
  await page.locator('#birth_date').fill('1990-05-31');
  await page.locator('#email').fill('ion@example.md');
  await page.locator('#phone').fill('069 123 456');
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#password_confirm').fill(PASSWORD);
  await axe(page, 'ro-register-from-eservice');
  await fitsWidth(page, 'ro-register-from-eservice');
  await page.getByRole('button', { name: 'Înregistrare' }).click();
  await page.getByRole('heading', { name: 'Verificați e-mailul' }).waitFor();

  await page.goto(await mailLink(dir, 'ion@example.md', '/register/confirm'));
  await page.locator('#main').getByRole('button').click();
  await page.getByText('Adresa de e-mail este confirmată').waitFor();
  await page.locator('#national_id').fill('2000000000004');
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Autentificare', exact: true }).click();
  await page.getByRole('heading', { name: 'Transmiterea datelor' }).waitFor();
  await axe(page, 'ro-consent-after-registration');
  await page.getByRole('button', { name: 'Permit', exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(callbackUrl));
  assert.ok(new URL(page.url()).searchParams.get('code'), 'back at the e-service with a code');
});

test('a citizen without two-step reaches the level an e-service needs and goes on to it, in Russian', async () => {
  cli(dir, ['citizen', 'add', '--national-id', '2002003004007', '--given-name', 'Ana', '--family-name', 'Rusu',
    '--email', 'ana@example.md', '--language', 'ru', '--password-stdin'], PASSWORD + '\n');
  const es = cli(dir, ['eservice', 'add', '--name', 'Налоговый портал', '--redirect-uri', callbackUrl,
    '--scope', 'openid', '--scope', 'profile', '--min-level', 'substantial']);
  const page = await (await browser.newContext({ bypassCSP: true, locale: 'ru-RU', viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(authorizeUrl(es));
  await page.locator('#national_id').fill('2002003004007');
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Войти', exact: true }).click();
  await page.getByRole('heading', { name: 'Нужен более надёжный вход' }).waitFor();
  assert.ok((await page.content()).includes('Налоговый портал'));
  await axe(page, 'ru-step-up');

  await page.getByRole('link', { name: 'Настроить код подтверждения' }).click();
  await page.getByRole('link', { name: 'Настроить код подтверждения' }).click();
  await page.getByRole('link', { name: 'Android' }).click();
  await page.getByRole('link', { name: 'Продолжить' }).click();
  await page.locator('summary').click();
  const secret = await page.locator('#secret').innerText();
  await page.locator('#code').fill(totp(secret));
  await page.getByRole('button', { name: 'Подтвердить' }).click();
  await page.getByRole('link', { name: 'Войти с кодом и продолжить' }).click();
  await axe(page, 'ru-login-after-two-step');
  await page.locator('#national_id').fill('2002003004007');
  await page.locator('#password').fill(PASSWORD);
  // The next step's code, kept: the same code is tried again below, whatever the clock did.
  const code = totp(secret, Date.now() + 30_000);
  await page.locator('#code').fill(code);
  await page.getByRole('button', { name: 'Войти', exact: true }).click();
  await page.getByRole('button', { name: 'Разрешить' }).click();
  await page.waitForURL((u) => u.href.startsWith(callbackUrl));
  assert.ok(new URL(page.url()).searchParams.get('code'));

  // The same code once more: the page says it was used, not "something is wrong".
  const again = await (await browser.newContext({ bypassCSP: true, locale: 'ru-RU' })).newPage();
  await again.goto(`${base}/login`);
  await again.locator('#national_id').fill('2002003004007');
  await again.locator('#password').fill(PASSWORD);
  await again.locator('#code').fill(code);
  await again.getByRole('button', { name: 'Войти', exact: true }).click();
  await again.getByText('Этот код уже использован').first().waitFor();
  await axe(again, 'ru-code-used');
});

test('a lost confirmation link is sent again, and the password can be shown while typing', async () => {
  const page = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${base}/register`);
  await page.locator('#national_id').fill('2003004005008');
  await page.locator('#given_name').fill('Vera');
  await page.locator('#family_name').fill('Ciobanu');
  await page.locator('#birth_date').fill('1985-02-01');
  await page.locator('#email').fill('vera@example.md');
  await page.locator('#password').fill(PASSWORD);
  // Show password: a button beside the field, which says whether it is pressed.
  const toggle = page.getByRole('button', { name: 'Show password' }).first();
  await toggle.click();
  assert.equal(await page.locator('#password').getAttribute('type'), 'text');
  assert.equal(await page.getByRole('button', { name: 'Hide password' }).first().getAttribute('aria-pressed'), 'true');
  await page.locator('#password_confirm').fill(PASSWORD);
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await page.getByRole('link', { name: 'Send the confirmation link again' }).click();
  await axe(page, 'en-resend');
  await page.locator('#national_id').fill('2003004005008');
  await page.getByRole('button', { name: 'Send the link again' }).click();
  await page.getByText('we have sent a new link').waitFor();
  await page.goto(await mailLink(dir, 'vera@example.md', '/register/confirm'));
  await page.locator('#main').getByRole('button').click();
  await page.getByText('Your email address is confirmed').waitFor();
});
