// What the writers of files next to a target share (the command line's
// atomic outputs, the vault file and its lock): whether the process a
// leftover names still runs, and how a target's name appears in the names
// of its temporary files.
import { createHash } from 'node:crypto';

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
