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
  await page.getByRole('button', { name: 'Log in' }).click();
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
  await page.getByRole('button', { name: 'Log in' }).click();
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

test('no page scrolls sideways at 320 or 390 px, in any language', async () => {
  addCitizen('2003004005008', 'vera@example.md');
  for (const width of [320, 390]) {
    const page = await (await browser.newContext({ bypassCSP: true, viewport: { width, height: 800 } })).newPage();
    for (const path of ['/login', '/register', '/password/forgot', '/no-such-page']) {
      for (const lang of ['ro', 'ru', 'en']) {
        await page.goto(`${base}${path}?lang=${lang}`);
        await fitsWidth(page, `${width}px ${lang}${path}`);
      }
    }
    await logIn(page, '2003004005008', PASSWORD);
    for (const path of ['/account', '/account/password', '/account/sessions', '/account/two-step',
      '/account/two-step/device?device=android', '/account/two-step/scan']) {
      for (const lang of ['ro', 'ru', 'en']) {
        await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
        await fitsWidth(page, `${width}px ${lang}${path}`);
        if (width === 320) await axe(page, `${width}-${lang}${path}`);
      }
    }
  }
});
