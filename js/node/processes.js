// What the writers of files next to a target share (the command line's
// atomic outputs, the vault file and its lock): whether the process a
// leftover names still runs, and how a target's name appears in the names
// of its temporary files.
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * Whether process `pid` exists (signal 0 checks without sending anything;
 * EPERM means it exists under another user).
 * @param {number} pid
 */
export function processAlive(pid) {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code !== 'ESRCH';
  }
}

/**
 * The target's name as it appears in its temporary files' names: as it is
 * when short, else a hash of it, so that a name near the system's limit
 * (255 bytes) still leaves room for `.<pid>.<12 hex>.enveil-tmp`.
 * @param {string} name
 */
export function tempBase(name) {
  return Buffer.byteLength(name) <= 128 ? name : `~${createHash('sha256').update(name).digest('hex').slice(0, 24)}`;
}

/**
 * The temporary files of `target`: where they go, the prefix their names
 * start with, and a new one's path, `.NAME.<pid>.<12 hex>.enveil-tmp` (the
 * command line's outputs and the vault file share it, so either side's
 * cleanup recognises the other's leftovers).
 * @param {string} target
 */
export function tempNames(target) {
  const dir = path.dirname(path.resolve(target));
  const prefix = `.${tempBase(path.basename(target))}.`;
  return { dir, prefix, next: () => path.join(dir, `${prefix}${process.pid}.${randomBytes(6).toString('hex')}.enveil-tmp`) };
}

/**
 * The PID in the name of a temporary file `<prefix><pid>.<12 hex><suffix>`,
 * or null when `name` is not one.
 * @param {string} name @param {string} prefix @param {string} [suffix]
 */
export function leftoverPid(name, prefix, suffix = '.enveil-tmp') {
  if (!name.startsWith(prefix) || !name.endsWith(suffix)) return null;
  const m = /^(\d{1,10})\.[0-9a-f]{12}$/.exec(name.slice(prefix.length, name.length - suffix.length));
  return m ? Number(m[1]) : null;
}
