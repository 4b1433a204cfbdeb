// What the webCrypto provider's non-extractable CryptoKey becomes on disk,
// per engine: the provider runs as it is (its database, its add()), given a
// SubtleCrypto whose generateKey imports 32 known random bytes instead of
// drawing them, so the files can be searched for those bytes. A key that
// cannot be exported from script can still be read from the files if the
// engine stores it unwrapped; SECURITY.md says what the web fallback then
// protects against. These tests pin what each engine does today: if one
// starts wrapping its keys, its test fails and SECURITY.md needs a change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoServer } from '../../demo/serve.js';
import { leveldbContents } from '../e2e/leveldb.js';
import { launchProfile, skip as chromiumSkip } from '../e2e/chromium.js';
import { buildTestPage, filesHolding, filesUnder, indexedDBDir, openBrowser, skip as webkitSkip, startWebKit } from './harness.mjs';


let server, pagePath;
const profiles = [];
before(async () => {
  if (webkitSkip && chromiumSkip) return;
  server = await startDemoServer(0);
  pagePath = await buildTestPage();
});
after(async () => {
  await server?.close();
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
});

/**
 * Runs in the page: a store opened with providers.webCrypto, whose key is
 * `known` imported non-extractable (generateKey is the only call replaced).
 */
async function storeWithKnownKey(known) {
  const { EncryptedStore, providers } = window.enveil;
  const bytes = new Uint8Array(known);
  const subtle = {
    generateKey: () => crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']),
    encrypt: (...args) => crypto.subtle.encrypt(...args),
    decrypt: (...args) => crypto.subtle.decrypt(...args),
  };
  const provider = providers.webCrypto({ name: 'at-rest-key', subtle });
  const store = await EncryptedStore.open({ name: 'at-rest', provider, collections: { notes: { encrypted: ['body'] } } });
  await store.put('notes', 'n1', { body: 'sealed' });
  store.close();
  // The key as the page sees it: non-extractable, exporting it is refused.
  const key = await new Promise((resolve, reject) => {
    const req = indexedDB.open('at-rest-key');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const get = req.result.transaction('keys').objectStore('keys').get('kek');
      get.onsuccess = () => { req.result.close(); resolve(get.result); };
      get.onerror = () => reject(get.error);
    };
  });
  const exported = await crypto.subtle.exportKey('raw', key).then(() => 'exported', (e) => e.name);
  return { type: key.constructor.name, extractable: key.extractable, algorithm: key.algorithm.name, exported };
}

const PAGE_SAYS = { type: 'CryptoKey', extractable: false, algorithm: 'AES-GCM', exported: 'InvalidAccessError' };

test("WebKitGTK keeps the webCrypto provider's non-extractable key as its raw bytes in its IndexedDB files", { skip: webkitSkip }, async () => {
  const known = randomBytes(32);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'enveil-webkit-key-'));
  profiles.push(profile);
  const webkit = await startWebKit();
  let session;
  try {
    session = await openBrowser(webkit.driver, { profile });
    await session.navigate(server.origin + pagePath);
    await session.waitFor(() => window.ready, [], { message: 'enveil loaded' });
    assert.deepEqual(await session.run(storeWithKnownKey, [[...known]]), PAGE_SAYS);
    const running = filesUnder(indexedDBDir(profile)); // with the write-ahead log
    await session.deleteSession();
    session = undefined;
    const quit = filesUnder(indexedDBDir(profile));
    const holding = [...new Set([...filesHolding(running, known), ...filesHolding(quit, known)])].map((f) => path.basename(f));
    assert.ok(holding.length > 0, 'the raw key bytes are in the IndexedDB files (unwrapped): if this fails, WebKitGTK wraps keys now; update SECURITY.md');
    assert.ok(holding.every((f) => f.startsWith('IndexedDB.sqlite3')), holding.join(', '));
  } finally {
    await session?.deleteSession();
    await webkit.stop();
  }
});

test("Chromium keeps the webCrypto provider's non-extractable key as its raw bytes in its IndexedDB files", { skip: chromiumSkip }, async () => {
  const known = randomBytes(32);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'enveil-chromium-key-'));
  profiles.push(profile);
  const context = await launchProfile(profile);
  try {
    const page = await context.newPage();
    await page.goto(server.origin + pagePath);
    await page.waitForFunction(() => window.ready);
    assert.deepEqual(await page.evaluate(`(${storeWithKnownKey})(${JSON.stringify([...known])})`), PAGE_SAYS);
  } finally {
    await context.close();
  }
  // LevelDB: the log as it is, the tables decompressed (tests/e2e/leveldb.js).
  const blobs = leveldbContents(path.join(profile, 'Default', 'IndexedDB'));
  assert.ok(blobs.some((b) => b.indexOf(known) !== -1), 'the raw key bytes are in the IndexedDB files (unwrapped): if this fails, Chromium wraps keys now; update SECURITY.md');
});
