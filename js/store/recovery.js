// The recovery key and the store key's re-wrap. A recovery key (random 256
// bits, shown once) wraps the store key (SMK) next to the provider's wrap,
// and is itself kept wrapped under the store key so a master-key rotation
// can carry it over. recover() unlocks with it after the platform key was
// lost; rotateMasterKey() and recover() re-wrap the keyring under a new SMK.
import { EnveilError } from '../errors.js';
import { randomBytes, unwrapKey, wrapKey } from '../hazmat.js';
import { Keyring } from '../keyring.js';
import { labelled, wipe } from '../internal/encoding.js';
import { withRotationLock } from '../internal/locks.js';
import { limits } from '../internal/limits.js';
import { KEYRING, META } from './database.js';
import { announceKeyringChange, saveKeyring } from './keyring-sync.js';
import { fromProvider, newStoreKey, smkContext, unwrapStoreKey } from './unlock.js';
import { appendAuditEntry, keyRotated } from './audit-log.js';
import { resumeQuietly } from './rotation.js';
import { formatRecoveryKey } from './recovery-key.js';

/** @typedef {import('./session.js').StoreSession} StoreSession */
/** @typedef {import('../providers/definitions.js').KeyProvider} KeyProvider */

/** What the recovery key's wrap of the SMK is bound to. @param {string} name @param {string} smkId */
const recoveryContext = (name, smkId) => labelled('enveil/v1/recovery', name, smkId);
/** The keyring-secret context of the recovery key wrapped under the SMK. */
const RECOVERY_SECRET = 'recovery-key';

/**
 * The envelope stored in `meta`: the SMK under the recovery key, and the
 * recovery key under the keyring's KEK (the SMK).
 * @param {Keyring} ring holding the SMK `smk` as its KEK
 * @param {string} name
 * @param {string} smkId
 * @param {Uint8Array} smk
 * @param {Uint8Array} recoveryKey
 */
function recoveryEnvelope(ring, name, smkId, smk, recoveryKey) {
  return {
    smkByRecovery: wrapKey(recoveryKey, smk, recoveryContext(name, smkId)),
    byStore: ring.wrapSecret(recoveryKey, RECOVERY_SECRET),
  };
}

/**
 * recover(): unlocks the session's store with `recoveryKey` (32 bytes, wiped
 * by the caller), then re-wraps it under the session's provider.
 * @param {StoreSession} session
 * @param {Uint8Array} recoveryKey
 */
export async function recoverWith(session, recoveryKey) {
  const [smkMeta, recovery, entries] = await session.db.read([META, KEYRING], async (tx) => [
    await tx.smk(),
    await tx.recovery(),
    await tx.keyringEntries(),
  ], 'reading the keyring');
  if (!smkMeta || !recovery) {
    throw new EnveilError('KEY_UNAVAILABLE', `store '${session.name}' has no recovery key`);
  }
  let smk;
  try {
    smk = unwrapKey(recoveryKey, recovery.smkByRecovery, recoveryContext(session.name, smkMeta.smkId));
  } catch (err) {
    throw new EnveilError('KEY_UNAVAILABLE', 'this recovery key does not unlock the store', { cause: err });
  }
  try {
    session.ring = Keyring.load({ kek: smk, entries, store: session.name, kekId: smkMeta.smkId });
  } finally {
    wipe(smk);
  }
  const newProvider = session.provider;
  await rewrapMaster(session, newProvider, recoveryKey);
  await keyRotated(session, { kind: 'master', providerId: newProvider.id, recovered: true });
  await resumeQuietly(session);
}

/**
 * rotateMasterKey(): every keyring entry re-wrapped under a new SMK that
 * `newProvider` wraps. No record is touched.
 * @param {StoreSession} session
 * @param {KeyProvider} newProvider
 */
export async function rotateMasterKey(session, newProvider) {
  await session.ready();
  await withRotationLock(session.name, () => rewrapMaster(session, newProvider, null));
  await keyRotated(session, { kind: 'master', providerId: newProvider.id });
}

/**
 * A new SMK wrapped by `newProvider`; the keyring and the recovery envelope
 * (when there is one) re-wrapped under it, all saved in one transaction.
 * Nothing changes if the provider fails.
 * @param {StoreSession} session
 * @param {KeyProvider} newProvider
 * @param {Uint8Array | null} knownRecoveryKey
 */
async function rewrapMaster(session, newProvider, knownRecoveryKey) {
  const ring = session.unlocked();
  const { smk: newSmk, smkId: newSmkId } = newStoreKey();
  /** @type {Uint8Array | null} */
  let recoveryKey = null;
  try {
    const wrapped = await fromProvider(() => newProvider.wrapKey(newSmk.slice(), smkContext(session.name, newSmkId)), 'wrap the new store key');
    const recovery = await session.db.read([META], (tx) => tx.recovery(), 'reading the recovery envelope');
    if (knownRecoveryKey) recoveryKey = knownRecoveryKey.slice();
    else if (recovery) recoveryKey = ring.unwrapSecret(recovery.byStore, RECOVERY_SECRET);
    await session.changeKeyring(async () => {
      const oldKekId = ring.kekId;
      ring.rewrap({ kek: newSmk, kekId: newSmkId });
      try {
        const newRecovery = recoveryKey && recoveryEnvelope(ring, session.name, newSmkId, newSmk, recoveryKey);
        await session.db.write([META, KEYRING], async (tx) => {
          await saveKeyring(session, tx, ring, oldKekId);
          await tx.putSmk({ smkId: newSmkId, providerId: newProvider.id, wrapped });
          if (newRecovery) await tx.putRecovery(newRecovery);
        }, 're-wrapping the keyring', 'strict');
        announceKeyringChange(session);
      } catch (err) {
        // The keys in memory are unchanged but now wrapped differently from
        // what is stored: lock, so the next unlock reads the stored state.
        session.lock();
        throw err;
      }
    });
    session.provider = newProvider;
  } finally {
    wipe(newSmk);
    wipe(recoveryKey);
  }
}

/**
 * createRecoveryKey(): a new recovery key wrapping the current SMK, replacing
 * any earlier one. Asks the provider once more to unwrap the SMK.
 * @param {StoreSession} session
 * @returns {Promise<string>}
 */
export async function createRecoveryKey(session) {
  const ring = await session.ready();
  // Under the rotation lock: a master-key rotation cannot slip between
  // reading the store key and writing the envelope bound to it.
  return withRotationLock(session.name, async () => {
    const smkMeta = await session.db.read([META], (tx) => tx.smk(), 'reading the keyring');
    const smk = await unwrapStoreKey(session, smkMeta);
    const recoveryKey = randomBytes(limits().KEY_BYTES);
    try {
      const envelope = recoveryEnvelope(ring, session.name, smkMeta.smkId, smk, recoveryKey);
      await session.db.write([META], async (tx) => {
        const current = await tx.smk();
        if (current?.smkId !== smkMeta.smkId || ring.kekId !== smkMeta.smkId) {
          session.stale = true;
          throw new EnveilError('STORAGE_FAILED', 'the store key changed while the recovery key was made: try again');
        }
        await tx.putRecovery(envelope);
      }, 'storing the recovery envelope', 'strict');
      await appendAuditEntry(session, ring, 'recovery-key-created', { kekId: smkMeta.smkId });
      return formatRecoveryKey(recoveryKey);
    } finally {
      wipe(smk);
      wipe(recoveryKey);
    }
  });
}
