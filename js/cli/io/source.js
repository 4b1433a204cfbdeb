/**
 * Inputs read on demand: `read(n)` returns n bytes, fewer only at the end,
 * from a file or stdin, so memory never depends on the input's size. Bytes
 * read ahead (to recognise a format) can be put back with `unread`.
 * @module
 */
import { constants, promises as fsp } from 'node:fs';
import { ioError } from '../exit.js';

/**
 * @typedef {object} Source
 * @property {string} name for messages
 * @property {import('node:fs').Stats} [stat] a file's fstat, taken when it was opened
 * @property {(n: number) => Promise<Uint8Array>} read n bytes, fewer only at the end
 * @property {(buffer: Uint8Array) => Promise<number>} readInto fills `buffer`
 *   (fewer bytes only at the end); resolves to the bytes read
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
  /** @param {Uint8Array} out */
  const readInto = async (out) => {
    const n = out.length;
    let got = takeQueued(front, out, n);
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
    return got;
  };
  return {
    name: file,
    stat: st,
    async read(n) {
      const out = new Uint8Array(n);
      const got = await readInto(out);
      return got === n ? out : out.subarray(0, got);
    },
    readInto,
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
  /** Reads until `n` bytes are pending or the input ends; resolves to the bytes pending. @param {number} n */
  const fill = async (n) => {
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
    return pendingBytes;
  };
  return {
    name,
    async read(n) {
      const out = new Uint8Array(Math.min(n, await fill(n)));
      pendingBytes -= takeQueued(pending, out, out.length);
      return out;
    },
    async readInto(out) {
      const got = takeQueued(pending, out, Math.min(out.length, await fill(out.length)));
      pendingBytes -= got;
      return got;
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
 * Moves up to `n` bytes from the front of `queue` to the start of `out`,
 * dropping the pieces it used up; returns how many it moved.
 * @param {Uint8Array[]} queue
 * @param {Uint8Array} out
 * @param {number} n
 */
function takeQueued(queue, out, n) {
  let got = 0;
  while (queue.length > 0 && got < n) {
    const head = /** @type {Uint8Array} */ (queue[0]);
    const take = Math.min(head.length, n - got);
    out.set(head.subarray(0, take), got);
    got += take;
    if (take === head.length) queue.shift();
    else queue[0] = head.subarray(take);
  }
  return got;
}

/**
 * Reads everything `source` has left, `pieceBytes` at a time, and hands each
 * non-empty piece to `use` (memory stays bounded by one piece).
 * @param {Source} source
 * @param {number} pieceBytes
 * @param {(piece: Uint8Array) => unknown} use
 */
export async function eachPiece(source, pieceBytes, use) {
  for (;;) {
    const piece = await source.read(pieceBytes);
    if (piece.length > 0) await use(piece);
    if (piece.length < pieceBytes) return;
  }
}
