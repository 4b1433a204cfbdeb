// Bad input at the JS API: every argument of every synchronous entry point
// given wrong types, wrong lengths, empty, huge and odd values. Each call
// either works or throws an EnveilError with a stable code — never another
// exception — and failing calls leave no WASM allocation behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnveilError, Keyring, init } from '../../js/index.js';
import * as hazmat from '../../js/hazmat.js';
import { wasm } from '../../js/internal/wasm.js';

await init();

const kek = hazmat.randomBytes(32);
const ring = Keyring.create({ kek });
ring.rotate('index', 'contacts/email');
const record = ring.encrypt('x', 'c');
const olderKey = ring.export()[0].id;
ring.rotate('data', 'default'); // olderKey is now active: setStatus may retire it

const BAD = [
  null, undefined, 0, -1, 1.5, NaN, Infinity, 2 ** 53, 10n, true, 'text', '', '\uD800', 'é🙂', {}, [], [1, 2, 3],
  Symbol('s'), () => 1, new Uint16Array(16), new Int8Array(32), new Float64Array(4), new DataView(new ArrayBuffer(32)),
  new ArrayBuffer(32), new Uint8Array(0), new Uint8Array(1), new Uint8Array(31), new Uint8Array(33), new Uint8Array(16 * 1024),
];

const heldMac = new hazmat.HmacSha256Key(kek);

/** Entry points with a valid argument list; each position is replaced in turn. */
const CALLS = {
  aes256gcmSeal: [(...a) => hazmat.aes256gcmSeal(...a), [kek, new Uint8Array(12), new Uint8Array(5), new Uint8Array(0)]],
  aes256gcmOpen: [(...a) => hazmat.aes256gcmOpen(...a), [kek, new Uint8Array(12), hazmat.aes256gcmSeal(kek, new Uint8Array(12), new Uint8Array(5)), new Uint8Array(0)]],
  chacha20poly1305Seal: [(...a) => hazmat.chacha20poly1305Seal(...a), [kek, new Uint8Array(12), new Uint8Array(5), new Uint8Array(0)]],
  hmacSha256: [(...a) => hazmat.hmacSha256(...a), [kek, new Uint8Array(5)]],
  hmacSha256Verify: [(...a) => hazmat.hmacSha256Verify(...a), [kek, new Uint8Array(5), new Uint8Array(32)]],
  HmacSha256Key: [(...a) => new hazmat.HmacSha256Key(...a), [kek]],
  'HmacSha256Key.mac': [(...a) => heldMac.mac(...a), [new Uint8Array(5)]],
  'HmacSha256Key.verify': [(...a) => heldMac.verify(...a), [new Uint8Array(5), new Uint8Array(32)]],
  hkdfSha256: [(...a) => hazmat.hkdfSha256(...a), [kek, new Uint8Array(0), new Uint8Array(0), 32]],
  randomBytes: [(...a) => hazmat.randomBytes(...a), [16]],
  wrapKey: [(...a) => hazmat.wrapKey(...a), [kek, kek, new Uint8Array(3)]],
  unwrapKey: [(...a) => hazmat.unwrapKey(...a), [kek, hazmat.wrapKey(kek, kek, new Uint8Array(3)), new Uint8Array(3)]],
  encrypt: [(...a) => ring.encrypt(...a), ['plain', 'ctx', { scope: 'default' }]],
  decrypt: [(...a) => ring.decrypt(...a), [record, 'c']],
  blindIndex: [(...a) => ring.blindIndex(...a), ['contacts', 'email', 'v', { bits: 32, normalize: 'lowercase' }]],
  rotate: [(...a) => ring.rotate(...a), ['data', 'other']],
  setStatus: [(...a) => ring.setStatus(...a), [olderKey, 'retired']],
  wrapSecret: [(...a) => ring.wrapSecret(...a), [kek, 'ctx']],
  create: [(...a) => Keyring.create(...a), [{ kek }]],
  load: [(...a) => Keyring.load(...a), [{ kek, entries: ring.export() }]],
};

/** Runs fn; returns 'ok' or the EnveilError code; fails on anything else. */
function outcome(fn, label) {
  try {
    const r = fn();
    if (r instanceof Keyring || r instanceof hazmat.HmacSha256Key) r.destroy();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof EnveilError, `${label}: threw ${err?.constructor?.name}: ${err?.message}`);
    assert.ok(!/[\u0000-\u0008]/.test(err.message), `${label}: binary in message`);
    return err.code;
  }
}

test('every argument of every entry point: works or throws a typed EnveilError, never anything else', () => {
  const seen = new Map();
  let calls = 0;
  for (const [name, [fn, args]] of Object.entries(CALLS)) {
    assert.equal(outcome(() => fn(...args), `${name} valid`), 'ok', `${name} with valid arguments`);
    for (let i = 0; i < args.length; i++) {
      for (const bad of BAD) {
        const a = [...args];
        a[i] = bad;
        const code = outcome(() => fn(...a), `${name} arg ${i} = ${describe(bad)}`);
        seen.set(code, (seen.get(code) ?? 0) + 1);
        calls++;
      }
    }
  }
  assert.ok(calls > 1000);
  assert.ok(seen.get('INVALID_ARGUMENT') > 500, JSON.stringify([...seen]));
});

test('huge inputs (64 MiB) work or fail with a typed error', () => {
  const big = new Uint8Array(64 << 20);
  assert.equal(hazmat.hmacSha256(kek, big).length, 32);
  const sealed = hazmat.aes256gcmSeal(kek, new Uint8Array(12), big);
  assert.equal(hazmat.aes256gcmOpen(kek, new Uint8Array(12), sealed).length, big.length);
  assert.equal(outcome(() => hazmat.hkdfSha256(big, big, big, 8161), 'hkdf huge'), 'INVALID_ARGUMENT');
  assert.equal(outcome(() => hazmat.randomBytes(64 << 20), 'random huge'), 'INVALID_ARGUMENT');
});

test('10 000 failing calls leave the WASM heap where it was', {
  skip: process.env.ENVEIL_WASM_ASAN ? "under ASan the allocator quarantines freed blocks, so addresses move by design (ASan reports real leaks itself)" : false,
}, () => {
  const input = new Uint8Array(1024);
  // Warm up: the scratch area and any one-time allocation exist already.
  for (let i = 0; i < 100; i++) outcome(() => ring.decrypt(input, 'c'), 'warm');
  const before = wasm().HEAPU8.buffer.byteLength;
  const probeBefore = wasm()._malloc(64 * 1024);
  wasm()._free(probeBefore);
  for (let i = 0; i < 10_000; i++) {
    outcome(() => ring.decrypt(input, 'c'), 'decrypt garbage');
    outcome(() => hazmat.aes256gcmOpen(kek, new Uint8Array(12), input), 'open garbage');
    outcome(() => ring.blindIndex('contacts', 'email', new Uint8Array([0xff, 0xfe]), { normalize: 'lowercase' }), 'bad utf-8');
    outcome(() => hazmat.unwrapKey(kek, new Uint8Array(102), input), 'unwrap garbage');
  }
  // 40 000 leaked 1 KiB buffers would have grown memory by ~40 MiB and moved
  // the next large allocation.
  assert.equal(wasm().HEAPU8.buffer.byteLength, before, 'WASM memory grew');
  const probeAfter = wasm()._malloc(64 * 1024);
  wasm()._free(probeAfter);
  assert.equal(probeAfter, probeBefore, 'the allocator state moved: something was not freed');
});

/** @param {unknown} v */
function describe(v) {
  if (typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function') return typeof v;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.byteLength})`;
  try {
    return JSON.stringify(v)?.slice(0, 20) ?? String(v);
  } catch {
    return String(v);
  }
}

test('a stream chunk index that is not an integer from 0 to 2^32-1 seals nothing and opens nothing', async () => {
  const stream = await import('../../js/stream-format.js');
  const { header, streamKey } = stream.sealBegin(kek, 'k1', new Uint8Array(0), 64);
  const chunk = new Uint8Array(64).fill(7);
  const atZero = stream.sealChunk(streamKey, header, 0, false, chunk);
  const atOne = stream.sealChunk(streamKey, header, 1, false, chunk);
  for (const index of [0.9, 0.5, 1e-300, Number.EPSILON, 1.5, -0.5, -1, -(2 ** 53), NaN, Infinity, -Infinity, 2 ** 53 + 2]) {
    assert.equal(outcome(() => stream.sealChunk(streamKey, header, index, false, chunk), `seal at ${index}`), 'INVALID_ARGUMENT', `seal at ${index}`);
    for (const sealed of [atZero, atOne]) {
      assert.equal(outcome(() => stream.openChunk(streamKey, header, index, false, sealed), `open at ${index}`), 'INVALID_ARGUMENT', `open at ${index}`);
    }
  }
  // Past the format's last index (2^32 - 1): refused by the core, as before.
  assert.equal(outcome(() => stream.sealChunk(streamKey, header, 2 ** 32, false, chunk), 'seal at 2^32'), 'INVALID_ARGUMENT');
  assert.equal(outcome(() => stream.openChunk(streamKey, header, 2 ** 32, false, atZero), 'open at 2^32'), 'AUTH_FAILED');
  // -0 is the integer 0.
  assert.deepEqual(stream.openChunk(streamKey, header, -0, false, atZero), chunk);
  assert.deepEqual(stream.openChunk(streamKey, header, 1, false, atOne), chunk);
});
