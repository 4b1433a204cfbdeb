// EncryptedStore over fake-indexeddb, each test its own IDBFactory. The
// store's audit log: chained entries, paging, and the chain check.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { rawDump, withRawStore } from '../idb-helpers.js';
import { init, providers } from '../../../js/index.js';
import { codeOf, openStore } from './fixtures.js';

await init();

test('appended entries chain in order, are announced, and page by time and count', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  const announced = [];
  store.on('audit', (e) => announced.push(e.seq));
  const before = Date.now();
  for (let i = 0; i < 5; i++) await store.appendAudit('sync', { batch: i });
  const log = await store.auditLog();
  assert.deepEqual(log.map((e) => e.seq), [1, 2, 3, 4, 5]);
  assert.deepEqual(announced, [1, 2, 3, 4, 5]);
  assert.deepEqual(log.map((e) => e.details.batch), [0, 1, 2, 3, 4]);
  assert.ok(log.every((e) => e.at >= before && /^\d+:[0-9a-f]{64}$/.test(e.mac)));
  assert.deepEqual((await store.auditLog({ limit: 2 })).map((e) => e.seq), [4, 5], 'the newest, oldest first');
  assert.deepEqual(await store.auditLog({ since: Date.now() + 60_000 }), []);
  assert.deepEqual(await store.verifyAuditLog(), { ok: true, entries: 5 });
  assert.equal(await codeOf(store.appendAudit('', {})), 'INVALID_ARGUMENT');
  store.close();
});

test('the chain check names the first edited, removed or reordered entry, and a cut end', async () => {
  const idb = new IDBFactory();
  const store = await openStore(idb, providers.memory());
  for (let i = 0; i < 6; i++) await store.appendAudit('sync', { batch: i });
  const saved = (await rawDump(idb)).audit;
  const tamper = async (fn) => {
    await withRawStore(idb, 'audit', fn);
    const result = await store.verifyAuditLog();
    await withRawStore(idb, 'audit', (s) => { s.clear(); for (const e of saved) s.put(e); });
    assert.equal((await store.verifyAuditLog()).ok, true, 'restored');
    return result;
  };
  const edited = await tamper((s) => s.put({ ...saved[2], details: { batch: 99 } }));
  assert.deepEqual([edited.ok, edited.seq, edited.reason], [false, 3, 'entry was altered or moved']);
  const removed = await tamper((s) => s.delete(4));
  assert.deepEqual([removed.ok, removed.seq], [false, 5]);
  const reordered = await tamper((s) => {
    s.put({ ...saved[1], seq: 3 });
    s.put({ ...saved[2], seq: 2 });
  });
  assert.deepEqual([reordered.ok, reordered.seq], [false, 2]);
  const foreignKey = await tamper((s) => s.put({ ...saved[0], mac: `4000000000:${saved[0].mac.split(':')[1]}` }));
  assert.deepEqual([foreignKey.ok, foreignKey.reason], [false, 'entry names no audit key of this store']);
  const cut = await tamper((s) => s.delete(6));
  assert.deepEqual([cut.ok, cut.entries, cut.reason], [false, 5, 'entries were removed from the end']);
  store.close();
});
