// Table (d): a blind index of a 32-byte value against plain HMAC-SHA256 of
// 32 bytes (what a hand-rolled blind index would cost).
import { Keyring, init } from '../../js/index.js';
import { bytes, check, describe, measureGroups } from '../lib/common.mjs';
import { macChecked, macContenders } from './hmac.mjs';

/** Table (d). */
export async function blindIndexTable() {
  await init();
  const ring = Keyring.create({ kek: bytes(32) });
  ring.rotate('index', 'contacts/email');
  const value = bytes(32);
  const first = ring.blindIndex('contacts', 'email', value, { bits: 32 });
  check(/^\d+:[0-9a-f]{8}$/.test(first) && ring.blindIndex('contacts', 'email', value, { bits: 32 }) === first,
    'blindIndex is not a stable "<keyId>:<8 hex>" string');

  const { contenders: macs } = await macContenders();
  const peers = macs.filter((c) => c.key !== 'webcrypto');
  const blind = { key: 'blindIndex', label: 'enveil ring.blindIndex (32 bits)', enveil: true };
  const list = [blind, ...peers];
  const groups = await measureGroups([{ label: '32 B value', bytes: 32 }], list, async (c) =>
    c === blind
      ? () => ring.blindIndex('contacts', 'email', value, { bits: 32 })
      : macChecked(/** @type {import('./hmac.mjs').MacContender} */ (c), value));
  return {
    kind: 'throughput',
    contenders: describe(list),
    ratioOf: ['blindIndex', 'hazmat'],
    groups,
    skipped: [],
    notes: ['blindIndex includes its argument checks and the "<keyId>:<hex>" string it returns.'],
  };
}
