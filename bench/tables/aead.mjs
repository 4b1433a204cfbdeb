// Tables (a) and (b): AES-256-GCM seal and open in Node, side by side:
// enveil's hazmat call and record format, node:crypto (OpenSSL, AES-NI),
// WebCrypto (awaited), @noble/ciphers. The ChaCha20-Poly1305 suite and
// libsodium have their own table (j); WebCrypto as an app sees it is
// judged in the browser tables (k, l).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SIZES, bytes, describe, measureGroups } from '../lib/common.mjs';
import { gcmContenders, sealChecked } from '../lib/aead-ops.mjs';

const TAG = 16;

/**
 * One of the two AEAD tables.
 * @param {'seal' | 'open'} direction
 */
async function aeadTable(direction) {
  const { contenders: common, key, nonce, build } = await gcmContenders();
  /** @type {import('../lib/aead-ops.mjs').AeadContender} */
  const node = {
    key: 'node', label: 'node:crypto', raw: true,
    seal: (pt) => () => {
      const c = createCipheriv('aes-256-gcm', key, nonce);
      const head = c.update(pt);
      const tail = c.final();
      return Buffer.concat([head, tail, c.getAuthTag()]);
    },
    open: (s) => () => {
      const d = createDecipheriv('aes-256-gcm', key, nonce);
      d.setAuthTag(s.subarray(s.length - TAG));
      const head = d.update(s.subarray(0, s.length - TAG));
      return Buffer.concat([head, d.final()]);
    },
  };
  const list = [...common.slice(0, 2), node, ...common.slice(2)];
  const reference = async (/** @type {Uint8Array} */ pt) => /** @type {Uint8Array} */ (node.seal(pt)());
  const groups = await measureGroups(SIZES, list, async (c, group) => {
    const pt = bytes(group.bytes);
    const sealed = await sealChecked(c, pt, reference);
    return direction === 'seal' ? c.seal(pt) : c.open(sealed);
  });
  return {
    kind: 'throughput',
    contenders: describe(list),
    ratioOf: list.filter((c) => c.enveil).map((c) => c.key),
    groups,
    skipped: [],
    notes: [
      `enveil: init() loaded ${build} of the core.`,
      'Raw primitives: one fixed key and nonce, no AAD (benchmark only). The record format draws a fresh salt and runs HKDF and the key commitment per call; MB/s counts plaintext bytes.',
      'WebCrypto in Node hands every call to the libuv thread pool: on 2 cores its rate swings about 4× with other load, so read its spread; the goal against WebCrypto is judged in Chromium and WebKitGTK (tables k, l).',
    ],
  };
}

/** Table (a): AES-256-GCM seal. */
export const sealTable = () => aeadTable('seal');
/** Table (b): AES-256-GCM open. */
export const openTable = () => aeadTable('open');
