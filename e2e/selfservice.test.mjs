// Browser tests of a citizen's own account: a forgotten password reset by the emailed link,
// changing the password, sessions and devices — on a phone-sized window, every page checked
// against WCAG 2.1 AA; and no page of the citizen's journeys scrolls sideways at 320 or 390 px,
// in any language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNpass, launchChromium, cli, axe, mailLink, fitsWidth } from './npass.mjs';

let npass, base, dir, browser;
const PASSWORD = 'cerul de deasupra Chisinaului';
const NEW_PASSWORD = 'a quiet morning by the Nistru river';
const PHONE = { width: 390, height: 844 };

function addCitizen(nationalId, email) {
  cli(dir, ['citizen', 'add', '--national-id', nationalId, '--given-name', 'Ion', '--family-name', 'Popescu',
    '--email', email, '--language', 'en', '--password-stdin'], PASSWORD + '\n');
}

async function logIn(page, nationalId, password) {
  await page.goto(`${base}/login`);
  await page.locator('#national_id').fill(nationalId);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

before(async () => {
  npass = await startNpass();
  ({ base, dir } = npass);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  npass?.stop();
});

test('a citizen who forgot the password gets a link by email, sets a new one and logs in with it', async () => {
  addCitizen('2000000000004', 'ion@example.md');
  // Logged in elsewhere: the reset will end that session.
  const elsewhere = await (await browser.newContext({ locale: 'en-GB' })).newPage();
  await logIn(elsewhere, '2000000000004', PASSWORD);
  await elsewhere.getByRole('heading', { name: 'My account' }).waitFor();

  const page = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: PHONE })).newPage();
  await page.goto(`${base}/login`);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
  await axe(page, 'en-forgot');
  await fitsWidth(page, 'en-forgot');

  // A mistyped number: the error summary takes the focus and links to the field.
  await page.locator('#national_id').fill('2000000000005');
  await page.getByRole('button', { name: 'Send me the link' }).click();
  const summary = page.getByRole('alert');
  await summary.getByText('There is a problem').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'error-summary');
  assert.equal(await page.locator('#national_id').getAttribute('aria-invalid'), 'true');
  await axe(page, 'en-forgot-error');
  assert.equal(await summary.getByRole('link').getAttribute('href'), '#national_id');

  await page.locator('#national_id').fill('2000000000004');
  await page.getByRole('button', { name: 'Send me the link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await axe(page, 'en-forgot-sent');

  await page.goto(await mailLink(dir, 'ion@example.md', '/password/reset'));
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await axe(page, 'en-reset');
  await fitsWidth(page, 'en-reset');
  await page.locator('#password').fill(NEW_PASSWORD);
  await page.locator('#password_confirm').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Your new password is saved and every session was signed out.').waitFor();

  await elsewhere.goto(`${base}/account`);
  assert.ok(elsewhere.url().startsWith(`${base}/login`), 'the other session ended');

  await page.locator('#national_id').fill('2000000000004');
  await page.locator('#password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'My account' }).waitFor();
  assert.ok((await page.content()).includes('Password reset with an emailed link'));
});

test('a citizen changes the password and signs out another browser from My account', async () => {
  addCitizen('2002003004007', 'ana@example.md');
  const other = await (await browser.newContext({ locale: 'en-GB', userAgent: 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0' })).newPage();
  await logIn(other, '2002003004007', PASSWORD);
  await other.getByRole('heading', { name: 'My account' }).waitFor();

  const page = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: PHONE })).newPage();
  await logIn(page, '2002003004007', PASSWORD);
  await page.getByRole('link', { name: 'See where you are logged in' }).click();
  await page.getByRole('heading', { name: 'Sessions and devices' }).waitFor();
  await axe(page, 'en-sessions');
  await fitsWidth(page, 'en-sessions');
  await page.getByRole('button', { name: 'Sign out Firefox on Android' }).click();
  await page.getByText('That session was signed out.').waitFor();
  await other.goto(`${base}/account`);
  assert.ok(other.url().startsWith(`${base}/login`), 'the phone was signed out');

  await page.goto(`${base}/account`);
  await page.getByRole('link', { name: 'Change your password' }).click();
  await page.getByRole('heading', { name: 'Change your password' }).waitFor();
  await axe(page, 'en-password-change');
  await page.locator('#password').fill(NEW_PASSWORD);
  await page.locator('#password_confirm').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Your new password is saved.').waitFor();
});

test('every page passes WCAG 2.1 AA at 1280 and 390 px in every language, and none scrolls sideways at 320 px', async () => {
  addCitizen('2003004005008', 'vera@example.md');
  const publicPages = ['/login', '/register', '/register/resend', '/password/forgot', '/password/reset?token=gone',
    '/account/two-step/lost', '/help', '/terms', '/privacy', '/accessibility', '/integration', '/no-such-page'];
  const accountPages = ['/account', '/account/password', '/account/sessions', '/account/profile', '/account/delete',
    '/account/two-step', '/account/two-step/device?device=android', '/account/two-step/scan', '/account/passkeys'];
  // An e-service that needs more than a password (its step-up page), and a live reset link.
  const es = cli(dir, ['eservice', 'add', '--name', 'Tax portal', '--redirect-uri', 'https://tax.example.md/cb',
    '--scope', 'openid', '--min-level', 'substantial']);
  const q = new URLSearchParams({ response_type: 'code', client_id: es.client_id, redirect_uri: 'https://tax.example.md/cb',
    scope: 'openid', state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
  const first = await (await browser.newContext({ bypassCSP: true })).newPage();
  await first.goto(`${base}/password/forgot`);
  await first.locator('#national_id').fill('2003004005008');
  await first.locator('#main').getByRole('button').click();
  const reset = new URL(await mailLink(dir, 'vera@example.md', '/password/reset'));
  publicPages.push(`${reset.pathname}${reset.search}`);
  accountPages.push(`/authorize?${q}`);
  for (const width of [320, 390, 1280]) {
    const page = await (await browser.newContext({ bypassCSP: true, viewport: { width, height: 800 } })).newPage();
    const visit = async (path, lang) => {
      await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      // The step-up page and the reset form are the pages meant, not an error instead.
      if (path.startsWith('/authorize')) assert.equal(await page.locator('form[action="/authorize/consent"]').count(), 1);
      if (path.startsWith('/password/reset') && !path.includes('token=gone')) assert.equal(await page.locator('input[name="token"]').count(), 1);
      await fitsWidth(page, `${width}px ${lang}${path}`);
      if (width !== 320) await axe(page, `${width}-${lang}${path}`);
    };
    for (const lang of ['ro', 'ru', 'en']) {
      for (const path of publicPages) await visit(path, lang);
      // A form with an error: the summary, the field in error.
      await page.goto(`${base}/password/forgot?lang=${lang}`);
      await page.locator('#national_id').fill('2000000000005');
      await page.locator('#main form button[type="submit"]').click();
      await page.locator('.error-summary').waitFor();
      await fitsWidth(page, `${width}px ${lang} error summary`);
      if (width !== 320) await axe(page, `${width}-${lang}-error-summary`);
    }
    await logIn(page, '2003004005008', PASSWORD);
    for (const lang of ['ro', 'ru', 'en']) {
      for (const path of accountPages) await visit(path, lang);
    }
  }
});

test('a citizen moves the account to a new email address, then deletes it, in Romanian', async () => {
  addCitizen('2000000000015', 'dan@example.md');
  const page = await (await browser.newContext({ bypassCSP: true, locale: 'ro-MD', viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${base}/login`);
  await page.locator('#national_id').fill('2000000000015');
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Autentificare', exact: true }).click();
  await page.getByRole('link', { name: 'Schimbați telefonul, adresa de e-mail sau limba' }).click();
  await axe(page, 'ro-profile');
  await page.locator('#email').fill('dan.nou@example.md');
  await page.getByRole('button', { name: 'Trimiteți linkul la adresa nouă' }).click();
  await page.getByRole('heading', { name: 'Verificați e-mailul' }).waitFor();
  await page.goto(await mailLink(dir, 'dan.nou@example.md', '/account/email/confirm'));
  await axe(page, 'ro-email-confirm');
  await page.getByRole('button', { name: 'Folosiți această adresă' }).click();
  await page.getByText('Adresa de e-mail nouă a fost salvată.').waitFor();
  assert.ok((await page.content()).includes('dan.nou@example.md'));

  await page.getByRole('link', { name: 'Ștergeți contul' }).click();
  await axe(page, 'ro-delete');
  await page.getByRole('button', { name: 'Ștergeți contul meu' }).click();
  await page.getByText('Contul a fost șters.').waitFor();
  await page.goto(`${base}/account`);
  assert.ok(page.url().startsWith(`${base}/login`), 'logged out for good');
});
