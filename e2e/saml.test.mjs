// SAML in a real browser: a python3-saml service provider (the one the integration tests
// drive) behind a small HTTP server here; Chromium logs in over HTTP-Redirect, is sent back
// to the ACS by npass's auto-posting page, and logs out through npass's logout page, whose
// frame reaches the service and comes back; with JavaScript and without. Every page checked
// with axe-core (WCAG 2.1 AA) and for fitting a 320 px phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNpass, launchChromium, cli, axe, fitsWidth } from './npass.mjs';

const SP_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'crates/npass/tests/it/sp/python3_saml_sp.py');
const PYTHON = process.env.NPASS_TEST_PYTHON || 'python3';
const PASSWORD = 'cerul de deasupra Chisinaului';

let npass, browser, sp, spUrl, state, received, hold;

/** One step of the python3-saml service provider; its JSON answer. */
function spRun(...args) {
  return JSON.parse(execFileSync(PYTHON, [SP_SCRIPT, state, ...args]).toString());
}

before(async () => {
  npass = await startNpass();
  browser = await launchChromium();
  received = [];
  // The service's two endpoints: the ACS records what the browser posts; the SLO endpoint
  // (opened in npass's logout frame) has python3-saml check npass's LogoutRequest and sends the
  // frame back to npass with the signed answer.
  sp = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', async () => {
      const url = new URL(req.url, spUrl);
      if (req.method === 'POST' && url.pathname === '/acs') {
        received.push(Object.fromEntries(new URLSearchParams(body)));
        res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the e-service');
      } else if (url.pathname === '/slo' && url.searchParams.has('SAMLRequest')) {
        if (hold) await hold;
        const v = spRun('idp-logout-request', 'redirect', url.href);
        assert.equal(v.valid, true, JSON.stringify(v));
        res.writeHead(302, { location: v.url }).end();
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise((r) => sp.listen(0, '127.0.0.1', r));
  spUrl = `http://127.0.0.1:${sp.address().port}`;

  // The service's key and certificate, its state file with npass's metadata, its registration
  // from the metadata python3-saml makes.
  const dir = mkdtempSync(join(tmpdir(), 'npass-e2e-sp-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=tax',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const metadata = await (await fetch(`${npass.base}/meta/saml`)).text();
  state = join(dir, 'sp.json');
  writeFileSync(state, JSON.stringify({
    entity_id: `${spUrl}/metadata`, acs: `${spUrl}/acs`, slo: `${spUrl}/slo`,
    key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    idp_metadata: metadata,
  }));
  writeFileSync(join(dir, 'sp-metadata.xml'), spRun('metadata').metadata);
  const es = cli(npass.dir, ['eservice', 'add', '--name', 'Tax portal', '--saml-metadata', join(dir, 'sp-metadata.xml'),
    '--attribute', 'FirstName', '--attribute', 'LastName']);
  assert.equal(es.protocol, 'saml');
  cli(npass.dir, ['citizen', 'add', '--national-id', '2000000000004', '--given-name', 'Ion', '--family-name', 'Popescu',
    '--email', 'ion@example.md', '--language', 'en', '--password-stdin'], PASSWORD + '\n');
});

after(async () => {
  await browser?.close();
  sp?.close();
  npass?.stop();
});

/** A phone-sized page, with or without JavaScript. */
async function phone(javaScriptEnabled = true) {
  return (await browser.newContext({ locale: 'en-GB', viewport: { width: 320, height: 640 }, javaScriptEnabled })).newPage();
}

/** Logs in at the Tax portal over HTTP-Redirect; the response the browser posted, validated. */
async function signIn(page, first) {
  const req = spRun('request-redirect', '0', '0', 'from-the-portal');
  const before = received.length;
  await page.goto(req.url);
  if (first) {
    await page.locator('#national_id').fill('2000000000004');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByRole('heading', { name: 'Share your details' }).waitFor();
    assert.ok((await page.content()).includes('Tax portal'));
    await axe(page, 'en-saml-consent');
    await fitsWidth(page, 'en-saml-consent');
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
  }
  await page.waitForURL(`${spUrl}/acs`);
  assert.equal(received.length, before + 1);
  const posted = received.at(-1);
  assert.equal(posted.RelayState, 'from-the-portal');
  const v = spRun('response', req.id, posted.SAMLResponse);
  assert.equal(v.valid, true, JSON.stringify(v));
  assert.deepEqual(v.attributes.FirstName, ['Ion']);
  return v;
}

test('metadata page and a broken request\'s page, in every language, accessible on a phone', async () => {
  for (const [locale, lang, broken] of [
    ['en-GB', 'en', 'could not be read'], ['ro-RO', 'ro', 'nu a putut fi citită'], ['ru-RU', 'ru', 'не удалось прочитать']]) {
    const page = await (await browser.newContext({ locale, viewport: { width: 320, height: 640 } })).newPage();
    await page.goto(`${npass.base}/meta`);
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    assert.ok((await page.content()).includes('/login/saml'));
    await axe(page, `${lang}-meta`);
    await fitsWidth(page, `${lang}-meta`);
    const cer = await page.getByRole('link', { name: /\.cer/ }).first().getAttribute('href');
    const r = await fetch(new URL(cer, npass.base));
    assert.equal(r.status, 200);
    assert.equal((await r.arrayBuffer()).byteLength > 300, true, 'a DER certificate');
    // A request that is not one: npass's own page says so, and nothing goes anywhere.
    const bad = await page.goto(`${npass.base}/login/saml?SAMLRequest=bm90IGEgcmVxdWVzdA%3D%3D`);
    assert.equal(bad.status(), 400);
    assert.ok((await page.content()).includes(broken));
    await axe(page, `${lang}-saml-error`);
    await fitsWidth(page, `${lang}-saml-error`);
  }
});

test('login over Redirect, the auto-posted response, and logout through the frames with JavaScript', async () => {
  const page = await phone();
  await signIn(page, true);
  // Single sign-on: no page but the post back.
  await signIn(page, false);

  // npass's own logout: the logout page holds the Tax portal's frame; the service answers in
  // it. Held until the page was checked, then the script moves on when the frame reports.
  let release;
  hold = new Promise((r) => { release = r; });
  await page.goto(`${npass.base}/account`);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Logging you out of the services' }).waitFor();
  await axe(page, 'en-saml-logout');
  await fitsWidth(page, 'en-saml-logout');
  release();
  hold = null;
  await page.getByRole('heading', { name: 'You have logged out' }).waitFor();
  const done = await page.locator('main').innerText();
  assert.match(done, /Tax portal: logged out/);
  await axe(page, 'en-saml-logout-done');
  await fitsWidth(page, 'en-saml-logout-done');
  await page.goto(`${npass.base}/account`);
  await page.locator('#national_id').waitFor();
});

test('logout without JavaScript: the frame still reaches the service, and Continue finishes', async () => {
  const page = await phone(false);
  // The login page's form works without the script; the response page's Continue button
  // posts to the ACS.
  const req = spRun('request-redirect', '0', '0', 'no-js');
  await page.goto(req.url);
  await page.locator('#national_id').fill('2000000000004');
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  // Consent was given in the other context's session for this citizen and service.
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${spUrl}/acs`);
  const v = spRun('response', req.id, received.at(-1).SAMLResponse);
  assert.equal(v.valid, true, JSON.stringify(v));

  await page.goto(`${npass.base}/account`);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Logging you out of the services' }).waitFor();
  const frame = page.frameLocator('iframe[title="Logout from Tax portal"]');
  await frame.getByText('Logged out of Tax portal.').waitFor();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'You have logged out' }).waitFor();
  assert.match(await page.locator('main').innerText(), /Tax portal: logged out/);
});
