/**
 * The one write loop of the file outputs (the atomic file and a device or
 * FIFO written in place).
 * @module
 */
import { ioError } from '../exit.js';

/**
 * Writes all of `bytes`: a write may take fewer.
 * @param {import('node:fs/promises').FileHandle} handle
 * @param {Uint8Array} bytes
 * @param {string} name for the error
 */
export async function writeAll(handle, bytes, name) {
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
