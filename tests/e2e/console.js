#!/usr/bin/env node
// End-to-end test of the operator console (/console) in Debian's chromium, driven by
// playwright-core (which cannot download browsers here: executablePath points at Debian's), with
// an axe-core accessibility check of every page. It sets up its data through the HTTP API, then
// does what an operator does: log in (a wrong key refused), find a card by its last 4 digits,
// open it, lock it with a reason, see a sandbox authorization declined 62 on the card page and
// in the activity chart, unlock it, read the status history, fund the account and see the pool
// change, log out, and check that the old cookie is refused. It saves a screenshot of each page.
//
//   node console.js --base http://127.0.0.1:PORT --admin-key KEY --screenshots DIR [--chromium /usr/bin/chromium]
//
// Exit 0 when every step held; else 1, with each problem printed.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { AxeBuilder } = require('@axe-core/playwright');

function parseArgs(argv) {
  const out = { chromium: '/usr/bin/chromium' };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const take = () => argv[++i];
    if (a === '--base') out.base = take().replace(/\/+$/, '');
    else if (a === '--admin-key') out.adminKey = take();
    else if (a === '--screenshots') out.screenshots = take();
    else if (a === '--chromium') out.chromium = take();
    else {
      console.error(`console.js: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!out.base || !out.adminKey || !out.screenshots) {
    console.error('usage: node console.js --base URL --admin-key KEY --screenshots DIR [--chromium PATH]');
    process.exit(2);
  }
  return out;
}

const args = parseArgs(process.argv);
const STEP_TIMEOUT_MS = 20000;
const problems = [];
const problem = (what) => {
  problems.push(what);
  console.log(`  PROBLEM: ${what}`);
};
const check = (ok, what) => {
  if (!ok) problem(what);
  return ok;
};

// ------------------------------------------------------------------------ set-up through HTTP
async function post(pathname, body, headers = {}) {
  const res = await fetch(`${args.base}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const json = await res.json();
  return { status: res.status, json };
}
async function must(pathname, body, headers) {
  const r = await post(pathname, body, headers);
  const code = r.json.code ?? r.json.response_code;
  if (r.status !== 200 || code !== 0) throw new Error(`${pathname}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.payload;
}

async function setUp() {
  const A = { 'x-admin-key': args.adminKey };
  const suffix = String(Date.now()).slice(-6);
  const p = await must('/admin/v1/partners', { name: `Console Foods ${suffix}` }, A);
  const basic = Buffer.from(`${p.clientId}:${p.clientSecret}`).toString('base64');
  const tokenRes = await fetch(`${args.base}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: p.username, password: p.password, clientId: p.clientId }),
  });
  const token = await tokenRes.json();
  const H = { authorization: `Bearer ${token.access_token}`, partnerid: p.partnerId };
  const B = '/api/v0/partner/enKashCard';
  const acc = await must(`${B}/cardAccount/create`, {
    companyId: p.companyId, companyName: p.companyName, planMasterId: p.planMasterId, email: 'ops@console.example',
    mobile: '9800011122', accountTitle: 'Meal cards', accountType: 'MEAL',
  }, H);
  await must('/admin/v1/cardAccounts/fund', { companyId: p.companyId, cardAccountId: acc.cardAccountId, amount: 150000, reference: `NEFT-${suffix}` }, A);
  const card = await must(B, {
    companyId: p.companyId, cardAccountId: acc.cardAccountId, firstName: 'Asha', lastName: 'Rao', gender: 'F',
    mobile: '9811100022', email: 'asha@console.example', loadAmount: 9500,
  }, H);
  await must(`${B}/orderPhysicalCard`, {
    companyId: p.companyId, cardAccountId: acc.cardAccountId, enKashCardId: card.enKashCardId,
    deliveryAddress: '4 Park Street', deliveryCity: 'Kolkata', deliveryState: 'West Bengal', deliveryCountry: 'India', deliveryPincode: '700016',
  }, H);
  // One approved authorization, so the card has an open hold and the chart an approval.
  const ref = { companyId: p.companyId, cardAccountId: acc.cardAccountId, enKashCardId: card.enKashCardId };
  await must('/api/v0/sandbox/authorizations', { ...ref, amount: 249.5, channel: 'POS', merchantName: 'Park Street Cafe', mcc: '5812' }, H);
  return { p, H, acc, card, ref };
}

// ------------------------------------------------------------------------------ the browser
async function axe(page, name) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of bad) problem(`axe on ${name}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  console.log(`  axe ${name}: ${results.violations.length} violation(s), ${bad.length} serious or critical`);
}
async function shot(page, name) {
  await page.screenshot({ path: path.join(args.screenshots, `${name}.png`), fullPage: true });
}
async function heading(page, text) {
  await page.getByRole('heading', { level: 1, name: text }).waitFor({ timeout: STEP_TIMEOUT_MS });
}
// Runs a confirmation dialog: fills its fields by label, then presses its confirm button.
async function confirm(page, button, fields) {
  await page.getByRole('button', { name: button, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor({ timeout: STEP_TIMEOUT_MS });
  for (const [label, value] of Object.entries(fields)) {
    const field = dialog.getByLabel(label);
    if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(value);
    else await field.fill(value);
  }
  await dialog.getByRole('button', { name: button, exact: true }).click();
  await dialog.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
}

async function main() {
  fs.mkdirSync(args.screenshots, { recursive: true });
  console.log('set-up through the API');
  const { H, acc, card, ref } = await setUp();
  const last4 = card.maskedNumber.slice(-4);

  const browser = await chromium.launch({ executablePath: args.chromium, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-IN' });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    console.log('log in');
    await page.goto(`${args.base}/console`);
    await page.getByLabel('Admin key').waitFor();
    await axe(page, 'login');
    await shot(page, 'login');
    await page.getByLabel('Admin key').fill(`wrong-${args.adminKey}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor();
    check((await context.cookies()).every((c) => c.name !== 'cardcore_session'), 'a wrong key set a session cookie');
    await page.getByLabel('Admin key').fill(args.adminKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    await heading(page, 'Find a card');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'cardcore_session');
    if (check(session, 'no session cookie after login')) {
      check(session.httpOnly, 'the session cookie is not HttpOnly');
      check(session.sameSite === 'Strict', `the session cookie is SameSite=${session.sameSite}`);
      check(session.expires > Date.now() / 1000, 'the session cookie has no expiry');
    }
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    check(!stored.includes(args.adminKey), 'the admin key is kept in the browser');
    check(!stored.includes(session?.value || '-'), 'the session token is readable by the page');

    console.log('a whole card number is refused before it reaches the URL');
    await page.getByLabel('Search cards').fill('4111111111111111');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'last 4 digits' }).waitFor();
    check(!page.url().includes('4111111111111111'), 'a card number went into the URL');
    await page.getByLabel('Search cards').fill('');
    await page.locator('main').focus();

    console.log(`search by the last 4 digits (${last4}), with the keyboard alone`);
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement?.id === 'search-q'), 'Tab from the content does not reach the search box');
    await page.keyboard.type(last4);
    await page.keyboard.press('Tab');
    await page.keyboard.type('Last');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/by=LAST4/);
    const link = page.getByRole('link', { name: card.enKashCardId, exact: true });
    await link.waitFor();
    await axe(page, 'search');
    await shot(page, 'search');

    console.log('open the card');
    await link.click();
    await heading(page, `Card ${card.enKashCardId}`);
    const text = async () => page.locator('main').innerText();
    let body = await text();
    check(body.includes('₹9,500.00'), 'the card balance is not shown as ₹9,500.00');
    check(body.includes('₹9,250.50'), 'the available balance is not shown as ₹9,250.50');
    check(body.includes('Park Street Cafe'), 'the open authorization is not listed');
    check(body.includes('XXXX XXXX XXXX ' + last4), 'the masked number is not shown');
    check(body.includes('ORDERED'), 'the physical order is not shown');
    check(/IST/.test(body), 'times are not in IST');
    await axe(page, 'card');
    await shot(page, 'card');

    console.log('a dialog closed with Escape does nothing, now or later');
    await page.getByRole('button', { name: 'Block permanently', exact: true }).click();
    await page.getByRole('dialog').getByLabel('Reason').fill('opened by mistake');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });

    console.log('lock it with a reason');
    await confirm(page, 'Lock card', { Reason: 'holder reported the card lost' });
    await page.locator('#card-status').filter({ hasText: 'L · LOCKED' }).waitFor();
    const lockedHistory = await page.getByRole('region', { name: 'Status history', exact: true }).innerText();
    check(!lockedHistory.includes('BL') && !lockedHistory.includes('opened by mistake'), 'the dialog closed with Escape acted after all');

    console.log('a sandbox authorization is declined 62');
    const declined = await must('/api/v0/sandbox/authorizations', { ...ref, amount: 100, channel: 'POS', merchantName: 'Console Store', mcc: '5411' }, H);
    check(declined.responseCode === '62', `the sandbox authorization answered ${declined.responseCode}, not 62`);
    await page.reload();
    await heading(page, `Card ${card.enKashCardId}`);
    await page.getByRole('cell', { name: '62 · restricted card (locked)' }).waitFor();

    console.log('see it in the activity chart');
    await page.getByRole('link', { name: 'Activity' }).click();
    await heading(page, 'Activity');
    const hour = page.getByRole('region', { name: 'Authorizations, last hour', exact: true });
    const row62 = hour.getByRole('row').filter({ hasText: '62' });
    await row62.waitFor();
    check(/restricted card \(locked\)\s+1\b/.test(await row62.innerText()), `the last hour's 62 row says ${await row62.innerText()}`);
    // The chart itself (Chart.js's own data for the canvas): one 62 in the last bar.
    const drawn = await hour.locator('canvas').evaluate((c) => {
      const chart = window.Chart.getChart(c);
      const set = chart?.data.datasets.find((d) => d.label.startsWith('62 '));
      return { width: c.width, last: set ? set.data[set.data.length - 1] : null };
    });
    check(drawn.width > 0 && drawn.last === 1, `the chart's 62 series ends with ${drawn.last}, not 1`);
    check((await hour.getByRole('row').filter({ hasText: 'approved' }).count()) === 1, 'the approval is not in the chart');
    await axe(page, 'activity');
    await shot(page, 'activity');

    console.log('unlock it; see the status history');
    await page.goBack();
    await heading(page, `Card ${card.enKashCardId}`);
    await confirm(page, 'Unlock card', { Reason: 'card found by the holder' });
    await page.locator('#card-status').filter({ hasText: 'UL · ACTIVE' }).waitFor();
    const history = page.getByRole('region', { name: 'Status history', exact: true });
    const historyText = await history.innerText();
    check(historyText.includes('holder reported the card lost') && historyText.includes('card found by the holder'), 'the status history lacks the reasons');
    check((historyText.match(/ADMIN/g) || []).length === 2, 'the status history lacks channel ADMIN twice');

    console.log('advance the physical order');
    await confirm(page, 'Advance shipping', { 'New status': 'DISPATCHED', Reason: 'handed to the courier' });
    await page.locator('#shipping-status').filter({ hasText: 'DISPATCHED' }).waitFor();

    console.log('fund the account and see the pool change');
    await page.getByRole('link', { name: acc.cardAccountId }).first().click();
    await heading(page, `Card account ${acc.cardAccountId}`);
    const pool = page.locator('#pool-balance');
    const before = await pool.innerText();
    check(before === '₹1,40,500.00', `the pool shows ${before}, not ₹1,40,500.00 (₹1,50,000 funded, ₹9,500 loaded)`);
    await axe(page, 'account');
    await confirm(page, 'Fund account', { 'Amount in rupees': '100000.25', Reference: `NEFT-CONSOLE-${Date.now()}` });
    await pool.filter({ hasText: '₹2,40,500.25' }).waitFor();
    await shot(page, 'account');
    await page.getByRole('link', { name: /Console Foods/ }).click();
    await page.getByRole('heading', { level: 1, name: /^Company / }).waitFor();
    check((await text()).includes('₹2,40,500.25'), 'the company page does not show the new pool balance');
    await axe(page, 'company');
    await page.getByRole('link', { name: 'Companies' }).click();
    await heading(page, 'Companies');
    await axe(page, 'companies');

    console.log('a phone screen');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${args.base}/console#/card/${card.enKashCardId}`);
    await heading(page, `Card ${card.enKashCardId}`);
    check(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the card page scrolls sideways on a phone');
    await axe(page, 'card on a phone');
    await shot(page, 'card-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    console.log('log out; the old cookie is refused');
    const old = await context.cookies();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('alert').filter({ hasText: 'logged out' }).waitFor();
    await context.addCookies(old);
    await page.goto(`${args.base}/console?again=1#/card/${card.enKashCardId}`);
    await page.getByLabel('Admin key').waitFor();
    const csrf = old.find((c) => c.name === 'cardcore_csrf')?.value || '';
    const direct = await post('/admin/v1/cards/detail', { enKashCardId: card.enKashCardId },
      { cookie: old.map((c) => `${c.name}=${c.value}`).join('; '), 'x-csrf-token': csrf });
    check(direct.status === 401, `the API answered the old cookie with ${direct.status}`);

    const unexpected = consoleErrors.filter((e) => !/status of 401|401 \(Unauthorized\)/.test(e));
    check(unexpected.length === 0, `browser console errors: ${unexpected.join(' | ')}`);
  } finally {
    await browser.close();
  }
}

main()
  .catch((e) => problem(`aborted: ${e.stack || e.message}`))
  .finally(() => {
    if (problems.length) {
      console.log(`\nconsole: ${problems.length} problem(s)`);
      process.exit(1);
    }
    console.log(`\nconsole: OK; screenshots in ${args.screenshots}`);
  });
