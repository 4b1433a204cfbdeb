// The key provider's part: creating the store key (SMK) and having the
// provider wrap it, unlocking by having it unwrap the SMK, which then
// unwraps the manifest key, which authenticates the keyring (manifest.js). One provider call per unlock; every provider
// failure becomes KEY_UNAVAILABLE.
import { EnveilError } from '../errors.js';
import { randomBytes } from '../hazmat.js';
import { Keyring } from '../keyring.js';
import { isBytes } from '../internal/wasm.js';
import { limits } from '../internal/limits.js';
import { labelled, toHex, wipe } from '../internal/encoding.js';
import { AUDIT, META, recordStore } from './database.js';
import { addMissingKeys } from './keyring-sync.js';
import { MANIFEST_SCOPE, withInternalCollections } from './declarations.js';
import { STORE_FORMAT } from './record-codec.js';
import { keysOf, loadManifest, sealManifest } from './manifest.js';
import { checkRecoveryEnvelope } from './recovery.js';
import { migrateDeclarations } from './rotation.js';
import { appendAuditEntry } from './audit-log.js';

/** @typedef {import('../providers/definitions.js').KeyProvider} KeyProvider */
/** @typedef {import('./session.js').StoreSession} StoreSession */
/** @typedef {{ smkId: string, providerId: string, wrapped: Uint8Array }} WrappedStoreKey */

/** What the provider binds the wrapped SMK to. @param {string} name @param {string} smkId */
export const smkContext = (name, smkId) => labelled('enveil/v1/smk', name, smkId);

/** A new store key and its id. */
export function newStoreKey() {
  return { smk: randomBytes(limits().KEY_BYTES), smkId: `smk-${toHex(randomBytes(8))}` };
}

/** @param {unknown} provider @param {string} [name] @returns {KeyProvider} */
export function providerArg(provider, name = 'provider') {
  const p = /** @type {KeyProvider} */ (provider);
  if (!p || typeof p.id !== 'string' || typeof p.wrapKey !== 'function' || typeof p.unwrapKey !== 'function') {
    throw new EnveilError('INVALID_ARGUMENT', `${name} must be a KeyProvider ({ id, wrapKey, unwrapKey })`);
  }
  return p;
}

/**
 * Asks a provider for a key, turning every failure (rejection, wrong type,
 * wrong size) into KEY_UNAVAILABLE, but the provider's own UNSUPPORTED.
 * @param {() => Promise<Uint8Array>} call
 * @param {string} what
 * @param {number} [length]
 */
export async function fromProvider(call, what, length) {
  let result;
  try {
    result = await call();
  } catch (err) {
    // A key that is not there, and a plugin that is not (UNSUPPORTED: an app
    // that forgot `npx cap sync` has lost nothing), keep their codes.
    if (err instanceof EnveilError && (err.code === 'KEY_UNAVAILABLE' || err.code === 'UNSUPPORTED')) throw err;
    throw new EnveilError('KEY_UNAVAILABLE', `the key provider could not ${what}`, { cause: err });
  }
  if (!isBytes(result) || (length !== undefined && result.length !== length)) {
    throw new EnveilError('KEY_UNAVAILABLE', `the key provider returned no usable bytes to ${what}`);
  }
  return result;
}

/**
 * The SMK, unwrapped by the session's provider (caller wipes it).
 * @param {StoreSession} session
 * @param {WrappedStoreKey} smkMeta
 */
export function unwrapStoreKey(session, smkMeta) {
  return fromProvider(
    () => session.provider.unwrapKey(smkMeta.wrapped, smkContext(session.name, smkMeta.smkId)), 'unwrap the store key', limits().KEY_BYTES);
}

/**
 * The wrapped store key and the stored manifest; UNSUPPORTED for a store of
 * format 1 (development builds of 0.1, never published).
 * @param {StoreSession} session
 * @returns {Promise<{ smkMeta: WrappedStoreKey | undefined, stored: unknown, recovery: unknown }>}
 */
async function readKeys(session) {
  const [smkMeta, stored, legacy, recovery] = await session.db.read([META], async (tx) => [
    await tx.smk(),
    await tx.manifest(),
    await tx.legacyCollections(),
    await tx.recovery(),
  ], 'reading the keyring');
  if (smkMeta && stored === undefined && legacy !== undefined) {
    throw new EnveilError('UNSUPPORTED',
      `store '${session.name}' is in store format 1 (enveil 0.1 development builds); this version reads format ${STORE_FORMAT} only`);
  }
  return { smkMeta, stored, recovery };
}

/**
 * open(): creates the store's keys on first use, otherwise unlocks and
 * brings the stored records in line with changed declarations.
 * @param {StoreSession} session
 */
export async function unlockOrCreate(session) {
  const { smkMeta, stored, recovery } = await readKeys(session);
  if (!smkMeta && stored === undefined) {
    await create(session);
  } else {
    await unlockWith(session, smkMeta, stored, recovery, session.lockGeneration);
    const saved = session.currentManifest().collections;
    session.collections = withInternalCollections(session.collections, saved);
    await migrateDeclarations(session, saved);
  }
  session.touch();
}

/**
 * A keyring for a new store key: its manifest key and nothing else yet.
 * @param {string} name
 * @param {Uint8Array} smk
 * @param {string} smkId
 */
export function newKeyring(name, smk, smkId) {
  const ring = Keyring.create({ kek: smk, store: name, kekId: smkId });
  try {
    // Keyring.create made a 'default' data key; a store keys per collection.
    const made = ring.export()[0].id;
    ring.rotate('data', MANIFEST_SCOPE);
    ring.remove(made);
    return ring;
  } catch (err) {
    ring.destroy();
    throw err;
  }
}

/** @param {StoreSession} session */
async function create(session) {
  const { smk, smkId } = newStoreKey();
  let ring = null;
  try {
    const wrapped = await fromProvider(() => session.provider.wrapKey(smk.slice(), smkContext(session.name, smkId)), 'wrap the store key');
    ring = newKeyring(session.name, smk, smkId);
    addMissingKeys(session, ring);
    /** @type {import('./manifest.js').Manifest} */
    const manifest = {
      format: STORE_FORMAT, store: session.name, version: 1, smkId, keys: keysOf(ring),
      collections: session.collections, rotation: null, migrations: [], audit: { seq: 0, mac: '' }, recovery: false,
    };
    const sealed = sealManifest(ring, manifest);
    // Every collection's store, those a component declared later included.
    const collections = session.db.collectionNames();
    await session.db.write([META, AUDIT, ...collections.map(recordStore)], async (tx) => {
      // Two first opens at once: the second must not replace the first's keys.
      if ((await tx.smk()) !== undefined || (await tx.manifest()) !== undefined) {
        throw new EnveilError('STORAGE_FAILED', `store '${session.name}' was created by another instance meanwhile: open it again`);
      }
      // Data but no keys: the keys were deleted. New keys would hide that.
      let held = (await tx.auditEntries()).length;
      for (const c of collections) held += await tx.records(c).count();
      if (held > 0) {
        throw new EnveilError('STORAGE_FAILED', `store '${session.name}' holds records or an audit log but no keys: they were deleted (restore a backup, or delete the database to start over)`);
      }
      await tx.putSmk({ smkId, providerId: session.provider.id, wrapped });
      await tx.putManifest(sealed);
    }, 'creating the store', 'strict');
    session.takeKeys(ring, manifest, session.lockGeneration);
    ring = null;
  } finally {
    ring?.destroy();
    wipe(smk);
  }
}

/**
 * Unwraps the store key with the session's provider and loads the keyring
 * from the manifest it authenticates.
 * @param {StoreSession} session
 * @param {WrappedStoreKey | undefined} smkMeta
 * @param {unknown} stored
 * @param {unknown} recovery meta.recovery
 * @param {number} generation lockGeneration when the unlock started
 */
async function unlockWith(session, smkMeta, stored, recovery, generation) {
  if (!smkMeta || typeof smkMeta !== 'object' || typeof smkMeta.smkId !== 'string') {
    throw new EnveilError('KEY_UNAVAILABLE', `store '${session.name}' has no usable wrapped store key`);
  }
  if (smkMeta.providerId !== session.provider.id) {
    throw new EnveilError('KEY_UNAVAILABLE',
      `store '${session.name}' is wrapped by key provider '${String(smkMeta.providerId)}', not '${session.provider.id}'`);
  }
  const smk = await unwrapStoreKey(session, smkMeta);
  try {
    const { ring, manifest } = loadManifest(session.name, smk, smkMeta.smkId, stored);
    try {
      if (manifest.recovery) checkRecoveryEnvelope(ring, session.name, smkMeta.smkId, smk, recovery);
    } catch (err) {
      ring.destroy();
      throw err;
    }
    session.takeKeys(ring, manifest, generation);
  } finally {
    wipe(smk);
  }
}

/**
 * unlock(): asks the provider for the store key again. Concurrent calls
 * share one unlock; a lock() before it finishes wins (LOCKED, keys wiped).
 * @param {StoreSession} session
 */
export function unlock(session) {
  if (session.ring) return Promise.resolve();
  // Joined only while no lock() came after it started: an unlock that a lock
  // overtook ends LOCKED, and a later unlock() must not share that end.
  if (session.unlocking && session.unlocking.generation === session.lockGeneration) return session.unlocking.done;
  const generation = session.lockGeneration;
  const done = (async () => {
    const { smkMeta, stored, recovery } = await readKeys(session);
    if (!smkMeta) throw new EnveilError('STORAGE_FAILED', `store '${session.name}' has no keyring`);
    await unlockWith(session, smkMeta, stored, recovery, generation);
    session.touch();
    await appendAuditEntry(session, await session.ready(), 'unlocked', { kekId: session.unlocked().kekId });
    session.emit('unlocked', {});
  })().finally(() => {
    if (session.unlocking?.done === done) session.unlocking = null;
  });
  session.unlocking = { generation, done };
  return done;
}
