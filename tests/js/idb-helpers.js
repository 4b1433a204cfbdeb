// Raw access to fake-indexeddb databases: what an attacker with the files sees.
import { committed, result as done } from '../../js/store/idb-requests.js';

/** Every value IndexedDB holds for database `name`, as raw JS values. */
export async function rawDump(idb, name = 'app') {
  const db = await new Promise((resolve, reject) => {
    const r = idb.open(name);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const out = {};
  for (const storeName of db.objectStoreNames) {
    out[storeName] = await new Promise((resolve, reject) => {
      const req = db.transaction(storeName).objectStore(storeName).getAll();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  db.close();
  return out;
}

/** Applies `fn` to the raw stored record (to simulate tampering on disk). */
export async function editRaw(idb, storeName, id, fn, name = 'app') {
  const db = await new Promise((resolve) => { const r = idb.open(name); r.onsuccess = () => resolve(r.result); });
  await new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, 'readwrite');
    const s = tx.objectStore(storeName);
    const g = s.get(id);
    g.onsuccess = () => s.put(fn(g.result));
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

/** Finds `needle` anywhere in a raw dump (strings and byte arrays alike). */
export function contains(value, needle) {
  const bytes = Buffer.from(needle);
  const walk = (v) => {
    if (v === null || v === undefined) return false;
    if (typeof v === 'string') return v.includes(needle);
    if (v instanceof Uint8Array) return Buffer.from(v).indexOf(bytes) !== -1;
    if (typeof v === 'object') return Object.values(v).some(walk);
    return false;
  };
  return walk(value);
}


/** Runs `fn(objectStore)` in a raw readwrite transaction (tampering on disk). */
export async function withRawStore(idb, storeName, fn, name = 'app') {
  const db = await new Promise((resolve) => { const r = idb.open(name); r.onsuccess = () => resolve(r.result); });
  await new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, 'readwrite');
    fn(tx.objectStore(storeName));
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

// ---------------------------------------------------------------------------
// Whole-database copies and leaf mutations, for the tamper tests (issue 14):
// an attacker with the files can put back an older copy of any entry, or
// change, delete or move any part of any stored value. Plain IndexedDB calls
// only (no Node API), so the Chromium sweep bundles the same code; requests
// and commits through the store's own promise layer.


/**
 * A copy of database `name`: its version and every object store with its key
 * path, auto-increment flag, indexes, and entries as [key, value] in key order.
 * @returns {Promise<{ name: string, version: number, stores: Array<{ name: string, keyPath: string | string[] | null,
 *   autoIncrement: boolean, indexes: Array<{ name: string, keyPath: string | string[], unique: boolean, multiEntry: boolean }>,
 *   entries: Array<[IDBValidKey, any]> }> }>}
 */
export async function snapshotDatabase(idb, name = 'app') {
  const db = await done(idb.open(name));
  try {
    const names = [...db.objectStoreNames];
    if (names.length === 0) return { name, version: db.version, stores: [] };
    const tx = db.transaction(names, 'readonly');
    const stores = await Promise.all(names.map(async (storeName) => {
      const s = tx.objectStore(storeName);
      const [keys, values] = await Promise.all([done(s.getAllKeys()), done(s.getAll())]);
      return {
        name: storeName,
        keyPath: s.keyPath,
        autoIncrement: s.autoIncrement,
        indexes: [...s.indexNames].map((i) => {
          const index = s.index(i);
          return { name: index.name, keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry };
        }),
        entries: keys.map((k, i) => [k, values[i]]),
      };
    }));
    return { name, version: db.version, stores };
  } finally {
    db.close();
  }
}

/**
 * Makes database `name` of `idb` exactly `snapshot` (deleted first): same
 * version, object stores, indexes, keys and values. Rejects (nothing left
 * half-written but an empty schema) when a value cannot be stored, e.g. a
 * record whose key path no longer holds a valid key.
 */
export async function restoreDatabase(idb, snapshot, name = snapshot.name) {
  await new Promise((resolve, reject) => {
    const r = idb.deleteDatabase(name);
    r.onsuccess = () => resolve(undefined);
    r.onerror = () => reject(r.error);
  });
  const request = idb.open(name, snapshot.version);
  request.onupgradeneeded = () => {
    for (const s of snapshot.stores) {
      const store = request.result.createObjectStore(s.name, s.keyPath === null ? { autoIncrement: s.autoIncrement } : { keyPath: s.keyPath, autoIncrement: s.autoIncrement });
      for (const i of s.indexes) store.createIndex(i.name, i.keyPath, { unique: i.unique, multiEntry: i.multiEntry });
    }
  };
  const db = await done(request);
  try {
    if (snapshot.stores.length === 0) return;
    const tx = db.transaction(snapshot.stores.map((s) => s.name), 'readwrite');
    const finished = committed(tx);
    try {
      for (const s of snapshot.stores) {
        const store = tx.objectStore(s.name);
        for (const [key, value] of s.entries) {
          if (s.keyPath === null) store.put(value, key);
          else store.put(value);
        }
      }
    } catch (err) {
      tx.abort();
      await finished.catch(() => {});
      throw err;
    }
    await finished;
  } finally {
    db.close();
  }
}

/** Puts `value` into `storeName` (under `key` for a store without a key path). */
export async function putRaw(idb, storeName, value, key, name = 'app') {
  await withRawStore(idb, storeName, (s) => (key === undefined ? s.put(value) : s.put(value, key)), name);
}

/** Whether `v` is a container the mutations recurse into: a plain object or an array (a byte array is a leaf). */
function isContainer(v) {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return Array.isArray(v) || proto === Object.prototype || proto === null;
}

/** The type of a stored leaf, as the mutations name it. */
function leafType(v) {
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Every leaf of a stored value as [path, leaf]: what is not a non-empty
 * plain object or array (bytes, strings, numbers, booleans, null, and empty
 * containers). A value that is itself a leaf has the path [].
 * @returns {Array<[Array<string | number>, unknown]>}
 */
export function leavesOf(value, path = [], out = []) {
  if (isContainer(value)) {
    const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
    if (keys.length === 0) out.push([path, value]);
    for (const k of keys) leavesOf(value[k], [...path, k], out);
  } else {
    out.push([path, value]);
  }
  return out;
}

const KEY_STATUSES = ['primary', 'active', 'retired'];

/** A value of each type, for replacing a leaf with one of another type. */
const OTHER_TYPES = {
  string: () => 'tampered',
  number: () => 1,
  boolean: () => true,
  null: () => null,
  object: () => ({}),
  array: () => [],
  bytes: () => new Uint8Array(8).fill(0x41),
};

/**
 * The ways one leaf can be changed, as [kind, replacement-maker]: values of
 * the same type (a byte flipped and a byte cut for bytes, the other key
 * statuses for a status string), values of each other type, deletion, and
 * (for a leaf inside a container) a move to a plain top-level field.
 * @returns {Array<{ kind: string, value?: () => unknown }>}
 */
function changesOf(path, leaf) {
  const type = leafType(leaf);
  /** @type {Array<{ kind: string, value?: () => unknown }>} */
  const changes = [];
  if (type === 'bytes') {
    const b = /** @type {Uint8Array} */ (leaf);
    if (b.length > 0) {
      changes.push({ kind: 'flip', value: () => { const c = b.slice(); c[c.length >> 1] ^= 0x01; return c; } });
      changes.push({ kind: 'truncate', value: () => b.slice(0, b.length - 1) });
    } else {
      changes.push({ kind: 'same', value: () => new Uint8Array([0]) });
    }
  } else if (type === 'string' && KEY_STATUSES.includes(/** @type {string} */ (leaf))) {
    for (const s of KEY_STATUSES) if (s !== leaf) changes.push({ kind: `same:${s}`, value: () => s });
  } else if (type === 'string') {
    changes.push({ kind: 'same', value: () => `${leaf}~` });
  } else if (type === 'number') {
    changes.push({ kind: 'same', value: () => /** @type {number} */ (leaf) + 1 });
  } else if (type === 'boolean') {
    changes.push({ kind: 'same', value: () => !leaf });
  } else if (type === 'object') {
    changes.push({ kind: 'same', value: () => ({ tampered: 1 }) });
  } else if (type === 'array') {
    changes.push({ kind: 'same', value: () => ['tampered'] });
  }
  for (const [other, make] of Object.entries(OTHER_TYPES)) if (other !== type) changes.push({ kind: `other:${other}`, value: make });
  changes.push({ kind: 'delete' });
  if (path.length >= 2) changes.push({ kind: 'move' });
  return changes;
}

/**
 * Every mutation of every leaf of every value of every object store of
 * `snapshot` (see changesOf), as { store, key, path, leaf, kind, value?, label }
 * (leaf: the value changed; value: makes its replacement).
 * `oneKindPerLeaf`: one change per leaf instead of all, taken in turn so
 * every kind is still tried somewhere.
 * @param {{ oneKindPerLeaf?: boolean, stores?: (name: string) => boolean }} [options]
 */
export function snapshotMutations(snapshot, { oneKindPerLeaf = false, stores = () => true } = {}) {
  const out = [];
  let leafNo = 0;
  for (const s of snapshot.stores) {
    if (!stores(s.name)) continue;
    for (const [key, value] of s.entries) {
      for (const [path, leaf] of leavesOf(value)) {
        const changes = changesOf(path, leaf);
        const picked = oneKindPerLeaf ? [changes[leafNo % changes.length]] : changes;
        leafNo++;
        for (const c of picked) {
          out.push({ store: s.name, key, path, leaf, kind: c.kind, value: c.value,
            label: `${s.name}[${JSON.stringify(key)}]${path.map((p) => `.${p}`).join('')} ${c.kind}` });
        }
      }
    }
  }
  return out;
}

/** `container` without `path` (an array element is spliced out). */
function deleteAt(root, path) {
  const parent = path.slice(0, -1).reduce((v, k) => v[k], root);
  const last = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
}

/** @param {any} root */
function setAt(root, path, value) {
  const parent = path.slice(0, -1).reduce((v, k) => v[k], root);
  parent[path[path.length - 1]] = value;
}

/**
 * A copy of `snapshot` with mutation `m` applied (the snapshot is left as
 * it is). A deleted top-level leaf deletes the entry; a moved leaf goes to
 * the top-level field named after its innermost non-index path element.
 */
export function applyMutation(snapshot, m) {
  return {
    ...snapshot,
    stores: snapshot.stores.map((s) => {
      if (s.name !== m.store) return s;
      const entries = [];
      for (const [key, value] of s.entries) {
        if (!sameKey(key, m.key)) {
          entries.push([key, value]);
          continue;
        }
        if (m.path.length === 0) {
          if (m.kind !== 'delete') entries.push([key, m.kind === 'move' ? value : m.value()]);
          continue;
        }
        const copy = structuredClone(value);
        const leaf = m.path.reduce((v, k) => v[k], copy);
        if (m.kind === 'delete') deleteAt(copy, m.path);
        else if (m.kind === 'move') {
          deleteAt(copy, m.path);
          const name = [...m.path].reverse().find((p) => typeof p === 'string');
          copy[name] = leaf;
        } else setAt(copy, m.path, m.value());
        entries.push([key, copy]);
      }
      return { ...s, entries };
    }),
  };
}

/** Whether two IndexedDB keys are the same key. */
function sameKey(a, b) {
  return JSON.stringify(a) === JSON.stringify(b) && typeof a === typeof b;
}

/** The entries of object store `storeName` in `snapshot` ([] if it has none). */
export function entriesOf(snapshot, storeName) {
  return snapshot.stores.find((s) => s.name === storeName)?.entries ?? [];
}

/**
 * The key ids of the record-v1 ciphertexts in a stored value (version byte
 * 01, suite, u32 BE key id, 70 bytes or more): what a write was sealed with,
 * whatever the store format around them.
 * @returns {number[]}
 */
export function sealedKeyIds(value) {
  return leavesOf(value)
    .map(([, leaf]) => leaf)
    .filter((b) => b instanceof Uint8Array && b.length >= 70 && b[0] === 0x01)
    .map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(2));
}

/** Every value stored under `key`, in whichever object store holds one: [storeName, value] pairs. */
export async function findRaw(idb, key, name = 'app') {
  const db = await done(idb.open(name));
  try {
    const names = [...db.objectStoreNames];
    const tx = db.transaction(names, 'readonly');
    const values = await Promise.all(names.map((n) => done(tx.objectStore(n).get(key))));
    return names.map((n, i) => [n, values[i]]).filter(([, v]) => v !== undefined);
  } finally {
    db.close();
  }
}
