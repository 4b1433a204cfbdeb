// Every entry point zeroes a fixed depth of WASM stack below itself when it
// returns (BearSSL never wipes its locals), and that depth is tuned per entry
// point because zeroing costs time on every call. This test paints the stack
// below the entry level, calls each entry point the way the library does,
// then requires that nothing but zeros and paint is left below the entry
// point's own frame. An entry point whose calls reach deeper than its burn
// (a change in BearSSL, the compiler or the core) leaves key schedules, hash
// states or keystream there and fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Keyring, init } from '../../js/index.js';
import * as hazmat from '../../js/hazmat.js';
import { wasm } from '../../js/internal/wasm.js';
import * as stream from '../../js/stream-format.js';

await init();
const m = wasm();

/** Bytes below the entry level that are painted and then checked. */
const PAINT = Math.max(64 * 1024, 4 * m.STACK_BURN_LARGE_BYTES);
/**
 * An entry point's own frame: pointers and lengths, no secrets (the secret
 * search below covers it). Sanitizer builds scale the burn (marshal.h) and
 * their frames carry redzone bookkeeping: scale the allowance alike.
 */
const FRAME = 256 * (m.STACK_BURN_SMALL_BYTES / 2048);
const MARK = 0xa5;

/**
 * Paints the stack, runs `fn`, and returns what is left below the entry
 * point's frame: the bytes that are neither zero nor paint, and how deep the
 * zeroing reached.
 * @param {() => unknown} fn
 * @param {Uint8Array[]} secrets inputs that must not appear anywhere in the painted region
 */
function afterCall(fn, secrets = []) {
  const sp = m.stackPointer();
  m.HEAPU8.fill(MARK, sp - PAINT, sp);
  try {
    fn();
  } catch {
    // Failing calls (wrong key, tampered input) must burn too; the caller
    // asserts on the outcome it expects.
  }
  const region = Buffer.from(m.HEAPU8.subarray(sp - PAINT, sp));
  let residue = 0;
  let deepest = 0;
  for (let i = 0; i < PAINT - FRAME; i++) {
    const b = region[i];
    if (b !== 0 && b !== MARK) {
      residue++;
      deepest = Math.max(deepest, PAINT - i);
    }
  }
  let low = 0;
  while (low < PAINT && region[low] === MARK) low++;
  const leaked = secrets.filter((s) => s.length >= 8 && region.indexOf(Buffer.from(s.subarray(0, 8))) !== -1);
  return { residue, deepest, zeroedDepth: PAINT - low, leaked: leaked.length };
}

const rand = (/** @type {number} */ n) => new Uint8Array(crypto.randomBytes(n));

/** @type {Array<[string, (() => unknown), Uint8Array[]]>} */
const calls = [];
const key = rand(32), nonce = rand(12), kek = rand(32);
const sealed = hazmat.aes256gcmSeal(key, nonce, rand(1000), rand(20));
const sealedChaCha = hazmat.chacha20poly1305Seal(key, nonce, rand(1000), rand(20));
const wrapped = hazmat.wrapKey(kek, key, rand(10));
calls.push(
  ['aes256gcmSeal 64 KiB', () => hazmat.aes256gcmSeal(key, nonce, rand(65536), rand(20)), [key]],
  ['aes256gcmOpen', () => hazmat.aes256gcmOpen(key, nonce, sealed), [key]],
  ['aes256gcmOpen, tampered', () => hazmat.aes256gcmOpen(key, nonce, sealed.map((b, i) => (i === 0 ? b ^ 1 : b))), [key]],
  ['chacha20poly1305Seal', () => hazmat.chacha20poly1305Seal(key, nonce, rand(4096), rand(5)), [key]],
  ['chacha20poly1305Open', () => hazmat.chacha20poly1305Open(key, nonce, sealedChaCha), [key]],
  ['hmacSha256, long key', () => hazmat.hmacSha256(rand(100), rand(1000)), []],
  ['hmacSha256', () => hazmat.hmacSha256(key, rand(1000)), [key]],
  ['hmacSha256Verify', () => hazmat.hmacSha256Verify(key, rand(1000), rand(32)), [key]],
  ['hkdfSha256, 8160 bytes', () => hazmat.hkdfSha256(key, rand(80), rand(80), 8160), [key]],
  ['randomBytes', () => hazmat.randomBytes(4096), []],
  ['wrapKey', () => hazmat.wrapKey(kek, key, rand(10)), [kek, key]],
  ['unwrapKey', () => hazmat.unwrapKey(kek, wrapped, rand(10)), [kek, key]],
);

{
  // A precomputed HMAC key: its pads live in the handle, never on the stack.
  const macKey = rand(32);
  /** @type {hazmat.HmacSha256Key | undefined} */
  let held;
  const live = () => /** @type {hazmat.HmacSha256Key} */ (held);
  calls.push(
    ['HmacSha256Key constructor', () => { held?.destroy(); held = new hazmat.HmacSha256Key(macKey); }, [macKey]],
    ['HmacSha256Key.mac', () => live().mac(rand(1000)), [macKey]],
    ['HmacSha256Key.verify', () => live().verify(rand(1000), rand(32)), [macKey]],
  );
}

{
  // The stream format of the command line (bindings/stream.cc); its header
  // parser and size helpers see public bytes only and burn nothing.
  const master = rand(32), next = rand(32);
  const context = new TextEncoder().encode('ci/deploy');
  const { header, streamKey } = stream.sealBegin(master, 'k1', context, 4096);
  const chunk = stream.sealChunk(streamKey, header, 0, true, rand(100));
  const info = stream.parseHeader(header);
  calls.push(
    ['stream sealBegin', () => stream.sealBegin(master, 'k1', context, 4096), [master]],
    ['stream openBegin', () => stream.openBegin(master, 'k1', header), [master]],
    ['stream openBegin, wrong key', () => stream.openBegin(next, 'k1', header), [next]],
    ['stream sealChunk 4 KiB', () => stream.sealChunk(streamKey, header, 1, false, rand(4096)), [streamKey]],
    ['stream openChunk', () => stream.openChunk(streamKey, header, 0, true, chunk), [streamKey]],
    ['stream rewrapHeader', () => stream.rewrapHeader({ bytes: master, id: 'k1' }, { bytes: next, id: 'k2' }, header, info), [master, next]],
  );
}

for (const suite of ['aes-256-gcm', 'chacha20-poly1305']) {
  /** @type {Keyring | undefined} */
  let ring;
  const ringKek = rand(32);
  calls.push([`Keyring.create (${suite})`, () => { ring = Keyring.create({ kek: ringKek, suite }); }, [ringKek]]);
  const r = () => /** @type {Keyring} */ (ring);
  /** @type {Uint8Array} */
  let record = new Uint8Array(0);
  const secret = rand(32);
  /** @type {Uint8Array} */
  let wrappedSecret = new Uint8Array(0);
  const newKek = rand(32);
  calls.push(
    [`rotate data (${suite})`, () => r().rotate('data', 'contacts'), [ringKek]],
    [`rotate index (${suite})`, () => r().rotate('index', 'contacts/email'), [ringKek]],
    [`encrypt 4 KiB (${suite})`, () => { record = r().encrypt(rand(4096), 'c', { scope: 'contacts' }); }, [ringKek]],
    [`decrypt (${suite})`, () => r().decrypt(record, 'c'), [ringKek]],
    [`decrypt, other context (${suite})`, () => r().decrypt(record, 'd'), [ringKek]],
    [`blindIndex trim-lowercase (${suite})`, () => r().blindIndex('contacts', 'email', '  ÀLICE@Example.COM ', { bits: 256, normalize: 'trim-lowercase' }), [ringKek]],
    [`blindIndex digits (${suite})`, () => r().blindIndex('contacts', 'email', '+1 (555) 0100', { bits: 16, normalize: 'digits' }), [ringKek]],
    [`wrapSecret (${suite})`, () => { wrappedSecret = r().wrapSecret(secret, 'recovery'); }, [ringKek, secret]],
    [`unwrapSecret (${suite})`, () => r().unwrapSecret(wrappedSecret, 'recovery'), [ringKek, secret]],
    [`Keyring.load (${suite})`, () => Keyring.load({ kek: ringKek, entries: r().export() }).destroy(), [ringKek]],
    [`rewrap (${suite})`, () => r().rewrap({ kek: newKek, kekId: 'next' }), [ringKek, newKek]],
  );
}

test('each entry point zeroes the stack its calls used, and no secret stays on it', () => {
  assert.ok(m.STACK_BURN_SMALL_BYTES > 0 && m.STACK_BURN_LARGE_BYTES >= m.STACK_BURN_SMALL_BYTES);
  const failures = [];
  for (const [label, fn, secrets] of calls) {
    const { residue, deepest, zeroedDepth, leaked } = afterCall(fn, secrets);
    // The burn must have run (zeros below the frame): otherwise the check
    // below would pass on an untouched stack.
    if (zeroedDepth < m.STACK_BURN_SMALL_BYTES) failures.push(`${label}: nothing was zeroed below the entry point`);
    if (residue > 0) failures.push(`${label}: ${residue} non-zero bytes left on the stack, down to ${deepest} bytes below the entry level`);
    if (leaked > 0) failures.push(`${label}: an input secret left on the stack`);
  }
  assert.deepEqual(failures, []);
});

test('the check sees residue: a call that leaves data below the burn depth is caught', () => {
  // Data written below the deepest burn, as a too-deep BearSSL frame would.
  const { residue } = afterCall(() => {
    const sp = m.stackPointer();
    m.HEAPU8.fill(0x5c, sp - m.STACK_BURN_LARGE_BYTES - 512, sp - m.STACK_BURN_LARGE_BYTES - 256);
  });
  assert.equal(residue, 256);
});
