/**
 * Where output goes: stdout, an atomic file (atomic-file.js), or a character
 * device or FIFO written in place.
 * @module
 */
import { constants, promises as fsp, fstat } from 'node:fs';
import { promisify } from 'node:util';
import { CliError, EXIT, ioError } from '../exit.js';
import { pauseBeforeDeviceOpen, testPause } from '../test-hooks.js';
import { atomicFile } from './atomic-file.js';
import { writeAll } from './write-all.js';

/**
 * The mode of every file `-o` creates, whatever the umask: a sealed file
 * still shows names, key ids, contexts and sizes (and a sealed .env its
 * comments), an opened one is plaintext. Whoever shares a file chmods it.
 */
const OUTPUT_MODE = 0o600;

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
function stdoutSink() {
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
 * atomic file, mode 0600. A character device or FIFO (/dev/null, a named
 * pipe) is written in place, like stdout: renaming a file over it would turn
 * it into a plaintext file. A symbolic link is refused, whatever it points
 * to: -o never writes through one (to a FIFO someone else reads, or to a
 * file in place), nor replaces one with a file. The system's names of this
 * process's own descriptors are the exception (below). Anything else (a
 * directory, a socket, a block device) is refused.
 * @param {string | undefined} output undefined or '-' for stdout
 * @returns {Promise<Sink>}
 */
export async function outputSink(output) {
  if (output === undefined || output === '-') return stdoutSink();
  const fd = process.platform === 'win32' ? null : descriptorOf(output);
  if (fd === 1) return stdoutSink();
  if (fd !== null) return deviceSink(output, await givenDescriptorStat(output, fd), { follow: true });
  let st = null;
  try {
    st = await fsp.lstat(output);
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw ioError('cannot write', output, err);
  }
  // Whatever is put at OUTPUT since the lstat, the rename replaces it: it is
  // never opened.
  if (st === null || st.isFile()) return atomicFile(output, { mode: OUTPUT_MODE, exactMode: true });
  if (st.isSymbolicLink()) throw symlinkRefused(output);
  if (!writtenInPlace(st)) throw notWritable(output);
  return deviceSink(output, st, { follow: false });
}

/**
 * The descriptor that `output` names through the system's aliases of a
 * process's own descriptors (/dev/stdout, /dev/stderr, /dev/fd/N,
 * /proc/self/fd/N, what a shell's `>(cmd)` gives), or null. These are
 * symbolic links the system keeps (or, on macOS, device nodes), which no
 * other user can plant.
 * @param {string} output
 */
function descriptorOf(output) {
  if (output === '/dev/stdout') return 1;
  if (output === '/dev/stderr') return 2;
  const m = /^\/(?:dev\/fd|proc\/self\/fd)\/(\d{1,9})$/.exec(output);
  return m ? Number(m[1]) : null;
}

/**
 * The fstat of descriptor `fd`, which this process was given; it must be a
 * FIFO or a character device.
 * @param {string} output
 * @param {number} fd
 */
async function givenDescriptorStat(output, fd) {
  let st;
  try {
    st = await promisify(fstat)(fd);
  } catch (err) {
    throw ioError('cannot write', output, err);
  }
  if (!writtenInPlace(st)) throw new CliError(EXIT.IO, `cannot write ${output}: descriptor ${fd} is not a FIFO or a character device (use -o - for stdout)`);
  return st;
}

/**
 * A FIFO or character device opened for writing in place: no O_CREAT, no
 * O_TRUNC (the device or pipe that is there, as it is); O_NOFOLLOW, so a link
 * put there since the check is refused, unless `follow` (one of this
 * process's descriptors, named through the system's alias). The file opened
 * must be the file checked (same device and inode, by fstat of the open
 * descriptor), else nothing is written: something else was put there.
 * @param {string} output
 * @param {import('node:fs').Stats} checked
 * @param {{ follow: boolean }} options
 * @returns {Promise<Sink>}
 */
async function deviceSink(output, checked, { follow }) {
  if (pauseBeforeDeviceOpen()) await testPause(`before opening ${output}`);
  let fh;
  try {
    fh = await fsp.open(output, constants.O_WRONLY | (constants.O_NOCTTY ?? 0) | (follow ? 0 : constants.O_NOFOLLOW ?? 0));
    const opened = await fh.stat();
    if (opened.dev !== checked.dev || opened.ino !== checked.ino || !writtenInPlace(opened)) {
      throw new CliError(EXIT.IO, `cannot write ${output}: it was replaced between its check and its open (by another process); nothing was written`);
    }
  } catch (err) {
    await fh?.close().catch(() => {});
    if (err instanceof CliError) throw err;
    if (!follow && /** @type {NodeJS.ErrnoException} */ (err).code === 'ELOOP') throw symlinkRefused(output);
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

/** @param {import('node:fs').Stats} st */
const writtenInPlace = (st) => st.isCharacterDevice() || st.isFIFO();

/** @param {string} output */
const notWritable = (output) => new CliError(EXIT.IO, `cannot write ${output}: not a regular file, a character device or a FIFO`);

/** @param {string} output */
const symlinkRefused = (output) => new CliError(EXIT.IO, `${output} is a symbolic link: refused (-o neither writes through a link nor replaces one); give the path it points to`);
