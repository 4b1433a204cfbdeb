// Raw access to fake-indexeddb databases: what an attacker with the files sees.

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
