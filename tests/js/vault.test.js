// TokenVault against a fake auth server that rotates refresh tokens and
// detects reuse, on EncryptedStore over fake-indexeddb.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { EncryptedStore, RefreshError, TokenVault, init, providers } from '../../js/index.js';
import { rejectionCode as codeOf } from './helpers.js';
import { contains, rawDump, withRawStore } from './idb-helpers.js';

await init();

/** A clock the tests move by hand. */
function clock(start = 1_800_000_000_000) {
  const c = { t: start, now: () => c.t, advance: (ms) => { c.t += ms; } };
  return c;
}

/**
 * An OAuth server in miniature: access tokens live `accessTtlS`; every
 * refresh rotates the refresh token; a rotated-away token presented again
 * within `reuseIntervalMs` gets a new pair (the leeway real servers give for
 * lost responses), later it is reuse: the whole family is revoked.
 */
class FakeAuthServer {
  constructor(c, { accessTtlS = 300, reuseIntervalMs = 30_000, latencyMs = 5 } = {}) {
    Object.assign(this, { c, accessTtlS, reuseIntervalMs, latencyMs });
    this.calls = 0;
    this.offline = false;
    this.tokens = new Map(); // refresh token → { family, usedAt }
    this.revoked = new Set();
    this.n = 0;
    this.issued = [];        // every token value handed out, to search for later
  }

  signIn() {
    return this.#pair(`family-${++this.n}`);
  }

  #pair(family) {
    const id = `${family}-${++this.n}`;
    const pair = { accessToken: `at-secret-${id}`, refreshToken: `rt-secret-${id}`, expiresIn: this.accessTtlS };
    this.tokens.set(pair.refreshToken, { family });
    this.issued.push(pair.accessToken, pair.refreshToken);
    return pair;
  }

  refresh = async (refreshToken) => {
    this.calls++;
    await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.offline) throw new TypeError('fetch failed');
    const info = this.tokens.get(refreshToken);
    if (!info || this.revoked.has(info.family)) throw new RefreshError('invalid', 'invalid_grant');
    if (info.usedAt !== undefined && this.c.now() - info.usedAt > this.reuseIntervalMs) {
      this.revoked.add(info.family);
      throw new RefreshError('reused', 'refresh token reuse detected');
    }
    info.usedAt ??= this.c.now();
    return this.#pair(info.family);
  };
}

async function setup({ collections = {}, vaultOptions = {}, serverOptions = {} } = {}) {
  const idb = new IDBFactory();
  const c = clock();
  const server = new FakeAuthServer(c, serverOptions);
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const store = await EncryptedStore.open({ name: 'app', provider: providers.memory(kek), collections, indexedDB: idb });
  const vault = await TokenVault.open({ store, refresh: server.refresh, now: c.now, ...vaultOptions });
  return { idb, c, server, kek, store, vault };
}

test('a valid token is returned as stored; an expired one is refreshed once, rotation included', async () => {
  const { c, server, vault, store } = await setup();
  assert.equal(await vault.status(), 'empty');
  assert.equal(await vault.getAccessToken(), null);
  const first = server.signIn();
  await vault.setTokens({ ...first, scope: 'openid profile' });
  assert.equal(await vault.status(), 'valid');
  assert.equal(await vault.getAccessToken(), first.accessToken);
  assert.equal(server.calls, 0);

  c.advance(300_000 - 29_000); // inside the 30 s skew: counts as expired
  assert.equal(await vault.status(), 'expired');
  const second = await vault.getAccessToken();
  assert.notEqual(second, first.accessToken);
  assert.equal(server.calls, 1);
  assert.equal(await vault.getAccessToken(), second);
  assert.equal(server.calls, 1);
  c.advance(60_000);
  await vault.getAccessToken({ forceRefresh: true });
  assert.equal(server.calls, 2);
  const events = (await vault.auditLog()).map((e) => e.event);
  assert.deepEqual(events.filter((e) => ['stored', 'refreshed', 'rotated'].includes(e)), ['stored', 'refreshed', 'rotated', 'refreshed', 'rotated']);
  store.close();
});

test('20 concurrent getAccessToken calls cause exactly one refresh, across two vault instances too', async () => {
  const { c, server, vault, store, idb, kek } = await setup({ serverOptions: { latencyMs: 30 } });
  await vault.setTokens(server.signIn());
  c.advance(400_000);
  const tokens = await Promise.all(Array.from({ length: 20 }, () => vault.getAccessToken()));
  assert.equal(server.calls, 1);
  assert.equal(new Set(tokens).size, 1);

  // A second vault on the same store, and a third on a second store instance
  // of the same database (another tab, as far as the vault can tell).
  const other = await TokenVault.open({ store, refresh: server.refresh, now: c.now });
  const store2 = await EncryptedStore.open({ name: 'app', provider: providers.memory(kek), collections: {}, indexedDB: idb });
  const third = await TokenVault.open({ store: store2, refresh: server.refresh, now: c.now });
  c.advance(400_000);
  const mixed = await Promise.all(Array.from({ length: 21 }, (_, i) => [vault, other, third][i % 3].getAccessToken()));
  assert.equal(server.calls, 2, 'one more refresh for all three instances');
  assert.equal(new Set(mixed).size, 1);
  store.close();
  store2.close();
});

test('a crash between the server rotating and the local write recovers on the next start', async () => {
  const { c, server, store, idb, kek } = await setup();
  let rotated, kill;
  const serverRotated = new Promise((r) => { rotated = r; });
  const killed = new Promise((_, reject) => { kill = reject; });
  const dying = async (rt) => {
    await server.refresh(rt); // the server rotated…
    rotated();
    return killed; // …and the app dies before the response is written
  };
  const vault = await TokenVault.open({ store, refresh: dying, now: c.now });
  await vault.setTokens(server.signIn());
  c.advance(400_000);
  const pending = vault.getAccessToken();
  await serverRotated;
  store.close(); // the process is gone: nothing it does from now on reaches the disk
  kill(new Error('process killed'));
  assert.equal(await codeOf(pending), 'STORAGE_FAILED');

  // Next start: the vault sees the interrupted refresh and retries with the
  // refresh token it still holds, inside the server's reuse interval.
  c.advance(5_000);
  const store2 = await EncryptedStore.open({ name: 'app', provider: providers.memory(kek), collections: {}, indexedDB: idb });
  const restarted = await TokenVault.open({ store: store2, refresh: server.refresh, now: c.now });
  assert.ok((await restarted.auditLog()).some((e) => e.event === 'refresh-interrupted'));
  const token = await restarted.getAccessToken();
  assert.match(token, /^at-secret-/);
  assert.equal(await restarted.status(), 'valid');
  store2.close();
});

test('a refresh the server rejects as reused wipes the tokens and emits REFRESH_REUSED', async () => {
  const { c, server, vault, store, idb } = await setup();
  const pair = server.signIn();
  await vault.setTokens(pair);
  await server.refresh(pair.refreshToken); // stolen and used elsewhere
  c.advance(400_000); // past the reuse interval
  const seen = [];
  vault.on('REFRESH_REUSED', (p) => seen.push(p));
  vault.on('reuse-detected', (p) => seen.push(p));
  assert.equal(await codeOf(vault.getAccessToken()), 'REFRESH_REUSED');
  assert.equal(seen.length, 2);
  assert.equal(await vault.status(), 'empty');
  assert.equal(await vault.getAccessToken(), null);
  assert.equal(contains(await rawDump(idb), pair.refreshToken), false);
  assert.ok((await vault.auditLog()).some((e) => e.event === 'reuse-detected'));
  store.close();
});

test('when the server lost the last rotation, the previous refresh token is retried within its window', async () => {
  const { c, server, vault, store } = await setup();
  await vault.setTokens(server.signIn());
  c.advance(400_000);
  await vault.getAccessToken(); // rotated: current = new, previous = old
  const current = [...server.tokens.keys()].at(-1);
  server.tokens.delete(current); // the server's write of the rotation was lost
  server.tokens.get([...server.tokens.keys()].at(-1)).usedAt = undefined;
  c.advance(10_000);
  assert.match(await vault.getAccessToken({ forceRefresh: true }), /^at-secret-/);
  store.close();
});

test('offline: within offlineGraceMs the expired token comes back flagged (or REFRESH_FAILED by policy); after it, REFRESH_FAILED', async () => {
  const { c, server, store, idb, kek } = await setup();
  const vault = await TokenVault.open({ store, refresh: server.refresh, now: c.now, offlineGraceMs: 3_600_000 });
  const pair = server.signIn();
  await vault.setTokens(pair);
  c.advance(300_000 + 60_000); // expired a minute ago
  server.offline = true;
  const info = await vault.getAccessTokenInfo();
  assert.deepEqual(info, { accessToken: pair.accessToken, expiresAt: c.now() - 60_000, offline: true });
  assert.equal(await vault.status(), 'offline-grace');
  const strict = await TokenVault.open({ store, refresh: server.refresh, now: c.now, offlineGraceMs: 3_600_000, offlinePolicy: 'throw' });
  assert.equal(await codeOf(strict.getAccessToken()), 'REFRESH_FAILED');
  c.advance(3_600_000);
  assert.equal(await codeOf(vault.getAccessToken()), 'REFRESH_FAILED');
  assert.equal(await vault.status(), 'expired');
  server.offline = false;
  assert.match(await vault.getAccessToken(), /^at-secret-/, 'back online: refreshed');
  void idb; void kek;
  store.close();
});

test('a locked store: status locked, calls LOCKED; lock, unlock and key rotations are audited', async () => {
  const { server, vault, store } = await setup({ collections: { notes: { encrypted: ['body'] } } });
  await vault.setTokens(server.signIn());
  const events = [];
  vault.on('locked', () => events.push('locked'));
  vault.on('unlocked', () => events.push('unlocked'));
  vault.on('key-rotated', () => events.push('key-rotated'));
  await store.lock();
  assert.equal(await vault.status(), 'locked');
  assert.equal(await codeOf(vault.getAccessToken()), 'LOCKED');
  await store.unlock();
  await store.rotateDataKeys();
  await store.rotateMasterKey(providers.memory(undefined, { id: 'second' }));
  assert.match(await vault.getAccessToken(), /^at-secret-/);
  assert.deepEqual(events.slice(0, 2), ['locked', 'unlocked']);
  assert.ok(events.filter((e) => e === 'key-rotated').length >= 2);
  const log = (await vault.auditLog()).map((e) => e.event);
  for (const e of ['stored', 'locked', 'unlocked', 'key-rotated']) assert.ok(log.includes(e), `${e} audited`);
  assert.ok(!log.includes('read'), 'reading a valid token is an event, not an audit entry');
  assert.deepEqual(await vault.verifyAuditLog(), { ok: true, entries: log.length });
  store.close();
});

test('the audit chain catches an edited, a deleted, a swapped and a truncated entry; no token value in the log or IndexedDB', async () => {
  const { c, server, vault, store, idb } = await setup();
  await vault.setTokens(server.signIn());
  for (let i = 0; i < 3; i++) {
    c.advance(400_000);
    await vault.getAccessToken();
  }
  await vault.clear();
  await vault.setTokens(server.signIn());
  const log = await vault.auditLog();
  assert.equal(log.length, 9, "stored, 3 × (refreshed, rotated), cleared, stored");
  for (const e of log) {
    assert.ok(Array.isArray(e.details.keyIds) || ['locked', 'unlocked', 'key-rotated'].includes(e.event), 'key ids recorded');
    assert.match(e.mac, /^\d+:[0-9a-f]{64}$/);
  }
  const dump = await rawDump(idb);
  for (const token of server.issued) {
    assert.equal(contains(log, token), false, `token in the audit log: ${token.slice(0, 12)}…`);
    assert.equal(contains(dump, token), false, `token in IndexedDB: ${token.slice(0, 12)}…`);
  }
  assert.equal((await vault.verifyAuditLog()).ok, true);

  const tamper = async (fn) => {
    const saved = (await rawDump(idb)).audit;
    await withRawStore(idb, 'audit', fn);
    const result = await vault.verifyAuditLog();
    await withRawStore(idb, 'audit', (s) => { s.clear(); for (const e of saved) s.put(e); });
    assert.equal((await vault.verifyAuditLog()).ok, true, 'restored');
    return result;
  };
  const edited = await tamper((s) => s.put({ ...log[3], details: { ...log[3].details, expiresAt: 0 } }));
  assert.deepEqual([edited.ok, edited.seq], [false, 4]);
  const deleted = await tamper((s) => s.delete(5));
  assert.deepEqual([deleted.ok, deleted.seq], [false, 6]);
  const swapped = await tamper((s) => {
    s.put({ ...log[6], seq: 8 });
    s.put({ ...log[7], seq: 7 });
  });
  assert.deepEqual([swapped.ok, swapped.seq], [false, 7]);
  const truncated = await tamper((s) => s.delete(log.length));
  assert.equal(truncated.ok, false);
  assert.match(truncated.reason, /removed from the end/);
  store.close();
});

test('bad tokens and options are INVALID_ARGUMENT; refresh results are checked', async () => {
  const { server, vault, store, c } = await setup();
  for (const bad of [null, {}, { accessToken: '' }, { accessToken: 'a' }, { accessToken: 'a', expiresIn: 'soon' }, { accessToken: 'a', expiresIn: 1, refreshToken: 5 }]) {
    assert.equal(await codeOf(vault.setTokens(bad)), 'INVALID_ARGUMENT', JSON.stringify(bad));
  }
  assert.equal(await codeOf(TokenVault.open({ store, refresh: 'no' })), 'INVALID_ARGUMENT');
  assert.equal(await codeOf(TokenVault.open({ store, refresh: server.refresh, offlinePolicy: 'maybe' })), 'INVALID_ARGUMENT');
  const broken = await TokenVault.open({ store, refresh: async () => ({ accessToken: 42 }), now: c.now });
  await broken.setTokens({ accessToken: 'a', refreshToken: 'r', expiresIn: 1 });
  c.advance(60_000);
  assert.equal(await codeOf(broken.getAccessToken()), 'REFRESH_FAILED');
  assert.equal(await codeOf(broken.getAccessToken()), 'REFRESH_FAILED', 'and again: nothing stuck');
  store.close();
});

test('signing out or in while a refresh is in flight: the old refresh never brings the old session back', async () => {
  for (const during of ['clear', 'sign-in', 'network-failure']) {
    const { c, store } = await setup();
    let release, fail;
    const gate = new Promise((resolve, reject) => { release = resolve; fail = reject; });
    const vault = await TokenVault.open({ store, now: c.now, refresh: async () => { await gate; return { accessToken: 'old-at-2', refreshToken: 'old-rt-2', expiresIn: 300 }; } });
    await vault.setTokens({ accessToken: 'old-at-1', refreshToken: 'old-rt-1', expiresIn: 300 });
    c.advance(400_000);
    const pending = vault.getAccessToken().catch((e) => e.code);
    await new Promise((r) => setTimeout(r, 20));
    if (during === 'sign-in') await vault.setTokens({ accessToken: 'new-at', refreshToken: 'new-rt', expiresIn: 300 });
    else await vault.clear();
    if (during === 'network-failure') fail(new TypeError('fetch failed'));
    else release();
    const outcome = await pending;
    if (during === 'sign-in') {
      assert.equal(outcome, 'new-at');
      assert.equal(await vault.getAccessToken(), 'new-at');
    } else {
      assert.ok(outcome === null || outcome === 'REFRESH_FAILED', `${during}: ${outcome}`);
      assert.equal(await vault.status(), 'empty', during);
    }
    store.close();
  }
});

test('a store locked while the server answers keeps the rotated pair and writes it on unlock (no false reuse later)', async () => {
  const { c, server, vault, store } = await setup({ serverOptions: { latencyMs: 50, reuseIntervalMs: 30_000 } });
  await vault.setTokens(server.signIn());
  c.advance(400_000);
  const pending = vault.getAccessToken().catch((e) => e.code);
  await new Promise((r) => setTimeout(r, 20));
  await store.lock();
  assert.equal(await pending, 'LOCKED');
  await store.unlock();
  await new Promise((r) => setTimeout(r, 20));
  c.advance(60_000); // past the server's reuse interval: the old token would now be "reuse"
  assert.match(await vault.getAccessToken(), /^at-secret-/);
  assert.equal(await vault.status(), 'valid');
  store.close();
});

test('offline inside the skew window: the still-valid token is returned unflagged, even with offlinePolicy throw', async () => {
  const { c, server, store } = await setup();
  const vault = await TokenVault.open({ store, refresh: server.refresh, now: c.now, offlinePolicy: 'throw' });
  const pair = server.signIn();
  await vault.setTokens(pair);
  c.advance(300_000 - 10_000); // 10 s left: inside the 30 s skew
  server.offline = true;
  assert.deepEqual(await vault.getAccessTokenInfo(), { accessToken: pair.accessToken, expiresAt: c.now() + 10_000, offline: false });
  assert.notEqual(await vault.status(), 'offline-grace');
  store.close();
});

test('a still-valid access token costs one read transaction: no write, no second read', async () => {
  const { c, server, vault, store } = await setup();
  await vault.setTokens(server.signIn());
  const reads = [];
  vault.on('read', (p) => reads.push(p));
  const proto = globalThis.IDBDatabase.prototype;
  const original = proto.transaction;
  const modes = [];
  proto.transaction = function transaction(stores, mode, ...rest) {
    modes.push(mode ?? 'readonly');
    return original.call(this, stores, mode, ...rest);
  };
  let token;
  try {
    c.advance(1000);
    token = await vault.getAccessToken();
  } finally {
    proto.transaction = original;
  }
  assert.match(token, /^at-secret-/);
  assert.deepEqual(modes, ['readonly']);
  assert.equal(reads.length, 1, "the 'read' event still fires");
  assert.equal(server.calls, 0);
  store.close();
});
