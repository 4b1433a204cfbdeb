/**
 * An exclusive lock on a file across the processes of one machine, for the
 * duration of one function: the token vault's single flight (8 CI steps
 * started at once refresh one after another, and all but the first find a
 * fresh token). It survives crashes: a lock whose holder is gone is taken
 * over.
 *
 * The lock is the file `${file}.lock`, holding its owner as JSON: PID, a
 * random nonce, host name, and on Linux the boot id and the process's start
 * time (so that a PID reused after a reboot, or by another process, is not
 * mistaken for the holder). It is created whole or not at all: written to a
 * temporary file, then link()ed to its name, which fails with EEXIST when a
 * lock exists (O_EXCL semantics, and never a half-written lock for another
 * process to read).
 *
 * Taking over a stale lock. Several waiters may find the same dead holder at
 * once; none may remove a lock that has meanwhile been taken by a live
 * process. A lock (nonce N) is removed only by the process that creates
 * `${file}.lock.stale-N` (link(), so exactly one succeeds while it exists),
 * and only after reading, with that guard held, that the lock still holds
 * nonce N. That reading stays true until the unlink: a lock with nonce N is
 * never replaced in place (link() cannot overwrite), its dead owner cannot
 * release it, and any other remover would need the same guard. A waiter that
 * comes late, after the guard is gone, reads another nonce (or no lock) and
 * removes nothing. A guard whose creator died is itself stale and is removed
 * the same way (its own guard is named after its own nonce), so a crash at
 * any step leaves nothing that blocks for good.
 *
 * NFS: link() and O_EXCL are atomic on NFSv3 and later, so two hosts never
 * both create the lock; but a PID means something on one host only. A lock
 * written on another host is therefore never taken over (it is waited for,
 * then the wait fails naming the host): a holder that crashed there leaves a
 * lock to remove by hand. Do not share a vault file between hosts over NFS:
 * keep one per runner and move it as a cache or artifact.
 * @module
 */
import { closeSync, constants, fstatSync, linkSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, unlinkSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnveilError } from '../errors.js';
import { leftoverPid, processAlive } from './processes.js';

const DEFAULT_WAIT_MS = 60_000;
const FIRST_POLL_MS = 2;
const MAX_POLL_MS = 100;
/** Guards of guards: each level needs its creator to die within microseconds; a few levels are plenty. */
const MAX_GUARD_DEPTH = 4;

/**
 * @typedef {object} Owner
 * @property {number} pid
 * @property {string} nonce
 * @property {string} host
 * @property {string | null} boot Linux boot id
 * @property {string | null} start the process's start time in clock ticks since boot (Linux)
 * @property {string | null} [ns] the PID namespace (Linux, /proc/self/ns/pid): PIDs of another
 *   namespace (another container on the same host and boot) cannot be checked from here
 */

/** @returns {string | null} */
function bootId() {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Field 22 of /proc/PID/stat (after the command name, which may hold spaces and parentheses). @param {number} pid @returns {string | null} */
function startTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** This process's PID namespace, e.g. "pid:[4026531836]" (Linux), else null. @returns {string | null} */
function pidNamespace() {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

/** @returns {Owner} */
function newOwner() {
  return { pid: process.pid, nonce: randomBytes(16).toString('hex'), host: os.hostname(), boot: bootId(), start: startTime(process.pid), ns: pidNamespace() };
}

/** A lock file is a few hundred bytes; more is not one. */
const MAX_LOCK_BYTES = 4096;

/**
 * The content of the lock file `p`, read without following a symbolic link
 * and without waiting on a FIFO: anything but a small regular file is
 * content that is not an owner. ENOENT when there is none.
 * @param {string} p
 */
function readLockText(p) {
  const fd = openSync(p, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return `not a regular file (${st.mode.toString(8)})`;
    const buf = Buffer.alloc(MAX_LOCK_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, Math.min(n, MAX_LOCK_BYTES + 1)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * What is at `p`: null when nothing is; `{ id, owner }` when a lock is,
 * owner null when its content is not an owner (not ours; it is removable
 * like a dead owner's, under a guard named after its content's hash).
 * @param {string} p
 * @returns {{ id: string, owner: Owner | null } | null}
 */
function readLock(p) {
  let text;
  try {
    text = readLockText(p);
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    if (code === 'ENOENT') return null;
    // A symbolic link at the lock's name: content that is not an owner.
    if (code === 'ELOOP') text = 'a symbolic link';
    else throw err;
  }
  try {
    const o = JSON.parse(text);
    const nullableString = (/** @type {unknown} */ v) => v === null || typeof v === 'string';
    if (Number.isSafeInteger(o?.pid) && o.pid > 0 && typeof o.nonce === 'string' && /^[0-9a-f]{32}$/.test(o.nonce)
      && typeof o.host === 'string' && nullableString(o.boot) && nullableString(o.start) && (o.ns === undefined || nullableString(o.ns))) {
      return { id: o.nonce, owner: o };
    }
  } catch {
    // not JSON
  }
  return { id: createHash('sha256').update(text).digest('hex').slice(0, 32), owner: null };
}

/** Whether `owner` is gone for sure; a lock from another host cannot be checked, so it is live. @param {Owner | null} owner */
function isStale(owner) {
  if (owner === null) return true;
  if (owner.host !== os.hostname()) return false;
  // Another PID namespace (a container beside this one): its PIDs mean
  // nothing here, so its lock is never taken over.
  const ns = pidNamespace();
  if (owner.ns && ns && owner.ns !== ns) return false;
  const boot = bootId();
  if (owner.boot && boot && owner.boot !== boot) return true;
  if (!processAlive(owner.pid)) return true;
  // The PID runs, but is it the same process? (a PID reused since)
  const start = owner.start ? startTime(owner.pid) : null;
  return start !== null && start !== owner.start;
}

/**
 * Creates `p` with `owner` as its content, whole, unless something is there.
 * @param {string} p @param {Owner} owner @returns {boolean} created
 */
function createExclusive(p, owner) {
  const temp = `${p}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    const bytes = Buffer.from(JSON.stringify(owner));
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, p);
    return true;
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(temp);
  }
}

/** @param {string} p */
function unlinkIfThere(p) {
  try {
    unlinkSync(p);
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw err;
  }
}

/**
 * Removes the lock (or guard) at `p` if its owner is gone, under the guard
 * described at the top of this file.
 * @param {string} lockPath the lock's own path (guards are named after it)
 * @param {string} p
 * @param {number} depth
 * @returns {Owner | null | undefined} the live owner, or undefined when `p` is gone now (removed here or by another)
 */
function removeIfStale(lockPath, p, depth = 0) {
  const found = readLock(p);
  if (found === null) return undefined;
  if (!isStale(found.owner)) return found.owner;
  const guard = `${lockPath}.stale-${found.id}`;
  if (createExclusive(guard, newOwner())) {
    try {
      if (readLock(p)?.id === found.id) unlinkIfThere(p);
    } finally {
      unlinkIfThere(guard);
    }
    return undefined;
  }
  // Another waiter is removing it; or died doing so: then its guard is stale.
  if (depth < MAX_GUARD_DEPTH) removeIfStale(lockPath, guard, depth + 1);
  return found.owner;
}

/** Temporary files and guards that killed processes left next to `lockPath`. @param {string} lockPath */
function removeLeftovers(lockPath) {
  const dir = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.`;
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const pid = leftoverPid(name, prefix, '.tmp');
    try {
      if (pid !== null && pid !== process.pid && !processAlive(pid)) unlinkIfThere(path.join(dir, name));
      else if (/^stale-[0-9a-f]{32}$/.test(rest)) removeIfStale(lockPath, path.join(dir, name), 1);
    } catch {
      // best effort: a leftover does not block the lock
    }
  }
}

/**
 * Runs `fn` while holding the lock of `file` (the file `${file}.lock`),
 * waiting for a live holder up to `waitMs`, taking over the lock of one that
 * is gone; releases it afterwards, whatever `fn` did (only if it is still
 * this call's: compared by nonce).
 *
 * Fails with EnveilError `STORAGE_FAILED` when the wait ends (the message
 * names the holder's PID and host; `cause.code` is `'ELOCKED'`), or when the
 * lock cannot be created at all (`cause` is the file system's error).
 * @template T
 * @param {string} file the file the lock protects (it need not exist)
 * @param {() => Promise<T> | T} fn
 * @param {{ waitMs?: number }} [options] waitMs: how long to wait for a live holder
 *   @default { waitMs: 60000 }
 * @returns {Promise<T>}
 * @since 0.2.0
 */
export async function withFileLock(file, fn, { waitMs = DEFAULT_WAIT_MS } = {}) {
  if (typeof file !== 'string' || file.length === 0) throw new EnveilError('INVALID_ARGUMENT', 'file: expected a non-empty path');
  if (typeof fn !== 'function') throw new EnveilError('INVALID_ARGUMENT', 'fn: expected a function');
  if (typeof waitMs !== 'number' || !(waitMs >= 0)) throw new EnveilError('INVALID_ARGUMENT', 'waitMs: expected a number of milliseconds, 0 or more');
  const lockPath = `${path.resolve(file)}.lock`;
  const me = newOwner();
  const deadline = Date.now() + waitMs;
  let poll = FIRST_POLL_MS;
  let leftoversRemoved = false;
  for (;;) {
    /** @type {Owner | null | undefined} */
    let holder;
    try {
      if (createExclusive(lockPath, me)) break;
      holder = removeIfStale(lockPath, lockPath);
      if (!leftoversRemoved) {
        leftoversRemoved = true;
        removeLeftovers(lockPath);
      }
    } catch (err) {
      const code = /** @type {NodeJS.ErrnoException} */ (err)?.code;
      throw new EnveilError('STORAGE_FAILED', `cannot lock ${file}${code ? ` (${code})` : ''}`, { cause: err });
    }
    if (holder === undefined) continue; // gone now: try again at once
    const left = deadline - Date.now();
    if (left <= 0) {
      const who = holder ? `process ${holder.pid} on ${holder.host === os.hostname() ? 'this host' : `host ${holder.host}`}` : 'another process';
      throw new EnveilError('STORAGE_FAILED', `${file} is locked by ${who}; waited ${waitMs} ms (a lock whose process ended is taken over by the next run; one from another host must be removed by hand: ${lockPath})`,
        { cause: Object.assign(new Error('locked'), { code: 'ELOCKED' }) });
    }
    // Jittered, so that waiters that arrived together do not poll together.
    await sleep(Math.min(left, poll * (0.5 + Math.random())));
    poll = Math.min(poll * 2, MAX_POLL_MS);
  }
  try {
    return await fn();
  } finally {
    try {
      if (readLock(lockPath)?.id === me.nonce) unlinkIfThere(lockPath);
    } catch {
      // Left in place: the next run finds this process gone and takes it over.
    }
  }
}
