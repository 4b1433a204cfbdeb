import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { EnveilError, Keyring, init } from '../../js/index.js';
import { randomBytes } from '../../js/hazmat.js';
import { text, utf8 } from './helpers.js';

await init();

const kek = () => randomBytes(32);

function codeOf(fn) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof EnveilError, `not an EnveilError: ${err}`);
    return err.code;
  }
  return 'OK';
}

test('round-trips strings and bytes, with a fresh ciphertext each time', () => {
  const ring = Keyring.create({ kek: kek() });
  for (const pt of ['', 'a', 'héllo wörld ✓ 𝄞', 'x'.repeat(100_000)]) {
    const ct = ring.encrypt(pt, 'contacts/1/email');
    assert.equal(ct.length, utf8(pt).length + 70);
    assert.equal(text(ring.decrypt(ct, 'contacts/1/email')), pt);
  }
  const bytes = crypto.randomBytes(5000);
  const ct = ring.encrypt(bytes, utf8('ctx'));
  assert.deepEqual(Buffer.from(ring.decrypt(ct, 'ctx')), bytes);
  assert.notDeepEqual(ring.encrypt('same', 'c'), ring.encrypt('same', 'c'));
  ring.destroy();
});

test('the record header follows DESIGN.md §3 and derives keys as designed', () => {
  const ring = Keyring.create({ kek: kek() });
  const ct = ring.encrypt('pin', 'ctx');
  const [entry] = ring.export();
  assert.equal(ct[0], 1, 'version');
  assert.equal(ct[1], 1, 'suite');
  assert.equal(Buffer.from(ct.subarray(2, 6)).readUInt32BE(0), entry.id, 'key id');
  ring.destroy();
});

test('every single-bit flip fails: AUTH_FAILED, or UNKNOWN_KEY when the key id no longer names a key', () => {
  const ring = Keyring.create({ kek: kek() });
  const ct = ring.encrypt('a field value of moderate length', 'contacts/7/email');
  const counts = { AUTH_FAILED: 0, UNKNOWN_KEY: 0 };
  for (let i = 0; i < ct.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = ct.slice();
      bad[i] ^= 1 << bit;
      const code = codeOf(() => ring.decrypt(bad, 'contacts/7/email'));
      const inKeyId = i >= 2 && i < 6;
      assert.equal(code, inKeyId ? 'UNKNOWN_KEY' : 'AUTH_FAILED', `byte ${i} bit ${bit}`);
      counts[code]++;
    }
  }
  assert.equal(counts.UNKNOWN_KEY, 32);
  assert.equal(counts.AUTH_FAILED, ct.length * 8 - 32);
  ring.destroy();
});

test('a key id rewritten to another key of the same keyring fails with AUTH_FAILED', () => {
  const ring = Keyring.create({ kek: kek() });
  const oldCt = ring.encrypt('x', 'c');
  ring.rotate('data', 'default');
  const ct = ring.encrypt('x', 'c');
  const relabelled = ct.slice();
  relabelled.set(oldCt.subarray(2, 6), 2);
  assert.equal(codeOf(() => ring.decrypt(relabelled, 'c')), 'AUTH_FAILED');
  assert.equal(text(ring.decrypt(oldCt, 'c')), 'x');
  ring.destroy();
});

test('every truncation fails with AUTH_FAILED and so does an extension', () => {
  const ring = Keyring.create({ kek: kek() });
  const ct = ring.encrypt('truncate me', 'c');
  for (let n = 0; n < ct.length; n++) {
    assert.equal(codeOf(() => ring.decrypt(ct.subarray(0, n), 'c')), 'AUTH_FAILED', `length ${n}`);
  }
  const longer = new Uint8Array(ct.length + 1);
  longer.set(ct);
  assert.equal(codeOf(() => ring.decrypt(longer, 'c')), 'AUTH_FAILED');
  ring.destroy();
});

test('rejects a ciphertext moved to another record or field', () => {
  const ring = Keyring.create({ kek: kek() });
  const ct = ring.encrypt('secret', 'contacts/1/email');
  assert.equal(codeOf(() => ring.decrypt(ct, 'contacts/2/email')), 'AUTH_FAILED');
  assert.equal(codeOf(() => ring.decrypt(ct, 'contacts/1/phone')), 'AUTH_FAILED');
  assert.equal(codeOf(() => ring.decrypt(ct, '')), 'AUTH_FAILED');
  ring.destroy();
});

test('the error message is the same whichever part was tampered', () => {
  const ring = Keyring.create({ kek: kek() });
  const ct = ring.encrypt('secret', 'c');
  const messages = new Set();
  for (const i of [0, 1, 10, 30, 60, ct.length - 1]) {
    const bad = ct.slice();
    bad[i] ^= 0x80;
    try {
      ring.decrypt(bad, 'c');
    } catch (err) {
      messages.add(err.message);
      assert.ok(!err.message.includes('secret'));
    }
  }
  assert.equal(messages.size, 1);
  ring.destroy();
});

test('a record from another keyring gives UNKNOWN_KEY', () => {
  const a = Keyring.create({ kek: kek() });
  const b = Keyring.create({ kek: kek() });
  assert.equal(codeOf(() => b.decrypt(a.encrypt('x', 'c'), 'c')), 'UNKNOWN_KEY');
  a.destroy();
  b.destroy();
});

test('exported entries reload under the same KEK and fail under a wrong one', () => {
  const k = kek();
  const ring = Keyring.create({ kek: k, store: 'app', kekId: 'device-1' });
  ring.rotate('index', 'contacts/email');
  const ct = ring.encrypt('kept', 'c');
  const idx = ring.blindIndex('contacts', 'email', 'A@x.io', { normalize: 'lowercase' });
  const entries = ring.export();
  assert.deepEqual(entries.map((e) => [e.kind, e.scope, e.status, e.kekId, e.wrapped.length]), [
    ['data', 'default', 'primary', 'device-1', 102],
    ['index', 'contacts/email', 'primary', 'device-1', 102],
  ]);
  for (const e of entries) assert.deepEqual(Object.keys(e).sort(), ['createdAt', 'id', 'kekId', 'kind', 'scope', 'status', 'wrapped']);

  const copy = Keyring.load({ kek: k, entries, store: 'app' });
  assert.equal(text(copy.decrypt(ct, 'c')), 'kept');
  assert.equal(copy.blindIndex('contacts', 'email', 'a@X.IO', { normalize: 'lowercase' }), idx);

  assert.equal(codeOf(() => Keyring.load({ kek: kek(), entries, store: 'app' })), 'KEY_UNAVAILABLE');
  assert.equal(codeOf(() => Keyring.load({ kek: k, entries, store: 'other' })), 'KEY_UNAVAILABLE');
  assert.equal(codeOf(() => Keyring.load({ kek: k, entries, store: 'app', kekId: 'device-2' })), 'KEY_UNAVAILABLE');
  const edited = entries.map((e) => ({ ...e }));
  edited[1].scope = 'contacts/phone';
  assert.equal(codeOf(() => Keyring.load({ kek: k, entries: edited, store: 'app' })), 'KEY_UNAVAILABLE');
  const flipped = entries.map((e) => ({ ...e, wrapped: e.wrapped.slice() }));
  flipped[0].wrapped[90] ^= 1;
  assert.equal(codeOf(() => Keyring.load({ kek: k, entries: flipped, store: 'app' })), 'KEY_UNAVAILABLE');
  ring.destroy();
  copy.destroy();
});

test('rewrap moves the keyring to a new KEK without touching records', () => {
  const k1 = kek(), k2 = kek();
  const ring = Keyring.create({ kek: k1, kekId: 'old' });
  const ct = ring.encrypt('x', 'c');
  ring.rewrap({ kek: k2, kekId: 'new' });
  const entries = ring.export();
  assert.equal(entries[0].kekId, 'new');
  assert.equal(codeOf(() => Keyring.load({ kek: k1, entries, kekId: 'new' })), 'KEY_UNAVAILABLE');
  const copy = Keyring.load({ kek: k2, entries });
  assert.equal(text(copy.decrypt(ct, 'c')), 'x');
  ring.destroy();
  copy.destroy();
});

test('rotation keeps old records readable and marks the old key active', () => {
  const ring = Keyring.create({ kek: kek() });
  ring.rotate('data', 'contacts');
  const before = ring.encrypt('before', 'c', { scope: 'contacts' });
  const newId = ring.rotate('data', 'contacts');
  const after = ring.encrypt('after', 'c', { scope: 'contacts' });
  assert.equal(Buffer.from(after.subarray(2, 6)).readUInt32BE(0), newId);
  assert.equal(text(ring.decrypt(before, 'c')), 'before');
  assert.equal(text(ring.decrypt(after, 'c')), 'after');
  const statuses = ring.export().filter((e) => e.scope === 'contacts').map((e) => e.status);
  assert.deepEqual(statuses, ['active', 'primary']);
  assert.equal(codeOf(() => ring.encrypt('x', 'c', { scope: 'notes' })), 'UNKNOWN_KEY');
  ring.destroy();
});

test('blind indexes: normalisation, truncation, key id prefix, old keys on request', () => {
  const ring = Keyring.create({ kek: kek() });
  const first = ring.rotate('index', 'contacts/email');
  const a = ring.blindIndex('contacts', 'email', '  Alice@Example.COM ', { normalize: 'trim-lowercase', bits: 32 });
  const b = ring.blindIndex('contacts', 'email', 'alice@example.com', { normalize: 'trim-lowercase', bits: 32 });
  assert.equal(a, b);
  assert.match(a, new RegExp(`^${first}:[0-9a-f]{8}$`));
  assert.notEqual(ring.blindIndex('contacts', 'email', 'Alice@example.com'), ring.blindIndex('contacts', 'email', 'alice@example.com'));
  // NFC: a decomposed é matches a composed one once normalised.
  assert.equal(ring.blindIndex('contacts', 'email', 'e\u0301', { normalize: 'lowercase' }),
    ring.blindIndex('contacts', 'email', '\u00C9', { normalize: 'lowercase' }));
  assert.equal(ring.blindIndex('contacts', 'email', '+1 (555) 010', { normalize: 'digits' }),
    ring.blindIndex('contacts', 'email', '1555010', { normalize: 'digits' }));
  const full = ring.blindIndex('contacts', 'email', 'v', { bits: 256 }).split(':')[1];
  assert.equal(full.length, 64);
  assert.equal(ring.blindIndex('contacts', 'email', 'v', { bits: 8 }).split(':')[1], full.slice(0, 2));
  assert.equal(ring.blindIndex('contacts', 'email', 'v', { bits: 12 }).split(':')[1], full.slice(0, 3));
  const second = ring.rotate('index', 'contacts/email');
  const c = ring.blindIndex('contacts', 'email', 'alice@example.com', { normalize: 'trim-lowercase' });
  assert.ok(c.startsWith(`${second}:`));
  assert.equal(ring.blindIndex('contacts', 'email', 'alice@example.com', { normalize: 'trim-lowercase', keyId: first }), a);
  assert.equal(codeOf(() => ring.blindIndex('contacts', 'phone', '1')), 'UNKNOWN_KEY');
  for (const bits of [7, 257, 3.5, '32']) {
    assert.equal(codeOf(() => ring.blindIndex('contacts', 'email', 'v', { bits })), 'INVALID_ARGUMENT');
  }
  assert.equal(codeOf(() => ring.blindIndex('contacts', 'email', 'v', { normalize: 'upper' })), 'INVALID_ARGUMENT');
  ring.destroy();
});

test('arguments are checked with typed errors that name them', () => {
  const ring = Keyring.create({ kek: kek() });
  const cases = [
    [() => Keyring.create({ kek: new Uint8Array(31) }), /kek must be 32 bytes/],
    [() => Keyring.create({ kek: 'not bytes' }), /kek must be a Uint8Array/],
    [() => Keyring.create(), /kek must be a Uint8Array/],
    [() => Keyring.load({ kek: kek() }), /entries must be an array/],
    [() => ring.encrypt(null, 'c'), /plaintext must be a Uint8Array or a string/],
    [() => ring.encrypt(123, 'c'), /plaintext must be/],
    [() => ring.encrypt('x', undefined), /context must be/],
    [() => ring.encrypt('\uD800', 'c'), /plaintext is not a well-formed string/],
    [() => ring.decrypt('text', 'c'), /ciphertext must be a Uint8Array/],
    [() => ring.rotate('keys', 'x'), /kind must be one of/],
    [() => ring.rotate('data', 'a/b'), /scope 'a\/b' is not valid/],
    [() => ring.rotate('index', 'contacts'), /not valid for a index key/],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (err) => err instanceof EnveilError && err.code === 'INVALID_ARGUMENT' && message.test(err.message));
  }
  ring.destroy();
});

test('a string with a lone surrogate is refused wherever it stands, and every well-formed string, astral characters included, is accepted (agreeing with String.prototype.isWellFormed)', () => {
  const ring = Keyring.create({ kek: kek() });
  const refused = (s) => {
    try {
      ring.encrypt(s, 'c');
      return false;
    } catch (err) {
      assert.ok(err instanceof EnveilError && err.code === 'INVALID_ARGUMENT' && /plaintext is not a well-formed string/.test(err.message), String(err));
      return true;
    }
  };
  for (const s of ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', 'a\uD800', '\uD800a', 'a\uDC00b', '\uDC00\uD800', '\uD83D\uDE00\uDC00', '\uD800\uD800\uDC00', 'é\uD83D']) {
    assert.equal(refused(s), true, JSON.stringify(s));
  }
  for (const s of ['', 'plain', 'é🙂', '\uD83D\uDE00', 'x\uDBFF\uDFFFy', '\uD800\uDC00\uD800\uDC00']) {
    assert.equal(refused(s), false, JSON.stringify(s));
  }
  // Strings of surrogates, ASCII and Latin-1, random lengths 0-6.
  const units = [0xd800, 0xdbff, 0xdc00, 0xdfff, 0xd83d, 0xde00, 0x61, 0xe9];
  for (let n = 0; n < 5000; n++) {
    const s = String.fromCharCode(...Array.from({ length: n % 7 }, () => units[Math.floor(Math.random() * units.length)]));
    assert.equal(refused(s), !s.isWellFormed(), JSON.stringify(s));
  }
  assert.throws(() => Keyring.create({ kek: kek(), store: 'app\uDFFF' }), /store is not a well-formed string/);
  ring.destroy();
});

test('destroy wipes the keyring: later calls throw LOCKED', () => {
  const ring = Keyring.create({ kek: kek() });
  const ct = ring.encrypt('x', 'c');
  ring.destroy();
  ring.destroy();
  assert.equal(ring.destroyed, true);
  assert.equal(codeOf(() => ring.decrypt(ct, 'c')), 'LOCKED');
  assert.equal(codeOf(() => ring.export()), 'LOCKED');
});

test('a wrapped key is a v1 record under the KEK with the documented context', () => {
  // Recompute the wrap of one entry from the primitives: pins DESIGN.md §3's
  // "wrapped DEK in the same format" and this package's context layout.
  const k = kek();
  const ring = Keyring.create({ kek: k, store: 'app', kekId: 'kk' });
  const [entry] = ring.export();
  const w = entry.wrapped;
  assert.deepEqual([...w.subarray(0, 6)], [1, 1, 0, 0, 0, 0]);
  const lp = (s) => { const b = utf8(s); const out = new Uint8Array(4 + b.length); new DataView(out.buffer).setUint32(0, b.length); out.set(b, 4); return out; };
  const id = new Uint8Array(4); new DataView(id.buffer).setUint32(0, entry.id);
  const context = Buffer.concat([utf8('enveil/v1/dek'), lp('app'), lp('kk'), id, Uint8Array.of(1), lp('default')]);
  const info = Buffer.concat([utf8('enveil/v1/record'), w.subarray(0, 22)]);
  // HKDF-Expand with PRK = KEK: hkdfSha256 extracts first, so expand by hand.
  const expand = (prk, inf, len) => {
    let t = Buffer.alloc(0), out = Buffer.alloc(0);
    for (let i = 1; out.length < len; i++) {
      t = crypto.createHmac('sha256', prk).update(Buffer.concat([t, inf, Buffer.of(i)])).digest();
      out = Buffer.concat([out, t]);
    }
    return out.subarray(0, len);
  };
  const okm = expand(Buffer.from(k), info, 76);
  assert.deepEqual(Buffer.from(w.subarray(22, 54)), okm.subarray(44, 76), 'commitment');
  const ctxLen = Buffer.alloc(4); ctxLen.writeUInt32BE(context.length);
  const aad = Buffer.concat([w.subarray(0, 54), ctxLen, context]);
  const d = crypto.createDecipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32, 44));
  d.setAAD(aad);
  d.setAuthTag(w.subarray(w.length - 16));
  const dek = Buffer.concat([d.update(w.subarray(54, w.length - 16)), d.final()]);
  assert.equal(dek.length, 32);
  // That DEK, used per §3, opens the keyring's records.
  const rec = ring.encrypt('via node', 'c');
  const rinfo = Buffer.concat([utf8('enveil/v1/record'), rec.subarray(0, 22)]);
  const rokm = expand(dek, rinfo, 76);
  const rlen = Buffer.alloc(4); rlen.writeUInt32BE(1);
  const rd = crypto.createDecipheriv('aes-256-gcm', rokm.subarray(0, 32), rokm.subarray(32, 44));
  rd.setAAD(Buffer.concat([rec.subarray(0, 54), rlen, utf8('c')]));
  rd.setAuthTag(rec.subarray(rec.length - 16));
  assert.equal(Buffer.concat([rd.update(rec.subarray(54, rec.length - 16)), rd.final()]).toString(), 'via node');
  ring.destroy();
});

test('hazmat wrapKey and keyring secrets: round trip, and KEY_UNAVAILABLE for anything else', async () => {
  const { wrapKey, unwrapKey } = await import('../../js/hazmat.js');
  const k = kek(), key = randomBytes(32), ctx = utf8('enveil/v1/smk|app');
  const w = wrapKey(k, key, ctx);
  assert.equal(w.length, 102);
  assert.deepEqual(unwrapKey(k, w, ctx), key);
  assert.equal(codeOf(() => unwrapKey(kek(), w, ctx)), 'KEY_UNAVAILABLE');
  assert.equal(codeOf(() => unwrapKey(k, w, utf8('other'))), 'KEY_UNAVAILABLE');
  const bad = w.slice(); bad[60] ^= 1;
  assert.equal(codeOf(() => unwrapKey(k, bad, ctx)), 'KEY_UNAVAILABLE');
  assert.equal(codeOf(() => wrapKey(k, randomBytes(31), ctx)), 'INVALID_ARGUMENT');

  const ring = Keyring.create({ kek: k, store: 'app' });
  const secret = randomBytes(32);
  const ws = ring.wrapSecret(secret, 'recovery');
  assert.deepEqual(ring.unwrapSecret(ws, 'recovery'), secret);
  assert.equal(codeOf(() => ring.unwrapSecret(ws, 'other')), 'KEY_UNAVAILABLE');
  assert.equal(codeOf(() => unwrapKey(k, ws, utf8('recovery'))), 'KEY_UNAVAILABLE', 'label separates secrets from plain wraps');
  ring.destroy();
});

test('suite 0x02 (ChaCha20-Poly1305): round trip, every flip and truncation fails, both suites open under one keyring', async () => {
  const { chacha20poly1305Seal } = await import('../../js/hazmat.js');
  const k = kek();
  const aes = Keyring.create({ kek: k });
  const entries = aes.export();
  const chacha = Keyring.load({ kek: k, entries, suite: 'chacha20-poly1305' });
  const ct = chacha.encrypt('fast in WASM', 'contacts/1/email');
  assert.equal(ct[1], 0x02);
  assert.equal(text(chacha.decrypt(ct, 'contacts/1/email')), 'fast in WASM');
  assert.equal(text(aes.decrypt(ct, 'contacts/1/email')), 'fast in WASM', 'the AES keyring opens suite 2 too');
  assert.equal(text(chacha.decrypt(aes.encrypt('x', 'c'), 'c')), 'x');
  for (let i = 0; i < ct.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = ct.slice();
      bad[i] ^= 1 << bit;
      assert.equal(codeOf(() => chacha.decrypt(bad, 'contacts/1/email')), i >= 2 && i < 6 ? 'UNKNOWN_KEY' : 'AUTH_FAILED');
    }
  }
  for (let n = 0; n < ct.length; n++) assert.equal(codeOf(() => chacha.decrypt(ct.subarray(0, n), 'contacts/1/email')), 'AUTH_FAILED');
  assert.equal(codeOf(() => chacha.decrypt(ct, 'contacts/2/email')), 'AUTH_FAILED');
  assert.equal(codeOf(() => Keyring.create({ kek: k, suite: 'des' })), 'INVALID_ARGUMENT');
  // hazmat ChaCha20-Poly1305 agrees with node:crypto.
  for (const size of [0, 1, 64, 1000, 70000]) {
    const key = crypto.randomBytes(32), iv = crypto.randomBytes(12), pt = crypto.randomBytes(size), aad = crypto.randomBytes(size % 13);
    const c = crypto.createCipheriv('chacha20-poly1305', key, iv, { authTagLength: 16 });
    c.setAAD(aad);
    const theirs = Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
    assert.ok(Buffer.from(chacha20poly1305Seal(key, iv, pt, aad)).equals(theirs), `size ${size}`);
  }
  aes.destroy();
  chacha.destroy();
});

test('names are counted in UTF-8 bytes, as the core counts them, and refused naming the argument', () => {
  const longest = 'é'.repeat(127) + 'a'; // 255 bytes
  const over = 'é'.repeat(128); // 128 characters, 256 bytes
  const ring = Keyring.create({ kek: kek(), store: longest, kekId: longest });
  ring.rotate('index', `${longest}/${longest}`);
  assert.match(ring.blindIndex(longest, longest, 'v'), /^\d+:[0-9a-f]{8}$/);
  const refused = (fn, argument) => assert.throws(fn, (err) => err instanceof EnveilError && err.code === 'INVALID_ARGUMENT'
    && new RegExp(`^${argument} must be (1 to|at most) 255 bytes in UTF-8, got 256$`).test(err.message));
  refused(() => Keyring.create({ kek: kek(), store: over }), 'store');
  refused(() => Keyring.create({ kek: kek(), kekId: over }), 'kekId');
  refused(() => Keyring.load({ kek: kek(), entries: ring.export(), kekId: over }), 'kekId');
  refused(() => ring.rewrap({ kek: kek(), kekId: over }), 'kekId');
  refused(() => ring.blindIndex(over, longest, 'v'), 'scope');
  refused(() => ring.blindIndex(longest, over, 'v'), 'field');
  assert.throws(() => ring.blindIndex(longest, 'a/b', 'v'), { code: 'INVALID_ARGUMENT', message: "field must not contain '/' or NUL" });
  assert.equal(ring.kekId, longest, 'a refused rewrap changes nothing');
  // encrypt leaves the scope to the core, as before: no key can have it.
  assert.equal(codeOf(() => ring.encrypt('x', 'c', { scope: over })), 'UNKNOWN_KEY');
  ring.destroy();
});

test('status changes report the core\'s code with their own message', () => {
  const ring = Keyring.create({ kek: kek() });
  const [{ id: first }] = ring.export();
  const second = ring.rotate('data', 'default');
  const fails = (fn, code, message) => assert.throws(fn, (err) => err instanceof EnveilError && err.code === code && err.message === message);
  fails(() => ring.setStatus(12345, 'retired'), 'UNKNOWN_KEY', 'no key with id 12345');
  fails(() => ring.setStatus(second, 'retired'), 'INVALID_ARGUMENT', 'a primary key changes only through rotate()');
  fails(() => ring.promote(12345), 'UNKNOWN_KEY', 'no key with id 12345');
  fails(() => ring.remove(12345), 'UNKNOWN_KEY', 'no key with id 12345');
  ring.setStatus(first, 'retired');
  ring.promote(first);
  ring.remove(second);
  assert.deepEqual(ring.export().map((e) => [e.id, e.status]), [[first, 'primary']]);
  fails(() => ring.rotate('data', 'a/b'), 'INVALID_ARGUMENT',
    "scope 'a/b' is not valid for a data key (1-255 bytes without '/' or NUL)");
  ring.destroy();
});
