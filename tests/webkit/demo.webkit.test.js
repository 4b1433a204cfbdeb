// End to end in WebKitGTK (the engine of iOS webviews, as Debian ships it):
// the bundled demo driven over W3C WebDriver as tests/e2e/demo.e2e.test.js
// drives it in Chromium, then WebKit's own IndexedDB files (SQLite and its
// WAL) searched for the plaintext; first the demo at three phone widths,
// with the layout check tests/e2e/phone.e2e.test.js runs in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoServer } from '../../demo/serve.js';
import { PHONES, phoneLayoutProblems } from '../e2e/phone-layout.js';
import { canary, people, run } from '../e2e/demo-people.js';
import { filesHolding, filesUnder, indexedDBDir, openBrowser, root, skip, sqliteFiles, startWebKit } from './harness.mjs';

const artifacts = path.join(root, 'build', 'e2e-artifacts');

let server, webkit, session, profile;
before(async () => {
  if (skip) return;
  assert.ok(existsSync(path.join(root, 'demo/dist/main.js')), 'demo not built: run node demo/build.js (npm run test:webkit does)');
  mkdirSync(artifacts, { recursive: true });
  server = await startDemoServer(0);
  profile = mkdtempSync(path.join(os.tmpdir(), 'enveil-webkit-'));
  webkit = await startWebKit();
  session = await openBrowser(webkit.driver, { profile });
});
after(async () => {
  await session?.deleteSession();
  await webkit?.stop();
  await server?.close();
  if (profile && !process.env.ENVEIL_KEEP_PROFILE) rmSync(profile, { recursive: true, force: true });
});

/** Errors the page threw or left unhandled since its last load (collected from the load on). */
const COLLECT_ERRORS = () => {
  if (window.__errors) return;
  window.__errors = [];
  addEventListener('error', (e) => window.__errors.push(e.message));
  addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason?.message ?? e.reason)));
};

async function waitReady(pattern = /Ready|recovery key/) {
  await session.waitFor((source) => new RegExp(source).test(document.getElementById('boot').textContent), [pattern.source], { message: `boot ${pattern}` })
    .catch(async (err) => { throw new Error(`demo did not start: ${await text('#boot')} (${err.message})`); });
  await session.run(COLLECT_ERRORS);
}
const text = (sel) => session.run((s) => document.querySelector(s).textContent, [sel]);
const until = (fn, args = [], message) => session.waitFor(fn, args, { message });
async function click(sel) {
  await session.click(sel);
  await new Promise((r) => setTimeout(r, 150));
}

test('the demo on a phone in WebKitGTK (360, 390, 430 px wide): no sideways scroll, every control a 44 px touch target in view and apart', { skip }, async () => {
  // browser.py's windows have no toolbar: the window size is the viewport.
  await session.setWindowSize(PHONES[1].width, PHONES[1].height);
  await session.navigate(server.url);
  await waitReady();
  const problems = [];
  try {
    for (const phone of PHONES) {
      await session.setWindowSize(phone.width, phone.height);
      assert.equal(await session.run(() => innerWidth), phone.width);
      for (const p of await session.run(phoneLayoutProblems, [{ width: phone.width }])) problems.push(`${phone.width} px: ${p}`);
      if (phone === PHONES[1]) writeFileSync(path.join(artifacts, 'demo-webkit-phone.png'), await session.screenshot());
    }
  } finally {
    await session.setWindowSize(1280, 900);
  }
  assert.deepEqual(problems, []);
});


test('the demo in WebKitGTK: sign in, reload, search, rotate keys, lock, recover, audit; nothing readable on disk', { skip }, async () => {
  await session.navigate(server.url);
  await waitReady();
  assert.match(await text('#provider'), /^webcrypto:/);

  await click('#sign-in');
  await until(() => document.getElementById('vault-status').textContent === 'valid', [], 'signed in');
  for (const [name, email, phone] of [...people, [canary, `canary.${run}@example.com`, '0']]) {
    await session.type('#c-name', name);
    await session.type('#c-email', email);
    await session.type('#c-phone', phone);
    await session.click('#add-contact');
    await until((n) => [...document.querySelectorAll('#contacts td:nth-child(2)')].some((td) => td.textContent === n), [name], `contact ${name} listed`);
  }

  // Reload: still signed in, records still there.
  await session.refresh();
  await waitReady(/^Ready\.$/);
  await until(() => document.getElementById('vault-status').textContent === 'valid', [], 'still signed in');
  await until(() => document.querySelectorAll('#contacts tbody tr').length === 4, [], 'four contacts after reload');

  const search = async (q) => {
    await session.type('#search', q);
    await session.run(() => { document.getElementById('contacts-msg').textContent = ''; });
    await session.click('#do-search');
    await until(() => document.getElementById('contacts-msg').textContent !== '', [], `search ${q}`);
    return session.run(() => [...document.querySelectorAll('#contacts tbody tr td:nth-child(3)')].map((td) => td.textContent));
  };
  assert.deepEqual(await search(`  ${people[0][1].toUpperCase()} `), [people[0][1]]);

  await session.click('#call-api');
  await until(() => /API says: you are alice/.test(document.getElementById('session-msg').textContent), [], 'API call');

  // Rotations: data keys with the progress bar, index keys, master key.
  await click('#rotate-data');
  await until(() => /data keys rotated/.test(document.getElementById('keys-msg').textContent), [], 'data keys rotated');
  assert.equal(await session.run(() => { const p = document.getElementById('progress'); return p.value === p.max && p.max > 0; }), true);
  await click('#rotate-index');
  await until(() => /index keys rotated/.test(document.getElementById('keys-msg').textContent), [], 'index keys rotated');
  await click('#rotate-master');
  await until(() => /master key rotated/.test(document.getElementById('keys-msg').textContent), [], 'master key rotated');
  for (const [, email] of people) assert.deepEqual(await search(email), [email], `found after rotation: ${email}`);

  // Lock and unlock.
  await session.click('#lock');
  await until(() => document.getElementById('lock-state').textContent === 'locked', [], 'locked');
  await session.click('#call-api');
  await until(() => /^LOCKED/.test(document.getElementById('session-msg').textContent), [], 'LOCKED answer');
  await session.click('#unlock');
  await until(() => document.getElementById('lock-state').textContent === 'unlocked', [], 'unlocked');

  // Offline (the grace period after expiry: tests/js/vault.test.js).
  await session.click('#offline');
  await session.click('#call-api');
  await until(() => /^offline/.test(document.getElementById('session-msg').textContent), [], 'offline answer');
  await session.click('#offline');

  await session.click('#verify');
  await until(() => /chain intact|BROKEN/.test(document.getElementById('verify-result').textContent), [], 'audit verified');
  assert.match(await text('#verify-result'), /^chain intact/);
  await search('');
  writeFileSync(path.join(artifacts, 'demo-webkit.png'), await session.screenshot());

  // Recovery: create a recovery key, lose the device key, recover.
  await session.click('#create-recovery');
  await until(() => document.getElementById('recovery-key').textContent.length > 0, [], 'recovery key shown');
  const recoveryKey = await text('#recovery-key');
  assert.match(recoveryKey, /^([0-9A-Z]{4}-){13}[0-9A-Z]$/);
  assert.deepEqual(await session.run(() => window.__errors), []);
  await session.click('#lose-key'); // the page reloads itself
  await session.waitFor(() => /recovery key/.test(document.getElementById('boot').textContent), [], { timeoutMs: 15_000, message: 'asked for the recovery key' });
  await session.run(COLLECT_ERRORS);
  await session.type('#recovery-input', recoveryKey);
  await session.click('#recover');
  await until(() => document.getElementById('boot').textContent === 'Ready.', [], 'recovered');
  for (const [, email] of people) assert.deepEqual(await search(email), [email], `found after recovery: ${email}`);
  assert.equal(await text('#vault-status'), 'valid');
  assert.deepEqual(await session.run(() => window.__errors), []);

  // WebKit's files for this profile, twice: copied while the browser runs
  // (the SQLite files with their write-ahead log, as a backup taken then
  // would hold them), and after it quit (its network process owns the files
  // and checkpoints the WAL into the database on the way out).
  const running = sqliteFiles(filesUnder(indexedDBDir(profile)));
  assert.ok(running.some(({ file }) => file.endsWith('-wal')), 'a write-ahead log while the browser runs');
  await session.deleteSession();
  session = undefined;
  const quit = sqliteFiles(filesUnder(indexedDBDir(profile)));
  for (const [when, idb] of [['running', running], ['after quitting', quit]]) {
    assert.ok(idb.some(({ file }) => file.endsWith('.sqlite3')), `${when}: found the IndexedDB SQLite files`);
    assert.ok(filesHolding(idb, canary).length > 0, `${when}: control: a plain field is visible in the IndexedDB files`);
  }
  const everything = [...running, ...filesUnder(profile)]; // and the rest of the profile: caches, local storage
  for (const [name, email, phone] of people) {
    assert.ok(filesHolding(quit, name).length > 0, `control: the plain name ${name} is on disk`);
    assert.deepEqual(filesHolding(everything, email), [], `email on disk: ${email}`);
    assert.deepEqual(filesHolding(everything, phone), [], `phone on disk: ${phone}`);
  }
  assert.ok(server.auth.issued.length >= 2);
  for (const token of server.auth.issued) assert.deepEqual(filesHolding(everything, token), [], 'a token is on disk');
});
