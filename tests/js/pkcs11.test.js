// providers.pkcs11 against a real PKCS#11 token: SoftHSM2, in a temp folder
// of this process (tests/js/softhsm.js). Every failure must be
// KEY_UNAVAILABLE, never the token's return code, and never hang.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import nodeCrypto from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IDBFactory } from 'fake-indexeddb';
import { rejectionCode } from './helpers.js';
import { countKeys, createKeyDirectly, createToken, deleteToken, readKeyValues, softHsmSkipReason } from './softhsm.js';
import { EncryptedStore, init } from '../../js/index.js';
import { createPkcs11Key, pkcs11 } from '../../js/providers/pkcs11.js';

await init();

const skip = softHsmSkipReason();
const ctx = new TextEncoder().encode('enveil/v1/smk|app|smk-1');
const other = new TextEncoder().encode('enveil/v1/smk|app|smk-2');
const codeOf = rejectionCode;

/** The error a promise rejects with. */
async function errorOf(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('resolved');
}

// SoftHSM2 lists its tokens when the library is initialised: every token
// this file uses is made before the first provider call.
const tokens = skip ? {} : {
  main: createToken({ pin: 'main-pin-4242' }),
  pins: createToken({ pin: 'right-pin-7777' }),
  removed: createToken({ pin: 'removed-pin-1' }),
  store: createToken({ pin: 'store-pin-1' }),
};

if (!skip) {
  await createPkcs11Key({ ...tokens.main, key: 'kek' });
  await createPkcs11Key({ ...tokens.main, key: 'other-kek' });
  await createPkcs11Key({ ...tokens.pins, key: 'kek' });
  await createPkcs11Key({ ...tokens.removed, key: 'kek' });
  await createPkcs11Key({ ...tokens.store, key: 'kek' });
  createKeyDirectly({ ...tokens.main, key: 'extractable', extractable: true });
  createKeyDirectly({ ...tokens.main, key: 'not-sensitive', sensitive: false });
  createKeyDirectly({ ...tokens.main, key: 'exposed', sensitive: false, extractable: true });
  createKeyDirectly({ ...tokens.main, key: 'aes-128', length: 16 });
}

test('wraps inside the token and meets the provider contract: key absent from the blob, context bound, every flipped byte and truncation refused', { skip }, async () => {
  const p = pkcs11({ ...tokens.main, key: 'kek' });
  try {
    assert.equal(p.id, `pkcs11:${tokens.main.token}/kek`);
    const key = nodeCrypto.randomBytes(32);
    const wrapped = await p.wrapKey(new Uint8Array(key), ctx);
    assert.ok(wrapped instanceof Uint8Array);
    assert.equal(wrapped.length, 1 + 12 + 32 + 16, 'version ‖ IV ‖ ciphertext ‖ tag');
    assert.equal(wrapped[0], 1);
    assert.equal(Buffer.from(wrapped).indexOf(key), -1, 'wrapped form contains the key');
    assert.deepEqual(Buffer.from(await p.unwrapKey(wrapped, ctx)), key);
    // A fresh IV each time: two wraps of one key differ.
    assert.notDeepEqual(await p.wrapKey(new Uint8Array(key), ctx), wrapped);

    assert.equal(await codeOf(p.unwrapKey(wrapped, other)), 'KEY_UNAVAILABLE', 'context not bound');
    const messages = new Set();
    for (let i = 0; i < wrapped.length; i += 1) {
      for (const bit of [0x01, 0x80]) {
        const edited = wrapped.slice();
        edited[i] ^= bit;
        const err = await errorOf(p.unwrapKey(edited, ctx));
        assert.equal(err.code, 'KEY_UNAVAILABLE', `byte ${i} bit ${bit}`);
        messages.add(err.message);
      }
    }
    for (let n = 0; n < wrapped.length; n += 1) {
      const err = await errorOf(p.unwrapKey(wrapped.subarray(0, n), ctx));
      assert.equal(err.code, 'KEY_UNAVAILABLE', `truncated to ${n}`);
      messages.add(err.message);
    }
    const longer = new Uint8Array(wrapped.length + 1);
    longer.set(wrapped);
    assert.equal(await codeOf(p.unwrapKey(longer, ctx)), 'KEY_UNAVAILABLE', 'extended');
    for (const version of [0, 2, 0xff]) {
      const edited = wrapped.slice();
      edited[0] = version;
      assert.equal(await codeOf(p.unwrapKey(edited, ctx)), 'KEY_UNAVAILABLE', `version ${version}`);
    }
    assert.equal(messages.size, 1, `every refusal reads the same: ${[...messages].join(' | ')}`);
    const [message] = messages;
    assert.doesNotMatch(message, /CKR_/);
    // After all those failures the session still works.
    assert.deepEqual(Buffer.from(await p.unwrapKey(wrapped, ctx)), key);

    assert.equal(await codeOf(p.wrapKey(new Uint8Array(16), ctx)), 'INVALID_ARGUMENT', 'not a 32-byte key');
    assert.equal(await codeOf(p.unwrapKey('nope', ctx)), 'INVALID_ARGUMENT');
  } finally {
    await p.close();
  }
});

test('a key under another label in the same token cannot unwrap', { skip }, async () => {
  const p = pkcs11({ ...tokens.main, key: 'kek' });
  const q = pkcs11({ ...tokens.main, key: 'other-kek' });
  try {
    const wrapped = await p.wrapKey(new Uint8Array(32).fill(7), ctx);
    assert.equal(await codeOf(q.unwrapKey(wrapped, ctx)), 'KEY_UNAVAILABLE');
    assert.equal((await q.unwrapKey(await q.wrapKey(new Uint8Array(32).fill(7), ctx), ctx)).length, 32);
  } finally {
    await Promise.all([p.close(), q.close()]);
  }
});

test('refuses a key that could leave the token (extractable or not sensitive), one that is not AES-256, and a label that is not there', { skip }, async () => {
  for (const [key, pattern] of [['extractable', /can leave the token/], ['not-sensitive', /can leave the token/], ['exposed', /can leave the token/], ['aes-128', /not AES-256/], ['absent', /no AES key labelled 'absent'/]]) {
    const p = pkcs11({ ...tokens.main, key });
    try {
      const err = await errorOf(p.wrapKey(new Uint8Array(32), ctx));
      assert.equal(err.code, 'KEY_UNAVAILABLE', key);
      assert.match(err.message, pattern);
    } finally {
      await p.close();
    }
  }
  // Such a key can be read indeed: the refusal is about something real.
  assert.match(readKeyValues({ ...tokens.main, key: 'exposed' })[0].value, /^[0-9a-f]{64}$/);
});

test('a key createPkcs11Key made cannot be read out of the token (CKR_ATTRIBUTE_SENSITIVE)', { skip }, () => {
  assert.deepEqual(readKeyValues({ ...tokens.main, key: 'kek' }), [{ error: 'CKR_ATTRIBUTE_SENSITIVE' }]);
});

test('createPkcs11Key never replaces a key with the same label', { skip }, async () => {
  const p = pkcs11({ ...tokens.main, key: 'kek' });
  try {
    const wrapped = await p.wrapKey(new Uint8Array(32).fill(3), ctx);
    for (const key of ['kek', 'extractable']) {
      const err = await errorOf(createPkcs11Key({ ...tokens.main, key }));
      assert.equal(err.code, 'INVALID_ARGUMENT', key);
      assert.match(err.message, /already holds a key labelled/);
      assert.equal(countKeys({ ...tokens.main, key }), 1, `still one key labelled ${key}`);
    }
    assert.deepEqual(await p.unwrapKey(wrapped, ctx), new Uint8Array(32).fill(3));
    assert.deepEqual(await createPkcs11Key({ ...tokens.main, key: 'fresh' }), { id: `pkcs11:${tokens.main.token}/fresh` });
  } finally {
    await p.close();
  }
});

test('a wrong PIN is KEY_UNAVAILABLE without the PIN or the return code in the error; a string PIN is not tried twice; no lockout follows', { skip }, async () => {
  const wrongPin = 'wrong-pin-31337';
  const bad = pkcs11({ ...tokens.pins, key: 'kek', pin: wrongPin });
  const err = await errorOf(bad.wrapKey(new Uint8Array(32), ctx));
  assert.equal(err.code, 'KEY_UNAVAILABLE');
  assert.match(err.message, /refused the PIN/);
  assert.doesNotMatch(err.message, /CKR_/);
  // The cause is pkcs11js's error: the return code, no argument.
  const everything = [err.message, err.stack, err.cause?.message, err.cause?.stack, err.cause?.nativeStack, JSON.stringify(err.cause)].join('\n');
  assert.ok(!everything.includes(wrongPin), 'the PIN appears in the error');
  assert.ok(!everything.includes(tokens.pins.pin));
  const again = await errorOf(bad.wrapKey(new Uint8Array(32), ctx));
  assert.match(again.message, /not tried again/);
  await bad.close();

  // SoftHSM2 keeps no failed-login counter: many wrong PINs (from a
  // function, which is asked again each call), then the right one works.
  let asked = 0;
  const retried = pkcs11({ ...tokens.pins, key: 'kek', pin: async () => { asked += 1; return wrongPin; } });
  for (let i = 0; i < 20; i += 1) assert.equal(await codeOf(retried.wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
  assert.equal(asked, 20);
  await retried.close();
  const good = pkcs11({ ...tokens.pins, key: 'kek' });
  try {
    assert.equal((await good.unwrapKey(await good.wrapKey(new Uint8Array(32), ctx), ctx)).length, 32);
  } finally {
    await good.close();
  }
});

test('a pin function is asked once per session, not per call, and again after close()', { skip }, async () => {
  let asked = 0;
  const p = pkcs11({ ...tokens.main, key: 'kek', pin: async () => { asked += 1; await new Promise((r) => setTimeout(r, 5)); return tokens.main.pin; } });
  try {
    const wrapped = await Promise.all(Array.from({ length: 5 }, () => p.wrapKey(new Uint8Array(32), ctx)));
    for (const w of wrapped) await p.unwrapKey(w, ctx);
    assert.equal(asked, 1);
    await p.close();
    await p.unwrapKey(wrapped[0], ctx);
    assert.equal(asked, 2);
    const failing = pkcs11({ ...tokens.main, key: 'kek', pin: () => { throw new Error('no pin today'); } });
    assert.equal(await codeOf(failing.wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    assert.equal(await codeOf(pkcs11({ ...tokens.main, key: 'kek', pin: async () => 1234 }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
  } finally {
    await p.close();
  }
});

test('50 wraps and unwraps at once on one provider all succeed (one session, one operation at a time)', { skip }, async () => {
  let asked = 0;
  const p = pkcs11({ ...tokens.main, key: 'kek', pin: () => { asked += 1; return tokens.main.pin; } });
  try {
    const keys = Array.from({ length: 50 }, () => new Uint8Array(nodeCrypto.randomBytes(32)));
    const wrapped = await Promise.all(keys.map((k) => p.wrapKey(k, ctx)));
    const [opened] = await Promise.all([
      Promise.all(wrapped.map((w) => p.unwrapKey(w, ctx))),
      Promise.all(keys.map((k) => p.wrapKey(k, other))),
    ]);
    opened.forEach((k, i) => assert.deepEqual(k, keys[i]));
    // Overlapping operations on one session would fail (CKR_OPERATION_ACTIVE)
    // and cost a new session and login each.
    assert.equal(asked, 1, 'the session was replaced');
  } finally {
    await p.close();
  }
});

test('a session closed behind the provider (another user of the library in this process) is replaced on the next call', { skip }, async () => {
  let asked = 0;
  const p = pkcs11({ ...tokens.main, key: 'kek', pin: () => { asked += 1; return tokens.main.pin; } });
  try {
    const wrapped = await p.wrapKey(new Uint8Array(32).fill(5), ctx);
    const pk = createRequire(import.meta.url)('pkcs11js');
    const lib = new pk.PKCS11();
    lib.load(tokens.main.module);
    assert.throws(() => lib.C_Initialize(), /CKR_CRYPTOKI_ALREADY_INITIALIZED/);
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trimEnd() === tokens.main.token);
    lib.C_CloseAllSessions(slot);
    assert.deepEqual(await p.unwrapKey(wrapped, ctx), new Uint8Array(32).fill(5));
    assert.equal(asked, 2, 'a new session was opened and logged in');
  } finally {
    await p.close();
  }
});

test('a token removed while a provider holds its session is KEY_UNAVAILABLE, and nothing hangs', { skip, timeout: 20_000 }, async () => {
  const p = pkcs11({ ...tokens.removed, key: 'kek' });
  const wrapped = await p.wrapKey(new Uint8Array(32).fill(1), ctx);
  deleteToken(tokens.removed.token);
  const results = await Promise.all([p.unwrapKey(wrapped, ctx), p.wrapKey(new Uint8Array(32), ctx), p.unwrapKey(wrapped, ctx)].map(errorOf));
  for (const err of results) {
    assert.equal(err.code, 'KEY_UNAVAILABLE');
    assert.doesNotMatch(err.message, /CKR_/);
  }
  await p.close();
});

test('an EncryptedStore opens, writes, closes and reopens with its master key in the token', { skip }, async () => {
  const idb = new IDBFactory();
  const collections = { notes: { encrypted: ['body'] } };
  const first = pkcs11({ ...tokens.store, key: 'kek' });
  const store = await EncryptedStore.open({ name: 'p', provider: first, collections, indexedDB: idb });
  await store.put('notes', 1, { body: 'hello' });
  store.close();
  await first.close();
  const second = pkcs11({ ...tokens.store, key: 'kek', pin: async () => tokens.store.pin });
  try {
    const again = await EncryptedStore.open({ name: 'p', provider: second, collections, indexedDB: idb });
    assert.equal((await again.get('notes', 1)).body, 'hello');
    again.close();
  } finally {
    await second.close();
  }
  // Another key cannot open it.
  const wrongKey = pkcs11({ ...tokens.main, key: 'kek' });
  try {
    assert.equal(await codeOf(EncryptedStore.open({ name: 'p', provider: wrongKey, collections, indexedDB: idb })), 'KEY_UNAVAILABLE');
  } finally {
    await wrongKey.close();
  }
});

test('an unknown token or module is KEY_UNAVAILABLE; bad options are INVALID_ARGUMENT at once', { skip }, async () => {
  assert.equal(await codeOf(pkcs11({ ...tokens.main, token: 'no-such-token', key: 'kek' }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
  assert.equal(await codeOf(pkcs11({ ...tokens.main, module: '/nonexistent/libpkcs11.so', key: 'kek' }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
  const options = { module: '/m.so', token: 't', key: 'k', pin: '1' };
  for (const [name, value] of [['module', ''], ['token', 7], ['token', 'x'.repeat(33)], ['key', undefined], ['pin', 1234], ['slot', -1]]) {
    assert.throws(() => pkcs11({ ...options, [name]: value }), { code: 'INVALID_ARGUMENT' }, name);
  }
  assert.throws(() => pkcs11(), { code: 'INVALID_ARGUMENT' });
});

test('without pkcs11js installed, using the provider is UNSUPPORTED with one sentence saying what to install', async () => {
  // A copy of js/ in a temp folder, where no node_modules above it holds
  // pkcs11js: the import fails for real.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const copy = mkdtempSync(path.join(os.tmpdir(), 'enveil-no-pkcs11js-'));
  try {
    cpSync(path.join(root, 'js'), path.join(copy, 'js'), { recursive: true });
    symlinkSync(path.join(root, 'dist'), path.join(copy, 'dist'));
    const isolated = await import(pathToFileURL(path.join(copy, 'js', 'providers', 'pkcs11.js')).href);
    const options = { module: '/usr/lib/softhsm/libsofthsm2.so', token: 't', key: 'k', pin: '1' };
    for (const call of [() => isolated.pkcs11(options).wrapKey(new Uint8Array(32), ctx), () => isolated.createPkcs11Key(options)]) {
      const err = await errorOf(call());
      assert.equal(err.code, 'UNSUPPORTED');
      assert.equal(err.message, 'providers.pkcs11 needs the pkcs11js package: npm install pkcs11js');
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
