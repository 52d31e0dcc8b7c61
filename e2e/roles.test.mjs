// Access control in a real browser (design note 0019): the operator declares an e-service's
// roles and names its administrator with the CLI; the administrator, logged in with the
// verification code, grants a role from "Service administration", is refused a grant to
// himself, and withdraws it; the citizen given it sees it in My account until then; he ends
// another administrator's administration. Every page checked with axe-core (WCAG 2.1 AA) on a
// 320 px phone, in English and Romanian.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startNpass, launchChromium, cli, axe, fitsWidth, citizenWithTwoStep } from './npass.mjs';

const PASSWORD = 'cerul de deasupra Chisinaului';
let npass, browser, ionPage;

before(async () => {
  npass = await startNpass();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  npass?.stop();
});

test('a service administrator grants and withdraws a role', async () => {
  const page = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 320, height: 640 } })).newPage();
  ionPage = page;
  await citizenWithTwoStep(npass, page, '2000000000004', 'ion@example.md');
  cli(npass.dir, ['citizen', 'add', '--national-id', '2002003004007', '--given-name', 'Ana', '--family-name', 'Rusu',
    '--email', 'ana@example.md', '--language', 'ro', '--password-stdin'], PASSWORD + '\n');
  const es = cli(npass.dir, ['eservice', 'add', '--name', 'Tax portal', '--redirect-uri', 'http://127.0.0.1:9/cb',
    '--scope', 'openid', '--scope', 'roles']);
  const roles = cli(npass.dir, ['eservice', 'roles', es.client_id, '--declare', 'inspector', '--declare', 'clerk',
    '--admin', '2000000000004', '--admin', '2002003004007']);
  assert.deepEqual(roles.roles, ['clerk', 'inspector']);

  // My account leads to the page.
  await page.goto(`${npass.base}/account`);
  await page.getByRole('link', { name: /Service administration/ }).click();
  await page.getByRole('heading', { name: 'Service administration', level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Tax portal' }).waitFor();
  await axe(page, 'en-service-admin');
  await fitsWidth(page, 'en-service-admin');

  // Granting to himself is refused, with the reason at the field.
  await page.getByLabel('National identification number', { exact: true }).fill('2000000000004');
  await page.getByLabel('Role').selectOption('inspector');
  await page.getByRole('button', { name: 'Grant the role' }).click();
  await page.getByRole('alert').getByText('You cannot grant a role to yourself').waitFor();
  await axe(page, 'en-service-admin-error');
  await fitsWidth(page, 'en-service-admin-error');

  // Ana gets "clerk" until the end of next year.
  const lastDay = `${new Date().getUTCFullYear() + 1}-12-31`;
  await page.getByLabel('National identification number', { exact: true }).fill('2002003004007');
  await page.getByLabel('Role').selectOption('clerk');
  await page.getByLabel('Last day (optional)').fill(lastDay);
  await page.getByRole('button', { name: 'Grant the role' }).click();
  await page.getByText('The role was granted.').waitFor();
  const listed = await page.locator('main').innerText();
  assert.match(listed, /Ana Rusu \(2002003004007\)/);
  assert.match(listed, new RegExp(`until ${lastDay} inclusive`));

  // In Romanian too.
  const ro = await (await browser.newContext({ locale: 'ro-RO', viewport: { width: 320, height: 640 },
    storageState: await page.context().storageState() })).newPage();
  await ro.goto(`${npass.base}/account/services/admin`);
  await ro.getByRole('heading', { name: 'Administrarea serviciilor', level: 1 }).waitFor();
  await axe(ro, 'ro-service-admin');
  await fitsWidth(ro, 'ro-service-admin');

  // Ana sees the role she was given in My account (Romanian, her language).
  const ana = await (await browser.newContext({ locale: 'ro-RO', viewport: { width: 320, height: 640 } })).newPage();
  await ana.goto(`${npass.base}/account`);
  await ana.locator('#national_id').fill('2002003004007');
  await ana.locator('#password').fill(PASSWORD);
  await ana.getByRole('button', { name: 'Autentificare', exact: true }).click();
  const held = ana.getByRole('region', { name: 'Rolurile dumneavoastră în servicii' });
  await held.waitFor();
  assert.match(await held.innerText(), new RegExp(`Tax portal: clerk \\(până la ${lastDay} inclusiv\\)`));
  await axe(ana, 'ro-account-roles');
  await fitsWidth(ana, 'ro-account-roles');

  // Withdrawn: gone from the list, and from Ana's.
  await page.getByRole('button', { name: 'Withdraw clerk from Ana Rusu' }).click();
  await page.getByText('The role was withdrawn.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Withdraw clerk from Ana Rusu' }).count(), 0);
  await page.getByText('Nobody holds a role yet.').waitFor();
  await axe(page, 'en-service-admin-withdrawn');
  await ana.reload();
  await ana.getByRole('heading', { name: 'Contul meu', level: 1 }).waitFor();
  assert.equal(await held.count(), 0);

  // Ion ends Ana's administration (never his own: no such button).
  assert.equal(await page.getByRole('button', { name: 'Remove Ion Popescu as administrator' }).count(), 0);
  await page.getByRole('button', { name: 'Remove Ana Rusu as administrator' }).click();
  await page.getByText('The administrator was removed.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Remove Ana Rusu as administrator' }).count(), 0);
  await axe(page, 'en-service-admin-removed');
  await fitsWidth(page, 'en-service-admin-removed');
});

test('an organisation administrator names and withdraws a representative', async () => {
  // The operator registers the organisation with Ion as its administrator.
  const org = cli(npass.dir, ['org', 'add', '--idno', '1003600012344', '--name', 'Test SRL', '--admin', '2000000000004']);
  assert.equal(org.id, 'NTRMD-1003600012344');
  const page = ionPage;
  await page.goto(`${npass.base}/account`);
  await page.getByRole('link', { name: /^Organisations/ }).click();
  await page.getByRole('heading', { name: /Test SRL/ }).waitFor();
  await axe(page, 'en-orgs');
  await fitsWidth(page, 'en-orgs');

  // Himself: refused at the field.
  await page.getByLabel('National identification number', { exact: true }).fill('2000000000004');
  await page.getByLabel('Roles in the organisation').fill('accountant');
  await page.getByRole('button', { name: 'Name the representative' }).click();
  await page.getByRole('alert').getByText('You cannot name yourself').waitFor();
  await axe(page, 'en-orgs-error');

  // Ana, accountant and signatory.
  await page.getByLabel('National identification number', { exact: true }).fill('2002003004007');
  await page.getByLabel('Roles in the organisation').fill('accountant, signatory');
  await page.getByRole('button', { name: 'Name the representative' }).click();
  await page.getByText('The representative was named.').waitFor();
  assert.match(await page.locator('main').innerText(), /Ana Rusu \(2002003004007\) — representative: accountant, signatory/);
  const shown = cli(npass.dir, ['org', 'show', '1003600012344']);
  assert.deepEqual(shown.members.map((m) => [m.national_id, m.kind]).sort(),
    [['2000000000004', 'admin'], ['2002003004007', 'representative']]);

  await page.getByRole('button', { name: 'Withdraw Ana Rusu' }).click();
  await page.getByText('The representative was withdrawn.').waitFor();
  assert.doesNotMatch(await page.locator('main').innerText(), /Ana Rusu/);
  await axe(page, 'en-orgs-withdrawn');
});
