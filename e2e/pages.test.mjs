// Browser tests: the real npass binary, a real Chromium (Debian's), every page of the foundation
// journey checked against WCAG 2.1 A/AA with axe-core, in ro, ru and en.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNpass, launchChromium, totp, confirmationLink, axe, loadedWidth } from './npass.mjs';

let npass, base, dir, browser;

before(async () => {
  npass = await startNpass();
  ({ base, dir } = npass);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  npass?.stop();
});


test('public pages pass WCAG 2.1 AA checks in every language', async () => {
  const page = await (await browser.newContext({ bypassCSP: true })).newPage();
  for (const lang of ['ro', 'ru', 'en']) {
    for (const path of ['/login', '/register', '/no-such-page']) {
      await page.goto(`${base}${path}?lang=${lang}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await axe(page, `${lang}${path}`);
    }
  }
});

test('a citizen registers, activates two-step authentication and logs in with a code, in a real browser', async () => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${base}/register`);
  await page.locator('#national_id').fill('2000000000004');
  await page.locator('#given_name').fill('Ion');
  await page.locator('#family_name').fill('Popescu');
  await page.locator('#birth_date').fill('1990-05-31');
  await page.locator('#email').fill('ion@example.md');
  await page.locator('#password').fill('cerul de deasupra Chisinaului');
  await page.locator('#password_confirm').fill('cerul de deasupra Chisinaului');
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await axe(page, 'en-register-sent');

  await page.goto(await confirmationLink(dir, 'ion@example.md'));
  await axe(page, 'en-confirm');
  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await page.getByText('Your email address is confirmed').waitFor();

  // The session cookie is __Host- and Secure: the browser must keep it on http://localhost.
  await page.locator('#national_id').fill('2000000000004');
  await page.locator('#password').fill('cerul de deasupra Chisinaului');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'My account' }).waitFor();
  await axe(page, 'en-account');

  await page.getByRole('link', { name: 'Set the verification code' }).click();
  await axe(page, 'en-two-step');
  await page.getByRole('link', { name: 'Set the verification code' }).click();
  await axe(page, 'en-device');
  await page.getByRole('link', { name: 'Android' }).click();
  await page.getByRole('link', { name: 'Continue' }).click();
  const qr = page.getByRole('img', { name: /QR code/ });
  await qr.waitFor();
  assert.ok(await loadedWidth(qr) > 100, 'the QR image loads');
  await page.getByText("Can't scan the QR code?").click();
  const secret = await page.locator('#secret').innerText();
  await axe(page, 'en-scan');
  await page.locator('#code').fill(totp(secret));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('The verification code was added successfully.').waitFor();
  assert.equal(await page.locator('.codes li').count(), 10);
  await axe(page, 'en-done');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByText('You have logged out.').waitFor();
  await page.locator('#national_id').fill('2000000000004');
  await page.locator('#password').fill('cerul de deasupra Chisinaului');
  await page.locator('#code').fill(totp(secret, Date.now() + 30_000));
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'My account' }).waitFor();
  assert.ok((await page.content()).includes('substantial'));

  for (const lang of ['ro', 'ru']) {
    await page.goto(`${base}/account/two-step?lang=${lang}`);
    await axe(page, `${lang}-two-step-active`);
    await page.goto(`${base}/account?lang=${lang}`);
    await axe(page, `${lang}-account`);
  }
});
