// Saving the keyring and keeping instances of one store in step: the keyring
// is saved in the manifest, only by an instance that holds the current one
// (never over keys it does not know); other instances hear of a change on a
// BroadcastChannel, or find the manifest's version moved on when they write,
// and reload it before their next call.
import { EnveilError } from '../errors.js';
import { META } from './database.js';
import { adoptable, commitManifest, keysOf, mergeDeclarations, mergeKeys, openManifest, rolledBack } from './manifest.js';

/** The keyring key that chains the audit log (an HMAC key, like index keys). */
export const AUDIT_SCOPE = '__audit/chain';

/** @typedef {import('./session.js').StoreSession} StoreSession */
/** @typedef {import('../keyring.js').Keyring} Keyring */
/** @typedef {import('./manifest.js').Manifest} Manifest */

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
 * Brings the in-memory keyring and manifest in line with the stored
 * manifest after another instance changed it (keys, statuses, the audit
 * head). If the store key itself changed (master-key rotation or a new
 * recovery key elsewhere), locks: unlock() asks the provider again. A stored
 * manifest older than the one held is a rollback: AUTH_FAILED.
 * @param {StoreSession} session
 */
export async function syncKeyring(session) {
  session.stale = false;
  const ring = session.unlocked();
  const [smkMeta, stored] = await session.db.read([META], async (tx) => [
    await tx.smk(),
    await tx.manifest(),
  ], 'reading the manifest');
  const held = session.currentManifest();
  if (!smkMeta || smkMeta.smkId !== ring.kekId) {
    session.lock();
    throw new EnveilError('LOCKED', `the key of store '${session.name}' was rotated elsewhere: call unlock()`);
  }
  if (stored?.version === held.version) return;
  let manifest;
  try {
    manifest = openManifest(ring, session.name, stored);
  } catch (err) {
    if (err instanceof EnveilError && err.code === 'LOCKED') session.lock();
    throw err;
  }
  if (manifest.version < held.version) throw rolledBack(session.name);
  mergeKeys(ring, manifest);
  session.manifest = manifest;
}

/**
 * Runs `fn` in a readwrite transaction over META and `stores`, committing
 * the manifest it returns from commitManifest(); the session holds it once
 * the transaction has committed.
 * @template T
 * @param {StoreSession} session
 * @param {string[]} stores besides META
 * @param {(tx: import('./database.js').StoreTx) => Promise<{ manifest: Manifest, result?: T }>} fn
 * @param {string} what
 * @param {'default' | 'strict'} [durability]
 * @returns {Promise<T | undefined>}
 */
export async function writeManifest(session, stores, fn, what, durability = 'strict') {
  const { manifest, result } = await session.db.write([META, ...stores], fn, what, durability);
  if (adoptable(session, manifest)) session.manifest = manifest;
  return result;
}

/**
 * Adds the keys the declarations need and saves them with the declarations
 * (and, when given, the migration queue) in one manifest change; undone in
 * memory if that fails.
 * @param {StoreSession} session
 * @param {{ migrations?: import('./declarations.js').Migration[] }} also
 */
export async function addKeysAndSave(session, also) {
  const ring = session.unlocked();
  const added = addMissingKeys(session, ring);
  const held = session.currentManifest();
  const unchanged = added.length === 0
    && JSON.stringify(mergeDeclarations(held.collections, session.collections)) === JSON.stringify(held.collections)
    && (!also.migrations || JSON.stringify(also.migrations) === JSON.stringify(held.migrations));
  // Nothing to save: an open() writes nothing (a full disk must not stop a reopen).
  if (unchanged) return;
  try {
    await writeManifest(session, [], async (tx) => ({
      manifest: await commitManifest(session, tx, ring, (current) => ({
        keys: keysOf(ring),
        collections: mergeDeclarations(current.collections, session.collections),
        ...(also.migrations ? { migrations: also.migrations } : {}),
      })),
    }), 'saving the keyring');
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
export function addMissingKeys(session, ring) {
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
