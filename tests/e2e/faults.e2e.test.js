// Fault tests in Debian's Chromium: a full disk, a page crashed in the middle
// of a data-key rotation, two tabs rotating at once, two tabs refreshing a
// token at once. The package is bundled (esbuild) as an app would use it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { startDemoServer } from '../../demo/serve.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.ENVEIL_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Debian's Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;

let server, context, profile, pageUrl;
before(async () => {
  if (skip) return;
  const dir = path.join(root, 'build', 'e2e');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'faults-entry.js'), "import * as enveil from 'enveil';\nwindow.enveil = enveil;\nwindow.ready = true;\n");
  await build({ entryPoints: [path.join(dir, 'faults-entry.js')], bundle: true, format: 'esm', platform: 'browser', outfile: path.join(dir, 'faults.js'), logLevel: 'warning', absWorkingDir: root });
  writeFileSync(path.join(dir, 'faults.html'), '<!doctype html><title>enveil faults</title><script type="module" src="./faults.js"></script>');
  server = await startDemoServer(0);
  pageUrl = `${server.origin}/build/e2e/faults.html`;
  profile = mkdtempSync(path.join(os.tmpdir(), 'enveil-faults-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function tab() {
  const page = await context.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.ready);
  return page;
}

/** Runs in the page: opens store `name` with the WebCrypto provider. */
const OPEN = `async (name) => {
  const { EncryptedStore, providers } = window.enveil;
  return EncryptedStore.open({ name, provider: providers.webCrypto({ name: name + '-key' }),
    collections: { notes: { encrypted: ['body'], blindIndex: { body: { bits: 16 } } } } });
}`;

test('IndexedDB quota exhausted mid-write: QUOTA_EXCEEDED, nothing half-written, earlier records intact', { skip }, async () => {
  const page = await tab();
  const cdp = await context.newCDPSession(page);
  // The override applies to connections opened after it: set it first.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.origin, quotaSize: 2 * 1024 * 1024 });
  try {
    const outcome = await page.evaluate(async ([open]) => {
      const store = await eval(open)('quota');
      await store.put('notes', 'first', { body: 'small' });
      const big = 'x'.repeat(256 * 1024);
      let i = 0;
      try {
        for (; i < 200; i++) await store.put('notes', `big-${i}`, { body: big + i });
        return { code: 'none', i };
      } catch (err) {
        const failed = await store.get('notes', `big-${i}`);
        const first = await store.get('notes', 'first');
        const previous = i > 0 ? await store.get('notes', `big-${i - 1}`) : null;
        return { code: err.code, i, failedStored: failed !== undefined, first: first?.body, previousOk: i === 0 || previous?.body.endsWith(String(i - 1)) };
      }
    }, [OPEN]);
    assert.equal(outcome.code, 'QUOTA_EXCEEDED', JSON.stringify(outcome));
    assert.ok(outcome.i > 0, 'some records fitted first');
    assert.equal(outcome.failedStored, false, 'the record that did not fit is not there, not even in part');
    assert.equal(outcome.first, 'small');
    assert.equal(outcome.previousOk, true);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.origin });
    await page.close();
  }
});

test('a page crashed in the middle of a data-key rotation: reopened, the rotation resumes and every record reads back', { skip }, async () => {
  const page = await tab();
  await page.evaluate(async ([open]) => {
    const store = await eval(open)('crash');
    for (let i = 0; i < 60; i++) await store.put('notes', `n${String(i).padStart(3, '0')}`, { body: `note ${i}` });
    window.store = store;
  }, [OPEN]);
  // Start a slow rotation (60 records, 12 batches) and crash the renderer
  // after a few committed batches.
  await page.evaluate(() => {
    window.batches = 0;
    void window.store.rotateDataKeys({
      batchSize: 5,
      onProgress: async () => { window.batches++; await new Promise((r) => setTimeout(r, 100)); },
    }).catch(() => {});
  });
  await page.waitForFunction(() => window.batches >= 3);
  const done = await page.evaluate(() => window.batches);
  assert.ok(done < 12, 'the crash lands before the rotation ends');
  const crashed = page.waitForEvent('crash', { timeout: 10_000 });
  const cdp = await context.newCDPSession(page);
  void cdp.send('Page.crash').catch(() => {}); // the renderer dies: no cleanup runs, no answer comes
  await crashed;
  await page.close().catch(() => {});

  const again = await tab();
  const state = await again.evaluate(async ([open]) => {
    const store = await eval(open)('crash'); // resumes the interrupted rotation
    const { keys, rotation } = await store.keyStatus();
    const bodies = [];
    for (let i = 0; i < 60; i++) bodies.push((await store.get('notes', `n${String(i).padStart(3, '0')}`))?.body);
    const found = await store.findBy('notes', 'body', 'note 42');
    return { rotation, retired: keys.filter((k) => k.kind === 'data' && k.status === 'retired').length, bodies, found: found.map((r) => r.id) };
  }, [OPEN]);
  assert.equal(state.rotation, null, 'the rotation finished on reopen');
  assert.equal(state.retired, 1, 'the old data key was retired');
  assert.deepEqual(state.bodies, Array.from({ length: 60 }, (_, i) => `note ${i}`));
  assert.deepEqual(state.found, ['n042']);
  await again.close();
});

test('two tabs rotating at once: one proceeds, the other gets ROTATION_IN_PROGRESS (Web Locks)', { skip }, async () => {
  const a = await tab();
  const b = await tab();
  await a.evaluate(async ([open]) => {
    window.store = await eval(open)('two-tabs');
    for (let i = 0; i < 30; i++) await window.store.put('notes', i, { body: `b${i}` });
  }, [OPEN]);
  await b.evaluate(async ([open]) => { window.store = await eval(open)('two-tabs'); }, [OPEN]);
  await a.evaluate(() => {
    window.started = false;
    window.done = window.store.rotateDataKeys({
      batchSize: 1,
      onProgress: async () => { window.started = true; await new Promise((r) => setTimeout(r, 20)); },
    }).then(() => 'ok', (e) => e.code);
  });
  await a.waitForFunction(() => window.started);
  const second = await b.evaluate(() => window.store.rotateDataKeys().then(() => 'ok', (e) => e.code));
  assert.equal(second, 'ROTATION_IN_PROGRESS');
  assert.equal(await a.evaluate(() => window.done), 'ok');
  await a.close();
  await b.close();
});

test('two tabs refreshing an expired token at once: the server sees one refresh', { skip }, async () => {
  const VAULT = `async (open) => {
    const { TokenVault, RefreshError } = window.enveil;
    const store = await eval(open)('refresh');
    return TokenVault.open({ store, refresh: async (refreshToken) => {
      const res = await fetch('/auth/refresh', { method: 'POST', body: JSON.stringify({ refresh_token: refreshToken }) });
      const t = await res.json();
      if (res.status !== 200) throw new RefreshError(t.reused ? 'reused' : 'invalid');
      return { accessToken: t.access_token, refreshToken: t.refresh_token, expiresIn: t.expires_in };
    } });
  }`;
  const a = await tab();
  const b = await tab();
  await a.evaluate(async ([open, vault]) => {
    window.vault = await eval(vault)(open);
    const login = await (await fetch('/auth/login', { method: 'POST', body: JSON.stringify({ username: 'ada', password: 'demo' }) })).json();
    // Already expired: the next read must refresh.
    await window.vault.setTokens({ accessToken: login.access_token, refreshToken: login.refresh_token, expiresIn: -1 });
  }, [OPEN, VAULT]);
  await b.evaluate(async ([open, vault]) => { window.vault = await eval(vault)(open); }, [OPEN, VAULT]);
  const before = server.auth.stats.refreshes;
  const [ta, tb] = await Promise.all([
    a.evaluate(() => Promise.all([window.vault.getAccessToken(), window.vault.getAccessToken()])),
    b.evaluate(() => Promise.all([window.vault.getAccessToken(), window.vault.getAccessToken()])),
  ]);
  assert.equal(server.auth.stats.refreshes - before, 1, 'exactly one refresh for four callers in two tabs');
  assert.equal(new Set([...ta, ...tb]).size, 1);
  assert.match(ta[0], /^at_/);
  await a.close();
  await b.close();
});
