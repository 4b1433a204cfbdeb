// Tables (a) and (b): AES-256-GCM seal and open, side by side.
//
// The raw primitives (enveil hazmat, node:crypto, WebCrypto, @noble/ciphers,
// libsodium) run with one fixed key and nonce and no AAD: a benchmark only,
// never do this with real data. The record format draws its own salt and
// derives the message key, nonce and commitment with HKDF on every call.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import sodium from 'libsodium-wrappers';
import { init, Keyring } from '../../js/index.js';
import { aes256gcmOpen, aes256gcmSeal } from '../../js/hazmat.js';
import { SIZES, bytes, check, describe, measureGroups, sameBytes } from '../lib/common.mjs';

const KEY = bytes(32);
const NONCE = bytes(12);
const XNONCE = bytes(24);
const TAG = 16;
/** The context every record is bound to, as a store would pass it. */
const CONTEXT = 'contacts/1/email';
/** Byte 1 of a record v1 is its suite; 0x02 is ChaCha20-Poly1305. */
const SUITE_OFFSET = 1;
const SUITE_CHACHA = 0x02;

/**
 * @typedef {import('../lib/common.mjs').Contender & {
 *   gcm?: boolean,
 *   seal: (pt: Uint8Array) => () => unknown,
 *   open: (sealed: Uint8Array) => () => unknown,
 * }} AeadContender
 */

/**
 * A keyring whose primary data key uses suite 0x02, when Keyring.create
 * accepts `{ suite: 'chacha20-poly1305' }` and the records show it.
 * @param {Uint8Array} kek
 * @returns {{ ring: Keyring } | { reason: string }}
 */
function chachaKeyring(kek) {
  let ring;
  try {
    ring = Keyring.create(/** @type {any} */ ({ kek, suite: 'chacha20-poly1305' }));
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
 * Every contender, ready to build seal and open operations.
 * @returns {Promise<{ contenders: AeadContender[], skipped: Array<{ label: string, reason: string }>, chacha: { available: boolean, reason?: string } }>}
 */
async function contenders() {
  await init();
  await sodium.ready;
  const kek = bytes(32);
  const ring = Keyring.create({ kek });
  const webKey = await crypto.subtle.importKey('raw', KEY, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const webParams = { name: 'AES-GCM', iv: NONCE };
  const chacha = chachaKeyring(kek);

  /** @type {AeadContender[]} */
  const list = [
    {
      key: 'hazmat', label: 'enveil hazmat', enveil: true, gcm: true,
      seal: (pt) => () => aes256gcmSeal(KEY, NONCE, pt),
      open: (s) => () => aes256gcmOpen(KEY, NONCE, s),
    },
    {
      key: 'record', label: 'enveil record (Keyring)', enveil: true,
      seal: (pt) => () => ring.encrypt(pt, CONTEXT),
      open: (s) => () => ring.decrypt(s, CONTEXT),
    },
  ];
  if ('ring' in chacha) {
    const r = chacha.ring;
    list.push({
      key: 'record-chacha', label: 'enveil record, suite 0x02 (ChaCha20)', enveil: true,
      seal: (pt) => () => r.encrypt(pt, CONTEXT),
      open: (s) => () => r.decrypt(s, CONTEXT),
    });
  }
  list.push(
    {
      key: 'node', label: 'node:crypto', gcm: true,
      seal: (pt) => () => {
        const c = createCipheriv('aes-256-gcm', KEY, NONCE);
        const head = c.update(pt);
        const tail = c.final();
        return Buffer.concat([head, tail, c.getAuthTag()]);
      },
      open: (s) => () => {
        const d = createDecipheriv('aes-256-gcm', KEY, NONCE);
        d.setAuthTag(s.subarray(s.length - TAG));
        const head = d.update(s.subarray(0, s.length - TAG));
        return Buffer.concat([head, d.final()]);
      },
    },
    {
      key: 'webcrypto', label: 'WebCrypto (awaited)', gcm: true, async: true,
      seal: (pt) => () => crypto.subtle.encrypt(webParams, webKey, pt),
      open: (s) => () => crypto.subtle.decrypt(webParams, webKey, s),
    },
    {
      key: 'noble', label: '@noble/ciphers gcm', gcm: true,
      seal: (pt) => () => gcm(KEY, NONCE).encrypt(pt),
      open: (s) => () => gcm(KEY, NONCE).decrypt(s),
    },
    {
      key: 'libsodium', label: 'libsodium XChaCha20-Poly1305 (ref.)',
      seal: (pt) => () => sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, null, null, XNONCE, KEY),
      open: (s) => () => sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, s, null, XNONCE, KEY),
    },
  );
  const skipped = 'reason' in chacha ? [{ label: 'enveil record, suite 0x02 (ChaCha20)', reason: chacha.reason }] : [];
  return { contenders: list, skipped, chacha: 'ring' in chacha ? { available: true } : { available: false, reason: chacha.reason } };
}

/**
 * Seals `pt` with `c` and checks the result: the AES-GCM contenders must
 * agree with node:crypto byte for byte, and every contender must open its
 * own output back to `pt`.
 * @param {AeadContender} c
 * @param {Uint8Array} pt
 * @param {AeadContender} reference node:crypto
 * @returns {Promise<Uint8Array>} the sealed bytes
 */
async function sealChecked(c, pt, reference) {
  const sealed = new Uint8Array(/** @type {ArrayBuffer | Uint8Array} */ (await c.seal(pt)()));
  if (c.gcm) {
    const expected = /** @type {Buffer} */ (reference.seal(pt)());
    check(sameBytes(sealed, expected), `${c.label} seal differs from node:crypto at ${pt.length} B`);
  }
  const opened = /** @type {ArrayBuffer | Uint8Array} */ (await c.open(sealed)());
  check(sameBytes(opened, pt), `${c.label} does not open its own output at ${pt.length} B`);
  return sealed;
}

/**
 * One of the two AEAD tables.
 * @param {'seal' | 'open'} direction
 */
async function aeadTable(direction) {
  const { contenders: list, skipped, chacha } = await contenders();
  const node = /** @type {AeadContender} */ (list.find((c) => c.key === 'node'));
  const groups = await measureGroups(SIZES, list, async (c, group) => {
    const pt = bytes(group.bytes);
    const sealed = await sealChecked(c, pt, node);
    return direction === 'seal' ? c.seal(pt) : c.open(sealed);
  });
  return {
    kind: 'throughput',
    contenders: describe(list),
    ratioOf: list.filter((c) => c.enveil).map((c) => c.key),
    groups,
    skipped,
    chacha,
    notes: [
      'Raw primitives: one fixed key and nonce, no AAD (benchmark only). The record format draws a fresh salt and runs HKDF and the key commitment per call; MB/s counts plaintext bytes.',
      'libsodium is XChaCha20-Poly1305 (the libsodium reference, a different cipher).',
      'WebCrypto in Node hands every call to the libuv thread pool: on 2 cores its rate swings about 4× with other load, so read its spread.',
    ],
  };
}

/** Table (a): AES-256-GCM seal. */
export const sealTable = () => aeadTable('seal');
/** Table (b): AES-256-GCM open. */
export const openTable = () => aeadTable('open');
