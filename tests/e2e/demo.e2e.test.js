// End to end: the bundled demo in Debian's Chromium, driven by playwright-core
// (no browser download), then Chromium's own IndexedDB files searched for
// plaintext.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startDemoServer } from '../../demo/serve.js';
import { launchProfile, skip } from './chromium.js';
import { leveldbContents } from './leveldb.js';
import { phoneLayoutProblems } from './phone-layout.js';
import { canary, people, run } from './demo-people.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'build', 'e2e-artifacts');

let server, context, profile;
before(async () => {
  if (skip) return;
  assert.ok(existsSync(path.join(root, 'demo/dist/main.js')), 'demo not built: run node demo/build.js (npm run test:e2e does)');
  mkdirSync(artifacts, { recursive: true });
  server = await startDemoServer(0);
  profile = mkdtempSync(path.join(os.tmpdir(), 'enveil-chromium-'));
  context = await launch();
});
after(async () => {
  await context?.close();
  await server?.close();
  if (profile && !process.env.ENVEIL_KEEP_PROFILE) rmSync(profile, { recursive: true, force: true });
});

function launch() {
  // A fresh profile directory (playwright passes it as --user-data-dir).
  return launchProfile(profile, { viewport: { width: 1280, height: 900 } });
}

async function openDemo(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => /Ready|recovery key/.test(document.getElementById('boot').textContent), null, { timeout: 15_000 })
    .catch((err) => { throw new Error(`demo did not start: ${errors.join('; ') || err.message}`); });
  return errors;
}

const text = (page, sel) => page.textContent(sel);

/** Whether `needle` occurs in any file as UTF-8/Latin-1 or UTF-16LE (how V8 serialises strings). */
function onDisk(all, needle) {
  const forms = [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le')];
  return all.some((buf) => forms.some((f) => buf.indexOf(f) !== -1));
}


test('the demo: sign in, reload, search, rotate keys, lock, recover, audit; nothing readable on disk', { skip }, async () => {
  const page = await context.newPage();
  const errors = await openDemo(page);
  assert.match(await text(page, '#provider'), /^webcrypto:/);

  await page.click('#sign-in');
  await page.waitForFunction(() => document.getElementById('vault-status').textContent === 'valid');
  for (const [name, email, phone] of [...people, [canary, `canary.${run}@example.com`, '0']]) {
    await page.fill('#c-name', name);
    await page.fill('#c-email', email);
    await page.fill('#c-phone', phone);
    await page.click('#add-contact');
    await page.waitForFunction((n) => [...document.querySelectorAll('#contacts td:nth-child(2)')].some((td) => td.textContent === n), name);
  }

  // Reload: still signed in, records still there.
  await page.reload();
  await page.waitForFunction(() => document.getElementById('boot').textContent === 'Ready.');
  await page.waitForFunction(() => document.getElementById('vault-status').textContent === 'valid');
  await page.waitForFunction(() => document.querySelectorAll('#contacts tbody tr').length === 4);

  const search = async (q) => {
    await page.fill('#search', q);
    await page.evaluate(() => { document.getElementById('contacts-msg').textContent = ''; });
    await page.click('#do-search');
    await page.waitForFunction(() => document.getElementById('contacts-msg').textContent !== '');
    return page.locator('#contacts tbody tr td:nth-child(3)').allTextContents();
  };
  assert.deepEqual(await search(`  ${people[0][1].toUpperCase()} `), [people[0][1]]);

  await page.click('#call-api');
  await page.waitForFunction(() => /API says: you are alice/.test(document.getElementById('session-msg').textContent));

  // Rotations: data keys with the progress bar, index keys, master key.
  await page.click('#rotate-data');
  await page.waitForFunction(() => /data keys rotated/.test(document.getElementById('keys-msg').textContent));
  assert.equal(await page.evaluate(() => { const p = document.getElementById('progress'); return p.value === p.max && p.max > 0; }), true);
  await page.click('#rotate-index');
  await page.waitForFunction(() => /index keys rotated/.test(document.getElementById('keys-msg').textContent));
  await page.click('#rotate-master');
  await page.waitForFunction(() => /master key rotated/.test(document.getElementById('keys-msg').textContent));
  for (const [, email] of people) assert.deepEqual(await search(email), [email], `found after rotation: ${email}`);

  // Lock and unlock.
  await page.click('#lock');
  await page.waitForFunction(() => document.getElementById('lock-state').textContent === 'locked');
  await page.click('#call-api');
  await page.waitForFunction(() => /^LOCKED/.test(document.getElementById('session-msg').textContent));
  await page.click('#unlock');
  await page.waitForFunction(() => document.getElementById('lock-state').textContent === 'unlocked');

  // Offline (the grace period after expiry is covered by tests/js/vault.test.js:
  // the demo's tokens live 60 s).
  await page.check('#offline');
  await page.click('#call-api');
  await page.waitForFunction(() => /^offline/.test(document.getElementById('session-msg').textContent));
  await page.uncheck('#offline');

  await page.click('#verify');
  await page.waitForFunction(() => /chain intact|BROKEN/.test(document.getElementById('verify-result').textContent));
  assert.match(await text(page, '#verify-result'), /^chain intact/);
  await search('');
  // The desktop layout holds too (a mouse: no touch-target size asked).
  assert.deepEqual(await page.evaluate(phoneLayoutProblems, { minTarget: 0 }), [], 'the desktop layout');
  await page.screenshot({ path: path.join(artifacts, 'demo.png'), fullPage: true });

  // Recovery: create a recovery key, lose the device key, recover.
  await page.click('#create-recovery');
  await page.waitForFunction(() => document.getElementById('recovery-key').textContent.length > 0);
  const recoveryKey = await text(page, '#recovery-key');
  assert.match(recoveryKey, /^([0-9A-Z]{4}-){13}[0-9A-Z]$/);
  await page.click('#lose-key');
  await page.waitForFunction(() => /recovery key/.test(document.getElementById('boot').textContent), null, { timeout: 15_000 });
  await page.fill('#recovery-input', recoveryKey);
  await page.click('#recover');
  await page.waitForFunction(() => document.getElementById('boot').textContent === 'Ready.');
  for (const [, email] of people) assert.deepEqual(await search(email), [email], `found after recovery: ${email}`);
  assert.equal(await text(page, '#vault-status'), 'valid');
  assert.deepEqual(errors, []);

  // Chromium's files for this profile: tokens and encrypted fields must not
  // be there; the plain name is (proof the search can see stored strings).
  await context.close();
  const dir = path.join(profile, 'Default', 'IndexedDB');
  const blobs = leveldbContents(dir);
  context = await launch(); // for the tests after this one
  assert.ok(blobs.length > 0, 'found the IndexedDB files');
  assert.equal(onDisk(blobs, canary), true, 'control: a plain field is visible on disk');
  for (const [, email, phone] of people) {
    assert.equal(onDisk(blobs, email), false, `email on disk: ${email}`);
    assert.equal(onDisk(blobs, phone), false, `phone on disk: ${phone}`);
  }
  assert.ok(server.auth.issued.length >= 2);
  for (const token of server.auth.issued) assert.equal(onDisk(blobs, token), false, 'a token is on disk');
});

test("the README's store-a-token example runs in Chromium as written", { skip }, async () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const match = readme.match(/<!-- e2e-example[^>]*-->\s*```js\n([\s\S]*?)```/);
  assert.ok(match, 'README has the e2e example');
  assert.ok(match[1].trim().split('\n').length <= 12, 'about ten lines');
  const dir = path.join(root, 'build', 'e2e');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'example-src.js'), `${match[1]}\nwindow.__result = { accessToken, status: await vault.status() };\n`);
  await build({ entryPoints: [path.join(dir, 'example-src.js')], bundle: true, format: 'esm', platform: 'browser', outfile: path.join(dir, 'example.js'), logLevel: 'warning', absWorkingDir: root });
  writeFileSync(path.join(dir, 'example.html'), '<!doctype html><script type="module" src="./example.js"></script>');
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.origin}/build/e2e/example.html`);
  await page.waitForFunction(() => window.__result, null, { timeout: 15_000 }).catch(() => { throw new Error(errors.join('; ') || 'no result'); });
  const result = await page.evaluate(() => window.__result);
  assert.match(result.accessToken, /^at_/);
  assert.equal(result.status, 'valid');
});

test('hazmat AES-256-GCM in Chromium matches WebCrypto both ways', { skip }, async () => {
  const page = await context.newPage();
  await page.goto(`${server.origin}/build/e2e/example.html`).catch(() => {});
  const mismatches = await page.evaluate(async () => {
    const { init, aes256gcmSeal, aes256gcmOpen, randomBytes } = await import('/js/hazmat.js');
    await init();
    const bad = [];
    for (const size of [0, 1, 16, 33, 1024, 65537]) {
      const key = randomBytes(32), iv = randomBytes(12), pt = randomBytes(size), aad = randomBytes(size % 50);
      const k = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
      const theirs = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, k, pt));
      if (aes256gcmSeal(key, iv, pt, aad).join() !== theirs.join()) bad.push(`seal ${size}`);
      if (aes256gcmOpen(key, iv, theirs, aad).join() !== pt.join()) bad.push(`open ${size}`);
    }
    return bad;
  });
  assert.deepEqual(mismatches, []);
});
