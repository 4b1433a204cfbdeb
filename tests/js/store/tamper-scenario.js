// The tamper sweep of issue 14, shared by tamper-sweep.test.js (Node,
// fake-indexeddb) and tests/e2e/tamper.e2e.test.js (bundled into a page,
// Chromium's IndexedDB): a genuine store, and what the public API answers
// for a copy of its database that someone holding the files changed, judged
// against the untouched copy. Allowed answers: the genuine record, or a
// typed EnveilError; never an attacker's value, never a plain Error.
// No Node API here: it runs in the browser as it is.
import { EncryptedStore, EnveilError, providers } from '../../../js/index.js';
import { findRaw, restoreDatabase, sealedKeyIds } from '../idb-helpers.js';

export const NAME = 'app';

export const COLLECTIONS = {
  contacts: {
    encrypted: ['email', 'phone', 'notes'],
    blindIndex: { email: { bits: 16, normalize: 'trim-lowercase' }, phone: { bits: 8, normalize: 'digits' } },
    indexes: ['city'],
  },
  notes: { encrypted: ['body'] },
};

/** What is written, as [id, fields]: numeric and string ids, nested values, one record with no encrypted field. */
export const RECORDS = {
  contacts: [
    ['c1', { name: 'Ada', email: 'ada@example.com', phone: '+44 20 7946 0001', city: 'Oslo', notes: { tags: ['vip'], score: 3 } }],
    ['c2', { name: 'Grace', email: 'grace@example.org', phone: '+1 555 0102', city: 'Rome' }],
    ['c3', { name: 'Linus', email: 'linus@example.net', city: 'Oslo', vip: false }],
    [4, { name: 'Plain', city: 'Rome', visits: 2 }],
  ],
  notes: [
    ['n1', { title: 'launch', body: 'the launch code is 0000' }],
    ['n2', { body: { lines: ['a', 'b'], done: true }, pinned: true }],
  ],
};

/** The object store of a collection's records (the same in store formats 1 and 2). */
export const recordStoreOf = (/** @type {string} */ c) => `c:${c}`;

/** Equality searches: blind index, plain index and scan, from the records. */
export const QUERIES = [
  ...RECORDS.contacts.filter(([, r]) => r.email).map(([, r]) => ['contacts', 'email', r.email]),
  ...RECORDS.contacts.filter(([, r]) => r.phone).map(([, r]) => ['contacts', 'phone', r.phone]),
  ['contacts', 'city', 'Oslo'],
  ['contacts', 'city', 'Rome'],
  ['contacts', 'name', 'Plain'],
  ['notes', 'title', 'launch'],
];

/** A record written after the tampering, to see which keys new writes use. */
const PROBE = ['probe', { name: 'Probe', email: 'probe@example.com', phone: '+1 555 0199', notes: 'new', city: 'Oslo' }];

/** Codes an open of a store whose keys or declarations were changed may reject with. */
export const OPEN_CODES = ['AUTH_FAILED', 'KEY_UNAVAILABLE', 'STORAGE_FAILED', 'UNSUPPORTED'];

/** @param {IDBFactory} idb @param {Uint8Array} kek */
export function openStore(idb, kek) {
  return EncryptedStore.open({ name: NAME, provider: providers.memory(kek), collections: COLLECTIONS, indexedDB: idb });
}

/**
 * Writes the genuine store: the records, audit entries, a data-key
 * rotation of every collection, a recovery key; then closes it.
 * @param {IDBFactory} idb @param {Uint8Array} kek
 */
export async function buildGenuineStore(idb, kek) {
  const store = await openStore(idb, kek);
  for (const [c, rows] of Object.entries(RECORDS)) for (const [id, r] of rows) await store.put(c, id, r);
  await store.appendAudit('sweep', { step: 1 });
  await store.rotateDataKeys();
  await store.createRecoveryKey();
  await store.appendAudit('sweep', { step: 2, note: 'after rotation' });
  await store.close();
}

/** What a promise settled to, in a form a page can return. @param {Promise<unknown>} p */
async function settle(p) {
  try {
    return { value: await p };
  } catch (err) {
    return err instanceof EnveilError
      ? { error: { typed: true, code: err.code } }
      : { error: { typed: false, code: `${/** @type {Error} */ (err)?.name}: ${/** @type {Error} */ (err)?.message}` } };
  }
}

/** The genuine record `id` of `c` as get() returns it, or undefined. @param {string} c @param {unknown} id */
function genuine(c, id) {
  const row = RECORDS[/** @type {keyof typeof RECORDS} */ (c)]?.find(([i]) => i === id);
  return row && { id: row[0], ...row[1] };
}

/** The keys a copy of the database holds in the record store of `c` (an entry's key is at its key path). */
function rawIds(snapshot, c) {
  const s = snapshot.stores.find((x) => x.name === recordStoreOf(c));
  return (s?.entries ?? []).map(([key, value]) => (typeof s.keyPath === 'string' ? value[s.keyPath] : key));
}

/** Whether `id` is one the API can be asked for (other keys an attacker stores are only seen by lists). */
const askable = (/** @type {unknown} */ id) => (typeof id === 'string' && id.length > 0) || (typeof id === 'number' && Number.isFinite(id));

/**
 * Opens the store in `idb` (a copy of the genuine one, maybe changed) and
 * asks the public API everything: keyStatus, get of every id written and of
 * every id the copy holds, list, every query, verifyAuditLog, and which key
 * ids a new write is sealed with.
 * @param {IDBFactory} idb @param {Uint8Array} kek @param {any} snapshot the copy as restored
 */
export async function observe(idb, kek, snapshot) {
  /** @type {any} */
  const o = { gets: [], lists: {}, finds: [], unreadable: [] };
  const opened = await settle(openStore(idb, kek));
  if (opened.error) {
    o.open = opened.error;
    return o;
  }
  const store = /** @type {EncryptedStore} */ (opened.value);
  store.on('unreadable', (e) => o.unreadable.push(e));
  try {
    o.keyStatus = await settle(store.keyStatus());
    for (const c of Object.keys(RECORDS)) {
      const ids = [...RECORDS[/** @type {keyof typeof RECORDS} */ (c)].map(([id]) => id)];
      for (const id of rawIds(snapshot, c)) if (askable(id) && !ids.includes(id)) ids.push(id);
      for (const id of ids) o.gets.push([c, id, await settle(store.get(c, id))]);
      o.lists[c] = await settle(store.list(c, { limit: 1000 }));
    }
    for (const q of QUERIES) o.finds.push([q, await settle(store.findBy(q[0], q[1], q[2]))]);
    o.verify = await settle(store.verifyAuditLog());
    const put = await settle(store.put('contacts', PROBE[0], PROBE[1]));
    o.probe = put.error ? put : { value: (await findRaw(idb, PROBE[0], NAME)).flatMap(([, v]) => sealedKeyIds(v)) };
  } finally {
    await store.close().catch(() => {});
  }
  return o;
}

/**
 * Makes database NAME of `idb` the copy `copy` and observes it; null when
 * IndexedDB refuses to hold the copy (an attacker cannot store it either).
 * @param {IDBFactory} idb @param {Uint8Array} kek @param {any} copy
 */
export async function observeCopy(idb, kek, copy) {
  try {
    await restoreDatabase(idb, copy, NAME);
  } catch {
    return null;
  }
  return observe(idb, kek, copy);
}

/** Deep equality of stored values (plain objects, arrays, bytes, primitives). */
export function same(a, b) {
  if (a === b) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same(a[k], b[k]));
}

const show = (/** @type {unknown} */ v) => {
  try {
    return JSON.stringify(v, (_, x) => (x instanceof Uint8Array ? `<${x.length} bytes>` : x)) ?? String(v);
  } catch {
    return String(v);
  }
};

/**
 * What in `o` breaks the contract, for a copy changed by `change` (null:
 * the untouched copy): { store, key, label } names the object store and the
 * entry the attacker changed or added.
 * @param {any} o what observe() saw
 * @param {any} baseline what observe() saw on the untouched copy
 * @param {{ store: string, key: unknown, label: string } | null} change
 * @param {any} snapshot the copy as restored
 * @returns {string[]}
 */
export function judge(o, baseline, change, snapshot) {
  const out = [];
  const label = change?.label ?? 'untouched copy';
  const say = (/** @type {string} */ msg) => out.push(`${label}: ${msg}`);
  const where = change === null ? 'none'
    : change.store.startsWith('c:') ? 'record'
      : change.store === 'audit' ? 'audit' : 'keys';
  // A change to one record must leave the store, and every other record, as they were.
  const strict = where === 'none' || where === 'record';
  const touched = (/** @type {string} */ c, /** @type {unknown} */ id) =>
    change !== null && change.store === recordStoreOf(c) && (id === change.key || genuine(c, id) === undefined);
  const typed = (/** @type {any} */ r, /** @type {string} */ what) => {
    if (!r.error.typed) say(`${what} threw an untyped error (${r.error.code})`);
    return r.error.typed;
  };

  if (o.open) {
    if (!typed({ error: o.open }, 'open')) return out;
    if (!OPEN_CODES.includes(o.open.code)) say(`open rejected with ${o.open.code}, not one of ${OPEN_CODES.join(', ')}`);
    else if (strict) say(`open rejected with ${o.open.code}: one record altered made the whole store unusable`);
    return out;
  }

  if (o.keyStatus.error) {
    if (typed(o.keyStatus, 'keyStatus()') && strict) say(`keyStatus() failed (${o.keyStatus.error.code})`);
  } else if (baseline && !same(o.keyStatus.value, baseline.keyStatus.value)) {
    const before = new Set(baseline.keyStatus.value.keys.map(show));
    const after = new Set(o.keyStatus.value.keys.map(show));
    say(`keyStatus() changed: now ${show([...after].filter((k) => !before.has(k)).map((k) => JSON.parse(k)))}, `
      + `was ${show([...before].filter((k) => !after.has(k)).map((k) => JSON.parse(k)))}, rotation ${show(o.keyStatus.value.rotation)}`);
  }

  for (const [c, id, r] of o.gets) {
    const g = genuine(c, id);
    const what = `get('${c}', ${show(id)})`;
    if (r.error) {
      if (!typed(r, what)) continue;
      if (strict && !touched(c, id)) say(`${what} of an untouched record failed (${r.error.code})`);
      else if (where === 'record' && r.error.code !== 'AUTH_FAILED') say(`${what} failed with ${r.error.code}, not AUTH_FAILED`);
    } else if (r.value === undefined) {
      if (rawIds(snapshot, c).includes(id)) say(`${what} resolved undefined for a stored record`);
    } else if (g === undefined) {
      say(`${what} returned a record never written: ${show(r.value)}`);
    } else if (!same(r.value, g)) {
      say(`${what} returned ${show(r.value)}`);
    }
  }

  for (const [c, r] of Object.entries(o.lists)) {
    const what = `list('${c}')`;
    if (r.error) {
      if (typed(r, what) && strict) say(`${what} failed (${r.error.code})`);
      continue;
    }
    const returned = new Set();
    for (const rec of r.value) {
      returned.add(rec.id);
      const g = genuine(c, rec.id);
      if (g === undefined) say(`${what} returned a record never written: ${show(rec)}`);
      else if (!same(rec, g)) say(`${what} returned ${show(rec)}`);
    }
    if (!strict) continue;
    for (const id of rawIds(snapshot, c)) {
      if (returned.has(id) || !askable(id)) continue;
      if (!touched(c, id)) say(`${what} left out the untouched record ${show(id)}`);
      else if (!o.unreadable.some((/** @type {any} */ e) => e.collection === c && e.id === id)) {
        say(`${what} left out ${show(id)} without an 'unreadable' event`);
      }
    }
  }

  for (const [[c, field, value], r] of o.finds) {
    const what = `findBy('${c}', '${field}', ${show(value)})`;
    if (r.error) {
      if (typed(r, what) && strict) say(`${what} failed (${r.error.code})`);
      continue;
    }
    const ids = r.value.map((/** @type {any} */ rec) => rec.id);
    for (const rec of r.value) {
      const g = genuine(c, rec.id);
      if (g === undefined) say(`${what} returned a record never written: ${show(rec)}`);
      else if (!same(rec, g)) say(`${what} returned ${show(rec)}`);
      else if (g[field] !== value) say(`${what} returned ${show(rec.id)}, which does not match`);
    }
    if (!strict) continue;
    for (const [id, rec] of RECORDS[/** @type {keyof typeof RECORDS} */ (c)]) {
      if (rec[field] === value && !touched(c, id) && !ids.includes(id)) say(`${what} missed the untouched record ${show(id)}`);
    }
  }

  const logTouched = change !== null && (change.store === 'audit' || (change.store === 'meta' && change.key === 'auditHead'));
  if (o.verify.error) {
    if (typed(o.verify, 'verifyAuditLog()') && strict) say(`verifyAuditLog() failed (${o.verify.error.code})`);
  } else if (logTouched) {
    if (o.verify.value?.ok !== false) say(`verifyAuditLog() is ${show(o.verify.value)} for a changed log`);
  } else if (change === null ? o.verify.value?.ok !== true : !same(o.verify.value, baseline.verify.value)) {
    say(`verifyAuditLog() is ${show(o.verify.value)} for an untouched log`);
  }

  if (o.probe.error) {
    if (typed(o.probe, 'a new put') && strict) say(`a new put failed (${o.probe.error.code})`);
  } else if (baseline && !same(o.probe.value, baseline.probe.value)) {
    say(`a new put was sealed under key ids ${show(o.probe.value)}, not ${show(baseline.probe.value)}`);
  }
  return out;
}

/**
 * Copies of every record under a new id, as an attacker would make them:
 * as it is, with an attacker's field added, with a plain field changed.
 * @returns {Array<{ store: string, key: unknown, label: string, entry: [unknown, any] }>}
 */
export function copiesUnderNewIds(snapshot) {
  const out = [];
  for (const c of Object.keys(RECORDS)) {
    for (const [id, value] of snapshot.stores.find((s) => s.name === recordStoreOf(c))?.entries ?? []) {
      const newId = typeof id === 'number' ? id + 1000 : `${id}-copy`;
      const variants = {
        'as it is': { ...value, id: newId },
        'with an attacker field': { ...value, id: newId, admin: true },
        'with a plain field changed': { ...value, id: newId, name: 'Mallory', city: 'Rome' },
      };
      for (const [how, copy] of Object.entries(variants)) {
        out.push({ store: recordStoreOf(c), key: newId, label: `${recordStoreOf(c)}[${show(id)}] copied to ${show(newId)} ${how}`, entry: [newId, copy] });
      }
    }
  }
  return out;
}

/** `snapshot` with `entry` added to object store `store`. */
export function withEntry(snapshot, store, entry) {
  return { ...snapshot, stores: snapshot.stores.map((s) => (s.name === store ? { ...s, entries: [...s.entries, entry] } : s)) };
}

/**
 * The log cut at every length from the end, down to nothing, with the head
 * kept beside it in `meta` (format 1's 'auditHead') rewritten to match when
 * there is one: finding 3 of issue 14, as copies to observe.
 * @returns {Array<{ change: { store: string, key: null, path: never[], kind: string, label: string }, copy: any }>}
 */
export function cutsOfTheLog(snapshot) {
  const entries = snapshot.stores.find((s) => s.name === 'audit')?.entries ?? [];
  const head = snapshot.stores.find((s) => s.name === 'meta')?.entries.find(([key]) => key === 'auditHead');
  return entries.map((_, i) => {
    const kept = entries.slice(0, entries.length - 1 - i);
    const last = kept.at(-1)?.[1];
    const stores = snapshot.stores.map((s) => {
      if (s.name === 'audit') return { ...s, entries: kept };
      if (s.name !== 'meta' || !head) return s;
      const rest = s.entries.filter(([key]) => key !== 'auditHead');
      return { ...s, entries: last ? [...rest, ['auditHead', { ...head[1], seq: last.seq, mac: last.mac }]] : rest };
    });
    const kind = `cut to ${kept.length} entries`;
    return { change: { store: 'audit', key: null, path: [], kind, label: `audit ${kind}` }, copy: { ...snapshot, stores } };
  });
}

/**
 * One failure message for the changes that broke the contract: grouped by
 * where and how, then the first answers.
 * @param {Array<{ m: { store: string, path: Array<string | number>, kind: string }, violations: string[] }>} broken
 * @param {number} total changes tried
 */
export function report(broken, total) {
  const groups = new Map();
  for (const { m } of broken) {
    const where = `${m.store} ${m.path.map((p) => (typeof p === 'number' ? '[i]' : `.${p}`)).join('') || '(whole value)'} ${m.kind}`;
    groups.set(where, (groups.get(where) ?? 0) + 1);
  }
  const answers = broken.flatMap((b) => b.violations);
  return `${broken.length} of ${total} changes got an answer that is neither the genuine record nor a typed EnveilError `
    + `(${answers.length} answers). By where and how (× entries):\n${[...groups].map(([k, n]) => `  ${k} × ${n}`).join('\n')}`
    + `\nFirst answers:\n  ${answers.slice(0, 30).join('\n  ')}`;
}
