// Browser tests of the npass app (design note 0015): the installable web app under /app/ on a
// phone (390 px, a virtual authenticator with user verification) beside a computer. The
// manifest and service worker, the app login and device enrolment, the lock, a QR login the
// device approves, and the device revoked from the computer. Every view under axe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startNpass, launchChromium, axe, fitsWidth, pageWithAuthenticator, citizenWithTwoStep, credentials, totp, y4mOf, loadedWidth,
} from './npass.mjs';

let npass, base, browser;
// What the phone's camera sees: Chromium's fake capture device plays this file, rewritten with
// the computer's code before the app scans.
const camera = join(mkdtempSync(join(tmpdir(), 'npass-camera-')), 'camera.y4m');

before(async () => {
  npass = await startNpass();
  ({ base } = npass);
  writeFileSync(camera, y4mOf(Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010800000000'
    + '3a7e9b550000000a49444154789c63f80f00010101001b00d8b40000000049454e44ae426082', 'hex')));
  browser = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${camera}`]);
});

after(async () => {
  await browser?.close();
  npass?.stop();
});

const PASSWORD = 'cerul de deasupra Chisinaului';

/** A code from a step no login has used yet: the set-up spent the current one and the next. */
async function freshCode(secret, spentUntil) {
  const step = (t) => Math.floor(t / 30_000);
  while (step(Date.now()) < step(spentUntil)) await new Promise((r) => setTimeout(r, 250));
  return totp(secret, Date.now() + 30_000);
}

/** Width and height from a PNG's header. */
function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString(), 'PNG');
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

test('the app page fits a 320 px phone and passes axe in every language', async () => {
  const page = await (await browser.newContext({ bypassCSP: true, viewport: { width: 320, height: 640 } })).newPage();
  for (const lang of ['ro', 'ru', 'en']) {
    await page.goto(`${base}/app/?lang=${lang}`);
    await page.locator('[data-view="login"]').waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    await axe(page, `${lang}-app-login`);
    await fitsWidth(page, `${lang}-app-login`);
  }
});

test('a phone installs the app, enrols as a device, approves a QR login and is revoked', async () => {
  const computer = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 1280, height: 900 } })).newPage();
  const secret = await citizenWithTwoStep(npass, computer, '2000000000004', 'ion@example.md');
  const spentUntil = Date.now() + 30_000;

  // Installable: a manifest with a standalone display, the app's scope and its icons, and a
  // service worker controlling /app/.
  const phone = await pageWithAuthenticator(browser, 'platform');
  const p = phone.page;
  await p.goto(`${base}/app/`);
  const href = await p.locator('link[rel="manifest"]').getAttribute('href');
  const manifest = await (await p.request.get(new URL(href, base).href)).json();
  assert.equal(manifest.display, 'standalone');
  assert.equal(manifest.start_url, '/app/');
  assert.equal(manifest.scope, '/app/');
  assert.equal(manifest.name, 'npass app');
  for (const want of ['192x192', '512x512']) {
    const icon = manifest.icons.find((i) => i.sizes === want);
    const res = await p.request.get(new URL(icon.src, base).href);
    assert.equal(res.headers()['content-type'], 'image/png');
    assert.deepEqual(pngSize(await res.body()).join('x'), want);
  }
  assert.ok(manifest.icons.some((i) => i.purpose === 'maskable'));
  const scope = await p.evaluate(() => navigator.serviceWorker.ready.then((r) => r.scope));
  assert.equal(scope, `${base}/app/`);

  // App login (national ID, password, code), then the phone's own key becomes the device.
  await p.locator('#app-national-id').fill('2000000000004');
  await p.locator('#app-password').fill(PASSWORD);
  await p.locator('#app-code').fill(await freshCode(secret, spentUntil));
  await axe(p, 'en-app-login');
  await p.getByRole('button', { name: 'Log in', exact: true }).click();
  await p.getByRole('heading', { name: 'Make this phone your device' }).waitFor();
  await axe(p, 'en-app-enrol');
  await p.locator('#app-device-name').fill("Ion's phone");
  await p.getByRole('button', { name: 'Add this phone' }).click();
  await p.getByRole('heading', { name: 'Your details' }).waitFor();
  await p.getByText("Ion's phone (this device)").waitFor();
  assert.equal(await p.locator('[data-field="national_id"]').innerText(), '2000000000004');
  assert.equal((await credentials(phone)).length, 1, 'one key on the phone: the device');
  await axe(p, 'en-app-home');
  await fitsWidth(p, 'en-app-home');

  // A picture (any PNG: here the app's own icon), re-encoded by npass and shown back.
  const icon = await (await p.request.get(`${base}/app/icon-192.png`)).body();
  await p.locator('#app-picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: icon });
  await p.getByRole('button', { name: 'Save the picture' }).click();
  await p.getByText('Your picture is saved.').waitFor();
  const img = p.getByRole('img', { name: 'Your profile picture' });
  await img.waitFor();
  assert.equal(await loadedWidth(img), 192);

  // The app becomes the Authenticator: the old app's code first, then codes made on the phone
  // that equal an independent TOTP of the seed npass sent (read here from the response).
  let seed;
  p.on('response', async (r) => {
    if (r.url().endsWith('/app/v1/codes') && r.ok()) seed = (await r.json()).secret;
  });
  await p.locator('#app-current-code').fill(await freshCode(secret, Date.now() + 30_000));
  await p.getByRole('button', { name: 'Use this app for verification codes' }).click();
  await p.getByText('This app now gives your verification codes.').waitFor();
  assert.equal(await p.locator('[data-recovery-list] li').count(), 10);
  const shown = async () => (await p.locator('[data-code]').innerText()).replace(/\s/g, '');
  const near = (t) => [totp(seed, t - 30_000), totp(seed, t), totp(seed, t + 30_000)];
  assert.ok(near(Date.now()).includes(await shown()), 'the code is the seed\'s TOTP');
  await axe(p, 'en-app-codes');

  // Offline the shell still opens (the service worker), the screen lock is still asked, and
  // the codes are there.
  await p.context().setOffline(true);
  await p.reload();
  await p.getByRole('button', { name: 'Unlock' }).click();
  await p.getByText('No connection to npass.').waitFor();
  assert.ok(near(Date.now()).includes(await shown()), 'offline codes too');
  assert.ok(await p.locator('[data-devices]').isHidden());
  await p.context().setOffline(false);
  await p.reload();
  await p.getByRole('button', { name: 'Unlock' }).click();
  await p.getByRole('heading', { name: 'Your details' }).waitFor();

  // The password, changed in the app.
  await p.locator('summary', { hasText: 'Change your password' }).click();
  await p.locator('#app-current-password').fill(PASSWORD);
  await p.locator('#app-new-password').fill('o noua parola pentru Ion 2026');
  await p.locator('#app-new-password-confirm').fill('o noua parola pentru Ion 2026');
  await p.getByRole('button', { name: 'Change your password' }).click();
  await p.getByText('Your new password is saved.').waitFor();

  // The lock: the app's own button, and opening it again (tokens live in the page only).
  await p.getByRole('button', { name: 'Lock the app' }).click();
  await p.getByRole('heading', { name: 'The app is locked' }).waitFor();
  await axe(p, 'en-app-locked');
  await p.getByRole('button', { name: 'Unlock' }).click();
  await p.getByRole('heading', { name: 'Your details' }).waitFor();
  await p.reload();
  await p.getByRole('heading', { name: 'The app is locked' }).waitFor();
  await p.getByRole('button', { name: 'Unlock' }).click();
  await p.getByRole('heading', { name: 'Your details' }).waitFor();

  // A QR login on another computer, approved by the device key.
  const other = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB' })).newPage();
  await other.goto(`${base}/login`);
  await other.getByRole('button', { name: 'Show the code' }).click();
  const shot = join(mkdtempSync(join(tmpdir(), 'npass-qr-')), 'qr.png');
  assert.ok(await loadedWidth(other.locator('#main img')) > 100, 'the QR image loads');
  await other.locator('#main img').screenshot({ path: shot });
  const link = execFileSync('zbarimg', ['--raw', '-q', shot]).toString().trim();
  const number = (await other.locator('p.number').innerText()).trim();
  // The app's own scanner: the camera shows the computer's code, the app opens its link.
  const qrPath = await other.locator('#main img').getAttribute('src');
  writeFileSync(camera, y4mOf(await (await other.request.get(new URL(qrPath, base).href)).body()));
  await p.getByRole('button', { name: 'Scan with the camera' }).click();
  await p.waitForURL((u) => u.pathname === '/app/approve');
  assert.equal(`${base}/app/approve#${link.split('#')[1]}`, link);
  await p.getByRole('button', { name: number, exact: true }).click();
  await p.getByText('Approved. Go back to the other device').waitFor();
  await other.getByRole('heading', { name: 'My account' }).waitFor();

  // A request sent by typing the national ID: listed in the app, refused there.
  const third = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB' })).newPage();
  await third.goto(`${base}/login`);
  await third.locator('#app_national_id').fill('2000000000004');
  await third.getByRole('button', { name: 'Send to my phone' }).click();
  await third.getByText('the request is waiting in the app too').waitFor();
  await axe(third, 'en-app-sent');
  await p.goto(`${base}/app/`);
  await p.getByRole('button', { name: 'Unlock' }).click();
  await p.getByRole('link', { name: 'Check and answer' }).click();
  await p.getByRole('button', { name: 'It was not me: refuse' }).click();
  await p.getByText('Refused. Nobody was logged in.').waitFor();
  await third.getByRole('heading', { name: 'This code can no longer be used' }).waitFor();

  // The password change signed the first computer out.
  await computer.goto(`${base}/account`);
  await computer.locator('#national_id').waitFor();

  // Revoked from the other computer's My account: the app stops and says so.
  await other.goto(`${base}/account/passkeys`);
  await other.getByText('The npass app on this phone').waitFor();
  await other.getByRole('button', { name: 'Remove "Ion\'s phone"' }).click();
  await other.getByText('The passkey is removed.').waitFor();
  await p.goto(`${base}/app/`);
  await p.getByRole('button', { name: 'Unlock' }).click();
  await p.getByText('This phone is no longer one of your devices.').waitFor();
  await p.locator('#app-national-id').waitFor();
});
