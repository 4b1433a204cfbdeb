// The audit log: entries chained by HMAC-SHA256 under the keyring's audit
// key, each MAC over the previous MAC and the entry, appended in one
// transaction with the manifest that records the head (seq and MAC of the
// last entry), so entries from several instances chain in order and a log
// cut short or emptied does not verify.
import { EnveilError } from '../errors.js';
import { limits } from '../internal/limits.js';
import { equalInConstantTime } from '../internal/encoding.js';
import { canonical } from './record-codec.js';
import { AUDIT } from './database.js';
import { commitManifest } from './manifest.js';
import { syncKeyring, writeManifest } from './keyring-sync.js';

/** @typedef {import('./session.js').StoreSession} StoreSession */
/**
 * @typedef {object} AuditEntry
 * @property {number} seq 1, 2, 3…
 * @property {number} at milliseconds since the epoch
 * @property {string} event
 * @property {Record<string, unknown>} details never secrets
 * @property {string} mac "<keyId>:<hex>" HMAC-SHA256 chaining this entry to the previous
 */

// The audit key is the index key of scope AUDIT_SCOPE (keyring-sync.js): the
// chain MAC is a full-length blind index of the message under it.
const CHAIN = ['__audit', 'chain'];

/**
 * What an audit entry's MAC covers: the previous MAC and every field.
 * @param {string} prevMac
 * @param {{ seq: number, at: number, event: string, details: Record<string, unknown> }} e
 */
function auditMessage(prevMac, e) {
  // Canonical, not JSON: a value JSON writes alike (a Date and its ISO text,
  // -0 and 0, an undefined member) is not a different entry that verifies.
  return canonical([prevMac, e.seq, e.at, e.event, e.details]);
}

/**
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} prevMac
 * @param {{ seq: number, at: number, event: string, details: Record<string, unknown> }} e
 * @param {number} [keyId] the audit key that made it (default: the current one)
 */
function chainMac(ring, prevMac, e, keyId) {
  return ring.blindIndex(CHAIN[0], CHAIN[1], auditMessage(prevMac, e), keyId === undefined ? { bits: limits().BLIND_INDEX_MAX_BITS } : { bits: limits().BLIND_INDEX_MAX_BITS, keyId });
}

/**
 * Appends an entry to the audit log: `event`, the time, `details` (never
 * secrets: callers pass key ids, expiry times, counts) and its chain MAC.
 * @param {StoreSession} session
 * @param {import('../keyring.js').Keyring} ring
 * @param {string} event
 * @param {Record<string, unknown>} details
 * @returns {Promise<AuditEntry>}
 */
export async function appendAuditEntry(session, ring, event, details) {
  eventArg(event);
  detailsArg(details);
  const entry = /** @type {AuditEntry} */ (await writeManifest(session, [AUDIT], async (tx) => {
    /** @type {AuditEntry | undefined} */
    let e;
    // The head is in the manifest: cutting or emptying the log shows.
    const manifest = await commitManifest(session, tx, ring, async ({ audit }) => {
      e = await addAuditEntry(tx, ring, audit, event, details);
      return { audit: { seq: e.seq, mac: e.mac } };
    }, { rebase: 'audit' });
    return { manifest, result: e };
  }, 'appending to the audit log', 'default'));
  session.emit('audit', entry);
  return entry;
}

/**
 * Adds the entry after `head` inside `tx` (over AUDIT), for a manifest change
 * that records it in the same transaction (returns it: the new head is its
 * seq and mac).
 * @param {import('./database.js').StoreTx} tx
 * @param {import('../keyring.js').Keyring} ring
 * @param {{ seq: number, mac: string }} head
 * @param {string} event
 * @param {Record<string, unknown>} details
 * @returns {Promise<AuditEntry>}
 */
export async function addAuditEntry(tx, ring, head, event, details) {
  /** @type {AuditEntry} */
  const e = { seq: head.seq + 1, at: Date.now(), event, details: { ...details }, mac: '' };
  e.mac = chainMac(ring, head.mac, e);
  await tx.addAuditEntry(e);
  return e;
}

/** @param {unknown} event */
export function eventArg(event) {
  if (typeof event !== 'string' || !event) throw new EnveilError('INVALID_ARGUMENT', 'event must be a non-empty string');
}

/** Details the chain can authenticate: a plain object of JSON values, Dates and bytes. @param {unknown} details */
export function detailsArg(details) {
  const ok = details !== null && typeof details === 'object' && !Array.isArray(details) && (() => {
    try {
      canonical({ ...details });
      return true;
    } catch {
      return false;
    }
  })();
  if (!ok) throw new EnveilError('INVALID_ARGUMENT', 'details must be an object of JSON values, Dates or Uint8Arrays');
}

/**
 * The newest `limit` audit entries at or after `since`, oldest first, once
 * the whole chain verifies (AUTH_FAILED otherwise).
 * @param {StoreSession} session
 * @param {import('../keyring.js').Keyring} ring
 * @param {{ since?: number, limit?: number }} options
 * @returns {Promise<AuditEntry[]>}
 */
export async function readAuditLog(session, ring, { since = 0, limit = 1000 }) {
  // Entries are shown only once the whole chain verifies.
  const { result, entries } = await checkChain(session, ring);
  if (!result.ok) {
    throw new EnveilError('AUTH_FAILED', `the audit log does not verify from entry ${result.seq}: ${result.reason} (verifyAuditLog() reports it)`);
  }
  // The newest `limit` entries (a log only grows), oldest first.
  return entries.filter((e) => e.at >= since).slice(-limit);
}

/**
 * Recomputes the chain: an edited, deleted, inserted or reordered entry, or
 * entries cut from the end, make it fail at the first bad entry.
 * @param {StoreSession} session
 * @param {import('../keyring.js').Keyring} ring
 * @returns {Promise<{ ok: true, entries: number } | { ok: false, entries: number, seq: number, reason: string }>}
 */
export async function verifyAuditChain(session, ring) {
  return (await checkChain(session, ring)).result;
}

/**
 * @param {StoreSession} session
 * @param {import('../keyring.js').Keyring} ring
 * @returns {Promise<{ entries: AuditEntry[], result: { ok: true, entries: number } | { ok: false, entries: number, seq: number, reason: string } }>}
 */
async function checkChain(session, ring) {
  // The head to check against is the newest authenticated manifest's.
  await syncKeyring(session);
  const head = session.currentManifest().audit;
  const entries = await session.db.read([AUDIT], (tx) => tx.auditEntries(), 'reading the audit log');
  let prev = '';
  for (let i = 0; i < entries.length; i++) {
    const e = /** @type {AuditEntry} */ (entries[i] ?? {});
    const fail = (/** @type {string} */ reason) => ({
      ok: /** @type {const} */ (false), entries: entries.length, seq: Number.isSafeInteger(e.seq) ? e.seq : i + 1, reason,
    });
    if (e.seq !== i + 1) return { entries, result: fail(`entry ${i + 1} is missing`) };
    let expected;
    try {
      expected = chainMac(ring, prev, e, Number(String(e.mac).split(':')[0]));
    } catch (err) {
      return { entries, result: fail(err instanceof EnveilError && err.code === 'UNKNOWN_KEY' ? 'entry names no audit key of this store' : 'entry was altered or moved') };
    }
    if (typeof e.mac !== 'string' || !equalInConstantTime(expected, e.mac)) return { entries, result: fail('entry was altered or moved') };
    prev = e.mac;
  }
  const last = entries.length;
  if (head.seq !== last || !equalInConstantTime(head.mac, prev)) {
    return {
      entries,
      result: { ok: false, entries: last, seq: Math.min(last, head.seq) + 1, reason: head.seq > last ? 'entries were removed from the end' : 'the log does not end where the store says it does' },
    };
  }
  return { entries, result: { ok: true, entries: last } };
}

/**
 * Records and announces a finished key rotation.
 * @param {StoreSession} session
 * @param {Record<string, unknown>} details
 */
export async function keyRotated(session, details) {
  if (session.ring) await appendAuditEntry(session, session.ring, 'key-rotated', details);
  session.emit('key-rotated', details);
}
