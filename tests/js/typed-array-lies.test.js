// A Uint8Array that lies about itself: a subclass whose length, byteLength,
// byteOffset or buffer getter returns something else, or an array with own
// properties of those names. Every byte argument is sized and copied from
// what the array really holds, so a lie changes nothing: each call answers
// exactly as it does for an honest copy of the same bytes (a value, or the
// same typed error), no byte of the argument is left in WASM memory, and
// the WASM heap is not overrun (a keyring made beforehand still works).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
// Not through js/index.js: these are the crypto layers only (no store).
import { EnveilError } from '../../js/errors.js';
import { Keyring } from '../../js/keyring.js';
import * as providers from '../../js/providers/index.js';
import * as hazmat from '../../js/hazmat.js';
import * as stream from '../../js/stream-format.js';
import { init, wasm } from '../../js/internal/wasm.js';

await init();

const BIG = 64 * 1024; // larger than the scratch area's first size (4 KiB)

/** Whether `needle` occurs anywhere in WASM memory right now. */
function inHeap(needle) {
  return Buffer.from(wasm().HEAPU8.buffer).indexOf(Buffer.from(needle)) !== -1;
}

/**
 * Arrays holding exactly `content` that claim to hold `claim` bytes (or to
 * live elsewhere), one per way of lying.
 * @param {Uint8Array} content
 * @param {number} claim
 * @returns {[string, Uint8Array][]}
 */
function liars(content, claim) {
  const fill = (arr) => {
    Uint8Array.prototype.set.call(arr, content);
    return arr;
  };
  const elsewhere = new ArrayBuffer(Math.max(claim, 1));
  class LyingLength extends Uint8Array {
    get length() { return claim; }
  }
  class LyingByteLength extends Uint8Array {
    get byteLength() { return claim; }
  }
  class LyingOffset extends Uint8Array {
    get byteOffset() { return 4096; }
  }
  class LyingBuffer extends Uint8Array {
    get buffer() { return elsewhere; }
  }
  class LyingAll extends Uint8Array {
    get length() { return claim; }
    get byteLength() { return claim; }
    get byteOffset() { return 0; }
    get buffer() { return elsewhere; }
  }
  const ownLength = fill(new Uint8Array(content.length));
  Object.defineProperty(ownLength, 'length', { value: claim });
  const ownAll = fill(new Uint8Array(content.length));
  for (const [name, value] of [['length', claim], ['byteLength', claim], ['byteOffset', 0], ['buffer', elsewhere]]) {
    Object.defineProperty(ownAll, name, { value });
  }
  // A view into the middle of a larger buffer whose offset getter says 0.
  const backing = new Uint8Array(content.length + 32).fill(0xee);
  const offsetView = fill(new LyingAll(backing.buffer, 16, content.length));
  return [
    ['length getter', fill(new LyingLength(content.length))],
    ['byteLength getter', fill(new LyingByteLength(content.length))],
    ['byteOffset getter', fill(new LyingOffset(content.length))],
    ['buffer getter', fill(new LyingBuffer(content.length))],
    ['every getter', fill(new LyingAll(content.length))],
    ['own length', ownLength],
    ['own length, byteLength, byteOffset, buffer', ownAll],
    ['view at offset 16 claiming offset 0', offsetView],
  ];
}

/** 'ok:<hex>' of what fn returns (after `norm`), or the EnveilError code. */
function outcome(fn, norm = (x) => x) {
  try {
    const r = norm(fn());
    if (typeof r === 'string') return `ok:${r}`;
    if (typeof r === 'boolean') return `ok:${r}`;
    return `ok:${Buffer.from(r).toString('hex')}`;
  } catch (err) {
    if (!(err instanceof EnveilError)) return `threw ${err?.constructor?.name}: ${err?.message}`;
    return err.code;
  }
}

const kek = crypto.randomBytes(32);
const sentinel = Keyring.create({ kek });
sentinel.rotate('index', 'contacts/email');
const sentinelRecord = sentinel.encrypt('sentinel value', 'sentinel');

/** The sentinel keyring still opens what it sealed before the liars ran. */
function heapIntact(label) {
  assert.equal(Buffer.from(sentinel.decrypt(sentinelRecord, 'sentinel')).toString(), 'sentinel value', label);
  const again = sentinel.encrypt('again', 'c');
  assert.equal(Buffer.from(sentinel.decrypt(again, 'c')).toString(), 'again', label);
}

/**
 * Calls `fn` with each argument in `bytesAt` replaced by liars, and checks
 * that each call answers as an honest copy does.
 * @param {string} name
 * @param {(...args: any[]) => any} fn
 * @param {any[]} args valid arguments
 * @param {{ bytesAt: number[], sizes?: Record<number, number>, norm?: (out: any, args: any[]) => any, publicAt?: number[] }} spec
 *   sizes: the exact size an argument must have (its liars also try wrong
 *   real sizes claiming that size); norm: maps a random output to what is
 *   compared (e.g. opens it again); publicAt: arguments that are public by
 *   design (AAD, contexts), which the core may copy without wiping: only
 *   the others are looked for in WASM memory afterwards
 */
function checkLies(name, fn, args, { bytesAt, sizes = {}, norm = (x) => x, publicAt = [] }) {
  let calls = 0;
  for (const i of bytesAt) {
    const valid = args[i];
    const contents = [valid, crypto.randomBytes(BIG)];
    if (sizes[i] !== undefined) contents.push(crypto.randomBytes(sizes[i] + 1), crypto.randomBytes(sizes[i] - 1));
    for (const content of contents) {
      const claims = [0, 1, content.length + 4096, sizes[i] ?? content.length - 1].filter((c) => c >= 0);
      const honestArgs = args.map((a, j) => (j === i ? Uint8Array.from(content) : a));
      const honest = outcome(() => fn(...honestArgs), (out) => norm(out, honestArgs));
      assert.ok(!honest.startsWith('threw'), `${name}: honest call ${honest}`);
      for (const claim of claims) {
        for (const [how, liar] of liars(content, claim)) {
          const label = `${name}: argument ${i} (${content.length} bytes) with a lying ${how} (claims ${claim})`;
          const lyingArgs = args.map((a, j) => (j === i ? liar : a));
          const got = outcome(() => fn(...lyingArgs), (out) => norm(out, honestArgs));
          assert.equal(got, honest, label);
          if (content.length === BIG && !publicAt.includes(i)) {
            assert.equal(inHeap(content.subarray(BIG - 64)), false, `${label}: its bytes were left in WASM memory`);
          }
          calls++;
        }
      }
    }
  }
  heapIntact(`${name}: the heap was overrun`);
  return calls;
}

const nonce = crypto.randomBytes(12);
const message = crypto.randomBytes(100);
const aad = crypto.randomBytes(20);

test('hazmat: lying arrays are sized and copied as honest ones', () => {
  const sealed = hazmat.aes256gcmSeal(kek, nonce, message, aad);
  const chachaSealed = hazmat.chacha20poly1305Seal(kek, nonce, message, aad);
  const tag = hazmat.hmacSha256(kek, message);
  const wrapped = hazmat.wrapKey(kek, kek, aad);
  const held = new hazmat.HmacSha256Key(kek);
  let calls = 0;
  calls += checkLies('aes256gcmSeal', hazmat.aes256gcmSeal, [kek, nonce, message, aad], { bytesAt: [0, 1, 2, 3], sizes: { 0: 32, 1: 12 }, publicAt: [3] });
  calls += checkLies('aes256gcmOpen', hazmat.aes256gcmOpen, [kek, nonce, sealed, aad], { bytesAt: [0, 1, 2, 3], sizes: { 0: 32, 1: 12 }, publicAt: [3] });
  calls += checkLies('chacha20poly1305Seal', hazmat.chacha20poly1305Seal, [kek, nonce, message, aad], { bytesAt: [0, 1, 2, 3], sizes: { 0: 32, 1: 12 }, publicAt: [3] });
  calls += checkLies('chacha20poly1305Open', hazmat.chacha20poly1305Open, [kek, nonce, chachaSealed, aad], { bytesAt: [0, 1, 2, 3], sizes: { 0: 32, 1: 12 }, publicAt: [3] });
  calls += checkLies('hmacSha256', hazmat.hmacSha256, [kek, message], { bytesAt: [0, 1] });
  calls += checkLies('hmacSha256Verify', hazmat.hmacSha256Verify, [kek, message, tag], { bytesAt: [0, 1, 2] });
  calls += checkLies('HmacSha256Key', (key, m) => {
    const k = new hazmat.HmacSha256Key(key);
    try {
      return k.mac(m);
    } finally {
      k.destroy();
    }
  }, [kek, message], { bytesAt: [0] });
  calls += checkLies('HmacSha256Key.mac', (m) => held.mac(m), [message], { bytesAt: [0] });
  calls += checkLies('HmacSha256Key.verify', (m, t) => held.verify(m, t), [message, tag], { bytesAt: [0, 1] });
  calls += checkLies('hkdfSha256', (ikm, salt, info) => hazmat.hkdfSha256(ikm, salt, info, 42), [kek, nonce, aad], { bytesAt: [0, 1, 2] });
  calls += checkLies('wrapKey', hazmat.wrapKey, [kek, kek, aad], {
    bytesAt: [0, 1, 2], sizes: { 0: 32, 1: 32 }, publicAt: [2], norm: (out, [k, , ctx]) => hazmat.unwrapKey(k, out, ctx),
  });
  calls += checkLies('unwrapKey', hazmat.unwrapKey, [kek, wrapped, aad], { bytesAt: [0, 1, 2], sizes: { 0: 32, 1: 102 }, publicAt: [2] });
  held.destroy();
  assert.ok(calls > 1000, `${calls} calls`);
});

test('Keyring: lying arrays are sized and copied as honest ones', () => {
  const ring = Keyring.create({ kek });
  ring.rotate('index', 'contacts/email');
  const record = ring.encrypt(message, aad);
  const secretWrapped = ring.wrapSecret(kek, aad);
  const entries = ring.export();
  const open = (out, args) => Buffer.from(ring.decrypt(out, args[1])).toString('hex');
  let calls = 0;
  calls += checkLies('Keyring.encrypt', (pt, ctx) => ring.encrypt(pt, ctx), [message, aad], { bytesAt: [0, 1], norm: open, publicAt: [1] });
  calls += checkLies('Keyring.decrypt', (ct, ctx) => ring.decrypt(ct, ctx), [record, aad], { bytesAt: [0, 1], publicAt: [1] });
  calls += checkLies('Keyring.blindIndex', (v) => ring.blindIndex('contacts', 'email', v, { bits: 64 }), [message], { bytesAt: [0] });
  calls += checkLies('Keyring.wrapSecret', (s, ctx) => ring.wrapSecret(s, ctx), [kek, aad], {
    bytesAt: [0, 1], sizes: { 0: 32 }, publicAt: [1], norm: (out, [, ctx]) => ring.unwrapSecret(out, ctx),
  });
  calls += checkLies('Keyring.unwrapSecret', (w, ctx) => ring.unwrapSecret(w, ctx), [secretWrapped, aad], { bytesAt: [0, 1], sizes: { 0: 102 }, publicAt: [1] });
  // A keyring made or loaded with a lying KEK or wrapped entry opens what
  // the honest one sealed (or fails as the honest one does).
  const opensRecord = (r) => {
    try {
      return ring.decrypt(r.encrypt(message, aad), aad);
    } finally {
      r.destroy();
    }
  };
  // What a keyring made with the KEK exports loads under the honest KEK.
  const loadsUnder = (out, [k]) => {
    Keyring.load({ kek: k, entries: out }).destroy();
    return 'loads';
  };
  calls += checkLies('Keyring.create', (k) => {
    const r = Keyring.create({ kek: k });
    try {
      return r.export();
    } finally {
      r.destroy();
    }
  }, [kek], { bytesAt: [0], sizes: { 0: 32 }, norm: loadsUnder });
  calls += checkLies('Keyring.load kek', (k) => Keyring.load({ kek: k, entries }), [kek], { bytesAt: [0], sizes: { 0: 32 }, norm: opensRecord });
  calls += checkLies('Keyring.load wrapped', (w) => Keyring.load({ kek, entries: [{ ...entries[0], wrapped: w }] }),
    [entries[0].wrapped], { bytesAt: [0], sizes: { 0: 102 }, norm: opensRecord });
  calls += checkLies('Keyring.importEntry wrapped', (w) => {
    const r = Keyring.create({ kek });
    try {
      r.importEntry({ ...entries[1], wrapped: w });
      return r.blindIndex('contacts', 'email', message, { bits: 64 });
    } finally {
      r.destroy();
    }
  }, [entries[1].wrapped], { bytesAt: [0], sizes: { 0: 102 } });
  calls += checkLies('Keyring.rewrap', (k) => {
    const r = Keyring.load({ kek, entries });
    try {
      r.rewrap({ kek: k, kekId: 'next' });
      return r.export();
    } finally {
      r.destroy();
    }
  }, [crypto.randomBytes(32)], { bytesAt: [0], sizes: { 0: 32 }, norm: (out, [k]) => opensRecord(Keyring.load({ kek: k, entries: out })) });
  assert.ok(calls > 500, `${calls} calls`);
  ring.destroy();
});

test('key providers: a lying key, wrapped key or context is read as an honest one', async () => {
  // A plain Uint8Array: memory() would keep a view of a Node Buffer (whose
  // slice() is a view) and wipe it after use.
  const provider = providers.memory(Uint8Array.from(kek));
  const key = crypto.randomBytes(32);
  const context = crypto.randomBytes(40);
  const wrapped = await provider.wrapKey(key, context);
  for (const [name, i, args, size] of [
    ['wrapKey key', 0, [key, context], 32],
    ['wrapKey context', 1, [key, context], undefined],
    ['unwrapKey wrapped', 0, [wrapped, context], 102],
    ['unwrapKey context', 1, [wrapped, context], undefined],
  ]) {
    const call = (a) => (name.startsWith('wrapKey')
      ? provider.wrapKey(...a).then((w) => provider.unwrapKey(w, Uint8Array.from(a[1])))
      : provider.unwrapKey(...a));
    const settle = (p) => p.then((v) => `ok:${Buffer.from(v).toString('hex')}`, (e) => (e instanceof EnveilError ? e.code : `threw ${e}`));
    for (const content of [args[i], crypto.randomBytes(BIG), ...(size ? [crypto.randomBytes(size + 1)] : [])]) {
      const honestArgs = args.map((a, j) => (j === i ? Uint8Array.from(content) : a));
      const honest = await settle(call(honestArgs));
      for (const claim of [0, 1, size ?? content.length - 1, content.length + 4096]) {
        for (const [how, liar] of liars(content, claim)) {
          const got = await settle(call(args.map((a, j) => (j === i ? liar : a))));
          assert.equal(got, honest, `${name} (${content.length} bytes) with a lying ${how} (claims ${claim})`);
        }
      }
    }
  }
  // A provider holding a lying KEK wraps as one holding the honest bytes.
  for (const [how, liar] of liars(kek, 1)) {
    const lying = providers.memory(liar);
    assert.deepEqual(await lying.unwrapKey(wrapped, context), Uint8Array.from(key), `memory(KEK with a lying ${how})`);
  }
  heapIntact('providers: the heap was overrun');
});

test('stream format: a lying chunk is sized from its real bytes, or refused', () => {
  const masterKey = crypto.randomBytes(32);
  const { header, streamKey } = stream.sealBegin(masterKey, 'k1', new Uint8Array(0), 64);
  const chunk = crypto.randomBytes(20);
  const roundTrip = (c) => outcome(() => stream.openChunk(streamKey, header, 0, true, stream.sealChunk(streamKey, header, 0, true, c)));
  for (const content of [crypto.randomBytes(20), crypto.randomBytes(BIG)]) {
    const honest = roundTrip(Uint8Array.from(content));
    for (const claim of [0, 1, 20, content.length + 4096]) {
      for (const [how, liar] of liars(content, claim)) {
        // stream-format.js sizes its output from the argument: a lie makes
        // the output the wrong size, which the core refuses.
        const got = roundTrip(liar);
        assert.ok(got === honest || got === 'INVALID_ARGUMENT', `chunk with a lying ${how} (claims ${claim}): ${got}`);
        if (content.length === BIG) assert.equal(inHeap(content.subarray(BIG - 64)), false, `${how}: chunk bytes left in WASM memory`);
      }
    }
  }
  heapIntact('stream format: the heap was overrun');
});

test('isBytes and bytesArg read the real length, whatever the array says', async () => {
  const { bytesArg, isBytes } = await import('../../js/internal/wasm.js');
  for (const [how, liar] of liars(new Uint8Array(5), 32)) {
    assert.equal(isBytes(liar), true, how);
    assert.throws(() => bytesArg(liar, 'key', 32), { code: 'INVALID_ARGUMENT', message: 'key must be 32 bytes, got 5' }, how);
    assert.equal(bytesArg(liar, 'key', 5), liar, how);
  }
});
