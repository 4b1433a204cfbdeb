// Data- and index-key rotation (DESIGN.md §5) and the migration queue that
// declaration changes feed: a new key becomes primary, records are
// re-encrypted (or re-indexed) in batches, one transaction each with the
// progress saved in it, and old keys are retired once no record uses them.
// A crash at any point leaves every record readable; the next call or open
// resumes from the saved state.
import { EnveilError } from '../errors.js';
import { withRotationLock } from '../internal/locks.js';
import { KEYRING, META, recordStore } from './database.js';
import { declarationMigrations } from './declarations.js';
import { addKeysAndSave, announceKeyringChange, saveKeyring, syncKeyring } from './keyring-sync.js';
import { blindIndexOf, blindIndexTerm, hasOwn, openField, recordKeyId, resealField, searchForm, sealRecord } from './record-codec.js';
import { keyRotated } from './audit-log.js';

/** @typedef {import('./session.js').StoreSession} StoreSession */
/** @typedef {import('../keyring.js').Keyring} Keyring */
/** @typedef {import('./declarations.js').Migration} Migration */
/**
 * @typedef {object} RotationState
 * @property {'data' | 'index'} kind
 * @property {string} collection
 * @property {string} [field]
 * @property {number} newKeyId
 * @property {number[]} oldKeyIds
 * @property {string | number | null} after the last record id re-encrypted
 * @property {number} processed
 * @property {Array<string | number>} [skipped] records that did not authenticate, left as they were
 */
/**
 * @typedef {{ batchSize: number, signal?: AbortSignal,
 *   onProgress?: (p: { kind: 'data' | 'index', collection: string, field?: string, processed: number, total: number }) => void }} RunOptions
 */

/**
 * rotateDataKeys / rotateIndexKeys: finishes what is pending, then rotates
 * each collection (or each blind-indexed field) asked for.
 * @param {StoreSession} session
 * @param {'data' | 'index'} kind
 * @param {{ collection?: string, field?: string, batchSize?: number, signal?: AbortSignal, onProgress?: RunOptions['onProgress'] }} options
 */
export async function rotate(session, kind, options) {
  const { collection, field, batchSize = 100, signal, onProgress } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new EnveilError('INVALID_ARGUMENT', 'batchSize must be a positive integer');
  const collections = collection === undefined ? Object.keys(session.collections) : [collection];
  for (const c of collections) {
    const spec = session.spec(c);
    if (kind === 'index' && field !== undefined && !blindIndexOf(spec, field)) {
      throw new EnveilError('INVALID_ARGUMENT', `field '${field}' of '${c}' has no blind index`);
    }
  }
  await session.ready();
  await withRotationLock(session.name, async () => {
    await syncKeyring(session);
    // An interrupted rotation and queued migrations finish first.
    await drainRotations(session, { batchSize, signal, onProgress });
    for (const c of collections) {
      const fields = kind === 'data' ? [undefined] : field !== undefined ? [field] : Object.keys(session.spec(c).blindIndex);
      for (const f of fields) {
        signal?.throwIfAborted();
        const state = await startRotation(session, kind, c, f);
        await runRotation(session, state, { batchSize, signal, onProgress });
      }
    }
  });
}

/** The rotation in progress, if any. @param {StoreSession} session */
export function pendingRotation(session) {
  return session.db.read([META], (tx) => tx.rotation(), 'reading the rotation state');
}

/**
 * Declarations changed since the last open: new collections and index
 * fields get keys; a blind index whose bits or normalisation changed is
 * recomputed, and fields newly declared encrypted are encrypted in place,
 * each through a (resumable) rotation queued before the new declarations
 * are saved, so a crash in between only repeats work.
 * @param {StoreSession} session
 * @param {Record<string, import('./declarations.js').CollectionSpec>} saved
 */
export async function migrateDeclarations(session, saved) {
  const pending = declarationMigrations(saved, session.collections);
  // The queue is saved with the new declarations, in one transaction: a
  // crash can only leave work to do, never forget it.
  const queued = (await session.db.read([META], (tx) => tx.migrations(), 'reading pending migrations')) ?? [];
  const known = new Set(queued.map((q) => JSON.stringify(q)));
  const queue = [...queued, ...pending.filter((q) => !known.has(JSON.stringify(q)))];
  await session.changeKeyring(() => addKeysAndSave(session, { migrations: queue }));
  await resumeQuietly(session);
}

/**
 * Resumes rotations without failing the caller (open, declare, recover):
 * the work stays saved and the next rotation call or open retries it.
 * @param {StoreSession} session
 */
export async function resumeQuietly(session) {
  try {
    await resumeRotation(session);
  } catch (err) {
    session.emit('rotation-error', err);
  }
}

/** Resumes a rotation left by a crash, unless another tab is running it. @param {StoreSession} session */
async function resumeRotation(session) {
  const [pending, queue] = await session.db.read([META], async (tx) => [
    await tx.rotation(),
    await tx.migrations(),
  ], 'reading the rotation state');
  if (!pending && !queue?.length) return;
  try {
    await withRotationLock(session.name, () => drainRotations(session, { batchSize: 100 }));
  } catch (err) {
    if (!(err instanceof EnveilError && err.code === 'ROTATION_IN_PROGRESS')) throw err;
  }
}

/**
 * Finishes the interrupted rotation, then the declaration migrations still
 * queued, one by one (each taken off the queue in the transaction that
 * starts it). Call holding the rotation lock.
 * @param {StoreSession} session
 * @param {RunOptions} options
 */
async function drainRotations(session, options) {
  for (;;) {
    const [pending, queue] = await session.db.read([META], async (tx) => [
      await tx.rotation(),
      await tx.migrations(),
    ], 'reading the rotation state');
    if (pending) {
      await runRotation(session, pending, options);
      continue;
    }
    if (!queue?.length) return;
    const [next, ...rest] = queue;
    options.signal?.throwIfAborted();
    await runRotation(session, await startRotation(session, next.kind, next.collection, next.field, rest), options);
  }
}

/**
 * Adds the new primary key and saves the rotation state, in one
 * transaction: before it commits, nothing has happened.
 * @param {StoreSession} session
 * @param {'data' | 'index'} kind
 * @param {string} collection
 * @param {string | undefined} field
 * @param {Migration[]} [migrations] the queue left after this one, saved with it
 * @returns {Promise<RotationState>}
 */
async function startRotation(session, kind, collection, field, migrations) {
  const ring = session.unlocked();
  const scope = kind === 'data' ? collection : `${collection}/${field}`;
  /** @type {RotationState | undefined} */
  let state;
  await session.changeKeyring(async () => {
    const old = ring.export().filter((e) => e.kind === kind && e.scope === scope && e.status !== 'retired');
    const oldPrimary = old.find((e) => e.status === 'primary');
    const newKeyId = ring.rotate(kind, scope);
    const s = /** @type {RotationState} */ ({
      kind, collection, ...(field === undefined ? {} : { field }), newKeyId, oldKeyIds: old.map((e) => e.id), after: null, processed: 0,
    });
    try {
      await session.db.write([META, KEYRING], async (tx) => {
        await saveKeyring(session, tx, ring);
        await tx.putRotation(s);
        if (migrations) await tx.putMigrations(migrations);
      }, 'starting a key rotation', 'strict');
      announceKeyringChange(session);
    } catch (err) {
      if (oldPrimary) ring.promote(oldPrimary.id);
      ring.remove(newKeyId);
      throw err;
    }
    state = s;
  });
  return /** @type {RotationState} */ (state);
}

/**
 * Re-encrypts (or re-indexes) records after state.after in batches, then
 * retires the old keys in the same transaction as a last check that no
 * record still uses them.
 * @param {StoreSession} session
 * @param {RotationState} state
 * @param {RunOptions} options
 */
async function runRotation(session, state, { batchSize, signal, onProgress }) {
  const storeName = recordStore(state.collection);
  const old = new Set(state.oldKeyIds);
  const total = await session.db.read([storeName], (tx) => tx.records(state.collection).count(), 'counting records');
  for (;;) {
    signal?.throwIfAborted();
    const ring = session.unlocked();
    session.touch(); // a running rotation is activity: auto-lock waits for it
    const done = await session.db.write([storeName, META], async (tx) => {
      const records = tx.records(state.collection);
      const batch = await records.list(state.after === null ? undefined : state.after, batchSize);
      const skipped = [...(state.skipped ?? [])];
      for (const record of batch) {
        const updated = migrateOrSkip(session, ring, state, old, record, skipped);
        if (updated) await records.put(updated);
      }
      if (batch.length === 0) return true;
      const next = { ...state, after: batch[batch.length - 1].id, processed: state.processed + batch.length, skipped };
      await tx.putRotation(next);
      Object.assign(state, next);
      return false;
    }, 'rotating keys');
    if (done) break;
    onProgress?.({ kind: state.kind, collection: state.collection, ...(state.field ? { field: state.field } : {}), processed: state.processed, total });
  }
  // Last pass and retirement in one transaction: a record written with an
  // old key by a write that raced the batches is migrated here.
  await session.changeKeyring(async () => {
    const ring = session.unlocked();
    await session.db.write([storeName, META, KEYRING], async (tx) => {
      const records = tx.records(state.collection);
      const skipped = [...(state.skipped ?? [])];
      for (const record of await records.list()) {
        const updated = migrateOrSkip(session, ring, state, old, record, skipped);
        if (updated) await records.put(updated);
      }
      state.skipped = [...new Set(skipped)];
      // A record that could not be read keeps its key: nothing is retired
      // while one may still need it.
      if (state.skipped.length === 0) for (const id of state.oldKeyIds) {
        if (id !== state.newKeyId && ring.export().some((e) => e.id === id && e.status !== 'primary')) ring.setStatus(id, 'retired');
      }
      await saveKeyring(session, tx, ring);
      await tx.deleteRotation();
    }, 'finishing a key rotation', 'strict');
    announceKeyringChange(session);
  });
  await keyRotated(session, {
    kind: state.kind, collection: state.collection, ...(state.field ? { field: state.field } : {}),
    keyId: state.newKeyId, retired: state.skipped?.length ? [] : state.oldKeyIds,
    ...(state.skipped?.length ? { unreadable: state.skipped.length } : {}),
  });
}

/**
 * migrate(), but a record that does not authenticate (tampered on disk) is
 * left as it is and its id noted, so one bad record cannot stall a rotation
 * or lock the store.
 * @param {StoreSession} session
 * @param {Keyring} ring
 * @param {RotationState} state
 * @param {Set<number>} old
 * @param {Record<string, any>} record
 * @param {Array<string | number>} skipped
 */
function migrateOrSkip(session, ring, state, old, record, skipped) {
  try {
    return migrate(session, ring, state, old, record);
  } catch (err) {
    if (!(err instanceof EnveilError && (err.code === 'AUTH_FAILED' || err.code === 'UNKNOWN_KEY'))) throw err;
    skipped.push(record.id);
    return null;
  }
}

/**
 * The record moved to the new key, or null when it needs nothing.
 * @param {StoreSession} session
 * @param {Keyring} ring
 * @param {RotationState} state
 * @param {Set<number>} old
 * @param {Record<string, any>} record
 */
function migrate(session, ring, state, old, record) {
  const { collection } = state;
  if (state.kind === 'data') {
    const spec = session.spec(collection);
    const stale = Object.entries(record.__enc ?? {}).filter(([, ct]) => recordKeyId(ct) !== state.newKeyId && old.has(recordKeyId(ct)));
    // Fields stored in the clear before they were declared encrypted.
    const plainNowEncrypted = spec.encrypted.filter((f) => hasOwn(record, f) && record[f] !== undefined);
    if (stale.length === 0 && plainNowEncrypted.length === 0) return null;
    if (plainNowEncrypted.length > 0) {
      const { id, __enc, __bi, ...fields } = record;
      const resealed = sealRecord(ring, collection, spec, id, Object.fromEntries(plainNowEncrypted.map((f) => [f, fields[f]])));
      const rest = Object.fromEntries(Object.entries(fields).filter(([f]) => !plainNowEncrypted.includes(f)));
      record = { ...rest, id, __enc: { ...__enc, ...resealed.__enc }, __bi: { ...__bi, ...resealed.__bi } };
    }
    const enc = { ...record.__enc };
    for (const [field, ct] of stale) enc[field] = resealField(ring, collection, record.id, field, ct);
    return { ...record, __enc: enc };
  }
  const field = /** @type {string} */ (state.field);
  if (record.__enc?.[field] === undefined) return null;
  // Records stored before the field had a blind index have none yet.
  const current = record.__bi?.[field] ?? [];
  if (current.length > 0 && current.every((/** @type {string} */ v) => v.startsWith(`${state.newKeyId}:`))) return null;
  const value = openField(ring, collection, record.id, field, record.__enc[field]);
  return { ...record, __bi: { ...record.__bi, [field]: [blindIndexTerm(ring, collection, field, searchForm(value), /** @type {any} */ (blindIndexOf(session.spec(collection), field)))] } };
}
