// The demo on a phone, in Debian's Chromium with mobile emulation (touch, a
// device-width meta viewport): at 360, 390 and 430 px wide nothing scrolls
// sideways and every control is a 44 px touch target in view, apart from the
// others (tests/e2e/phone-layout.js, shared with the WebKit suite). The
// controls are used by tapping, and a phone screenshot is saved beside the
// desktop one (build/e2e-artifacts/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoServer } from '../../demo/serve.js';
import { launchBrowser, skip } from './chromium.js';
import { PHONES, phoneLayoutProblems } from './phone-layout.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'build', 'e2e-artifacts');

/** The one in the README, beside the desktop screenshot. */
const SCREENSHOT_PHONE = PHONES[1];

let server, browser;
before(async () => {
  if (skip) return;
  assert.ok(existsSync(path.join(root, 'demo/dist/main.js')), 'demo not built: run node demo/build.js (npm run test:e2e does)');
  mkdirSync(artifacts, { recursive: true });
  server = await startDemoServer(0);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** The layout problems at each phone width, as `width: problem` lines. */
async function problemsAtEveryWidth(page) {
  const problems = [];
  for (const phone of PHONES) {
    await page.setViewportSize(phone);
    for (const p of await page.evaluate(phoneLayoutProblems, { width: phone.width })) problems.push(`${phone.width} px: ${p}`);
  }
  return problems;
}

test('the demo on a phone (360, 390, 430 px wide): no sideways scroll, every control a 44 px touch target in view and apart, all of it used by touch', { skip }, async () => {
  const context = await browser.newContext({ viewport: SCREENSHOT_PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => document.getElementById('boot').textContent === 'Ready.')
    .catch((err) => { throw new Error(`demo did not start: ${errors.join('; ') || err.message}`); });

  // Filled as a user would leave it, long values included: a long email, a
  // long name without a space, a recovery key, the raw records, the audit log.
  await page.tap('#sign-in');
  await page.waitForFunction(() => document.getElementById('vault-status').textContent === 'valid');
  const contacts = [
    ['Ada Lovelace', 'ada.lovelace.analytical.engine@example.com', '+44 20 7946 0001'],
    ['GraceBrewsterMurrayHopper', 'grace@example.org', '+1 555 0102'],
  ];
  for (const [i, [name, email, phone]] of contacts.entries()) {
    await page.fill('#c-name', name);
    await page.fill('#c-email', email);
    await page.fill('#c-phone', phone);
    await page.tap('#add-contact');
    await page.waitForFunction((n) => document.querySelectorAll('#contacts tbody tr').length === n, i + 1);
  }
  await page.tap('#create-recovery');
  await page.waitForFunction(() => document.getElementById('recovery-key').textContent.length > 0);
  const recoveryKey = await page.textContent('#recovery-key');
  await page.tap('#verify');
  await page.waitForFunction(() => /^chain intact/.test(document.getElementById('verify-result').textContent));
  await page.tap('#offline');
  assert.equal(await page.isChecked('#offline'), true, 'the Offline switch toggles by a tap on its label');
  await page.tap('#offline');

  assert.deepEqual(await problemsAtEveryWidth(page), []);
  await page.setViewportSize(SCREENSHOT_PHONE);
  await page.evaluate(() => scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, 'demo-phone.png') });
  await page.screenshot({ path: path.join(artifacts, 'demo-phone-full.png'), fullPage: true });

  // The recovery form, shown once the device key is lost, fits as well.
  await page.tap('#lose-key');
  await page.waitForFunction(() => /recovery key/.test(document.getElementById('boot').textContent));
  assert.deepEqual(await problemsAtEveryWidth(page), []);
  await page.fill('#recovery-input', recoveryKey);
  await page.tap('#recover');
  await page.waitForFunction(() => document.getElementById('boot').textContent === 'Ready.');
  await page.waitForFunction((n) => document.querySelectorAll('#contacts tbody tr').length === n, contacts.length);
  assert.deepEqual(errors, []);
  await context.close();
});
