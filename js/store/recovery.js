// The recovery key and the store key's re-wrap. A recovery key (random 256
// bits, shown once) wraps the store key (SMK) next to the provider's wrap,
// and is itself kept wrapped under the store key so a master-key rotation
// can carry it over. recover() unlocks with it after the platform key was
// lost; rotateMasterKey() and recover() re-wrap the keyring under a new SMK;
// createRecoveryKey() also supersedes every key the old recovery key reached.
import { EnveilError } from '../errors.js';
import { randomBytes, unwrapKey, wrapKey } from '../hazmat.js';
import { labelled, wipe } from '../internal/encoding.js';
import { withRotationLock } from '../internal/locks.js';
import { limits } from '../internal/limits.js';
import { AUDIT, META } from './database.js';
import { MANIFEST_SCOPE, withInternalCollections } from './declarations.js';
import { announceKeyringChange, writeManifest } from './keyring-sync.js';
import { commitManifest, keysOf, loadManifest } from './manifest.js';
import { fromProvider, newStoreKey, smkContext } from './unlock.js';
import { addAuditEntry } from './audit-log.js';
import { migrateDeclarations } from './rotation.js';
import { formatRecoveryKey } from './recovery-key.js';

/** @typedef {import('./session.js').StoreSession} StoreSession */
/** @typedef {import('../providers/definitions.js').KeyProvider} KeyProvider */
/** @typedef {import('../keyring.js').Keyring} Keyring */

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
  const [smkMeta, recovery, stored] = await session.db.read([META], async (tx) => [
    await tx.smk(),
    await tx.recovery(),
    await tx.manifest(),
  ], 'reading the keyring');
  if (!smkMeta || typeof smkMeta.smkId !== 'string' || !recovery || typeof recovery !== 'object') {
    throw new EnveilError('KEY_UNAVAILABLE', `store '${session.name}' has no recovery key`);
  }
  let smk;
  try {
    smk = unwrapKey(recoveryKey, recovery.smkByRecovery, recoveryContext(session.name, smkMeta.smkId));
  } catch (err) {
    throw new EnveilError('KEY_UNAVAILABLE', 'this recovery key does not unlock the store', { cause: err });
  }
  try {
    const { ring, manifest } = loadManifest(session.name, smk, smkMeta.smkId, stored);
    session.takeKeys(ring, manifest, session.lockGeneration);
  } finally {
    wipe(smk);
  }
  const saved = session.currentManifest().collections;
  if (session.adoptDeclarations) {
    // recover() without declarations: the authenticated ones, never meta's.
    session.collections = saved;
    await session.db.connect();
  }
  const newProvider = session.provider;
  const details = { kind: 'master', providerId: newProvider.id, recovered: true };
  // Under the rotation lock, as rotateMasterKey: no other tab re-wraps meanwhile.
  await withRotationLock(session.name, () => rewrapMaster(session, newProvider, { recoveryKey }, { event: 'key-rotated', details }));
  session.emit('key-rotated', details);
  // Then as open(): keys for new declarations, fields newly encrypted, resumed rotations.
  session.collections = withInternalCollections(session.collections, saved);
  await migrateDeclarations(session, saved);
}

/**
 * rotateMasterKey(): every keyring entry re-wrapped under a new SMK that
 * `newProvider` wraps. No record is touched.
 * @param {StoreSession} session
 * @param {KeyProvider} newProvider
 */
export async function rotateMasterKey(session, newProvider) {
  await session.ready();
  const details = { kind: 'master', providerId: newProvider.id };
  await withRotationLock(session.name, () => rewrapMaster(session, newProvider, {}, { event: 'key-rotated', details }));
  session.emit('key-rotated', details);
}

/**
 * A new SMK wrapped by `newProvider`; the keyring and the recovery envelope
 * re-wrapped under it, all saved in one transaction. Nothing changes if the
 * provider fails.
 *
 * With `replaceRecovery`, a new recovery key replaces the old one, and the
 * keys the old one could reach are superseded: a new manifest key, and a new
 * primary for every data and index scope (the old keys stay 'active', so
 * every record stays readable). The old recovery key with an old backup's
 * envelope yields the old store key only, which opens nothing written after.
 * @param {StoreSession} session
 * @param {KeyProvider} newProvider
 * @param {{ recoveryKey?: Uint8Array, replaceRecovery?: Uint8Array }} recoveryOption recoveryKey: the one
 *   in use (recover()); replaceRecovery: a new one (createRecoveryKey())
 * @param {{ event: string, details: Record<string, unknown> }} audit the audit entry, written in the
 *   same transaction: a change that committed never rejects for want of its entry
 */
async function rewrapMaster(session, newProvider, { recoveryKey: known, replaceRecovery }, audit) {
  const ring = session.unlocked();
  const { smk: newSmk, smkId: newSmkId } = newStoreKey();
  /** @type {Uint8Array | null} */
  let recoveryKey = null;
  try {
    const wrapped = await fromProvider(() => newProvider.wrapKey(newSmk.slice(), smkContext(session.name, newSmkId)), 'wrap the new store key');
    const recovery = await session.db.read([META], (tx) => tx.recovery(), 'reading the recovery envelope');
    if (replaceRecovery) recoveryKey = replaceRecovery.slice();
    else if (known) recoveryKey = known.slice();
    else if (session.currentManifest().recovery) {
      // The manifest says there is one: an envelope deleted or edited on
      // disk must not make the rotation drop the recovery key unseen.
      recoveryKey = recovery ? unwrapRecovery(ring, recovery) : null;
      if (!recoveryKey) {
        throw new EnveilError('AUTH_FAILED', `the recovery envelope of store '${session.name}' was deleted or altered: nothing was rotated (createRecoveryKey() makes a new one)`);
      }
    }
    await session.changeKeyring(async () => {
      const oldKekId = ring.kekId;
      const oldManifestKey = replaceRecovery ? supersedeKeys(ring) : null;
      ring.rewrap({ kek: newSmk, kekId: newSmkId });
      try {
        const newRecovery = recoveryKey && recoveryEnvelope(ring, session.name, newSmkId, newSmk, recoveryKey);
        const entry = await writeManifest(session, [AUDIT], async (tx) => {
          /** @type {import('./audit-log.js').AuditEntry | undefined} */
          let e;
          const manifest = await commitManifest(session, tx, ring, async (current) => {
            e = await addAuditEntry(tx, ring, current.audit, audit.event, { ...audit.details, kekId: newSmkId });
            return { keys: keysOf(ring), smkId: newSmkId, recovery: Boolean(newRecovery), audit: { seq: e.seq, mac: e.mac } };
          }, { smkId: oldKekId });
          await tx.putSmk({ smkId: newSmkId, providerId: newProvider.id, wrapped });
          if (newRecovery) await tx.putRecovery(newRecovery);
          return { manifest, result: e };
        }, 're-wrapping the keyring');
        session.emit('audit', entry);
        // Kept until now to read a manifest another instance wrote meanwhile.
        if (oldManifestKey !== null) ring.remove(oldManifestKey);
        announceKeyringChange(session);
      } catch (err) {
        // The keys in memory are now wrapped differently from what is
        // stored: wipe them without writing anything (an audit entry sealed
        // with them would break the store); the next unlock reads the stored state.
        session.dropKeys();
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
 * At unlock, when the manifest says a recovery key exists: its envelope must
 * be there and whole (the recovery key it holds under the store key must
 * unwrap the store key from the other half), or the loss would only show
 * when the recovery key is needed. AUTH_FAILED otherwise.
 * @param {Keyring} ring
 * @param {string} name
 * @param {string} smkId
 * @param {Uint8Array} smk
 * @param {any} recovery meta.recovery
 */
export function checkRecoveryEnvelope(ring, name, smkId, smk, recovery) {
  const recoveryKey = recovery && typeof recovery === 'object' ? unwrapRecovery(ring, recovery) : null;
  let whole = false;
  if (recoveryKey) {
    try {
      const unwrapped = unwrapKey(recoveryKey, recovery.smkByRecovery, recoveryContext(name, smkId));
      whole = unwrapped.length === smk.length && unwrapped.every((b, i) => b === smk[i]);
      wipe(unwrapped);
    } catch {
      whole = false;
    } finally {
      wipe(recoveryKey);
    }
  }
  if (!whole) {
    throw new EnveilError('AUTH_FAILED', `the recovery envelope of store '${name}' was deleted or altered: the recovery key would not open it`);
  }
}

/**
 * The recovery key kept under the store key, or null if that envelope does
 * not open (it is then not carried over).
 * @param {Keyring} ring
 * @param {any} recovery
 */
function unwrapRecovery(ring, recovery) {
  try {
    return ring.unwrapSecret(recovery.byStore, RECOVERY_SECRET);
  } catch {
    return null;
  }
}

/**
 * A new primary for every scope that has one, the manifest key's included.
 * Returns the old manifest key's id, to forget once the new one is stored.
 * @param {Keyring} ring
 * @returns {number}
 */
function supersedeKeys(ring) {
  let oldManifestKey = 0;
  for (const e of ring.export()) {
    if (e.status !== 'primary') continue;
    ring.rotate(e.kind, e.scope);
    if (e.scope === MANIFEST_SCOPE) oldManifestKey = e.id;
  }
  return oldManifestKey;
}

/**
 * createRecoveryKey(): a new recovery key, replacing any earlier one, with a
 * new store key (the provider wraps it) and new primary keys, so the earlier
 * recovery key opens nothing written from now on.
 * @param {StoreSession} session
 * @returns {Promise<string>}
 */
export async function createRecoveryKey(session) {
  await session.ready();
  // Under the rotation lock: no rotation runs while the keys are superseded.
  return withRotationLock(session.name, async () => {
    const recoveryKey = randomBytes(limits().KEY_BYTES);
    try {
      await rewrapMaster(session, session.provider, { replaceRecovery: recoveryKey }, { event: 'recovery-key-created', details: {} });
      return formatRecoveryKey(recoveryKey);
    } finally {
      wipe(recoveryKey);
    }
  });
}
