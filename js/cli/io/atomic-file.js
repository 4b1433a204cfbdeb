/**
 * Crash-safe file output. A temporary file in the target's directory
 * (created exclusively, with the final mode) is fsynced, renamed over the
 * target, and the directory fsynced: readers see the old file or the whole
 * new one, never a part. A large file is flushed as it is written (on
 * Linux), so that the fsync before the rename does not wait for all of it. On any failure the temporary file is removed, and
 * so it is when SIGINT, SIGTERM or SIGHUP ends the process (exit 128 + the
 * signal's number); what a SIGKILL leaves, the next write to the same target
 * removes.
 * @module
 */
import { constants, promises as fsp, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, ioError } from '../exit.js';
import { pauseAfterFirstWrite, testPause } from '../test-hooks.js';
import { writeAll } from './write-all.js';
import { leftoverPid, processAlive, tempNames } from '../../node/processes.js';

/**
 * Bytes written between two flushes of an atomic file while it is written
 * (see atomicFile); 0 for none. Linux only: there fdatasync writes the
 * file's dirty pages back and waits, while macOS would flush the whole
 * drive's cache (F_FULLFSYNC) each time.
 */
const SYNC_EVERY = process.platform === 'linux' ? 16 * 1024 * 1024 : 0;

/**
 * The temporary files this process is writing now: a signal that ends the
 * process removes them first (an `open -o` one holds plaintext). The handlers
 * are installed while at least one is live, so that without one the signals
 * keep their default action.
 * @type {Set<string>}
 */
const liveTemps = new Set();
const SIGNALS = /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']);
let handlersInstalled = false;

/** @param {NodeJS.Signals} signal */
function removeLiveTempsAndExit(signal) {
  for (const temp of liveTemps) {
    try {
      unlinkSync(temp);
    } catch {
      // Already renamed over its target, or removed.
    }
  }
  liveTemps.clear();
  try {
    writeSync(2, `enveil: interrupted by ${signal}; temporary files removed, outputs left as they were\n`);
  } catch {
    // stderr is gone: the exit code still says it.
  }
  process.exit(128 + (os.constants.signals[signal] ?? 0));
}

/** @param {string} temp an absolute path */
function trackTemp(temp) {
  liveTemps.add(temp);
  if (!handlersInstalled) {
    handlersInstalled = true;
    for (const signal of SIGNALS) process.on(signal, removeLiveTempsAndExit);
  }
}

/** @param {string} temp */
function untrackTemp(temp) {
  liveTemps.delete(temp);
  if (liveTemps.size === 0 && handlersInstalled) {
    handlersInstalled = false;
    for (const signal of SIGNALS) process.off(signal, removeLiveTempsAndExit);
  }
}

/**
 * An atomic file output: a temporary file next to `target`
 * (`.NAME.<pid>.<12 hex>.enveil-tmp`), renamed over it on commit. `mode`
 * applies to the new file (0o600 for keys and plaintext), narrowed by the
 * umask unless `exactMode` (rotate keeps a file's mode).
 * @param {string} target
 * @param {{ mode: number, exactMode?: boolean, replace?: boolean, owner?: { uid: number, gid: number } }} options
 *   replace: false refuses an existing target (no overwrite, even in a race);
 *   owner: the owner and group the file gets (rotate keeps a file's), where
 *   this process may give them (root; or its own uid and one of its groups)
 * @returns {Promise<import('./sink.js').Sink>}
 */
export async function atomicFile(target, { mode, exactMode = false, replace = true, owner }) {
  const temps = tempNames(target);
  await removeLeftovers(temps.dir, temps.prefix);
  const tempPath = temps.next();
  // Tracked before it exists: a signal during the open finds nothing to
  // remove (ENOENT), rather than leaving a file nobody tracks.
  trackTemp(tempPath);
  let fh;
  try {
    // O_EXCL: never follow or reuse something already there.
    fh = await fsp.open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    if (owner) await keepOwner(fh, owner);
    if (exactMode) await fh.chmod(mode);
  } catch (err) {
    await fh?.close().catch(() => {});
    if (fh) await fsp.unlink(tempPath).catch(() => {});
    untrackTemp(tempPath);
    throw ioError('cannot write', target, err);
  }
  const handle = fh;
  let open = true;
  let pauseAfterWrite = pauseAfterFirstWrite();
  // Written data is flushed while more is written (fdatasync on the thread
  // pool every SYNC_EVERY bytes, one at a time), so that the fsync before
  // the rename finds little left to do. A failure of one is the commit's.
  let unsynced = 0;
  /** @type {Promise<void> | null} */
  let syncing = null;
  /** @type {unknown} */
  let syncError = null;
  const syncBehind = () => {
    unsynced = 0;
    syncing = handle.datasync().then(
      () => { syncing = null; },
      (err) => { syncError ??= err; syncing = null; },
    );
  };
  const removeTemp = async () => {
    await syncing;
    if (open) {
      open = false;
      await handle.close().catch(() => {});
    }
    await fsp.unlink(tempPath).catch(() => {});
    untrackTemp(tempPath);
  };
  return {
    name: target,
    async write(bytes) {
      await writeAll(handle, bytes, target);
      unsynced += bytes.length;
      if (SYNC_EVERY > 0 && unsynced >= SYNC_EVERY && syncing === null) syncBehind();
      if (pauseAfterWrite) {
        pauseAfterWrite = false;
        await testPause(`after writing to ${tempPath}`);
      }
    },
    async commit({ beforeRename } = {}) {
      try {
        await syncing;
        if (syncError !== null) throw syncError;
        await handle.sync();
        open = false;
        await handle.close();
        await beforeRename?.();
        if (replace) {
          await fsp.rename(tempPath, target);
        } else {
          // link() fails if the target exists: no overwrite, even in a race.
          await fsp.link(tempPath, target);
          await fsp.unlink(tempPath);
        }
        untrackTemp(tempPath);
      } catch (err) {
        await removeTemp();
        if (err instanceof CliError) throw err;
        throw ioError('cannot write', target, err);
      }
      await syncDirectory(temps.dir);
    },
    abort: removeTemp,
  };
}

/**
 * Gives the new file `owner`'s uid and gid where the system lets this process
 * do so; where it does not (EPERM: not root), the file stays this process's.
 * Before the chmod, which a chown may clear set-id bits of.
 * @param {import('node:fs/promises').FileHandle} fh
 * @param {{ uid: number, gid: number }} owner
 */
async function keepOwner(fh, owner) {
  try {
    await fh.chown(owner.uid, owner.gid);
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    if (code !== 'EPERM' && code !== 'ENOSYS' && code !== 'EINVAL') throw err;
  }
}

/**
 * Removes the temporary files a killed run left for `base` in `dir` (a
 * SIGKILL, or a crash of the machine, cannot clean up after itself; an
 * `open -o` one holds plaintext). A temporary file belongs to the process
 * whose PID is in its name: it is left alone while that process runs (it may
 * be writing the same target right now), unless the PID is this process's own
 * and the file is not one this process is writing (a dead process that had
 * the same PID). Each removal is reported on stderr by name; a leftover that
 * cannot be removed is reported and the write goes on.
 * @param {string} dir
 * @param {string} prefix the target's temporary-name prefix (tempNames)
 */
async function removeLeftovers(dir, prefix) {
  let names;
  try {
    names = await fsp.readdir(dir);
  } catch {
    return; // the open of the temporary file reports what is wrong
  }
  for (const name of names) {
    const pid = leftoverPid(name, prefix);
    if (pid === null) continue;
    const leftover = path.join(dir, name);
    if (liveTemps.has(leftover)) continue;
    if (pid !== process.pid && processAlive(pid)) continue;
    try {
      await fsp.unlink(leftover);
      process.stderr.write(`enveil: removed ${leftover}, a temporary file left by an interrupted run\n`);
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') continue; // another run removed it
      process.stderr.write(`enveil: warning: ${ioError('cannot remove', leftover, err).message}; it is a temporary file left by an interrupted run: remove it by hand\n`);
    }
  }
}

/**
 * Makes a rename in `dir` durable. Some platforms cannot open or fsync a
 * directory (Windows); there the rename is as durable as the OS makes it.
 * @param {string} dir
 */
async function syncDirectory(dir) {
  let fh;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES'].includes(code ?? '')) throw ioError('cannot sync directory', dir, err);
  } finally {
    await fh?.close();
  }
}

