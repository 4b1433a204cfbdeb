// What crosses the boundary: inputs are wiped from WASM memory after each
// call, outputs are copies, and raw keys never sit in the heap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Keyring, init } from '../../js/index.js';
import { aes256gcmOpen, aes256gcmSeal, hmacSha256 } from '../../js/hazmat.js';
import { wasm } from '../../js/internal/wasm.js';

await init();

/** Whether `needle` occurs anywhere in WASM memory right now. */
function inHeap(needle) {
  return Buffer.from(wasm().HEAPU8.buffer).indexOf(Buffer.from(needle)) !== -1;
}

test('outputs are copies, never views of WASM memory', () => {
  const heap = wasm().HEAPU8.buffer;
  const key = crypto.randomBytes(32), nonce = crypto.randomBytes(12);
  const sealed = aes256gcmSeal(key, nonce, crypto.randomBytes(100));
  assert.notEqual(sealed.buffer, heap);
  assert.notEqual(aes256gcmOpen(key, nonce, sealed).buffer, heap);
  const ring = Keyring.create({ kek: crypto.randomBytes(32) });
  const ct = ring.encrypt('x', 'c');
  assert.notEqual(ct.buffer, heap);
  assert.notEqual(ring.decrypt(ct, 'c').buffer, heap);
  assert.notEqual(ring.export()[0].wrapped.buffer, wasm().HEAPU8.buffer);
  ring.destroy();
});

test('plaintexts, keys and KEKs are wiped from WASM memory after each call', () => {
  const kek = crypto.randomBytes(32);
  const ring = Keyring.create({ kek });
  assert.equal(inHeap(kek), false, 'the KEK is held as HMAC pads, not raw');

  const secret = crypto.randomBytes(64);
  const ct = ring.encrypt(secret, 'contacts/1/note');
  assert.equal(inHeap(secret), false, 'plaintext left in the heap after encrypt');
  const back = ring.decrypt(ct, 'contacts/1/note');
  assert.deepEqual(Buffer.from(back), secret);
  assert.equal(inHeap(secret), false, 'plaintext left in the heap after decrypt');

  const key = crypto.randomBytes(32), msg = crypto.randomBytes(48);
  hmacSha256(key, msg);
  aes256gcmSeal(key, crypto.randomBytes(12), msg);
  assert.equal(inHeap(key), false, 'hazmat key left in the heap');
  assert.equal(inHeap(msg), false, 'hazmat message left in the heap');

  const value = `needle-${crypto.randomBytes(16).toString('hex')}@example.com`;
  ring.rotate('index', 'contacts/email');
  ring.blindIndex('contacts', 'email', value, { normalize: 'lowercase' });
  assert.equal(inHeap(Buffer.from(value)), false, 'blind-index value left in the heap');
  ring.destroy();
});

test('a failed decryption leaves no plaintext behind either', () => {
  const ring = Keyring.create({ kek: crypto.randomBytes(32) });
  const secret = crypto.randomBytes(64);
  const ct = ring.encrypt(secret, 'c');
  ct[ct.length - 1] ^= 1;
  assert.throws(() => ring.decrypt(ct, 'c'), { code: 'AUTH_FAILED' });
  assert.equal(inHeap(secret), false);
  ring.destroy();
});

test('64 MiB round-trips through the record format', () => {
  const ring = Keyring.create({ kek: crypto.randomBytes(32) });
  const big = crypto.randomBytes(64 << 20);
  const ct = ring.encrypt(big, 'big');
  assert.equal(ct.length, big.length + 70);
  assert.ok(Buffer.from(ring.decrypt(ct, 'big')).equals(big));
  ring.destroy();
});

test('no key schedule, keystream or MAC state survives on the WASM stack', () => {
  const key = crypto.randomBytes(32), nonce = crypto.randomBytes(12);
  const pt = crypto.randomBytes(64);
  const sealed = aes256gcmSeal(key, nonce, pt);
  // Keystream block 1 = plaintext XOR ciphertext: BearSSL leaves it in locals.
  const keystream = Buffer.from(pt.subarray(0, 16).map((b, i) => b ^ sealed[i]));
  assert.equal(inHeap(keystream), false, 'AES-GCM keystream left on the stack');
  // The AES-256 key schedule's second round key is the key's second half.
  assert.equal(inHeap(key.subarray(16)), false, 'AES key schedule left on the stack');
  const tag = hmacSha256(key, pt);
  assert.equal(inHeap(tag), false, 'HMAC output state left on the stack');

  const ring = Keyring.create({ kek: crypto.randomBytes(32) });
  ring.rotate('index', 'contacts/email');
  const full = ring.blindIndex('contacts', 'email', 'alice@example.com', { bits: 256 }).split(':')[1];
  ring.blindIndex('contacts', 'email', 'alice@example.com', { bits: 16 });
  assert.equal(inHeap(Buffer.from(full, 'hex')), false, 'full blind-index MAC left behind');
  const record = crypto.randomBytes(48);
  const ct = ring.encrypt(record, 'c');
  const recordKeystream = Buffer.from(record.subarray(0, 16).map((b, i) => b ^ ct[70 - 16 + i]));
  assert.equal(inHeap(recordKeystream), false, 'record keystream left on the stack');
  ring.destroy();
});

test('key ids are checked: no wrap-around, no coercion', () => {
  const ring = Keyring.create({ kek: crypto.randomBytes(32) });
  const first = ring.export()[0].id;
  for (const bad of [first + 2 ** 32, first + 0.5, String(first), [first], 10n, 0, -1]) {
    assert.throws(() => ring.promote(bad), { code: 'INVALID_ARGUMENT' }, String(bad));
    assert.throws(() => ring.remove(bad), { code: 'INVALID_ARGUMENT' }, String(bad));
    assert.throws(() => ring.setStatus(bad, 'retired'), { code: 'INVALID_ARGUMENT' }, String(bad));
  }
  assert.equal(ring.export().length, 1);
  ring.destroy();
});

test('spoofed and detached arrays are refused with INVALID_ARGUMENT', () => {
  const fake = new Float64Array(4);
  Object.defineProperty(fake, 'constructor', { value: Uint8Array });
  assert.throws(() => hmacSha256(fake, new Uint8Array(1)), { code: 'INVALID_ARGUMENT' });
  const detached = new Uint8Array(new ArrayBuffer(32));
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  assert.throws(() => hmacSha256(new Uint8Array(32), detached), { code: 'INVALID_ARGUMENT' });
  assert.ok(hmacSha256(Buffer.alloc(3), new Uint8Array(2)).length === 32, 'Buffer is a Uint8Array');
});

// The raw Embind handle, as a caller that skips keyring.js would use it: a
// handle without a keyring (before create(), after destroy()) answers
// LOCKED from every method, and entry() checks its index.
test('a keyring handle without a keyring answers LOCKED, and entry() refuses an index out of range', () => {
  const m = wasm();
  const LOCKED = -6, INVALID_ARGUMENT = -4;
  const h = new m.KeyringHandle();
  const p = m._malloc(256);
  try {
    const everyMethod = () => ({
      size: h.size(),
      entry: h.entry(0),
      importEntry: h.importEntry(1, 1, 'c', 1, 0, p, 102),
      rotate: h.rotate(1, 'c', 0),
      setStatus: h.setStatus(1, 2),
      promote: h.promote(1),
      remove: h.remove(1),
      rewrap: h.rewrap(p, 32, 'k'),
      wrapSecret: h.wrapSecret(p, 0, p, 32, p + 128, 102),
      unwrapSecret: h.unwrapSecret(p, 0, p, 102, p + 128, 32),
      encrypt: h.encrypt(p, 1, p, 0, p, 0, p + 128, 70),
      decrypt: h.decrypt(p, 70, p, 0, p + 128, 0),
      blindIndex: h.blindIndex(p, 1, p, 1, p, 1, 0, 32, 0, p + 128, 75),
    });
    const allLocked = Object.fromEntries(Object.keys(everyMethod()).map((k) => [k, LOCKED]));
    assert.deepEqual(everyMethod(), allLocked, 'before create()');

    m.HEAPU8.set(crypto.randomBytes(32), p);
    assert.equal(h.create(p, 32, 'store', 'kek', m.SUITE_AES_256_GCM), 0);
    m.HEAPU8.fill(0, p, p + 32);
    const id = h.rotate(1, 'c', 0);
    assert.ok(id > 0);
    assert.equal(h.size(), 1);
    assert.equal(h.entry(0).id, id);
    for (const index of [1, 2, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 32 + 0.5, 0.5, -0.5, NaN, Infinity]) {
      assert.equal(h.entry(index), INVALID_ARGUMENT, `entry(${index})`);
    }

    h.destroy();
    assert.deepEqual(everyMethod(), allLocked, 'after destroy()');
  } finally {
    m.HEAPU8.fill(0, p, p + 256);
    m._free(p);
    h.delete();
  }
});

// Record salts are drawn from the platform CSPRNG for each record, never
// from state kept in WASM memory: an instance whose memory is cloned or
// restored from a snapshot (a VM snapshot resumed twice, a copied
// WebAssembly.Memory) would otherwise hand out the same salts again, and a
// repeated salt under one data key repeats the AES-GCM key and nonce.
test('an instance restored from a snapshot of its memory never repeats a record salt', () => {
  const ring = Keyring.create({ kek: crypto.randomBytes(32) });
  ring.encrypt('warm up', 'c'); // any lazily allocated state exists now
  const snapshot = wasm().HEAPU8.slice();
  const first = [ring.encrypt('a', 'c'), ring.encrypt('b', 'c')];
  assert.equal(wasm().HEAPU8.length, snapshot.length, 'memory grew: the snapshot no longer fits');
  wasm().HEAPU8.set(snapshot); // the clone resumes where the snapshot was taken
  const second = [ring.encrypt('a', 'c'), ring.encrypt('b', 'c')];
  snapshot.fill(0);
  const salt = (record) => Buffer.from(record.subarray(6, 22)).toString('hex');
  const salts = new Set([...first, ...second].map(salt));
  assert.equal(salts.size, 4, 'a record salt was repeated after the restore');
  assert.equal(Buffer.from(ring.decrypt(second[1], 'c')).toString(), 'b');
  ring.destroy();
});
