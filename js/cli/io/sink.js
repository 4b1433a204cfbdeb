/**
 * Where output goes: stdout, an atomic file (atomic-file.js), or a character
 * device or FIFO written in place.
 * @module
 */
import { constants, promises as fsp } from 'node:fs';
import { CliError, EXIT, ioError } from '../exit.js';
import { atomicFile } from './atomic-file.js';
import { writeAll } from './write-all.js';

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
 * atomic file. A character device or FIFO (/dev/stdout, /dev/null, a named
 * pipe) is written in place, like stdout: renaming a file over it would turn
 * it into a plaintext file. Anything else (a directory, a socket, a block
 * device) is refused.
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
