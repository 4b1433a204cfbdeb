// Fault tests in Debian's Chromium: a full disk; a rotation cut short by a
// crashed renderer, a killed browser or a closed tab; two tabs rotating at
// once; two tabs refreshing a token at once. The package is bundled (esbuild)
// as an app would use it. Nothing here waits on time: a rotation is held at a
// known batch by the promise its onProgress returns, and released (or cut
// short) by the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoServer } from '../../demo/serve.js';
import { bundlePage, launchProfile, skip } from './chromium.js';


let server, context, profile, pageUrl;
before(async () => {
  if (skip) return;
  const page = await bundlePage('faults', ["import * as enveil from 'enveil';", 'window.enveil = enveil;', 'window.ready = true;']);
  server = await startDemoServer(0);
  pageUrl = `${server.origin}${page}`;
  profile = mkdtempSync(path.join(os.tmpdir(), 'enveil-faults-'));
  context = await launch();
});
after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

function launch() {
  return launchProfile(profile);
}

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

/**
 * Runs in the page: starts a `kind` rotation of window.store in batches of
 * `batchSize` that holds after batch `at`: onProgress returns a promise the
 * test keeps (the rotation's contract: the next batch waits for it), so the
 * fault lands at a known batch whatever the machine's speed.
 * window.held: the progress reported when it held; window.release() lets it
 * go on; window.rotation: 'ok' or the error's code once it ends.
 */
function startHeldRotation({ kind, at, batchSize }) {
  window.held = null;
  const gate = new Promise((resolve) => { window.release = resolve; });
  let batches = 0;
  const options = {
    batchSize,
    onProgress: (progress) => {
      batches++;
      if (batches !== at) return undefined;
      window.held = progress;
      return gate;
    },
  };
  const run = kind === 'data' ? window.store.rotateDataKeys(options) : window.store.rotateIndexKeys(options);
  window.rotation = run.then(() => 'ok', (err) => err.code ?? String(err));
}

/** The Chromium process that playwright launched (the context's browser). */
async function browserPid() {
  const cdp = await context.browser().newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  await cdp.detach();
  return processInfo.find((p) => p.type === 'browser').id;
}

/** How a rotation is cut short, at the moment it holds. */
const FAULTS = {
  async 'the renderer crashes'(page) {
    const crashed = page.waitForEvent('crash');
    const cdp = await context.newCDPSession(page);
    void cdp.send('Page.crash').catch(() => {}); // the renderer dies: no cleanup runs, no answer comes
    await crashed;
    await page.close().catch(() => {});
  },
  async 'the browser is killed'() {
    const closed = new Promise((resolve) => context.once('close', resolve));
    process.kill(await browserPid(), 'SIGKILL'); // no shutdown: what a killed app leaves
    await closed;
    context = await launch(); // the same profile, as the app's next start
  },
  async 'the tab is closed'(page) {
    await page.close();
  },
};

const RECORDS = 60;
const BATCH_SIZE = 5; // 12 batches
// Held mid-way for data keys, and after the last batch (before the final pass
// that retires the old key) for index keys.
const HOLDS = [
  { kind: 'data', at: 3, scope: 'notes' },
  { kind: 'index', at: RECORDS / BATCH_SIZE, scope: 'notes/body' },
];

for (const [fault, inflict] of Object.entries(FAULTS)) {
  for (const { kind, at, scope } of HOLDS) {
    test(`${fault} while the ${kind} keys rotate, held after batch ${at} of ${RECORDS / BATCH_SIZE}: reopened, the rotation resumes, every record reads back and is found`, { skip }, async () => {
      const name = `fault-${kind}-${fault.split(' ').pop()}`;
      const page = await tab();
      await page.evaluate(async ([open, name, records]) => {
        const store = await eval(open)(name);
        for (let i = 0; i < records; i++) await store.put('notes', `n${String(i).padStart(3, '0')}`, { body: `note ${i}` });
        window.store = store;
      }, [OPEN, name, RECORDS]);
      await page.evaluate(startHeldRotation, { kind, at, batchSize: BATCH_SIZE });
      await page.waitForFunction(() => window.held !== null);
      const held = await page.evaluate(async () => ({ reported: window.held, saved: (await window.store.keyStatus()).rotation }));
      assert.equal(held.reported.processed, at * BATCH_SIZE, 'held after the batch asked for');
      assert.equal(held.saved?.kind, kind, 'the rotation is saved as under way');
      assert.equal(held.saved?.processed, at * BATCH_SIZE, 'its progress is saved up to the batch it holds after');

      await inflict(page);

      const again = await tab();
      const state = await again.evaluate(async ([open, name, records, kind, scope]) => {
        // The browser frees a dead tab's Web Locks on its own schedule: wait
        // for them, or the reopen could find the rotation lock still held and
        // (rightly) leave the rotation to its holder.
        const { held } = await navigator.locks.query();
        await Promise.all(held.map((lock) => navigator.locks.request(lock.name, () => {})));
        const store = await eval(open)(name); // resumes the interrupted rotation
        const { keys, rotation } = await store.keyStatus();
        const ids = Array.from({ length: records }, (_, i) => `n${String(i).padStart(3, '0')}`);
        const bodies = [];
        const found = [];
        for (const [i, id] of ids.entries()) {
          bodies.push((await store.get('notes', id))?.body);
          found.push((await store.findBy('notes', 'body', `note ${i}`)).map((r) => r.id).join());
        }
        const statuses = keys.filter((k) => k.kind === kind && k.scope === scope).map((k) => k.status).sort();
        return { rotation, statuses, bodies, found, expectedIds: ids };
      }, [OPEN, name, RECORDS, kind, scope]);
      assert.equal(state.rotation, null, 'the rotation finished on reopen');
      assert.deepEqual(state.statuses, ['primary', 'retired'], 'the new key is primary, the old one retired');
      assert.deepEqual(state.bodies, Array.from({ length: RECORDS }, (_, i) => `note ${i}`), 'every record reads back');
      assert.deepEqual(state.found, state.expectedIds, 'every record is found by its body');
      await again.close();
    });
  }
}

test('two tabs rotating at once: one proceeds, the other gets ROTATION_IN_PROGRESS (Web Locks)', { skip }, async () => {
  const a = await tab();
  const b = await tab();
  await a.evaluate(async ([open]) => {
    window.store = await eval(open)('two-tabs');
    for (let i = 0; i < 30; i++) await window.store.put('notes', i, { body: `b${i}` });
  }, [OPEN]);
  await b.evaluate(async ([open]) => { window.store = await eval(open)('two-tabs'); }, [OPEN]);
  await a.evaluate(startHeldRotation, { kind: 'data', at: 1, batchSize: 1 });
  await a.waitForFunction(() => window.held !== null);
  assert.equal(await b.evaluate(() => window.store.rotateDataKeys().then(() => 'ok', (e) => e.code)), 'ROTATION_IN_PROGRESS');
  await a.evaluate(() => window.release());
  assert.equal(await a.evaluate(() => window.rotation), 'ok');
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
