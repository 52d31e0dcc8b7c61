// Shared by the browser tests: start the real npass binary and Debian's Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SHOTS = process.env.NPASS_SCREENSHOTS; // a folder, to look at the pages

/** Checks the page against WCAG 2.1 A/AA with axe-core (evaluated through DevTools, so the
 * page's own Content-Security-Policy, which allows no injected script, stays in force). */
export async function axe(page, label) {
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  const problems = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  assert.deepEqual(problems, [], `${label}: accessibility problems`);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${label.replace(/[^a-z0-9]+/gi, '_')}.png`), fullPage: true });
}

export const BIN = process.env.NPASS_BIN;
const ENV = { PATH: process.env.PATH, NPASS_LOG__LEVEL: 'warn', NPASS_ADMIN__LISTEN: '127.0.0.1:0', NPASS_PASSWORD__MEMORY_KIB: '1024', NPASS_PASSWORD__ITERATIONS: '1' };

/** Starts `npass serve` on a free port in a fresh directory (`args` adds e.g. `--config`);
 * `base` is its public URL. */
export async function startNpass(args = []) {
  if (!BIN) throw new Error('NPASS_BIN names the npass binary (test.sh sets it)');
  const dir = mkdtempSync(join(tmpdir(), 'npass-e2e-'));
  const server = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', ...args], { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      // The public URL: http://localhost:PORT for a loopback listener (passkeys need a name).
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:\d+ \(public URL (http:\/\/[^)\s]+)\)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`npass exited ${code}`)));
  });
  return { dir, base, stop: () => server.kill('SIGTERM') };
}

/** An e-service's redirect endpoint on a free port that just says it was reached. */
export async function eserviceCallback() {
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the e-service'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${server.address().port}/cb` };
}

/** Runs the npass CLI against that directory's database; returns its JSON output. */
export function cli(dir, args, input = '') {
  const out = execFileSync(BIN, args, { cwd: dir, env: ENV, input });
  return JSON.parse(out.toString());
}

export function launchChromium(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...extra],
  });
}

/** The pixels of an 8-bit greyscale PNG (the QR codes npass draws): width, height, bytes. */
export function greyPng(buf) {
  let i = 8, width = 0, height = 0;
  const idat = [];
  while (i < buf.length) {
    const len = buf.readUInt32BE(i), type = buf.subarray(i + 4, i + 8).toString();
    const data = buf.subarray(i + 8, i + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      assert.deepEqual([data[8], data[9], data[12]], [8, 0, 0], '8-bit grey, not interlaced');
    }
    if (type === 'IDAT') idat.push(data);
    i += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const out = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (width + 1)], row = raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1));
    for (let x = 0; x < width; x++) {
      const a = x ? out[y * width + x - 1] : 0, b = y ? out[(y - 1) * width + x] : 0;
      const c = x && y ? out[(y - 1) * width + x - 1] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
      out[y * width + x] = (row[x] + pred) & 255;
    }
  }
  return { width, height, pixels: out };
}

/** A camera's view for Chromium's fake capture device: `png` (greyscale) in the middle of a
 * white 640×480 picture, as a Y4M video of a few identical frames. */
export function y4mOf(png) {
  const { width, height, pixels } = greyPng(png);
  const W = 640, H = 480, ox = (W - width) >> 1, oy = (H - height) >> 1;
  const y = Buffer.alloc(W * H, 255);
  for (let r = 0; r < height; r++) pixels.copy(y, (oy + r) * W + ox, r * width, (r + 1) * width);
  const uv = Buffer.alloc((W / 2) * (H / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, uv]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]);
}

/** The TOTP code an Authenticator app shows (RFC 6238, SHA-1, 6 digits, 30 s). */
export function totp(base32, time = Date.now()) {
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

/** The first link emailed to `email` (dev outbox folder) whose path matches `path`. */
export async function mailLink(dir, email, path) {
  const re = new RegExp(`(http://\\S+${path}\\?token=[A-Za-z0-9_-]+(?:&\\S+)?)`);
  for (let i = 0; i < 100; i++) {
    const outbox = join(dir, 'npass-data', 'outbox');
    try {
      for (const f of readdirSync(outbox).sort()) {
        const raw = readFileSync(join(outbox, f), 'utf8')
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
        const m = raw.match(re);
        if (raw.includes(`To: ${email}`) && m) return m[1];
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email to ${email} with a ${path} link`);
}

/** The confirmation link emailed to `email`. */
export function confirmationLink(dir, email) {
  return mailLink(dir, email, '/register/confirm');
}

/** An image's width once it has loaded (waiting for it: being in the page is not being loaded). */
export async function loadedWidth(img) {
  return img.evaluate((el) => (el.complete && el.naturalWidth > 0
    ? el.naturalWidth
    : new Promise((resolve) => {
      el.addEventListener('load', () => resolve(el.naturalWidth), { once: true });
      el.addEventListener('error', () => resolve(0), { once: true });
    })));
}

/** The page is no wider than its window: nothing scrolls sideways. */
export async function fitsWidth(page, label) {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(scroll <= inner, `${label}: ${scroll} px wide in a ${inner} px window`);
}

// Passkeys: Chromium's DevTools virtual authenticators (design note 0014).
const PASSWORD = 'cerul de deasupra Chisinaului';

/** A page whose browser has a virtual authenticator (`kind`: 'platform' or 'usb-key'). */
export async function pageWithAuthenticator(browser, kind, options = {}) {
  const page = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 390, height: 844 }, ...options })).newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const platform = kind === 'platform';
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: platform ? 'internal' : 'usb',
      hasResidentKey: platform,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { page, cdp, authenticatorId };
}

export async function credentials(a) {
  return (await a.cdp.send('WebAuthn.getCredentials', { authenticatorId: a.authenticatorId })).credentials;
}

/** Adds the citizen (CLI), logs in with the password and sets up two-step: substantial. */
export async function citizenWithTwoStep({ dir, base }, page, nationalId, email) {
  cli(dir, ['citizen', 'add', '--national-id', nationalId, '--given-name', 'Ion', '--family-name', 'Popescu',
    '--email', email, '--language', 'en', '--password-stdin'], PASSWORD + '\n');
  return setUpTwoStep(base, page, nationalId);
}

/** Logs in with the password, sets up two-step, and logs in again with a code. */
export async function setUpTwoStep(base, page, nationalId) {
  await page.goto(`${base}/account/two-step/device?device=android`);
  await page.locator('#national_id').fill(nationalId);
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('link', { name: 'Continue' }).click();
  await page.locator('summary').click();
  const secret = await page.locator('#secret').innerText();
  await page.locator('#code').fill(totp(secret));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('The verification code was added successfully.').waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.locator('#national_id').fill(nationalId);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#code').fill(totp(secret, Date.now() + 30_000));
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'My account' }).waitFor();
  return secret;
}

export async function addPasskey(base, page, name) {
  await page.goto(`${base}/account/passkeys`);
  await page.locator('#name').fill(name);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('The passkey is added.').waitFor();
}
