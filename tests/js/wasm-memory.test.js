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
