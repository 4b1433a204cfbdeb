/**
 * Bounded-memory input and crash-safe output for the command line.
 *
 * Inputs are read on demand (`read(n)` returns n bytes, fewer only at the
 * end), from a file or stdin, so memory never depends on the input's size.
 * File outputs go to a temporary file in the target's directory (created
 * exclusively, with the final mode), which is fsynced, renamed over the
 * target, and the directory fsynced: readers see the old file or the whole
 * new one, never a part. On any failure the temporary file is removed, and
 * so it is when SIGINT, SIGTERM or SIGHUP ends the process (exit 128 + the
 * signal's number).
 * @module
 */
import { constants, promises as fsp, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { CliError, EXIT, ioError } from './exit.js';

/**
 * Test-only hooks (never documented for users):
 *   ENVEIL_TEST_PAUSE_AFTER_WRITE=1  pause after the first write to each
 *                                    temporary file (the signal tests)
 *   ENVEIL_TEST_PAUSE_MS=N           how long a pause lasts (default 60 s)
 *   ENVEIL_TEST_RESUME_FILE=PATH     a pause ends as soon as PATH exists
 *                                    (then it is removed), so a test that
 *                                    acts during the pause never races it
 * A pause announces itself on stderr ("enveil: test pause ...").
 * @param {string} what
 */
export async function testPause(what) {
  const v = process.env.ENVEIL_TEST_PAUSE_MS;
  const ms = v !== undefined && /^\d+$/.test(v) ? Number(v) : 60_000;
  const resume = process.env.ENVEIL_TEST_RESUME_FILE;
  process.stderr.write(`enveil: test pause ${what}\n`);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (resume && (await fsp.rm(resume).then(() => true, () => false))) return;
    await new Promise((resolve) => setTimeout(resolve, resume ? 10 : until - Date.now()));
  }
}

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
 * @typedef {object} Source
 * @property {string} name for messages
 * @property {import('node:fs').Stats} [stat] a file's fstat, taken when it was opened
 * @property {(n: number) => Promise<Uint8Array>} read n bytes, fewer only at the end
 * @property {(bytes: Uint8Array) => void} unread puts bytes back in front
 * @property {() => Promise<void>} close
 */

/**
 * A file, or stdin for '-' or undefined.
 * @param {string | undefined} file
 * @param {{ noFollow?: boolean }} [options] noFollow: refuse a symbolic link
 *   (O_NOFOLLOW, where the platform has it)
 * @returns {Promise<Source>}
 */
export async function openSource(file, { noFollow = false } = {}) {
  if (file === undefined || file === '-') return iterableSource('stdin', process.stdin);
  let fh;
  let st;
  try {
    fh = await fsp.open(file, constants.O_RDONLY | (noFollow ? constants.O_NOFOLLOW ?? 0 : 0));
    st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (err) {
    await fh?.close();
    throw ioError('cannot read', file, err);
  }
  const handle = fh;
  /** @type {Uint8Array[]} */
  const front = [];
  return {
    name: file,
    stat: st,
    async read(n) {
      const out = new Uint8Array(n);
      let got = 0;
      while (front.length > 0 && got < n) {
        const head = /** @type {Uint8Array} */ (front[0]);
        const take = Math.min(head.length, n - got);
        out.set(head.subarray(0, take), got);
        got += take;
        if (take === head.length) front.shift();
        else front[0] = head.subarray(take);
      }
      while (got < n) {
        let bytesRead;
        try {
          ({ bytesRead } = await handle.read(out, got, n - got, null));
        } catch (err) {
          throw ioError('cannot read', file, err);
        }
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === n ? out : out.subarray(0, got);
    },
    unread(bytes) {
      if (bytes.length > 0) front.unshift(bytes);
    },
    close: () => handle.close(),
  };
}

/**
 * @param {string} name
 * @param {AsyncIterable<Uint8Array>} iterable
 * @returns {Source}
 */
function iterableSource(name, iterable) {
  const it = iterable[Symbol.asyncIterator]();
  /** @type {Uint8Array[]} */
  const pending = [];
  let pendingBytes = 0;
  let done = false;
  return {
    name,
    async read(n) {
      while (pendingBytes < n && !done) {
        let next;
        try {
          next = await it.next();
        } catch (err) {
          throw ioError('cannot read', name, err);
        }
        if (next.done) done = true;
        else if (next.value.length > 0) {
          pending.push(next.value);
          pendingBytes += next.value.length;
        }
      }
      const size = Math.min(n, pendingBytes);
      const out = new Uint8Array(size);
      let got = 0;
      while (got < size) {
        const head = /** @type {Uint8Array} */ (pending[0]);
        const take = Math.min(head.length, size - got);
        out.set(head.subarray(0, take), got);
        got += take;
        if (take === head.length) pending.shift();
        else pending[0] = head.subarray(take);
      }
      pendingBytes -= size;
      return out;
    },
    unread(bytes) {
      if (bytes.length === 0) return;
      pending.unshift(bytes);
      pendingBytes += bytes.length;
    },
    async close() {
      await it.return?.();
    },
  };
}

/**
 * @typedef {object} Sink
 * @property {string} name for messages
 * @property {(bytes: Uint8Array) => Promise<void>} write
 * @property {(hooks?: { beforeRename?: () => Promise<void> }) => Promise<void>} commit makes the output final
 * @property {() => Promise<void>} abort removes what was written, where it can
 */

/**
 * stdout: each write waits until the bytes are handed to the OS (bounded
 * memory). Not atomic: a reader sees what was written before a failure.
 * @returns {Sink}
 */
export function stdoutSink() {
  return {
    name: 'stdout',
    write: (bytes) => new Promise((resolve, reject) => {
      process.stdout.write(bytes, (err) => (err ? reject(ioError('cannot write', 'stdout', err)) : resolve()));
    }),
    commit: async () => {},
    abort: async () => {},
  };
}

/**
 * Where `-o OUT` writes. A regular file (or a name not taken yet) gets an
 * atomic file (below). A character device or FIFO (/dev/stdout, /dev/null,
 * a named pipe) is written in place, like stdout: renaming a file over it
 * would turn it into a plaintext file. Anything else (a directory, a socket,
 * a block device) is refused.
 * @param {string | undefined} output undefined or '-' for stdout
 * @param {{ mode: number }} options for a new file
 * @returns {Promise<Sink>}
 */
export async function outputSink(output, { mode }) {
  if (output === undefined || output === '-') return stdoutSink();
  let st = null;
  try {
    st = await fsp.stat(output);
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw ioError('cannot write', output, err);
  }
  if (st === null || st.isFile()) return atomicFile(output, { mode });
  if (!st.isCharacterDevice() && !st.isFIFO()) {
    throw new CliError(EXIT.IO, `cannot write ${output}: not a regular file, a character device or a FIFO`);
  }
  let fh;
  try {
    // No O_CREAT, no O_TRUNC: the device or pipe that is there, as it is.
    fh = await fsp.open(output, constants.O_WRONLY | (constants.O_NOCTTY ?? 0));
  } catch (err) {
    throw ioError('cannot write', output, err);
  }
  const handle = fh;
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await handle.close().catch(() => {});
    }
  };
  return {
    name: output,
    write: (bytes) => writeAll(handle, bytes, output),
    commit: close,
    abort: close,
  };
}

/**
 * Writes all of `bytes` (a write may take fewer).
 * @param {import('node:fs/promises').FileHandle} handle
 * @param {Uint8Array} bytes
 * @param {string} name for the error
 */
async function writeAll(handle, bytes, name) {
  try {
    let at = 0;
    while (at < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, at, bytes.length - at);
      at += bytesWritten;
    }
  } catch (err) {
    throw ioError('cannot write', name, err);
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
 * @returns {Promise<Sink & { tempPath: string }>}
 */
export async function atomicFile(target, { mode, exactMode = false, replace = true, owner }) {
  const dir = path.dirname(path.resolve(target));
  const base = tempBase(path.basename(target));
  await removeLeftovers(dir, base);
  const tempPath = path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.enveil-tmp`);
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
  let pauseAfterWrite = process.env.ENVEIL_TEST_PAUSE_AFTER_WRITE === '1';
  const removeTemp = async () => {
    if (open) {
      open = false;
      await handle.close().catch(() => {});
    }
    await fsp.unlink(tempPath).catch(() => {});
    untrackTemp(tempPath);
  };
  return {
    name: target,
    tempPath,
    async write(bytes) {
      await writeAll(handle, bytes, target);
      if (pauseAfterWrite) {
        pauseAfterWrite = false;
        await testPause(`after writing to ${tempPath}`);
      }
    },
    async commit({ beforeRename } = {}) {
      try {
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
      await syncDirectory(dir);
    },
    abort: removeTemp,
  };
}

/**
 * Whether process `pid` exists (signal 0 checks without sending anything;
 * EPERM means it exists under another user).
 * @param {number} pid
 */
function processAlive(pid) {
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
function tempBase(name) {
  return Buffer.byteLength(name) <= 128 ? name : `~${createHash('sha256').update(name).digest('hex').slice(0, 24)}`;
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
 * @param {string} base
 */
async function removeLeftovers(dir, base) {
  let names;
  try {
    names = await fsp.readdir(dir);
  } catch {
    return; // the open of the temporary file reports what is wrong
  }
  const prefix = `.${base}.`;
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d{1,10})\.[0-9a-f]{12}\.enveil-tmp$/.exec(name.slice(prefix.length)) : null;
    if (!m) continue;
    const leftover = path.join(dir, name);
    const pid = Number(m[1]);
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

/**
 * Copies everything `source` has left to `sink`, `pieceBytes` at a time.
 * @param {Source} source
 * @param {Sink} sink
 * @param {number} pieceBytes
 */
export async function copyRest(source, sink, pieceBytes) {
  for (;;) {
    const piece = await source.read(pieceBytes);
    if (piece.length > 0) await sink.write(piece);
    if (piece.length < pieceBytes) return;
  }
}

/**
 * The whole of a small text file or stdin (for .env files).
 * @param {string | undefined} file
 * @returns {Promise<string>}
 */
export async function readText(file) {
  if (file === undefined || file === '-') {
    /** @type {Buffer[]} */
    const parts = [];
    for await (const part of process.stdin) parts.push(part);
    return decodeUtf8(Buffer.concat(parts), 'stdin');
  }
  try {
    return decodeUtf8(await fsp.readFile(file), file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw ioError('cannot read', file, err);
  }
}

/**
 * The rest of `source` as UTF-8 text (for .env files, which are small).
 * @param {Source} source
 */
export async function readSourceText(source) {
  /** @type {Uint8Array[]} */
  const parts = [];
  for (;;) {
    const piece = await source.read(1 << 16);
    parts.push(piece);
    if (piece.length < 1 << 16) break;
  }
  // A byte order mark stays in the text: rotate writes back every byte but
  // the tokens.
  return decodeUtf8(Buffer.concat(parts), source.name, { keepBom: true });
}

/**
 * @param {Uint8Array} bytes
 * @param {string} name
 * @param {{ keepBom?: boolean }} [options]
 */
function decodeUtf8(bytes, name, { keepBom = false } = {}) {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: keepBom }).decode(bytes);
  } catch {
    throw new CliError(EXIT.IO, `cannot read ${name}: not UTF-8 text`);
  }
}

/**
 * Writes `text` to `file` atomically (mode `mode`), or to stdout.
 * @param {string | undefined} file
 * @param {string} text
 * @param {number} mode
 */
export async function writeText(file, text, mode) {
  const sink = await outputSink(file, { mode });
  const bytes = new TextEncoder().encode(text);
  try {
    await sink.write(bytes);
    await sink.commit();
  } catch (err) {
    await sink.abort();
    throw err;
  } finally {
    bytes.fill(0); // env open's plaintext
  }
}
