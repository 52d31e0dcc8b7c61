// Browser tests of the passwordless QR login (design note 0015) with two Chromium contexts: a
// computer that shows the code and a phone (390 px, a virtual authenticator with user
// verification) that reads it — with zbar, from a screenshot, as a camera would — picks the
// number the computer shows and unlocks. Also a refusal on the phone. Pages under axe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startNpass, launchChromium, axe, fitsWidth, pageWithAuthenticator, citizenWithTwoStep, addPasskey, loadedWidth,
} from './npass.mjs';

let npass, base, browser;

before(async () => {
  npass = await startNpass();
  ({ base } = npass);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  npass?.stop();
});

/** The computer's code, as a phone's camera reads it: the link, and the number beside it. */
async function scan(computer) {
  const shot = join(mkdtempSync(join(tmpdir(), 'npass-qr-')), 'qr.png');
  await computer.locator('#main img').screenshot({ path: shot });
  const link = execFileSync('zbarimg', ['--raw', '-q', shot]).toString().trim();
  const number = (await computer.locator('p.number').innerText()).trim();
  return { link, number };
}

async function showCode(computer) {
  await computer.goto(`${base}/login`);
  await computer.getByRole('button', { name: 'Show the code' }).click();
  await computer.getByRole('heading', { name: 'Scan the code with your phone' }).waitFor();
}

test('a phone approves the login of the computer that shows the code, and can refuse one', async () => {
  const phone = await pageWithAuthenticator(browser, 'platform');
  await citizenWithTwoStep(npass, phone.page, '2000000000004', 'ion@example.md');
  await addPasskey(base, phone.page, 'My phone');

  const computer = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB', viewport: { width: 1280, height: 900 } })).newPage();
  await showCode(computer);
  await axe(computer, 'en-qr-wait');
  const { link, number } = await scan(computer);
  assert.match(link, new RegExp(`^${base}/app/approve#[^.]+\\.[A-Za-z0-9_-]+$`));
  assert.match(number, /^\d\d$/);

  // The phone shows who asks and three numbers; the citizen picks the computer's and unlocks.
  await phone.page.goto(link);
  await phone.page.getByRole('heading', { name: 'Log in on another device?' }).waitFor();
  await phone.page.getByRole('button', { name: 'It was not me: refuse' }).waitFor();
  assert.ok(!phone.page.url().includes('#'), 'the secret leaves the address bar');
  assert.ok((await phone.page.content()).includes('Chrome on Linux'));
  assert.equal(await phone.page.locator('button.number').count(), 3);
  await axe(phone.page, 'en-qr-approve');
  await fitsWidth(phone.page, 'en-qr-approve');
  await phone.page.getByRole('button', { name: number, exact: true }).click();
  await phone.page.getByText('Approved. Go back to the other device').waitFor();

  // The computer's page sees it and logs in, with no password.
  await computer.getByRole('heading', { name: 'My account' }).waitFor();
  assert.ok((await computer.content()).includes('substantial'));

  // A second code, refused on the phone: the computer says so and stays logged out.
  const other = await (await browser.newContext({ bypassCSP: true, locale: 'en-GB' })).newPage();
  await showCode(other);
  const second = await scan(other);
  await phone.page.goto(second.link);
  await phone.page.getByRole('button', { name: 'It was not me: refuse' }).click();
  await phone.page.getByText('Refused. Nobody was logged in.').waitFor();
  await other.getByRole('heading', { name: 'This code can no longer be used' }).waitFor();
  await axe(other, 'en-qr-refused');
});
