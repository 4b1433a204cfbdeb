// The store manifest (format 2, README "Formats"): the keyring entries with
// their status, the collection declarations, the rotation under way, the
// migration queue and the audit log's head, sealed together as one record v1
// under the manifest key (a data key wrapped by the store key) and bound to
// the store name and a version counter that only grows. Nothing the store
// reads from `meta` is used before the manifest authenticates it.
import { EnveilError } from '../errors.js';
import { Keyring } from '../keyring.js';
import { fromBase64, labelled, toBase64 } from '../internal/encoding.js';
import { MANIFEST_SCOPE } from './declarations.js';
import { STORE_FORMAT } from './record-codec.js';

/** @typedef {import('./session.js').StoreSession} StoreSession */
/** @typedef {import('../keyring.js').KeyringEntry} KeyringEntry */
/** @typedef {import('./declarations.js').CollectionSpec} CollectionSpec */
/** @typedef {import('./declarations.js').Migration} Migration */
/**
 * The rotation under way: which keys it replaces. Its progress (the last
 * record done) is kept apart, unauthenticated, in `meta.rotationProgress`:
 * the rotation's last pass reads every record, so an edited progress only
 * repeats or skips batches, never a record.
 * @typedef {{ kind: 'data' | 'index', collection: string, field?: string, newKeyId: number, oldKeyIds: number[] }} RotationPlan
 */
/**
 * @typedef {{ id: number, kind: 'data' | 'index', scope: string, status: 'primary' | 'active' | 'retired',
 *   createdAt: number, kekId: string, wrapped: string }} ManifestKey a keyring entry, its wrapped key in base64
 */
/**
 * @typedef {object} Manifest
 * @property {2} format
 * @property {string} store
 * @property {number} version 1, 2, 3…: grows with every change
 * @property {string} smkId the store key the keyring is wrapped under
 * @property {ManifestKey[]} keys every keyring entry but the manifest key, by id
 * @property {Record<string, CollectionSpec>} collections the declarations last saved
 * @property {RotationPlan | null} rotation
 * @property {Migration[]} migrations declaration migrations still to run
 * @property {{ seq: number, mac: string }} audit the audit log's last entry (seq 0: empty)
 * @property {boolean} recovery whether a recovery key wraps the store key (meta.recovery must then open)
 */
/**
 * What `meta.manifest` holds.
 * @typedef {{ format: 2, version: number, key: KeyringEntry, sealed: Uint8Array }} StoredManifest
 */

/** What the sealed manifest is bound to. @param {string} name @param {number} version */
const manifestContext = (name, version) => labelled('enveil/v2/manifest', name, String(version));

/** @param {string} name */
function unreadable(name) {
  return new EnveilError('AUTH_FAILED', `the manifest of store '${name}' does not authenticate: its keys or declarations were altered`);
}

/**
 * The keyring's entries as the manifest lists them.
 * @param {Keyring} ring
 * @returns {ManifestKey[]}
 */
export function keysOf(ring) {
  return ring.export()
    .filter((e) => e.scope !== MANIFEST_SCOPE)
    .sort((a, b) => a.id - b.id)
    .map((e) => ({ id: e.id, kind: e.kind, scope: e.scope, status: e.status, createdAt: e.createdAt, kekId: e.kekId, wrapped: toBase64(e.wrapped) }));
}

/** @param {Keyring} ring */
function manifestKeyOf(ring) {
  const key = ring.export().find((e) => e.scope === MANIFEST_SCOPE && e.status === 'primary');
  if (!key) throw new EnveilError('LOCKED', 'the keyring holds no manifest key');
  return key;
}

/**
 * The manifest sealed for `meta`.
 * @param {Keyring} ring
 * @param {Manifest} manifest
 * @returns {StoredManifest}
 */
export function sealManifest(ring, manifest) {
  const sealed = ring.encrypt(JSON.stringify(manifest), manifestContext(manifest.store, manifest.version), { scope: MANIFEST_SCOPE });
  return { format: STORE_FORMAT, version: manifest.version, key: manifestKeyOf(ring), sealed };
}

/**
 * The manifest in `stored`, authenticated by `ring`'s manifest key; AUTH_FAILED
 * if it does not open or is not a manifest of this store.
 * @param {Keyring} ring
 * @param {string} name
 * @param {unknown} stored
 * @returns {Manifest}
 */
export function openManifest(ring, name, stored) {
  const s = /** @type {Partial<StoredManifest> | undefined} */ (stored);
  if (!s || typeof s !== 'object' || s.format !== STORE_FORMAT || !Number.isSafeInteger(s.version)) throw unreadable(name);
  let m;
  try {
    m = JSON.parse(new TextDecoder().decode(ring.decrypt(/** @type {Uint8Array} */ (s.sealed), manifestContext(name, /** @type {number} */ (s.version)))));
  } catch (err) {
    if (err instanceof EnveilError && err.code === 'UNKNOWN_KEY') {
      throw new EnveilError('LOCKED', `the keys of store '${name}' were replaced elsewhere: call unlock()`, { cause: err });
    }
    throw unreadable(name);
  }
  // Authenticated: what follows catches a bug of ours, not an attacker.
  if (!m || m.format !== STORE_FORMAT || m.store !== name || m.version !== s.version || !Array.isArray(m.keys)) throw unreadable(name);
  return m;
}

/**
 * Unlocks: the manifest key unwrapped under the store key `smk`, the
 * manifest opened with it, and every key it lists imported. KEY_UNAVAILABLE
 * if `smk` is not this store's key; AUTH_FAILED if the manifest was altered.
 * @param {string} name
 * @param {Uint8Array} smk
 * @param {string} smkId
 * @param {unknown} stored meta.manifest
 * @returns {{ ring: Keyring, manifest: Manifest }}
 */
export function loadManifest(name, smk, smkId, stored) {
  const key = /** @type {Partial<StoredManifest>} */ (stored ?? {}).key;
  if (!key || typeof key !== 'object' || key.kind !== 'data' || key.scope !== MANIFEST_SCOPE) throw unreadable(name);
  let ring;
  try {
    // Its status on disk is not trusted: the manifest key is always the primary.
    ring = Keyring.load({ kek: smk, entries: [{ ...key, status: 'primary', kekId: smkId }], store: name, kekId: smkId });
  } catch (err) {
    throw new EnveilError('KEY_UNAVAILABLE', 'the key provider returned a key that does not open this store', { cause: err });
  }
  try {
    const manifest = openManifest(ring, name, stored);
    if (manifest.smkId !== smkId) throw unreadable(name);
    for (const k of manifest.keys) ring.importEntry(entryOf(k));
    return { ring, manifest };
  } catch (err) {
    ring.destroy();
    if (err instanceof EnveilError && err.code !== 'INVALID_ARGUMENT') throw err;
    throw unreadable(name);
  }
}

/** @param {ManifestKey} k @returns {KeyringEntry} */
function entryOf(k) {
  return { ...k, wrapped: fromBase64(k.wrapped, 'a keyring entry') };
}

/**
 * Brings `ring` in line with a newer manifest (keys another instance
 * added, statuses it changed).
 * @param {Keyring} ring
 * @param {Manifest} manifest
 */
export function mergeKeys(ring, manifest) {
  const have = new Map(ring.export().map((e) => [e.id, e.status]));
  // Imported as active first: the ring may still hold the old primary.
  for (const k of manifest.keys) {
    if (!have.has(k.id)) ring.importEntry({ ...entryOf(k), status: k.status === 'primary' ? 'active' : k.status });
  }
  for (const k of manifest.keys) if (k.status === 'primary' && have.get(k.id) !== 'primary') ring.promote(k.id);
  for (const k of manifest.keys) {
    if (k.status !== 'primary' && ring.export().find((e) => e.id === k.id)?.status !== k.status) ring.setStatus(k.id, k.status);
  }
}

/** What a change may not race: everything but the audit head. @param {Manifest} m */
const keyState = (m) => JSON.stringify([m.smkId, m.keys, m.collections, m.rotation, m.migrations, m.recovery]);

/**
 * Writes the next manifest inside `tx` (a readwrite transaction over META):
 * `change` gets the current manifest and returns the fields that change.
 * The stored manifest must be the one this instance holds; if another
 * instance wrote since, it is authenticated and: for an audit append
 * (`rebase: 'audit'`) the change applies to it; for any other change it must
 * differ only in its audit head, or this throws STORAGE_FAILED ("try again",
 * the session reloads first). Never goes back in version. Returns the
 * manifest written: the caller makes it the session's once `tx` commits.
 * @param {StoreSession} session
 * @param {import('./database.js').StoreTx} tx
 * @param {Keyring} ring the keyring to seal with (holding the manifest key)
 * @param {(current: Manifest) => Partial<Manifest> | Promise<Partial<Manifest>>} change
 * @param {{ rebase?: 'audit' | 'keys', smkId?: string }} [options] smkId: the store key the stored manifest must be under (default: the ring's)
 * @returns {Promise<Manifest>}
 */
export async function commitManifest(session, tx, ring, change, { rebase = 'keys', smkId = ring.kekId } = {}) {
  const held = session.currentManifest();
  const [stored, smk] = [await tx.manifest(), await tx.smk()];
  let base = held;
  let unmerged = false;
  // Always: a manifest sealed with a keyring under another store key than
  // the stored one would make the store unopenable.
  if (smk?.smkId !== smkId) {
    session.stale = true;
    throw new EnveilError('LOCKED', `the key of store '${session.name}' was rotated elsewhere: call unlock()`);
  }
  if (stored?.version !== held.version) {
    const current = openManifest(ring, session.name, stored);
    if (current.version < held.version) throw rolledBack(session.name);
    if (keyState(current) !== keyState(held)) {
      // This instance's keyring is behind: it must reload before it uses
      // it again, and may not hold this manifest as its own meanwhile.
      session.stale = true;
      if (rebase !== 'audit') {
        throw new EnveilError('STORAGE_FAILED', `the keyring of store '${session.name}' was changed by another instance: try again`);
      }
      unmerged = true;
    }
    base = current;
  }
  /** @type {Manifest} */
  const next = { ...base, ...(await change(base)), version: base.version + 1 };
  await tx.putManifest(sealManifest(ring, next));
  if (unmerged) behind.add(next);
  return next;
}

/**
 * Manifests an audit append wrote over key changes this instance has not
 * merged: never adopted as the session's (syncKeyring adopts the stored one,
 * keys merged). @type {WeakSet<Manifest>}
 */
const behind = new WeakSet();

/**
 * Whether the session may hold `manifest` as its own: it is newer, and its
 * keys are the ones the session's keyring holds.
 * @param {StoreSession} session
 * @param {Manifest} manifest
 */
export function adoptable(session, manifest) {
  return !behind.has(manifest) && manifest.version > (session.manifest?.version ?? 0);
}

/** @param {string} name */
export function rolledBack(name) {
  return new EnveilError('AUTH_FAILED', `the manifest of store '${name}' is older than one already seen: the database was rolled back`);
}

/**
 * The declarations to save: this instance's, over the saved ones. Another
 * instance (a newer app in another tab) may have declared more: nothing it
 * declared encrypted, blind-indexed or indexed is dropped, so recover()
 * without declarations never stores in clear a field any instance encrypts.
 * @param {Record<string, CollectionSpec>} saved
 * @param {Record<string, CollectionSpec>} mine
 * @returns {Record<string, CollectionSpec>}
 */
export function mergeDeclarations(saved, mine) {
  /** @type {Record<string, CollectionSpec>} */
  const out = { ...saved };
  for (const [name, spec] of Object.entries(mine)) {
    const before = saved[name];
    out[name] = !before ? spec : {
      encrypted: [...new Set([...before.encrypted, ...spec.encrypted])],
      blindIndex: { ...before.blindIndex, ...spec.blindIndex },
      indexes: [...new Set([...before.indexes, ...spec.indexes])].filter((f) => !spec.encrypted.includes(f) && !before.encrypted.includes(f)),
      pad: spec.pad,
    };
  }
  return out;
}
