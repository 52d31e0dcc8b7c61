// Browser tests: the real npass binary, a real Chromium (Debian's), every page of the foundation
// journey checked against WCAG 2.1 A/AA with axe-core, in ro, ru and en.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const BIN = process.env.NPASS_BIN;
const SHOTS = process.env.NPASS_SCREENSHOTS; // a folder, to look at the pages

let server, base, dir, browser;

before(async () => {
  assert.ok(BIN, 'NPASS_BIN names the npass binary (test.sh sets it)');
  dir = mkdtempSync(join(tmpdir(), 'npass-e2e-'));
  server = spawn(BIN, ['serve', '--listen', '127.0.0.1:0'], {
    cwd: dir,
    env: { PATH: process.env.PATH, NPASS_LOG__LEVEL: 'warn', NPASS_PASSWORD__MEMORY_KIB: '1024', NPASS_PASSWORD__ITERATIONS: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`npass exited ${code}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

async function axe(page, label) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  const problems = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  assert.deepEqual(problems, [], `${label}: accessibility problems`);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${label.replace(/[^a-z0-9]+/gi, '_')}.png`), fullPage: true });
}

function totp(base32, time = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/\s+/g, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[19] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

async function confirmationLink(email) {
  for (let i = 0; i < 100; i++) {
    const outbox = join(dir, 'npass-data', 'outbox');
    try {
      for (const f of readdirSync(outbox)) {
        const raw = readFileSync(join(outbox, f), 'utf8').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
        const m = raw.match(/(http:\/\/\S+\/register\/confirm\?token=[A-Za-z0-9_-]+)/);
        if (raw.includes(`To: ${email}`) && m) return m[1];
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no confirmation email');
}

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

  await page.goto(await confirmationLink('ion@example.md'));
  await axe(page, 'en-confirm');
  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await page.getByText('Your email address is confirmed').waitFor();

  // The session cookie is __Host- and Secure: the browser must keep it on http://127.0.0.1.
  await page.locator('#national_id').fill('2000000000004');
  await page.locator('#password').fill('cerul de deasupra Chisinaului');
  await page.getByRole('button', { name: 'Log in' }).click();
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
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 100), 'the QR image loads');
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
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'My account' }).waitFor();
  assert.ok((await page.content()).includes('substantial'));

  for (const lang of ['ro', 'ru']) {
    await page.goto(`${base}/account/two-step?lang=${lang}`);
    await axe(page, `${lang}-two-step-active`);
    await page.goto(`${base}/account?lang=${lang}`);
    await axe(page, `${lang}-account`);
  }
});
