// The vault file (js/node/file-indexeddb.js) and its lock (js/node/file-lock.js):
// an EncryptedStore that outlives its process, commits that are on disk before
// the store hears of them, a file that is always a whole snapshot, a damaged
// or hostile file refused cleanly, and one holder of the lock at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { createHash } from 'node:crypto';
import { IDBKeyRange } from 'fake-indexeddb';
import { decodeSnapshot, encodeSnapshot, openFileIndexedDB } from '../../js/node/file-indexeddb.js';
import { withFileLock } from '../../js/node/file-lock.js';
import { EncryptedStore, init, providers } from '../../js/index.js';
import { EnveilError } from '../../js/errors.js';
import { rejectionCode } from './helpers.js';
import { snapshotDatabase } from './idb-helpers.js';

await init();

const CHILD = fileURLToPath(new URL('./fixtures/file-vault-child.mjs', import.meta.url));
const KEY = new Uint8Array(32).fill(0x5a); // the child's key (fixtures/file-vault-child.mjs)
const COLLECTIONS = { contacts: { encrypted: ['email'], blindIndex: { email: {} }, indexes: ['city'] } };

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'enveil-file-idb-'));

async function openStore(indexedDB) {
  return EncryptedStore.open({ name: 'app', provider: providers.memory(KEY), collections: COLLECTIONS, indexedDB });
}

/** A new vault file with `records` put in it; returns its path. */
async function makeVault(dir, records = { c1: { email: 'ada@example.com', city: 'Paris' } }) {
  const file = path.join(dir, 'vault.enveil');
  const vault = await openFileIndexedDB(file, { mode: 'create' });
  const store = await openStore(vault.indexedDB);
  for (const [id, r] of Object.entries(records)) await store.put('contacts', id, r);
  store.close();
  vault.close();
  return file;
}

/** Runs the child to completion; its stdout. */
async function runChild(args) {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, `child ${args.join(' ')} failed: ${err}`);
  return out;
}

/** Starts the child; resolves with it and a function waiting for a line matching `re`. */
function startChild(args) {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  const seen = [];
  lines.on('line', (line) => {
    seen.push(line);
    for (const w of [...waiting]) if (w.re.test(line)) { waiting.splice(waiting.indexOf(w), 1); w.resolve(line); }
  });
  const exited = once(child, 'exit');
  return {
    child,
    seen,
    exited,
    line: (re) => new Promise((resolve, reject) => {
      waiting.push({ re, resolve });
      exited.then(() => reject(new Error(`child exited before printing ${re}`)));
    }),
  };
}

async function readInNewProcess(file, id) {
  return JSON.parse(await runChild([file, 'read', id]));
}

const typed = async (promise) => promise.then(() => null, (e) => e);

// ---------------------------------------------------------------------------

test('a store written in one process reads back in another, from the file alone', async () => {
  const dir = tmp();
  const file = await makeVault(dir);
  const read = await readInNewProcess(file, 'c1');
  assert.deepEqual(read.record, { id: 'c1', city: 'Paris', email: 'ada@example.com' });
  rmSync(dir, { recursive: true });
});

test('create refuses an existing file and leaves it as it was; open refuses a missing one, naming it', async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  writeFileSync(file, 'precious');
  const refused = await typed(openFileIndexedDB(file, { mode: 'create' }));
  assert.ok(refused instanceof EnveilError);
  assert.equal(refused.code, 'INVALID_ARGUMENT');
  assert.equal(refused.cause?.code, 'EEXIST');
  assert.equal(readFileSync(file, 'utf8'), 'precious');
  assert.deepEqual(readdirSync(dir), ['vault.enveil'], 'no temporary file left');

  const missing = path.join(dir, 'missing.enveil');
  const err = await typed(openFileIndexedDB(missing, { mode: 'open' }));
  assert.equal(err?.code, 'STORAGE_FAILED');
  assert.equal(err.cause?.code, 'ENOENT');
  assert.match(err.message, /missing\.enveil/);
  assert.equal(await rejectionCode(openFileIndexedDB(file, { mode: 'append' })), 'INVALID_ARGUMENT');
  rmSync(dir, { recursive: true });
});

test('two creates of one file at once: exactly one wins', async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => openFileIndexedDB(file, { mode: 'create' })));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) if (r.status === 'rejected') assert.equal(r.reason.code, 'INVALID_ARGUMENT');
  rmSync(dir, { recursive: true });
});

test('the file is mode 0600 and holds no plaintext of an encrypted field', { skip: process.platform === 'win32' && 'Windows has no Unix modes' }, async () => {
  const dir = tmp();
  const old = process.umask(0);
  let file;
  try {
    file = await makeVault(dir, { c1: { email: 'grace.hopper@example.com', city: 'Arlington' } });
  } finally {
    process.umask(old);
  }
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const bytes = readFileSync(file);
  assert.equal(bytes.includes('grace.hopper'), false);
  assert.equal(bytes.includes(Buffer.from('grace.hopper', 'utf16le')), false);
  assert.equal(bytes.includes('Arlington'), true, 'a plain field is stored as it is (the control)');
  rmSync(dir, { recursive: true });
});

test('a commit is on disk before any complete handler of the transaction runs, and before the store resumes', async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  const vault = await openFileIndexedDB(file, { mode: 'create' });
  const store = await openStore(vault.indexedDB);
  const onDisk = (id) => JSON.stringify(decodeSnapshot(readFileSync(file), file).databases
    .flatMap((d) => d.stores).filter((s) => s.name.endsWith('contacts')).flatMap((s) => s.entries.map(([k]) => k))).includes(`"${id}"`);

  await store.put('contacts', 'c1', { email: 'a@example.com', city: 'Oslo' });
  assert.equal(onDisk('c1'), true, 'after the store\'s await');

  // Raw: the caller's handlers, however attached, see the file already written.
  const db = await new Promise((resolve) => { const r = vault.indexedDB.open('app'); r.onsuccess = () => resolve(r.result); });
  const storeName = [...db.objectStoreNames].find((n) => n.endsWith('contacts'));
  const seen = [];
  await new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, 'readwrite');
    tx.addEventListener('complete', () => seen.push(['listener', onDisk('raw1')]));
    tx.oncomplete = () => { seen.push(['oncomplete', onDisk('raw1')]); resolve(); };
    tx.onabort = () => reject(tx.error);
    tx.objectStore(storeName).put({ id: 'raw1', city: 'x' });
  });
  assert.deepEqual(seen, [['listener', true], ['oncomplete', true]]);
  db.close();
  store.close();
  vault.close();
  rmSync(dir, { recursive: true });
});

test('the file holds exactly what IndexedDB holds, read through the public API', async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  const vault = await openFileIndexedDB(file, { mode: 'create' });
  const store = await openStore(vault.indexedDB);
  for (let i = 0; i < 20; i++) await store.put('contacts', `c${i}`, { email: `p${i}@example.com`, city: i % 2 ? 'Rome' : 'Oslo' });
  await store.delete('contacts', 'c3');
  await store.appendAudit('checked', { n: 1 });
  await store.rotateDataKeys();
  const live = await snapshotDatabase(vault.indexedDB, 'app');
  store.close();
  vault.close();

  const reopened = await openFileIndexedDB(file, { mode: 'open' });
  assert.deepEqual(await snapshotDatabase(reopened.indexedDB, 'app'), live);
  const onFile = decodeSnapshot(readFileSync(file), file).databases[0];
  assert.equal(onFile.version, live.version);
  assert.deepEqual(onFile.stores.map((s) => s.name).sort(), live.stores.map((s) => s.name).sort());
  const again = await openStore(reopened.indexedDB);
  assert.equal((await again.list('contacts')).length, 19);
  assert.equal((await again.findBy('contacts', 'email', 'p7@example.com')).length, 1);
  assert.equal((await again.verifyAuditLog()).ok ?? true, true);
  again.close();
  reopened.close();
  rmSync(dir, { recursive: true });
});

test('a key generator, stores, indexes and values of every kind the stores write survive a reopen exactly', async () => {
  const dir = tmp();
  const file = path.join(dir, 'raw.enveil');
  const vault = await openFileIndexedDB(file, { mode: 'create' });
  const req = vault.indexedDB.open('raw', 3);
  req.onupgradeneeded = () => {
    const s = req.result.createObjectStore('auto', { keyPath: 'k.id', autoIncrement: true });
    s.createIndex('tags', 'tags', { multiEntry: true });
    s.createIndex('u', 'u', { unique: true });
    req.result.createObjectStore('out');
  };
  const db = await new Promise((resolve) => { req.onsuccess = () => resolve(req.result); });
  await new Promise((resolve) => {
    const tx = db.transaction(['auto', 'out'], 'readwrite');
    const s = tx.objectStore('auto');
    for (let i = 0; i < 5; i++) s.add({ k: {}, tags: ['a', `t${i}`], u: i, when: new Date(1e12 + i), bytes: new Uint8Array([i, 255]), big: 10n ** 20n, nested: { list: [null, undefined, true, 1.5] } });
    s.delete(IDBKeyRange.lowerBound(4)); // the generator stays at 5
    tx.objectStore('out').put(new ArrayBuffer(3), [1, 'a', new Date(0)]);
    tx.oncomplete = resolve;
  });
  const before = await snapshotDatabase(vault.indexedDB, 'raw');
  db.close();
  vault.close();
  const reopened = await openFileIndexedDB(file, { mode: 'open' });
  assert.deepEqual(await snapshotDatabase(reopened.indexedDB, 'raw'), before);
  const db2 = await new Promise((resolve) => { const r = reopened.indexedDB.open('raw'); r.onsuccess = () => resolve(r.result); });
  const key = await new Promise((resolve) => {
    const r = db2.transaction('auto', 'readwrite').objectStore('auto').add({ k: {}, u: 99 });
    r.onsuccess = () => resolve(r.result);
  });
  assert.equal(key, 6, 'the key generator continued where it was, not from the largest key left');
  db2.close();
  reopened.close();
  rmSync(dir, { recursive: true });
});

test('a deleted database is deleted on disk too', async () => {
  const dir = tmp();
  const file = await makeVault(dir);
  const vault = await openFileIndexedDB(file, { mode: 'open' });
  await new Promise((resolve, reject) => { const r = vault.indexedDB.deleteDatabase('app'); r.onsuccess = resolve; r.onerror = () => reject(r.error); });
  assert.deepEqual(decodeSnapshot(readFileSync(file), file).databases, []);
  vault.close();
  rmSync(dir, { recursive: true });
});

test('a commit that cannot be written fails the store\'s write, and the factory refuses everything after', async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  const vault = await openFileIndexedDB(file, { mode: 'create' });
  const store = await openStore(vault.indexedDB);
  await store.put('contacts', 'c1', { email: 'a@example.com', city: 'Oslo' });
  const good = readFileSync(file);
  // rename() over a directory fails (EISDIR), even for root.
  rmSync(file);
  mkdirSync(file);
  assert.equal(await rejectionCode(store.put('contacts', 'c2', { email: 'b@example.com', city: 'Oslo' })), 'STORAGE_FAILED');
  assert.equal(await rejectionCode(store.get('contacts', 'c1')), 'STORAGE_FAILED');
  assert.throws(() => vault.indexedDB.open('app'), (e) => e.code === 'STORAGE_FAILED');
  store.close();
  vault.close();
  rmSync(file, { recursive: true });
  writeFileSync(file, good);
  assert.equal((await readInNewProcess(file, 'c2')).record, null);
  rmSync(dir, { recursive: true });
});

test('SIGKILL right after a commit: the file reopens with that commit', { skip: process.platform === 'win32' && 'no SIGKILL on Windows' }, async () => {
  const dir = tmp();
  const file = await makeVault(dir, {});
  const c = startChild([file, 'put', 'k1', 'killed@example.com']);
  await c.line(/^committed$/);
  c.child.kill('SIGKILL');
  await c.exited;
  const read = await readInNewProcess(file, 'k1');
  assert.equal(read.record?.email, 'killed@example.com');
  rmSync(dir, { recursive: true });
});

test('SIGKILL in the middle of many writes: the file is always a whole snapshot, with every acknowledged write', { skip: process.platform === 'win32' && 'no SIGKILL on Windows' }, async () => {
  const dir = tmp();
  const file = await makeVault(dir, {});
  for (const after of [1, 7, 23]) {
    const c = startChild([file, 'many']);
    await c.line(new RegExp(`^committed ${after}$`));
    // Killed somewhere in the writes that follow (the next one is under way).
    await new Promise((r) => setImmediate(r));
    c.child.kill('SIGKILL');
    await c.exited;
    const acknowledged = Math.max(...c.seen.map((l) => Number(l.split(' ')[1])));
    const read = await readInNewProcess(file, `r${acknowledged}`);
    assert.ok(read.record, `r${acknowledged} was acknowledged, then lost`);
    assert.ok(read.count >= acknowledged + 1 && read.count <= acknowledged + 2, `count ${read.count} after ${acknowledged}`);
  }
  // A SIGKILL during a write leaves at most a temporary file, which the next open removes.
  const leftovers = readdirSync(dir).filter((n) => n.endsWith('.enveil-tmp'));
  assert.ok(leftovers.length <= 1);
  (await openFileIndexedDB(file, { mode: 'open' })).close();
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.enveil-tmp')), []);
  rmSync(dir, { recursive: true });
});

test('any byte of a small file flipped, or the file cut anywhere: refused with the one typed error', async () => {
  const dir = tmp();
  const file = await makeVault(dir);
  const good = readFileSync(file);
  const damaged = path.join(dir, 'damaged.enveil');
  const check = async (bytes, what) => {
    writeFileSync(damaged, bytes);
    const err = await typed(openFileIndexedDB(damaged, { mode: 'open' }));
    assert.ok(err instanceof EnveilError, `${what}: ${err}`);
    assert.equal(err.code, 'AUTH_FAILED', what);
    assert.match(err.message, /not an enveil vault file, or it is damaged/);
  };
  for (let i = 0; i < good.length; i++) {
    const bytes = Buffer.from(good);
    bytes[i] ^= 1 << (i % 8);
    await check(bytes, `bit ${i % 8} of byte ${i}`);
  }
  for (let n = 0; n < good.length; n++) await check(good.subarray(0, n), `cut at ${n}`);
  await check(Buffer.concat([good, Buffer.from([0])]), 'a byte appended');
  rmSync(dir, { recursive: true });
});

test('a large file: a sample of flipped bytes and cuts is refused', async () => {
  const dir = tmp();
  const records = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`c${i}`, { email: `p${i}@example.com`, city: 'Lima' }]));
  const file = await makeVault(dir, records);
  const good = readFileSync(file);
  assert.ok(good.length > 50_000, `${good.length} bytes`);
  const damaged = path.join(dir, 'damaged.enveil');
  let seed = 1;
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let k = 0; k < 200; k++) {
    const bytes = Buffer.from(good);
    const at = k < 48 ? k : rand(good.length); // the whole header, then anywhere
    bytes[at] ^= 1 << rand(8);
    writeFileSync(damaged, k % 4 === 3 ? good.subarray(0, rand(good.length)) : bytes);
    assert.equal(await rejectionCode(openFileIndexedDB(damaged, { mode: 'open' })), 'AUTH_FAILED', `try ${k} at ${at}`);
  }
  rmSync(dir, { recursive: true });
});

test('a hostile payload with a correct hash is refused cleanly: foreign types, sharing, cycles, depth, garbage', async () => {
  const dir = tmp();
  const file = path.join(dir, 'hostile.enveil');
  const store = (entries, extra = {}) => ({ databases: [{ name: 'app', version: 1, stores: [{ name: 's', keyPath: null, autoIncrement: false, keyGenerator: null, indexes: [], entries, ...extra }] }] });
  const shared = { a: 1 };
  const cyclic = {}; cyclic.self = cyclic;
  let deep = {}; for (let i = 0; i < 2_000; i++) deep = { d: deep };
  // A DAG 60 levels deep: 2^60 paths if walked without remembering what was seen.
  let dag = { leaf: true }; for (let i = 0; i < 60; i++) dag = { l: dag, r: dag };
  const cases = {
    'a Map value': store([['k', new Map([[1, 2]])]]),
    'a Set value': store([['k', new Set([1])]]),
    'a RegExp value': store([['k', /x/]]),
    'an Error value': store([['k', new Error('x')]]),
    'a Float64Array value': store([['k', new Float64Array(2)]]),
    'a Buffer value': store([['k', Buffer.from('x')]]),
    'a boxed string': store([['k', Object('x')]]),
    'a shared object': store([['k', { x: shared, y: shared }]]),
    'a cycle': store([['k', cyclic]]),
    'too deep': store([['k', deep]]),
    'a 2^60-path DAG': store([['k', dag]]),
    'an invalid key': store([[{ not: 'a key' }, 1]]),
    'a NaN key': store([[NaN, 1]]),
    'keys out of order': store([['b', 1], ['a', 2]]),
    'a duplicate key': store([['a', 1], ['a', 2]]),
    'an inline key that disagrees': store([['a', { id: 'b' }]], { keyPath: 'id' }),
    'an extra field': { databases: [], more: 1 },
    'version 0': { databases: [{ name: 'app', version: 0, stores: [] }] },
    'a number root': 5,
    'an entry of three': store([['a', 1, 2]]),
    'a generator without autoIncrement': store([], { keyGenerator: 3 }),
    'a bad key path': store([], { keyPath: 7 }),
  };
  const withHash = (payload) => {
    const header = Buffer.alloc(16);
    header.write('ENVEILDB', 0, 'latin1');
    header.writeUInt16BE(1, 8);
    header.writeUInt32BE(payload.length, 12);
    return Buffer.concat([header, payload, createHash('sha256').update(header).update(payload).digest()]);
  };
  for (const [what, snapshot] of Object.entries(cases)) {
    writeFileSync(file, withHash(v8.serialize(snapshot)));
    // Refused, not crashed or hung (a hang fails the suite by its timeout).
    assert.equal(await rejectionCode(openFileIndexedDB(file, { mode: 'open' })), 'AUTH_FAILED', what);
  }
  // v8's own format, mangled: random bytes after a valid version header.
  let seed = 7;
  for (let k = 0; k < 300; k++) {
    const payload = Buffer.from(v8.serialize(store([['k', { a: [1, 'x', new Uint8Array(3)] }]])));
    for (let j = 0; j < 1 + (k % 4); j++) { seed = (seed * 48271) % 2147483647; payload[2 + (seed % (payload.length - 2))] = seed & 0xff; }
    writeFileSync(file, withHash(payload));
    const code = await rejectionCode(openFileIndexedDB(file, { mode: 'open' }));
    assert.ok(code === 'AUTH_FAILED' || code === 'OK', `mangled payload ${k}: ${code}`);
  }
  rmSync(dir, { recursive: true });
});

test('a record altered inside a valid container is refused by the store itself', async () => {
  const dir = tmp();
  const file = await makeVault(dir);
  const snapshot = decodeSnapshot(readFileSync(file), file);
  const records = snapshot.databases[0].stores.find((s) => s.name.endsWith('contacts'));
  const [, value] = records.entries[0];
  value.__rec[value.__rec.length - 1] ^= 1;
  writeFileSync(file, encodeSnapshot(snapshot));
  const vault = await openFileIndexedDB(file, { mode: 'open' });
  const store = await openStore(vault.indexedDB);
  assert.equal(await rejectionCode(store.get('contacts', 'c1')), 'AUTH_FAILED');
  store.close();
  vault.close();
  rmSync(dir, { recursive: true });
});

// ---------------------------------------------------------------------------
// The lock

/** Runs N children that each take the lock, read-increment-write a counter with a pause inside, and log enter/exit. */
async function lockRace(dir, file, n = 8) {
  const counter = path.join(dir, 'counter');
  const log = path.join(dir, 'log');
  writeFileSync(counter, '0');
  writeFileSync(log, '');
  await Promise.all(Array.from({ length: n }, () => runChild([file, 'lock', counter, log, '15'])));
  const intervals = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(1).map(Number)).sort((a, b) => a[0] - b[0]);
  assert.equal(readFileSync(counter, 'utf8'), String(n));
  assert.equal(intervals.length, n);
  for (let i = 1; i < n; i++) assert.ok(intervals[i][0] >= intervals[i - 1][1], `holders ${i - 1} and ${i} overlap`);
  assert.deepEqual(readdirSync(dir).filter((x) => x.includes('.lock')), [], 'lock and guards removed');
}

test('8 processes started at once hold the lock one after another', async () => {
  const dir = tmp();
  await lockRace(dir, path.join(dir, 'vault.enveil'));
  rmSync(dir, { recursive: true });
});

/** A PID that ran and has ended. */
async function deadPid() {
  const p = spawn(process.execPath, ['-e', '0']);
  await once(p, 'exit');
  return p.pid;
}

test('a lock left by a holder killed with SIGKILL is taken over', { skip: process.platform === 'win32' && 'no SIGKILL on Windows' }, async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  const c = startChild([file, 'lock']);
  await c.line(/^locked$/);
  c.child.kill('SIGKILL');
  await c.exited;
  assert.ok(readdirSync(dir).includes('vault.enveil.lock'));
  // waitMs 0: taken over at once, never waited for.
  assert.equal(await withFileLock(file, () => 'mine', { waitMs: 0 }), 'mine');
  assert.deepEqual(readdirSync(dir), []);
  rmSync(dir, { recursive: true });
});

test('8 processes that find the same stale lock at once: one takes it over, all run one after another', async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  writeFileSync(`${file}.lock`, JSON.stringify({ pid: await deadPid(), nonce: 'ab'.repeat(16), host: os.hostname(), boot: null, start: null }));
  await lockRace(dir, file);
  // A lock that is not an owner record at all (garbage) is stale as well.
  writeFileSync(`${file}.lock`, 'garbage');
  await lockRace(dir, file, 3);
  rmSync(dir, { recursive: true });
});

test('a lock held by a live process is waited for, then the wait fails with the typed error', async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  // The parent of this test process: alive for the whole test, and not us.
  writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, nonce: 'cd'.repeat(16), host: os.hostname(), boot: null, start: null }));
  let ran = false;
  const started = Date.now();
  const err = await typed(withFileLock(file, () => { ran = true; }, { waitMs: 120 }));
  const waited = Date.now() - started;
  assert.equal(ran, false);
  assert.ok(err instanceof EnveilError);
  assert.equal(err.code, 'STORAGE_FAILED');
  assert.equal(err.cause?.code, 'ELOCKED');
  assert.match(err.message, new RegExp(`process ${process.ppid} on this host`));
  assert.ok(waited >= 120, `gave up after ${waited} ms, before waitMs`);
  assert.equal(JSON.parse(readFileSync(`${file}.lock`, 'utf8')).pid, process.ppid, 'the live holder\'s lock is left alone');

  // One from another host cannot be checked: it is never taken over.
  writeFileSync(`${file}.lock`, JSON.stringify({ pid: await deadPid(), nonce: 'ef'.repeat(16), host: `not-${os.hostname()}`, boot: null, start: null }));
  const remote = await typed(withFileLock(file, () => {}, { waitMs: 30 }));
  assert.match(remote?.message ?? '', /on host not-/);
  rmSync(dir, { recursive: true });
});

test('a PID reused by another process since the lock was taken does not hold the lock', { skip: process.platform !== 'linux' && 'process start times are read from /proc (Linux)' }, async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, nonce: '12'.repeat(16), host: os.hostname(), boot: null, start: '1' }));
  assert.equal(await withFileLock(file, () => 'taken', { waitMs: 0 }), 'taken');
  rmSync(dir, { recursive: true });
});

test('the lock is released when fn throws, and only if it is still this call\'s', async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  await assert.rejects(withFileLock(file, () => { throw new Error('boom'); }), /boom/);
  assert.deepEqual(readdirSync(dir), []);
  await withFileLock(file, () => {
    // Someone removed ours and took it (by hand): ours must not remove theirs.
    rmSync(`${file}.lock`);
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, nonce: '34'.repeat(16), host: os.hostname(), boot: null, start: null }));
  });
  assert.equal(JSON.parse(readFileSync(`${file}.lock`, 'utf8')).nonce, '34'.repeat(16));
  rmSync(dir, { recursive: true });
});

test('arguments are checked by name', async () => {
  assert.equal(await rejectionCode(withFileLock('', () => {})), 'INVALID_ARGUMENT');
  assert.equal(await rejectionCode(withFileLock('x', null)), 'INVALID_ARGUMENT');
  assert.equal(await rejectionCode(withFileLock('x', () => {}, { waitMs: -1 })), 'INVALID_ARGUMENT');
  assert.equal(await rejectionCode(openFileIndexedDB('', { mode: 'open' })), 'INVALID_ARGUMENT');
});

test('a lock from another PID namespace (a container beside this one: same host and boot) is never taken over, its PID meaning nothing here', { skip: process.platform !== 'linux' && 'PID namespaces are Linux' }, async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  writeFileSync(`${file}.lock`, JSON.stringify({ pid: await deadPid(), nonce: '12'.repeat(16), host: os.hostname(), boot, start: null, ns: 'pid:[1]' }));
  const err = await typed(withFileLock(file, () => {}, { waitMs: 50 }));
  assert.equal(err?.cause?.code, 'ELOCKED', String(err));
  // The same lock from this namespace, its PID dead: taken over.
  const ns = readlinkSync('/proc/self/ns/pid');
  writeFileSync(`${file}.lock`, JSON.stringify({ pid: await deadPid(), nonce: '34'.repeat(16), host: os.hostname(), boot, start: null, ns }));
  assert.equal(await withFileLock(file, () => 'mine', { waitMs: 0 }), 'mine');
  rmSync(dir, { recursive: true });
});

test('a FIFO or a symbolic link at the lock\'s name is not waited on or followed: it is no owner, and is taken over', async () => {
  const dir = tmp();
  const file = path.join(dir, 'vault.enveil');
  execFileSync('mkfifo', [`${file}.lock`]);
  assert.equal(await withFileLock(file, () => 'after a fifo', { waitMs: 0 }), 'after a fifo');
  const target = path.join(dir, 'elsewhere');
  writeFileSync(target, 'keep me');
  symlinkSync(target, `${file}.lock`);
  assert.equal(await withFileLock(file, () => 'after a link', { waitMs: 0 }), 'after a link');
  assert.equal(readFileSync(target, 'utf8'), 'keep me', 'the link\'s target is untouched');
  rmSync(dir, { recursive: true });
});
