/**
 * A file or stdin sealed and opened in chunks, in the stream format of
 * src/stream_format.h (`enveil seal` and `enveil open`). Memory stays bounded
 * by the chunk size whatever the input's size. Opening to `-o OUT` writes a
 * temporary file and renames it over OUT only once every chunk and the
 * stream's end have authenticated; opening to stdout releases each chunk's
 * plaintext once that chunk has authenticated and exits non-zero if a later
 * one fails or the stream is cut short (the reader must check the exit
 * status).
 * @module
 */
import { EnveilError } from '../errors.js';
import * as core from '../stream-format.js';
import { CliError, EXIT } from './exit.js';
import { outputSink } from './io/sink.js';
import { openSource } from './io/source.js';
import { chunkCipher } from './chunk-cipher.js';
import { writeBehind } from './io/write-behind.js';
import { openBeginWith, readSealed, sealBeginWith } from './master.js';

/**
 * A read started ahead, which an error may leave unawaited: its own
 * failure is then reported when (if) it is awaited, never as unhandled.
 * @template T
 * @param {Promise<T>} read
 */
function guarded(read) {
  read.catch(() => {});
  return read;
}

/** Bytes of chunks per batch (one read, one write). */
const BATCH_BYTES = 1 << 20;

/** Chunks per batch: about BATCH_BYTES of them, at least one. @param {number} chunkBytes */
const batchOf = (chunkBytes) => Math.max(1, Math.floor(BATCH_BYTES / chunkBytes));

/**
 * Output buffers in the ring: the batch being sealed or opened while up to
 * two written behind it.
 */
const OUT_BUFFERS = 3;

/**
 * Seals `input` (a file, or stdin for undefined or '-') to `output` (stdout
 * for undefined or '-'). An input too large for the format is exit 2.
 * @param {{ input?: string, output?: string, key: import('./master.js').Master, context: Uint8Array, chunkBytes: number }} options
 */
export async function sealStream({ input, output, key, context, chunkBytes }) {
  const source = await openSource(input);
  /** @type {import('./io/sink.js').Sink | null} */
  let sink = null;
  /** @type {ReturnType<typeof writeBehind> | null} */
  let writer = null;
  /** @type {Uint8Array | null} */
  let streamKey = null;
  // Batches of chunks: the next batch is read into one input buffer while
  // this one is sealed from the other into a free output buffer, and the
  // sealed batches before it are written behind (io/write-behind.js). The
  // buffers are reused: no allocation per batch.
  const batch = batchOf(chunkBytes);
  const inBytes = chunkBytes * batch;
  const ins = [new Uint8Array(inBytes), new Uint8Array(inBytes)];
  const outs = Array.from({ length: OUT_BUFFERS }, () => new Uint8Array(inBytes + batch * core.sizes().tagBytes));
  /** @type {(Promise<void> | undefined)[]} */
  const written = [];
  /** @type {Promise<number> | undefined} */
  let next;
  try {
    const begun = await sealBeginWith(key, context, chunkBytes);
    const header = begun.header;
    streamKey = begun.streamKey;
    const chunks = chunkCipher(streamKey, header);
    sink = await outputSink(output);
    writer = writeBehind(sink);
    void writer.write(begun.start);
    next = guarded(source.readInto(/** @type {Uint8Array} */ (ins[0])));
    for (let b = 0, index = 0; ; b++) {
      const data = /** @type {Uint8Array} */ (ins[b % 2]);
      const got = await next;
      const atEnd = got < inBytes;
      if (!atEnd) next = guarded(source.readInto(/** @type {Uint8Array} */ (ins[(b + 1) % 2])));
      const slot = b % OUT_BUFFERS;
      await written[slot];
      const out = /** @type {Uint8Array} */ (outs[slot]);
      const count = atEnd ? Math.floor(got / chunkBytes) + 1 : batch;
      let at = 0;
      for (let i = 0; i < count; i++, index++) {
        const isFinal = atEnd && i === count - 1;
        at += chunks.sealInto(index, isFinal, data.subarray(i * chunkBytes, isFinal ? got : (i + 1) * chunkBytes), out, at);
      }
      written[slot] = writer.write(out.subarray(0, at));
      if (atEnd) break;
    }
    await writer.drain();
    await sink.commit();
  } catch (err) {
    await writer?.settle();
    await sink?.abort();
    if (err instanceof EnveilError && err.code === 'INVALID_ARGUMENT') {
      throw new CliError(EXIT.USAGE, `${source.name}: ${err.message}`, { cause: err });
    }
    throw err;
  } finally {
    streamKey?.fill(0);
    // The plaintext read, once no read is in flight.
    await next?.catch(() => {});
    for (const b of ins) b.fill(0);
    await source.close();
  }
}

/**
 * Opens `input` to `output` (as for sealStream); exit 1 when any part of it
 * does not authenticate, with what was or was not written said in the
 * message.
 * @param {{ input?: string, output?: string, key: import('./master.js').Master, context: Uint8Array }} options
 */
export async function openStream({ input, output, key, context }) {
  const source = await openSource(input);
  const toStdout = output === undefined || output === '-';
  /** @type {import('./io/sink.js').Sink | null} */
  let sink = null;
  /** @type {ReturnType<typeof writeBehind> | null} */
  let writer = null;
  /** @type {Uint8Array | null} */
  let streamKey = null;
  let released = false;
  /** @type {Uint8Array[]} */
  let outs = [];
  try {
    const sealed = await readSealed(source);
    const { header, info } = sealed;
    streamKey = await openBeginWith(source.name, key, sealed, context);
    const chunks = chunkCipher(streamKey, header);
    sink = await outputSink(output);
    writer = writeBehind(sink);
    const { chunkBytes } = info;
    const record = chunkBytes + core.sizes().tagBytes;
    // As in sealStream: one batch read ahead, this one opened into a free
    // output buffer, the ones before it written behind. Each chunk's
    // plaintext is released (handed to the writer) only after it
    // authenticated, those of a batch together.
    const batch = batchOf(chunkBytes);
    const inBytes = record * batch;
    const ins = [new Uint8Array(inBytes), new Uint8Array(inBytes)];
    outs = Array.from({ length: OUT_BUFFERS }, () => new Uint8Array(chunkBytes * batch));
    /** @type {(Promise<void> | undefined)[]} */
    const written = [];
    let next = guarded(source.readInto(/** @type {Uint8Array} */ (ins[0])));
    for (let b = 0, index = 0; ; b++) {
      const data = /** @type {Uint8Array} */ (ins[b % 2]);
      const got = await next;
      const atEnd = got < inBytes;
      if (!atEnd) next = guarded(source.readInto(/** @type {Uint8Array} */ (ins[(b + 1) % 2])));
      const slot = b % OUT_BUFFERS;
      await written[slot];
      const out = /** @type {Uint8Array} */ (outs[slot]);
      const count = atEnd ? Math.floor(got / record) + 1 : batch;
      let at = 0;
      for (let i = 0; i < count; i++, index++) {
        const isFinal = atEnd && i === count - 1;
        const sealedChunk = data.subarray(i * record, isFinal ? got : (i + 1) * record);
        try {
          at += chunks.openInto(index, isFinal, sealedChunk, out, at);
        } catch (err) {
          if (!(err instanceof EnveilError && err.code === 'AUTH_FAILED')) throw err;
          // Those of this batch that did authenticate are released first.
          if (at > 0) {
            released = true;
            await writer.write(out.subarray(0, at));
          }
          throw new CliError(EXIT.AUTH, sealedChunk.length === 0
            ? `${source.name} is truncated: it ends before its final chunk`
            : `${source.name}: chunk ${index} does not authenticate: the file was altered, truncated or extended`);
        }
      }
      if (at > 0) {
        released = true;
        written[slot] = writer.write(out.subarray(0, at));
      }
      if (atEnd) break;
    }
    await writer.drain();
    await sink.commit();
  } catch (err) {
    await writer?.settle();
    await sink?.abort();
    if (err instanceof CliError && err.exitCode === EXIT.AUTH) {
      err.message += toStdout
        ? (released ? '; the plaintext already written to stdout is incomplete: discard it' : '')
        : `; nothing was written to ${output}`;
    }
    throw err;
  } finally {
    streamKey?.fill(0);
    // The plaintext opened, once no write is in flight.
    await writer?.settle();
    for (const b of outs) b.fill(0);
    await source.close();
  }
}
