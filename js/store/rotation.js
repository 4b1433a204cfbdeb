// Data- and index-key rotation (DESIGN.md §5) and the migration queue that
// declaration changes feed: a new key becomes primary, records are
// re-encrypted (or re-indexed) in batches, one transaction each with the
// progress saved in it, and old keys are retired once no record uses them.
// A crash at any point leaves every record readable; the next call or open
// resumes from the saved state.
import { EnveilError } from '../errors.js';
import { withRotationLock } from '../internal/locks.js';
import { META, recordStore } from './database.js';
import { declarationMigrations } from './declarations.js';
import { addKeysAndSave, announceKeyringChange, syncKeyring, writeManifest } from './keyring-sync.js';
import { commitManifest, keysOf } from './manifest.js';
import {
  blindIndexOf, blindIndexTerm, hasOwn, openRecord, recordKeyId, searchForm, sealRecord, sealedNames, 
} from './record-codec.js';
import { keyRotated } from './audit-log.js';

/** @typedef {import('./session.js').StoreSession} StoreSession */
/** @typedef {import('../keyring.js').Keyring} Keyring */
/** @typedef {import('./declarations.js').Migration} Migration */
/** @typedef {import('./manifest.js').RotationPlan} RotationPlan */
/**
 * The rotation under way, as keyStatus() shows it: its plan (authenticated,
 * in the manifest) and its progress.
 * @typedef {RotationPlan & { after: string | number | null, processed: number }} RotationState
 */
/**
 * @typedef {{ batchSize: number, signal?: AbortSignal,
 *   onProgress?: (p: { kind: 'data' | 'index', collection: string, field?: string, processed: number, total: number }) => void | Promise<void> }} RunOptions
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

/**
 * The rotation in progress, if any.
 * @param {StoreSession} session
 * @returns {Promise<RotationState | undefined>}
 */
export async function pendingRotation(session) {
  const plan = session.currentManifest().rotation;
  if (!plan) return undefined;
  return { ...plan, ...progressOf(await session.db.read([META], (tx) => tx.rotationProgress(), 'reading the rotation state')) };
}

/**
 * A rotation's progress as stored: not authenticated, so only trusted to
 * skip work the last pass repeats anyway; anything malformed starts over.
 * @param {unknown} stored
 * @returns {{ after: string | number | null, processed: number }}
 */
function progressOf(stored) {
  const p = /** @type {{ after?: unknown, processed?: unknown }} */ (stored ?? {});
  const after = p.after;
  const validAfter = (typeof after === 'string' && after.length > 0) || (typeof after === 'number' && Number.isFinite(after));
  if (!validAfter || !Number.isSafeInteger(p.processed) || /** @type {number} */ (p.processed) < 0) return { after: null, processed: 0 };
  return { after: /** @type {string | number} */ (after), processed: /** @type {number} */ (p.processed) };
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
  const queued = session.currentManifest().migrations;
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
  const { rotation, migrations } = session.currentManifest();
  if (!rotation && !migrations.length) return;
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
  await syncKeyring(session);
  for (;;) {
    const { rotation: pending, migrations: queue } = session.currentManifest();
    if (pending) {
      await runRotation(session, pending, options);
      continue;
    }
    if (!queue.length) return;
    const [next, ...rest] = queue;
    options.signal?.throwIfAborted();
    await runRotation(session, await startRotation(session, next.kind, next.collection, next.field, rest), options);
  }
}

/**
 * Adds the new primary key and saves the rotation plan, in one
 * transaction: before it commits, nothing has happened.
 * @param {StoreSession} session
 * @param {'data' | 'index'} kind
 * @param {string} collection
 * @param {string | undefined} field
 * @param {Migration[]} [migrations] the queue left after this one, saved with it
 * @returns {Promise<RotationPlan>}
 */
async function startRotation(session, kind, collection, field, migrations) {
  const ring = session.unlocked();
  const scope = kind === 'data' ? collection : `${collection}/${field}`;
  /** @type {RotationPlan | undefined} */
  let plan;
  await session.changeKeyring(async () => {
    const old = ring.export().filter((e) => e.kind === kind && e.scope === scope && e.status !== 'retired');
    const oldPrimary = old.find((e) => e.status === 'primary');
    const newKeyId = ring.rotate(kind, scope);
    /** @type {RotationPlan} */
    const p = { kind, collection, ...(field === undefined ? {} : { field }), newKeyId, oldKeyIds: old.map((e) => e.id) };
    try {
      await writeManifest(session, [], async (tx) => {
        const manifest = await commitManifest(session, tx, ring, () => ({
          keys: keysOf(ring), rotation: p, ...(migrations ? { migrations } : {}),
        }));
        await tx.putRotationProgress({ after: null, processed: 0 });
        return { manifest };
      }, 'starting a key rotation');
      announceKeyringChange(session);
    } catch (err) {
      if (oldPrimary) ring.promote(oldPrimary.id);
      ring.remove(newKeyId);
      throw err;
    }
    plan = p;
  });
  return /** @type {RotationPlan} */ (plan);
}

/**
 * Re-encrypts (or re-indexes) records after the saved progress in batches,
 * then, in one transaction, a last pass over every record and the old keys
 * retired. A record that does not authenticate is left as it is and
 * reported ('unreadable'): it cannot stall the rotation, and its key is
 * retired with the others (retired keys still decrypt).
 * @param {StoreSession} session
 * @param {RotationPlan} plan
 * @param {RunOptions} options
 */
async function runRotation(session, plan, { batchSize, signal, onProgress }) {
  const storeName = recordStore(plan.collection);
  const old = new Set(plan.oldKeyIds);
  const [total, stored] = await session.db.read([storeName, META], async (tx) => [
    await tx.records(plan.collection).count(),
    await tx.rotationProgress(),
  ], 'counting records');
  let progress = progressOf(stored);
  /** @type {Set<string | number>} */
  const unreadable = new Set();
  for (;;) {
    signal?.throwIfAborted();
    const ring = session.unlocked();
    session.touch(); // a running rotation is activity: auto-lock waits for it
    const done = await session.db.write([storeName, META], async (tx) => {
      const records = tx.records(plan.collection);
      const batch = await records.list(progress.after ?? undefined, batchSize);
      for (const record of batch) {
        const updated = migrateOrSkip(session, ring, plan, old, record, unreadable);
        if (updated) await records.put(updated);
      }
      if (batch.length === 0) return true;
      const next = { after: batch[batch.length - 1].id, processed: progress.processed + batch.length };
      await tx.putRotationProgress(next);
      progress = next;
      return false;
    }, 'rotating keys');
    if (done) break;
    // After each committed batch; a promise it returns holds the next batch
    // (back-pressure, or a test holding the rotation at a known batch).
    await onProgress?.({ kind: plan.kind, collection: plan.collection, ...(plan.field ? { field: plan.field } : {}), processed: progress.processed, total });
  }
  // Last pass and retirement in one transaction: a record written with an
  // old key by a write that raced the batches is migrated here.
  unreadable.clear();
  await session.changeKeyring(async () => {
    const ring = session.unlocked();
    await writeManifest(session, [storeName], async (tx) => {
      const records = tx.records(plan.collection);
      for (const record of await records.list()) {
        const updated = migrateOrSkip(session, ring, plan, old, record, unreadable);
        if (updated) await records.put(updated);
      }
      for (const id of plan.oldKeyIds) {
        if (id !== plan.newKeyId && ring.export().some((e) => e.id === id && e.status !== 'primary')) ring.setStatus(id, 'retired');
      }
      const manifest = await commitManifest(session, tx, ring, () => ({ keys: keysOf(ring), rotation: null }));
      await tx.deleteRotationProgress();
      return { manifest };
    }, 'finishing a key rotation');
    announceKeyringChange(session);
  });
  for (const id of unreadable) session.emit('unreadable', { collection: plan.collection, id, code: 'AUTH_FAILED' });
  await keyRotated(session, {
    kind: plan.kind, collection: plan.collection, ...(plan.field ? { field: plan.field } : {}),
    keyId: plan.newKeyId, retired: plan.oldKeyIds, ...(unreadable.size ? { unreadable: unreadable.size } : {}),
  });
}

/**
 * migrate(), but a record that does not authenticate (tampered on disk,
 * malformed, forged) is left as it is and its id noted, so one bad record
 * cannot stall a rotation or lock the store.
 * @param {StoreSession} session
 * @param {Keyring} ring
 * @param {RotationPlan} plan
 * @param {Set<number>} old
 * @param {unknown} record
 * @param {Set<string | number>} unreadable
 */
function migrateOrSkip(session, ring, plan, old, record, unreadable) {
  try {
    return migrate(session, ring, plan, old, /** @type {Record<string, any>} */ (record));
  } catch (err) {
    if (!(err instanceof EnveilError && (err.code === 'AUTH_FAILED' || err.code === 'UNKNOWN_KEY'))) throw err;
    const id = /** @type {any} */ (record)?.id;
    unreadable.add(typeof id === 'string' || typeof id === 'number' ? id : String(id));
    return null;
  }
}

/**
 * The record moved to the new key, or null when it needs nothing. It is
 * opened (authenticated whole) first: nothing unauthenticated is sealed.
 * @param {StoreSession} session
 * @param {Keyring} ring
 * @param {RotationPlan} plan
 * @param {Set<number>} old
 * @param {Record<string, any>} stored
 */
function migrate(session, ring, plan, old, stored) {
  const { collection } = plan;
  const spec = session.spec(collection);
  const record = openRecord(ring, collection, stored);
  if (plan.kind === 'data') {
    const keyId = recordKeyId(stored.__rec);
    // Fields stored in the clear before they were declared encrypted.
    const plainNowEncrypted = spec.encrypted.some((f) => !sealedNames(stored).includes(f) && hasOwn(record, f) && record[f] !== undefined);
    if (!plainNowEncrypted && !(keyId !== plan.newKeyId && old.has(keyId))) return null;
    // Fields sealed stay sealed, even if no longer declared encrypted.
    return sealRecord(ring, collection, spec, /** @type {string | number} */ (record.id), record, sealedNames(stored));
  }
  const field = /** @type {string} */ (plan.field);
  const bi = blindIndexOf(spec, field);
  if (!bi || !sealedNames(stored).includes(field)) return null;
  const current = stored.__bi?.[field];
  if (Array.isArray(current) && current.length > 0 && current.every((v) => typeof v === 'string' && v.startsWith(`${plan.newKeyId}:`))) return null;
  const terms = stored.__bi !== null && typeof stored.__bi === 'object' && !Array.isArray(stored.__bi) ? stored.__bi : {};
  // Terms are outside the AAD: replacing them needs no re-encryption.
  return { ...stored, __bi: { ...terms, [field]: [blindIndexTerm(ring, collection, field, searchForm(record[field]), bi)] } };
}
