// The key provider's part: creating the store key (SMK) and having the
// provider wrap it, unlocking by having it unwrap the SMK, which then
// unwraps the keyring. One provider call per unlock; every provider
// failure becomes KEY_UNAVAILABLE.
import { EnveilError } from '../errors.js';
import { randomBytes } from '../hazmat.js';
import { Keyring } from '../keyring.js';
import { isBytes } from '../internal/wasm.js';
import { limits } from '../internal/limits.js';
import { labelled, toHex, wipe } from '../internal/encoding.js';
import { KEYRING, META } from './database.js';
import { addKeysAndSave } from './keyring-sync.js';
import { withInternalCollections } from './declarations.js';
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
 * wrong size) into KEY_UNAVAILABLE.
 * @param {() => Promise<Uint8Array>} call
 * @param {string} what
 * @param {number} [length]
 */
export async function fromProvider(call, what, length) {
  let result;
  try {
    result = await call();
  } catch (err) {
    if (err instanceof EnveilError && err.code === 'KEY_UNAVAILABLE') throw err;
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
 * open(): creates the store's keys on first use, otherwise unlocks and
 * brings the stored records in line with changed declarations.
 * @param {StoreSession} session
 */
export async function unlockOrCreate(session) {
  const [smkMeta, entries, saved] = await session.db.read([META, KEYRING], async (tx) => [
    await tx.smk(),
    await tx.keyringEntries(),
    await tx.collections(),
  ], 'reading the keyring');
  if (!smkMeta) {
    await create(session);
  } else {
    await unlockWith(session, smkMeta, entries);
    session.collections = withInternalCollections(session.collections, saved ?? {});
    await migrateDeclarations(session, saved ?? {});
  }
  session.touch();
}

/** @param {StoreSession} session */
async function create(session) {
  const { smk, smkId } = newStoreKey();
  try {
    const wrapped = await fromProvider(() => session.provider.wrapKey(smk.slice(), smkContext(session.name, smkId)), 'wrap the store key');
    const ring = Keyring.create({ kek: smk, store: session.name, kekId: smkId });
    // Keyring.create made a 'default' data key; a store keys per collection.
    ring.remove(ring.export()[0].id);
    session.ring = ring;
    await addKeysAndSave(session, { smk: { smkId, providerId: session.provider.id, wrapped } });
  } catch (err) {
    session.ring?.destroy();
    session.ring = null;
    throw err;
  } finally {
    wipe(smk);
  }
}

/**
 * @param {StoreSession} session
 * @param {WrappedStoreKey} smkMeta
 * @param {import('../keyring.js').KeyringEntry[]} entries
 */
async function unlockWith(session, smkMeta, entries) {
  if (smkMeta.providerId !== session.provider.id) {
    throw new EnveilError('KEY_UNAVAILABLE',
      `store '${session.name}' is wrapped by key provider '${smkMeta.providerId}', not '${session.provider.id}'`);
  }
  const smk = await unwrapStoreKey(session, smkMeta);
  try {
    session.ring = Keyring.load({ kek: smk, entries, store: session.name, kekId: smkMeta.smkId });
  } catch (err) {
    throw new EnveilError('KEY_UNAVAILABLE', 'the key provider returned a key that does not open this store', { cause: err });
  } finally {
    wipe(smk);
  }
}

/**
 * unlock(): asks the provider for the store key again.
 * @param {StoreSession} session
 */
export async function unlock(session) {
  if (session.ring) return;
  const [smkMeta, entries] = await session.db.read([META, KEYRING], async (tx) => [
    await tx.smk(),
    await tx.keyringEntries(),
  ], 'reading the keyring');
  if (!smkMeta) throw new EnveilError('STORAGE_FAILED', `store '${session.name}' has no keyring`);
  await unlockWith(session, smkMeta, entries);
  session.touch();
  await appendAuditEntry(session, await session.ready(), 'unlocked', { kekId: session.unlocked().kekId });
  session.emit('unlocked', {});
}
