// The sizes and rules of the JS layer come from the module (limits.js), and
// nothing reads them before init(): modules and providers are made earlier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limits, nameArg } from '../../js/internal/limits.js';
import { EnveilError, Keyring, init, providers } from '../../js/index.js';
import * as hazmat from '../../js/hazmat.js';
import { wasm } from '../../js/internal/wasm.js';
import { rejectionCode } from './helpers.js';

// Before init(), at module level: this file's process has not loaded the module yet.
const beforeInit = (() => {
  try {
    limits();
    return 'OK';
  } catch (err) {
    return err instanceof EnveilError ? err.code : String(err);
  }
})();
const madeBeforeInit = providers.memory(new Uint8Array(32).fill(7));
const wrongSizeBeforeInit = providers.memory(new Uint8Array(16));
const randomBeforeInit = providers.memory();

await init();

const ctx = new TextEncoder().encode('ctx');

test('limits() reads nothing before init(), then the module\'s constants, frozen, once', () => {
  assert.equal(beforeInit, 'UNSUPPORTED');
  const m = wasm();
  const l = limits();
  assert.equal(limits(), l, 'read once');
  assert.ok(Object.isFrozen(l) && Object.isFrozen(l.NORMALIZATIONS));
  const fromModule = {
    KEY_BYTES: m.RECORD_KEY_BYTES,
    KEK_BYTES: m.KEYRING_KEK_BYTES,
    WRAPPED_KEY_BYTES: m.WRAPPED_KEY_BYTES,
    RECORD_OVERHEAD_BYTES: m.RECORD_OVERHEAD_BYTES,
    AES_GCM_KEY_BYTES: m.AES_GCM_KEY_BYTES,
    AES_GCM_NONCE_BYTES: m.AES_GCM_NONCE_BYTES,
    AES_GCM_TAG_BYTES: m.AES_GCM_TAG_BYTES,
    CHACHA20_POLY1305_KEY_BYTES: m.CHACHA20_POLY1305_KEY_BYTES,
    CHACHA20_POLY1305_NONCE_BYTES: m.CHACHA20_POLY1305_NONCE_BYTES,
    CHACHA20_POLY1305_TAG_BYTES: m.CHACHA20_POLY1305_TAG_BYTES,
    HMAC_SHA256_BYTES: m.HMAC_SHA256_BYTES,
    HMAC_SHA256_MIN_VERIFY_BYTES: m.HMAC_SHA256_MIN_VERIFY_BYTES,
    HKDF_SHA256_MAX_BYTES: m.HKDF_SHA256_MAX_BYTES,
    RANDOM_MAX_BYTES: m.RANDOM_MAX_BYTES,
    KEYRING_MAX_NAME_BYTES: m.KEYRING_MAX_NAME_BYTES,
    BLIND_INDEX_MIN_BITS: m.BLIND_INDEX_MIN_BITS,
    BLIND_INDEX_MAX_BITS: m.BLIND_INDEX_MAX_BITS,
    BLIND_INDEX_MAX_TEXT_BYTES: m.BLIND_INDEX_MAX_TEXT_BYTES,
    NORMALIZATIONS: m.normalizationNames(),
    DEFAULT_BLIND_INDEX_BITS: 32,
  };
  assert.deepEqual({ ...l, NORMALIZATIONS: [...l.NORMALIZATIONS] }, fromModule);
  for (const [name, value] of Object.entries(fromModule)) {
    if (name !== 'NORMALIZATIONS') assert.ok(Number.isInteger(value) && value > 0, `${name} is exported by the module`);
  }
  // The documented values (DESIGN.md §3, §4), so a change to a header shows here.
  assert.deepEqual(l.NORMALIZATIONS, ['none', 'lowercase', 'trim-lowercase', 'digits']);
  assert.deepEqual([l.KEY_BYTES, l.WRAPPED_KEY_BYTES, l.RECORD_OVERHEAD_BYTES, l.KEYRING_MAX_NAME_BYTES], [32, 102, 70, 255]);
  assert.equal(l.BLIND_INDEX_MAX_TEXT_BYTES, String(2 ** 32 - 1).length + 1 + l.BLIND_INDEX_MAX_BITS / 4);
});

test('each normalisation name the module lists selects its mode in blindIndex', () => {
  const ring = Keyring.create({ kek: hazmat.randomBytes(32) });
  ring.rotate('index', 'c/f');
  const index = (value, normalize) => ring.blindIndex('c', 'f', value, { normalize });
  const [none, lowercase, trimLowercase, digits] = limits().NORMALIZATIONS;
  assert.notEqual(index('A', none), index('a', none));
  assert.equal(index('A', lowercase), index('a', none));
  assert.equal(index(' A ', trimLowercase), index('a', none));
  assert.equal(index('+1 (2)', digits), index('12', none));
  ring.destroy();
});

test('ChaCha20-Poly1305 checks its own sizes from the module, not AES-GCM\'s', () => {
  const l = limits();
  const key = new Uint8Array(l.CHACHA20_POLY1305_KEY_BYTES);
  const nonce = new Uint8Array(l.CHACHA20_POLY1305_NONCE_BYTES);
  const sealed = hazmat.chacha20poly1305Seal(key, nonce, new Uint8Array(5));
  assert.equal(sealed.length, 5 + l.CHACHA20_POLY1305_TAG_BYTES);
  const refused = (fn, message) => assert.throws(fn, (err) => err.code === 'INVALID_ARGUMENT' && message.test(err.message));
  refused(() => hazmat.chacha20poly1305Seal(key.subarray(1), nonce, sealed),
    new RegExp(`key must be ${l.CHACHA20_POLY1305_KEY_BYTES} bytes`));
  refused(() => hazmat.chacha20poly1305Open(key, nonce.subarray(1), sealed),
    new RegExp(`nonce must be ${l.CHACHA20_POLY1305_NONCE_BYTES} bytes`));
  refused(() => hazmat.chacha20poly1305Open(key, nonce, sealed.subarray(0, l.CHACHA20_POLY1305_TAG_BYTES - 1)),
    new RegExp(`at least ${l.CHACHA20_POLY1305_TAG_BYTES} bytes \\(the tag\\)`));
});

test('nameArg counts UTF-8 bytes as the core does, and names the argument', () => {
  const max = limits().KEYRING_MAX_NAME_BYTES;
  const longest = 'é'.repeat((max - 1) / 2) + 'a';
  assert.equal(new TextEncoder().encode(longest).length, max);
  assert.equal(nameArg(longest, 'collection'), longest);
  const over = 'é'.repeat((max + 1) / 2);
  assert.ok(over.length <= max, 'fewer characters than the limit');
  const refused = (fn, message) => assert.throws(fn, (err) => err instanceof EnveilError && err.code === 'INVALID_ARGUMENT' && message.test(err.message));
  refused(() => nameArg(over, 'collection'), new RegExp(`^collection must be 1 to ${max} bytes in UTF-8, got ${max + 1}$`));
  refused(() => nameArg(over, 'kekId', 'id'), new RegExp(`^kekId must be at most ${max} bytes in UTF-8, got ${max + 1}$`));
  refused(() => nameArg('', 'field'), /^field must be 1 to/);
  refused(() => nameArg('a/b', 'field'), /^field must not contain '\/' or NUL$/);
  refused(() => nameArg('a\0', 'field'), /^field must not contain/);
  refused(() => nameArg(7, 'field'), /^field must be a string/);
  refused(() => nameArg('\uD800', 'field'), /^field is not a well-formed string/);
  assert.equal(nameArg('', 'store', 'id'), '', 'a store name or KEK id may be empty, as in the core');
  assert.equal(nameArg('a/b', 'store', 'id'), 'a/b');
});

test('a memory provider made before init() checks its key once the module is loaded', async () => {
  const key = hazmat.randomBytes(32);
  const wrapped = await madeBeforeInit.wrapKey(key, ctx);
  assert.deepEqual(await madeBeforeInit.unwrapKey(wrapped, ctx), key);
  assert.deepEqual(await providers.memory(new Uint8Array(32).fill(7)).unwrapKey(wrapped, ctx), key, 'the given key, not a random one');
  assert.equal(await rejectionCode(wrongSizeBeforeInit.wrapKey(key, ctx)), 'INVALID_ARGUMENT');
  assert.equal(await rejectionCode(wrongSizeBeforeInit.unwrapKey(wrapped, ctx)), 'INVALID_ARGUMENT');
  const again = await randomBeforeInit.wrapKey(key, ctx);
  assert.deepEqual(await randomBeforeInit.unwrapKey(again, ctx), key, 'one random key for the provider\'s life');
  assert.throws(() => providers.memory(new Uint8Array(16)), { code: 'INVALID_ARGUMENT' }, 'after init(): at once');
});
