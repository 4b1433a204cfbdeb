// Saving the keyring and keeping instances of one store in step: the keyring
// is written only by an instance that holds every stored key (never over
// keys it does not know), other instances hear of a change on a
// BroadcastChannel and merge the stored entries before their next call.
import { EnveilError } from '../errors.js';
import { KEYRING, META } from './database.js';

/** The keyring key that chains the audit log (an HMAC key, like index keys). */
export const AUDIT_SCOPE = '__audit/chain';

/** @typedef {import('./session.js').StoreSession} StoreSession */
/** @typedef {import('../keyring.js').Keyring} Keyring */

/** Listens for keyring changes other instances announce. @param {StoreSession} session */
export function listenForKeyringChanges(session) {
  if (typeof BroadcastChannel !== 'function' || session.channel) return;
  const channel = new BroadcastChannel(`enveil:${session.name}`);
  channel.onmessage = () => {
    session.stale = true;
  };
  /** @type {any} */ (channel).unref?.();
  session.channel = channel;
}

/** Tells other instances of this store that the keyring changed. @param {StoreSession} session */
export function announceKeyringChange(session) {
  session.channel?.postMessage('keyring');
}

/**
 * Brings the in-memory keyring in line with the stored one after another
 * instance rotated keys. If the store key itself changed (master-key
 * rotation elsewhere), locks: unlock() asks the provider again.
 * @param {StoreSession} session
 */
export async function syncKeyring(session) {
  session.stale = false;
  const ring = session.unlocked();
  const [smkMeta, entries] = await session.db.read([META, KEYRING], async (tx) => [
    await tx.smk(),
    await tx.keyringEntries(),
  ], 'reading the keyring');
  if (!smkMeta || smkMeta.smkId !== ring.kekId) {
    session.lock();
    throw new EnveilError('LOCKED', `the key of store '${session.name}' was rotated elsewhere: call unlock()`);
  }
  const have = new Map(ring.export().map((e) => [e.id, e.status]));
  // Imported as active first: the ring may still hold the old primary.
  for (const e of entries) if (!have.has(e.id)) ring.importEntry({ ...e, status: e.status === 'primary' ? 'active' : e.status });
  for (const e of entries) if (e.status === 'primary' && have.get(e.id) !== 'primary') ring.promote(e.id);
  for (const e of entries) {
    if (e.status !== 'primary' && have.get(e.id) !== e.status && e.status !== undefined) ring.setStatus(e.id, e.status);
  }
}

/**
 * Writes the in-memory keyring, inside `tx`, after checking that the stored
 * one is not newer (another tab rotated keys or the store key): an instance
 * with a stale keyring must never overwrite keys it does not know.
 * @param {StoreSession} session
 * @param {import('./database.js').StoreTx} tx a transaction over META and KEYRING
 * @param {Keyring} ring
 * @param {string} [expectedKekId] the store key the stored entries must be under
 */
export async function saveKeyring(session, tx, ring, expectedKekId = ring.kekId) {
  const smk = await tx.smk();
  const stored = await tx.keyringEntries();
  const mine = new Set(ring.export().map((e) => e.id));
  if ((smk && smk.smkId !== expectedKekId) || stored.some((e) => !mine.has(e.id))) {
    session.stale = true;
    throw new EnveilError('STORAGE_FAILED', `the keyring of store '${session.name}' was changed by another instance: try again`);
  }
  for (const e of ring.export()) await tx.putKeyringEntry(e);
}

/**
 * Adds the keys the declarations need and saves them with the declarations
 * (and, when given, the wrapped store key or the migration queue) in one
 * transaction; undone in memory if that fails.
 * @param {StoreSession} session
 * @param {{ smk?: { smkId: string, providerId: string, wrapped: Uint8Array }, migrations?: import('./declarations.js').Migration[] }} also
 */
export async function addKeysAndSave(session, also) {
  const ring = session.unlocked();
  const added = addMissingKeys(session, ring);
  try {
    await session.db.write([META, KEYRING], async (tx) => {
      await saveKeyring(session, tx, ring);
      if (also.smk) await tx.putSmk(also.smk);
      if (also.migrations) await tx.putMigrations(also.migrations);
      await tx.putCollections(session.collections);
    }, 'saving the keyring', 'strict');
    announceKeyringChange(session);
  } catch (err) {
    for (const id of added) ring.remove(id);
    throw err;
  }
}

/**
 * Primary keys for the audit chain, every declared collection and every
 * blind-indexed field that has none yet. Returns the ids added.
 * @param {StoreSession} session
 * @param {Keyring} ring
 * @returns {number[]}
 */
function addMissingKeys(session, ring) {
  const have = new Set(ring.export().filter((e) => e.status === 'primary').map((e) => `${e.kind}:${e.scope}`));
  const added = [];
  if (!have.has(`index:${AUDIT_SCOPE}`)) added.push(ring.rotate('index', AUDIT_SCOPE));
  for (const [name, spec] of Object.entries(session.collections)) {
    if (!have.has(`data:${name}`)) added.push(ring.rotate('data', name));
    for (const field of Object.keys(spec.blindIndex)) {
      if (!have.has(`index:${name}/${field}`)) added.push(ring.rotate('index', `${name}/${field}`));
    }
  }
  return added;
}

/**
 * Index keys of a field still in use (primary first, then newest first):
 * queries ask for terms under each, so search works during rotation.
 * @param {Keyring} ring @param {string} collection @param {string} field
 */
export function indexKeyIds(ring, collection, field) {
  return ring.export()
    .filter((e) => e.kind === 'index' && e.scope === `${collection}/${field}` && e.status !== 'retired')
    .sort((a, b) => (a.status === 'primary' ? -1 : b.status === 'primary' ? 1 : b.createdAt - a.createdAt))
    .map((e) => e.id);
}
