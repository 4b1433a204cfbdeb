// The browser checks of the compatibility floor: what an app does with
// enveil, run in the page of an old or stripped engine. Bundled by esbuild
// (tests/floor/harness.js) from 'enveil' through the package's exports, as
// an app's bundler would, and run in two phases: 'first' on a fresh origin,
// 'reopen' after the page was reloaded. Each check is named for the
// behaviour it pins; run() returns one result per check and never throws.
import { EncryptedStore, EnveilError, Keyring, RefreshError, TokenVault, init, providers } from 'enveil';
import { HmacSha256Key, aes256gcmOpen, aes256gcmSeal, hmacSha256, hmacSha256Verify, randomBytes } from 'enveil/hazmat';

const STORE = 'floor-store';
const KEYS = 'floor-keys';               // the webCrypto provider's database
const RECOVERED = 'floor-recovered';     // a store recovered after its key was lost
const COLLECTIONS = {
  contacts: {
    encrypted: ['email', 'phone'],
    blindIndex: { email: { bits: 16, normalize: 'trim-lowercase' } },
    indexes: ['city'],
  },
};
const ADA = { name: 'Ada', email: 'Ada@Example.com', phone: '+44 20 7946 0001', city: 'London' };
const GRACE = { name: 'Grace', email: 'grace@example.org', phone: '+1 555 0102', city: 'Arlington' };

const text = new TextEncoder();
const utf8 = new TextDecoder();
const subtle = () => /** @type {SubtleCrypto} */ (globalThis.crypto.subtle);

/** @param {unknown} condition @param {string} message */
function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** JSON with every object's keys sorted: records compare by content, not by key order. @param {unknown} v */
const sorted = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]]))
  : x));

/** @param {unknown} a @param {unknown} b @param {string} what */
function same(a, b, what) {
  check(sorted(a) === sorted(b), `${what}: got ${sorted(a)}, expected ${sorted(b)}`);
}

/** @param {Uint8Array} a @param {Uint8Array} b */
const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The EnveilError code `fn` fails with ('none' if it does not fail). @param {() => unknown} fn */
async function codeOf(fn) {
  try {
    await fn();
    return 'none';
  } catch (err) {
    return err instanceof EnveilError ? err.code : `${/** @type {Error} */ (err)?.name}: ${/** @type {Error} */ (err)?.message}`;
  }
}

/** A refresh endpoint in miniature: every refresh rotates the refresh token. */
function authServer() {
  const server = {
    calls: 0,
    /** @param {string} refreshToken */
    async refresh(refreshToken) {
      server.calls++;
      await new Promise((r) => setTimeout(r, 20));
      if (!refreshToken.startsWith('rt-')) throw new RefreshError('invalid', 'invalid_grant');
      return { accessToken: `at-${server.calls + 1}`, refreshToken: `rt-${server.calls + 1}`, expiresIn: 3600 };
    },
  };
  return server;
}

/** Deletes an IndexedDB database, waiting until it is gone. @param {string} name */
function deleteDatabase(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve(undefined);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error(`deleting ${name} is blocked by an open connection`));
  });
}

/** @type {Record<string, any>} what the checks of one phase share */
const state = {};

const FIRST = [
  ['init() instantiates the WASM core: the SIMD build exactly where WebAssembly SIMD validates, inflated without DecompressionStream where there is none', async () => {
    const build = await init();
    await init(); // cached: the same promise, no second instance
    // The module wasm-feature-detect validates for SIMD (i8x16.popcnt).
    const simd = WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]));
    same(build, { simd }, 'the build init() loaded');
  }],

  ['a keyring encrypts and decrypts, and refuses a ciphertext moved to another context', () => {
    const ring = Keyring.create({ kek: randomBytes(32), store: 'floor', kekId: 'device-key-1' });
    const ct = ring.encrypt('alice@example.com', 'contacts/42/email');
    same(utf8.decode(ring.decrypt(ct, 'contacts/42/email')), 'alice@example.com', 'decrypted');
    let code = 'none';
    try {
      ring.decrypt(ct, 'contacts/43/email');
    } catch (err) {
      code = err instanceof EnveilError ? err.code : String(err);
    }
    same(code, 'AUTH_FAILED', 'moved ciphertext');
    state.ring = ring;
  }],

  ['a blind index is the same for values equal after normalisation, and differs otherwise', () => {
    const ring = state.ring;
    ring.rotate('index', 'contacts/email');
    const opts = { normalize: 'trim-lowercase', bits: 32 };
    const a = ring.blindIndex('contacts', 'email', ' Alice@Example.com', opts);
    check(/^\d+:[0-9a-f]{8}$/.test(a), `index form: ${a}`);
    same(ring.blindIndex('contacts', 'email', 'alice@example.com', opts), a, 'normalised index');
    check(ring.blindIndex('contacts', 'email', 'bob@example.com', opts) !== a, 'another value has another index');
  }],

  ['strings with a lone surrogate are refused, well-formed ones (astral characters included) are not', () => {
    const ring = state.ring;
    for (const bad of ['\uD800', '\uDC00', 'a\uD800', '\uD800a', 'a\uDC00b', '\uDC00\uD800', '\uD83D\uDE00\uDC00', '\uD800\uD800\uDC00']) {
      let message = 'accepted';
      try {
        ring.encrypt(bad, 'c');
      } catch (err) {
        message = err instanceof EnveilError && err.code === 'INVALID_ARGUMENT' ? err.message : String(err);
      }
      check(/plaintext is not a well-formed string/.test(message), `plaintext ${JSON.stringify(bad)}: ${message}`);
    }
    let message = 'accepted';
    try {
      Keyring.create({ kek: randomBytes(32), store: 'floor\uDFFF' });
    } catch (err) {
      message = err instanceof EnveilError ? err.message : String(err);
    }
    check(/not a well-formed string/.test(message), `store name with a lone surrogate: ${message}`);
    for (const good of ['', 'plain', 'é🙂', '\uD83D\uDE00', 'x\uDBFF\uDFFFy']) {
      same(utf8.decode(ring.decrypt(ring.encrypt(good, 'c'), 'c')), good, `round trip of ${JSON.stringify(good)}`);
    }
  }],

  ['hazmat AES-256-GCM seals what WebCrypto opens, and opens what WebCrypto seals', async () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = text.encode('header');
    const message = text.encode('attack at dawn, bring 🙂');
    const webKey = await subtle().importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
    const ours = aes256gcmSeal(key, nonce, message, aad);
    const opened = new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, webKey, ours));
    check(equalBytes(opened, message), 'WebCrypto opened something else');
    const theirs = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, webKey, message));
    check(equalBytes(theirs, ours), 'the two ciphertexts differ');
    check(equalBytes(aes256gcmOpen(key, nonce, theirs, aad), message), 'hazmat opened something else');
    theirs[0] ^= 1;
    same(await codeOf(() => aes256gcmOpen(key, nonce, theirs, aad)), 'AUTH_FAILED', 'a flipped bit');
  }],

  ['hazmat HMAC-SHA256 agrees with WebCrypto (one-shot, verify, and a kept key)', async () => {
    const key = randomBytes(32);
    const message = text.encode('the quick brown fox');
    const webKey = await subtle().importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const expected = new Uint8Array(await subtle().sign('HMAC', webKey, message));
    check(equalBytes(hmacSha256(key, message), expected), 'hmacSha256 differs from WebCrypto');
    check(hmacSha256Verify(key, message, expected), 'hmacSha256Verify refused a good tag');
    check(!hmacSha256Verify(key, text.encode('the quick brown fix'), expected), 'hmacSha256Verify accepted another message');
    const kept = new HmacSha256Key(key);
    check(equalBytes(kept.mac(message), expected), 'HmacSha256Key differs from WebCrypto');
    kept.destroy();
  }],

  ['the store over IndexedDB with the webCrypto provider: put, get, findBy', async () => {
    await deleteDatabase(STORE);
    await deleteDatabase(KEYS);
    const store = await EncryptedStore.open({ name: STORE, provider: providers.webCrypto({ name: KEYS }), collections: COLLECTIONS });
    state.store = store;
    same(store.providerId.startsWith('webcrypto:'), true, `provider id ${store.providerId}`);
    await store.put('contacts', 'ada', ADA);
    await store.put('contacts', 'grace', GRACE);
    same(await store.get('contacts', 'ada'), { id: 'ada', ...ADA }, 'get');
    same((await store.findBy('contacts', 'email', '  ada@example.COM ')).map((r) => r.id), ['ada'], 'findBy on the blind index');
    same((await store.findBy('contacts', 'city', 'Arlington')).map((r) => r.id), ['grace'], 'findBy on a plain index');
  }],

  ['rotating data and index keys keeps every record readable and searchable', async () => {
    const store = state.store;
    const before = await store.keyStatus();
    const seen = [];
    await store.rotateDataKeys({ onProgress: ({ processed, total }) => seen.push(`${processed}/${total}`) });
    await store.rotateIndexKeys();
    check(seen.length > 0, 'no progress reported');
    check(JSON.stringify(await store.keyStatus()) !== JSON.stringify(before), 'key status unchanged by the rotations');
    same(await store.get('contacts', 'grace'), { id: 'grace', ...GRACE }, 'get after rotation');
    same((await store.findBy('contacts', 'email', 'GRACE@example.org')).map((r) => r.id), ['grace'], 'findBy after rotation');
  }],

  ['a second rotation started while one runs is refused (ROTATION_IN_PROGRESS), with or without Web Locks', async () => {
    const store = state.store;
    const outcomes = await Promise.all([codeOf(() => store.rotateDataKeys({ batchSize: 1 })), codeOf(() => store.rotateDataKeys())]);
    same(outcomes.sort(), ['ROTATION_IN_PROGRESS', 'none'], 'the two rotations');
  }],

  ['two instances of one store stay in step after a rotation (BroadcastChannel or, without it, the manifest version)', async () => {
    const other = await EncryptedStore.open({ name: STORE, provider: providers.webCrypto({ name: KEYS }), collections: COLLECTIONS });
    try {
      await state.store.rotateDataKeys();
      await other.put('contacts', 'linus', { name: 'Linus', email: 'linus@example.net', phone: '+358 40 123 4567', city: 'Helsinki' });
      same((await state.store.get('contacts', 'linus')).email, 'linus@example.net', 'written by the other instance');
      same((await other.findBy('contacts', 'email', 'ada@example.com')).map((r) => r.id), ['ada'], 'searched by the other instance');
      await state.store.rotateDataKeys(); // every record re-sealed under a key the other instance has not seen
      same((await other.get('contacts', 'ada')).email, ADA.email, 'read by the other instance after the next rotation');
      same((await other.list('contacts')).length, 3, 'listed by the other instance after the next rotation');
    } finally {
      other.close();
    }
  }],

  ['lock wipes the keys (LOCKED) and unlock asks the provider again', async () => {
    const store = state.store;
    store.lock();
    same(store.locked, true, 'locked');
    same(await codeOf(() => store.get('contacts', 'ada')), 'LOCKED', 'get while locked');
    await store.unlock();
    same((await store.get('contacts', 'ada')).phone, ADA.phone, 'get after unlock');
  }],

  ['the audit log verifies', async () => {
    same((await state.store.verifyAuditLog()).ok, true, 'verifyAuditLog');
    check((await state.store.auditLog()).length > 0, 'empty audit log');
  }],

  ['the token vault refreshes an expired token once for concurrent callers, and rotates the refresh token', async () => {
    const auth = authServer();
    const vault = await TokenVault.open({ store: state.store, refresh: auth.refresh });
    await vault.setTokens({ accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 0 });
    const tokens = await Promise.all([vault.getAccessToken(), vault.getAccessToken(), vault.getAccessToken()]);
    same(tokens, ['at-2', 'at-2', 'at-2'], 'tokens');
    same(auth.calls, 1, 'refresh calls');
    same(await vault.status(), 'valid', 'status');
    same((await vault.verifyAuditLog()).ok, true, 'vault audit log');
  }],

  ['a lost platform key is recovered with the recovery key under a new provider', async () => {
    await deleteDatabase(RECOVERED);
    await deleteDatabase(`${RECOVERED}-keys`);
    await deleteDatabase(`${RECOVERED}-keys-2`);
    const store = await EncryptedStore.open({ name: RECOVERED, provider: providers.webCrypto({ name: `${RECOVERED}-keys` }), collections: COLLECTIONS });
    await store.put('contacts', 'ada', ADA);
    const recoveryKey = await store.createRecoveryKey();
    store.close();
    await deleteDatabase(`${RECOVERED}-keys`); // the platform key is gone
    same(await codeOf(async () => (await EncryptedStore.open({ name: RECOVERED, provider: providers.webCrypto({ name: `${RECOVERED}-keys` }), collections: COLLECTIONS })).close()),
      'KEY_UNAVAILABLE', 'open without the key');
    const recovered = await EncryptedStore.recover({ name: RECOVERED, recoveryKey, newProvider: providers.webCrypto({ name: `${RECOVERED}-keys-2` }) });
    same((await recovered.get('contacts', 'ada')).email, ADA.email, 'get after recovery');
    recovered.close();
  }],

  ['the store closes, ready for the reload', () => {
    state.store.close();
  }],
];

const REOPEN = [
  ['init() instantiates the WASM core after a reload', () => init()],

  ['the store reopens after a reload with the key the webCrypto provider kept', async () => {
    const store = await EncryptedStore.open({ name: STORE, provider: providers.webCrypto({ name: KEYS }), collections: COLLECTIONS });
    state.store = store;
    same(await store.get('contacts', 'ada'), { id: 'ada', ...ADA }, 'get');
    same((await store.findBy('contacts', 'email', 'LINUS@example.net')).map((r) => r.id), ['linus'], 'findBy');
    same((await store.list('contacts')).length, 3, 'records listed');
  }],

  ['the token vault keeps its refreshed token across the reload (no second refresh)', async () => {
    const auth = authServer();
    const vault = await TokenVault.open({ store: state.store, refresh: auth.refresh });
    same(await vault.getAccessToken(), 'at-2', 'token');
    same(auth.calls, 0, 'refresh calls');
  }],

  ['the recovered store reopens under its new provider', async () => {
    const store = await EncryptedStore.open({ name: RECOVERED, provider: providers.webCrypto({ name: `${RECOVERED}-keys-2` }), collections: COLLECTIONS });
    same((await store.get('contacts', 'ada')).phone, ADA.phone, 'get');
    store.close();
    state.store.close();
  }],
];

/**
 * Runs the checks of one phase in order.
 * @param {'first' | 'reopen'} phase
 * @returns {Promise<{ name: string, ok: boolean, error?: string }[]>}
 */
async function run(phase) {
  const results = [];
  for (const [name, fn] of phase === 'first' ? FIRST : REOPEN) {
    try {
      await /** @type {() => unknown} */ (fn)();
      results.push({ name, ok: true });
    } catch (err) {
      const e = /** @type {Error} */ (err);
      results.push({ name, ok: false, error: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}${e?.stack ? `\n${e.stack}` : ''}` });
    }
  }
  return results;
}

/** @type {any} */ (globalThis).floor = { run };
