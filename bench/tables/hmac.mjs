// Table (c): HMAC-SHA256, side by side.
import { createHmac } from 'node:crypto';
import { createHMAC, createSHA256 } from 'hash-wasm';
import { HmacSha256Key, hmacSha256, init } from '../../js/hazmat.js';
import { SIZES, bytes, check, describe, measureGroups, sameBytes } from '../lib/common.mjs';

const KEY = bytes(32);

/**
 * @noble/hashes' hmac when the package is installed (it is not a dependency
 * of enveil's benchmarks: skipped otherwise). v2 paths first, then v1.
 * @returns {Promise<((key: Uint8Array, msg: Uint8Array) => Uint8Array) | null>}
 */
async function nobleHmac() {
  for (const [hmacPath, shaPath] of [['@noble/hashes/hmac.js', '@noble/hashes/sha2.js'], ['@noble/hashes/hmac', '@noble/hashes/sha256']]) {
    try {
      const [{ hmac }, { sha256 }] = await Promise.all([import(hmacPath), import(shaPath)]);
      return (key, msg) => hmac(sha256, key, msg);
    } catch {
      // not installed, or another layout
    }
  }
  return null;
}

/**
 * @typedef {import('../lib/common.mjs').Contender & { mac: (msg: Uint8Array) => () => unknown }} MacContender
 */

/**
 * The HMAC-SHA256 contenders. Exported for the blind-index table.
 * @returns {Promise<{ contenders: MacContender[], skipped: Array<{ label: string, reason: string }> }>}
 */
export async function macContenders() {
  await init();
  const hasher = await createHMAC(createSHA256(), KEY);
  const webKey = await crypto.subtle.importKey('raw', KEY, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const noble = await nobleHmac();
  const held = new HmacSha256Key(KEY);
  /** @type {MacContender[]} */
  const list = [
    { key: 'hazmat', label: 'enveil hazmat hmacSha256', enveil: true, mac: (m) => () => hmacSha256(KEY, m) },
    { key: 'hazmat-key', label: 'enveil HmacSha256Key (reused)', enveil: true, mac: (m) => () => held.mac(m) },
    { key: 'node', label: 'node:crypto', mac: (m) => () => createHmac('sha256', KEY).update(m).digest() },
    { key: 'webcrypto', label: 'WebCrypto sign (awaited)', async: true, mac: (m) => () => crypto.subtle.sign('HMAC', webKey, m) },
    {
      key: 'hash-wasm', label: 'hash-wasm (reused HMAC)',
      mac: (m) => () => {
        hasher.init();
        hasher.update(m);
        return hasher.digest('binary');
      },
    },
  ];
  const skipped = [];
  if (noble) list.push({ key: 'noble', label: '@noble/hashes hmac', mac: (m) => () => noble(KEY, m) });
  else skipped.push({ label: '@noble/hashes hmac', reason: 'not installed' });
  return { contenders: list, skipped };
}

/**
 * Builds `c`'s operation on `msg` after checking it against node:crypto.
 * @param {MacContender} c
 * @param {Uint8Array} msg
 */
export async function macChecked(c, msg) {
  const reference = createHmac('sha256', KEY).update(msg).digest();
  const tag = /** @type {ArrayBuffer | Uint8Array} */ (await c.mac(msg)());
  check(sameBytes(tag, reference), `${c.label} HMAC differs from node:crypto at ${msg.length} B`);
  return c.mac(msg);
}

/** Table (c): HMAC-SHA256 at 32 B, 1 KiB, 64 KiB and 1 MiB. */
export async function hmacTable() {
  const { contenders, skipped } = await macContenders();
  const groups = await measureGroups(SIZES, contenders, (c, group) => macChecked(c, bytes(group.bytes)));
  return {
    kind: 'throughput',
    contenders: describe(contenders),
    ratioOf: ['hazmat', 'hazmat-key'],
    groups,
    skipped,
    notes: [
      'One 32-byte key; hash-wasm keeps one HMAC object (init/update/digest per message), node:crypto creates one per message.',
      'hash-wasm has no synchronous one-shot HMAC; its reused object hashes the ipad and opad blocks again for every message (4 compressions besides the message), as enveil\'s one-shot hmacSha256 does; enveil\'s HmacSha256Key starts from the two cached pad states (2). Both enveil rows are judged against that one hash-wasm row.',
      'WebCrypto in Node hands every call to the libuv thread pool: on 2 cores its rate swings about 4× with other load, so read its spread.',
    ],
  };
}
