// The demo page and the WASM core in a real browser: Debian's Chromium
// driven by playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startDemoServer } from '../../demo/serve.js';

const CHROMIUM = process.env.ENVEIL_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Debian's Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;

let server, browser, profile;
before(async () => {
  if (skip) return;
  server = await startDemoServer(0);
  profile = mkdtempSync(path.join(os.tmpdir(), 'enveil-chromium-'));
  // A fresh profile directory each run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('the demo encrypts, decrypts, rejects a flipped bit and blind-indexes in Chromium', { skip }, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(server.url);
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('WASM core ready'), null, { timeout: 10_000 })
    .catch((err) => { throw new Error(`demo did not start: ${errors.join('; ') || err.message}`); });
  assert.match(await page.textContent('#result'), /^encrypted 87 bytes/);
  await page.click('#decrypt');
  assert.equal(await page.textContent('#result'), 'Alice@Example.com');
  await page.click('#tamper');
  assert.match(await page.textContent('#result'), /^AUTH_FAILED: /);
  const lines = (await page.textContent('#index')).split('\n').map((l) => l.split('→ ')[1]);
  assert.equal(new Set(lines).size, 1, 'case and spacing variants share one blind index');
  await page.click('#rotate');
  await page.click('#decrypt');
  assert.equal(await page.textContent('#result'), 'Alice@Example.com', 'old ciphertext still decrypts after rotation');
  assert.deepEqual(errors, []);
});

test('hazmat AES-256-GCM in Chromium matches WebCrypto both ways', { skip }, async () => {
  const page = await browser.newPage();
  await page.goto(server.url);
  const mismatches = await page.evaluate(async () => {
    const { init, aes256gcmSeal, aes256gcmOpen, randomBytes } = await import('/js/hazmat.js');
    await init();
    const bad = [];
    for (const size of [0, 1, 16, 33, 1024, 65537]) {
      const key = randomBytes(32), iv = randomBytes(12), pt = randomBytes(size), aad = randomBytes(size % 50);
      const k = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
      const theirs = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, k, pt));
      const ours = aes256gcmSeal(key, iv, pt, aad);
      if (ours.join() !== theirs.join()) bad.push(`seal ${size}`);
      if (aes256gcmOpen(key, iv, theirs, aad).join() !== pt.join()) bad.push(`open ${size}`);
      const back = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, k, ours));
      if (back.join() !== pt.join()) bad.push(`webcrypto open ${size}`);
    }
    return bad;
  });
  assert.deepEqual(mismatches, []);
});
