// Browser test of e-signature login: a PKI made with openssl (root, a citizen certificate whose
// subject serialNumber is PNOMD-<IDNP>, a CRL served here), the real npass and npass-sign
// binaries, and every e-signature page checked with axe-core in ro, ru and en.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNpass, launchChromium, axe } from './npass.mjs';

const SIGN = process.env.NPASS_SIGN_BIN;
let npass, base, browser, crlServer, pki;

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

before(async () => {
  if (!SIGN) throw new Error('NPASS_SIGN_BIN names the npass-sign binary (test.sh sets it)');
  pki = mkdtempSync(join(tmpdir(), 'npass-e2e-pki-'));
  // The CRL server first: its address goes into the certificate.
  crlServer = createServer((req, res) => res.end(readFileSync(join(pki, 'root.crl.der'))));
  await new Promise((r) => crlServer.listen(0, '127.0.0.1', r));
  const crlUrl = `http://127.0.0.1:${crlServer.address().port}/root.crl`;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'root.key', '-out', 'root.pem', '-days', '3650', '-subj', '/CN=E2E National Root',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], pki);
  openssl(['req', ...ec, '-keyout', 'ion.key', '-out', 'ion.csr', '-subj', '/serialNumber=PNOMD-2000000000004/GN=Ion/SN=Popescu/CN=Ion Popescu'], pki);
  writeFileSync(join(pki, 'ext.cnf'), `keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\ncrlDistributionPoints=URI:${crlUrl}\n`);
  openssl(['x509', '-req', '-in', 'ion.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'ion.pem', '-days', '365', '-extfile', 'ext.cnf'], pki);
  writeFileSync(join(pki, 'index.txt'), '');
  writeFileSync(join(pki, 'crlnumber'), '01\n');
  writeFileSync(join(pki, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n');
  openssl(['ca', '-gencrl', '-keyfile', 'root.key', '-cert', 'root.pem', '-out', 'root.crl', '-config', 'ca.cnf'], pki);
  openssl(['crl', '-in', 'root.crl', '-outform', 'DER', '-out', 'root.crl.der'], pki);
  writeFileSync(join(pki, 'npass.toml'), `[esign]\nroots = ["${join(pki, 'root.pem')}"]\n`);
  npass = await startNpass(['--config', join(pki, 'npass.toml')]);
  ({ base } = npass);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  npass?.stop();
  crlServer?.close();
});

async function challengeOf(page) {
  const text = (await page.locator('code.challenge').textContent()).trim();
  assert.match(text, /^npass-esign-v1\|/);
  return text;
}

test('a newcomer logs in with an e-signature and opens an account, in a real browser', async () => {
  const page = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB' })).newPage();
  for (const lang of ['ro', 'ru', 'en']) {
    await page.goto(`${base}/login?lang=${lang}`);
    await axe(page, `${lang}-login-esign`);
  }
  await page.goto(`${base}/login?lang=en`);
  await page.getByRole('button', { name: 'Log in with e-signature' }).click();
  await page.waitForURL(/\/login\/esign\/[0-9a-f]+$/);
  await axe(page, 'en-esign-wait');
  const text = await challengeOf(page);
  // Not execFileSync: the CRL server in this process must keep answering while npass-sign waits.
  await promisify(execFile)(SIGN, ['--key', join(pki, 'ion.key'), '--cert', join(pki, 'ion.pem'), text]);
  // The page reloads itself and continues to the mandatory-data page.
  await page.waitForURL(/\/register$/, { timeout: 10_000 });
  assert.match(await page.textContent('main'), /Popescu/);
  await axe(page, 'en-esign-register');
  await page.getByLabel('Date of birth').fill('1990-01-02');
  await page.getByLabel('Email').fill('ion@example.md');
  await page.getByRole('button', { name: 'Open my account' }).click();
  await page.waitForURL(/\/account$/);
  assert.match(await page.textContent('main'), /high/);
  await page.close();
});

test('waiting and refusal pages pass WCAG 2.1 AA checks in every language', async () => {
  for (const lang of ['ro', 'ru', 'en']) {
    const page = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB' })).newPage();
    await page.goto(`${base}/login?lang=${lang}`);
    await page.locator('form[action="/login/esign"] button').click();
    await page.waitForURL(/\/login\/esign\/[0-9a-f]+$/);
    await axe(page, `${lang}-esign-wait`);
    // A signature over this challenge with a certificate npass does not trust.
    const text = await challengeOf(page);
    const id = text.split('|')[2];
    const res = await fetch(`${base}/api/esign/challenges/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challenge: text, algorithm: 'ecdsa-p256-sha256', signature: 'AAAA', chain: ['AAAA'] }),
    });
    assert.equal(res.status, 400);
    await page.reload();
    assert.equal((await page.locator('h1').textContent()).length > 0, true);
    await axe(page, `${lang}-esign-refused`);
    await page.close();
  }
});
