// Table (j): ChaCha20-Poly1305, judged like for like (issue 20).
//
// enveil's record suite 0x02 does more than one AEAD call: a per-record key
// (HKDF from a fresh salt) and a key commitment. libsodium doing the same
// job is crypto_aead_xchacha20poly1305_ietf_encrypt with a fresh 24-byte
// nonce (HChaCha20 derives a per-message key from it) plus a 32-byte BLAKE2b
// commitment over the key and nonce (crypto_generichash), nonce, commitment
// and ciphertext in one output, as a record is one output. The raw
// primitives (enveil hazmat, libsodium's IETF call) run with one fixed key
// and nonce and no AAD: a benchmark only.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import sodium from 'libsodium-wrappers';
import { init, Keyring } from '../../js/index.js';
import { chacha20poly1305Open, chacha20poly1305Seal } from '../../js/hazmat.js';
import { CONTEXT, buildName, check, describeAead, measureAead, randomInput, sameBytes } from '../lib/aead-ops.mjs';
import { progress } from '../lib/common.mjs';

/** Byte 1 of a record v1 is its suite; 0x02 is ChaCha20-Poly1305. */
const SUITE_OFFSET = 1;
const SUITE_CHACHA = 0x02;
const XNONCE = 24;
const COMMITMENT = 32;

/**
 * A keyring whose records use suite 0x02, or why not.
 * @returns {{ ring: Keyring } | { reason: string }}
 */
function chachaKeyring() {
  let ring;
  try {
    ring = Keyring.create(/** @type {any} */ ({ kek: randomInput(32), suite: 'chacha20-poly1305' }));
  } catch (err) {
    return { reason: `Keyring.create({ suite: 'chacha20-poly1305' }) threw ${err?.code ?? err?.name}: ${err?.message}` };
  }
  const suite = ring.encrypt(new Uint8Array(1), 'probe')[SUITE_OFFSET];
  if (suite !== SUITE_CHACHA) {
    ring.destroy();
    return { reason: `Keyring.create ignored the suite option (records carry suite 0x${suite.toString(16).padStart(2, '0')})` };
  }
  return { ring };
}

/**
 * libsodium doing a record's job: fresh nonce, XChaCha20-Poly1305, and a
 * BLAKE2b-256 commitment to key and nonce checked before decrypting.
 * @param {Uint8Array} key
 * @returns {import('../lib/aead-ops.mjs').AeadContender}
 */
function libsodiumRecord(key) {
  // key ‖ nonce, hashed unkeyed: one BLAKE2b block, the cheapest commitment
  // over both; the key half is written once.
  const committed = new Uint8Array(32 + XNONCE);
  committed.set(key);
  return {
    key: 'libsodium-record', label: 'libsodium XChaCha20-Poly1305, fresh nonce + BLAKE2b commitment',
    seal: (pt) => () => {
      // The nonce from crypto.getRandomValues: libsodium.js's own
      // randombytes_buf costs about 180 µs a call in Node and would
      // flatter enveil.
      const nonce = crypto.getRandomValues(new Uint8Array(XNONCE));
      committed.set(nonce, 32);
      const commitment = sodium.crypto_generichash(COMMITMENT, committed);
      const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, null, null, nonce, key);
      const out = new Uint8Array(XNONCE + COMMITMENT + ct.length);
      out.set(nonce);
      out.set(commitment, XNONCE);
      out.set(ct, XNONCE + COMMITMENT);
      return out;
    },
    open: (s) => () => {
      const nonce = s.subarray(0, XNONCE);
      committed.set(nonce, 32);
      if (!sodium.memcmp(sodium.crypto_generichash(COMMITMENT, committed), s.subarray(XNONCE, XNONCE + COMMITMENT))) throw new Error('commitment mismatch');
      return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, s.subarray(XNONCE + COMMITMENT), null, nonce, key);
    },
  };
}

/** Table (j). */
export async function chachaTable() {
  const build = buildName(await init());
  await sodium.ready;
  const key = randomInput(32);
  const nonce = randomInput(12);
  const xnonce = randomInput(XNONCE);
  const chacha = chachaKeyring();
  /** @type {import('../lib/aead-ops.mjs').AeadContender[]} */
  const list = [];
  if ('ring' in chacha) {
    const { ring } = chacha;
    list.push({
      key: 'record-chacha', label: 'enveil record, suite 0x02 (Keyring)', enveil: true,
      seal: (pt) => () => ring.encrypt(pt, CONTEXT),
      open: (s) => () => ring.decrypt(s, CONTEXT),
    });
  }
  list.push(
    {
      key: 'hazmat-chacha', label: 'enveil hazmat chacha20poly1305', enveil: true, raw: true,
      seal: (pt) => () => chacha20poly1305Seal(key, nonce, pt),
      open: (s) => () => chacha20poly1305Open(key, nonce, s),
    },
    libsodiumRecord(key),
    {
      key: 'libsodium-ietf', label: 'libsodium ChaCha20-Poly1305 IETF (raw)', raw: true,
      seal: (pt) => () => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(pt, null, null, nonce, key),
      open: (s) => () => sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, s, null, nonce, key),
    },
    {
      key: 'libsodium-xchacha', label: 'libsodium XChaCha20-Poly1305 alone (fixed nonce)',
      seal: (pt) => () => sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, null, null, xnonce, key),
      open: (s) => () => sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, s, null, xnonce, key),
    },
    {
      key: 'noble', label: '@noble/ciphers chacha20poly1305', raw: true,
      seal: (pt) => () => chacha20poly1305(key, nonce).encrypt(pt),
      open: (s) => () => chacha20poly1305(key, nonce).decrypt(s),
    },
  );
  // The raw outputs must agree with libsodium's, byte for byte; a changed
  // commitment must make the libsodium record refuse to open.
  const reference = async (/** @type {Uint8Array} */ pt) => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(pt, null, null, nonce, key);
  const job = /** @type {import('../lib/aead-ops.mjs').AeadContender} */ (list.find((c) => c.key === 'libsodium-record'));
  const probe = /** @type {Uint8Array} */ (job.seal(randomInput(40))());
  probe[XNONCE] ^= 1;
  check((() => { try { job.open(probe)(); return false; } catch { return true; } })(), 'the libsodium record opened with a changed commitment');
  check(sameBytes(/** @type {Uint8Array} */ (job.open(/** @type {Uint8Array} */ (job.seal(randomInput(40).fill(7))()))()), new Uint8Array(40).fill(7)), 'the libsodium record does not open its own output');

  const groups = await measureAead(list, [
    { direction: 'seal', bytes: 32 }, { direction: 'seal', bytes: 1024 }, { direction: 'seal', bytes: 64 * 1024 },
    { direction: 'open', bytes: 1024 }, { direction: 'open', bytes: 64 * 1024 },
  ], reference, progress);
  return {
    kind: 'throughput',
    contenders: describeAead(list),
    ratioOf: list.filter((c) => c.enveil).map((c) => c.key),
    groups,
    skipped: 'reason' in chacha ? [{ label: 'enveil record, suite 0x02', reason: chacha.reason }] : [],
    chacha: 'ring' in chacha ? { available: true } : { available: false, reason: chacha.reason },
    notes: [
      `enveil: init() loaded ${build} of the core.`,
      'Like for like (issue 20): the record (per-record key, key commitment, one output) against libsodium doing the same job: crypto_aead_xchacha20poly1305_ietf_encrypt with a fresh nonce (from crypto.getRandomValues: libsodium.js\'s randombytes_buf is far slower in Node) plus crypto_generichash (BLAKE2b-256) of key ‖ nonce, nonce ‖ commitment ‖ ciphertext in one output; no AAD on the libsodium side (the record binds its context in the key derivation).',
      'Raw: enveil hazmat against crypto_aead_chacha20poly1305_ietf_encrypt, one fixed key and nonce, no AAD (benchmark only); outputs checked equal byte for byte. MB/s counts plaintext bytes.',
    ],
  };
}
