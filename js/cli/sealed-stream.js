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
import { openBeginWith, readSealed, sealBeginWith } from './master.js';

/**
 * A read started ahead, which an error may leave unawaited: its own
 * failure is then reported when (if) it is awaited, never as unhandled.
 * @param {Promise<Uint8Array>} read
 */
function guarded(read) {
  read.catch(() => {});
  return read;
}

/** Chunks per read and write: about 1 MiB of them, at least one. @param {number} chunkBytes */
const batchOf = (chunkBytes) => Math.max(1, Math.floor((1 << 20) / chunkBytes));

/**
 * Seals `input` (a file, or stdin for undefined or '-') to `output` (stdout
 * for undefined or '-'). An input too large for the format is exit 2.
 * @param {{ input?: string, output?: string, key: import('./master.js').Master, context: Uint8Array, chunkBytes: number }} options
 */
export async function sealStream({ input, output, key, context, chunkBytes }) {
  const source = await openSource(input);
  /** @type {import('./io/sink.js').Sink | null} */
  let sink = null;
  /** @type {Uint8Array | null} */
  let streamKey = null;
  try {
    const begun = await sealBeginWith(key, context, chunkBytes);
    const header = begun.header;
    streamKey = begun.streamKey;
    const chunks = chunkCipher(streamKey, header);
    sink = await outputSink(output);
    await sink.write(begun.start);
    // Chunks are read, sealed and written a batch at a time (about 1 MiB):
    // one read and one write for many chunks, not one each.
    const batch = batchOf(chunkBytes);
    // The next batch is read while this one is sealed and written.
    let next = source.read(chunkBytes * batch);
    for (let index = 0; ;) {
      const data = await next;
      const atEnd = data.length < chunkBytes * batch;
      if (!atEnd) next = guarded(source.read(chunkBytes * batch));
      const count = atEnd ? Math.floor(data.length / chunkBytes) + 1 : batch;
      const out = new Uint8Array(data.length + count * core.sizes().tagBytes);
      let at = 0;
      for (let i = 0; i < count; i++, index++) {
        const isFinal = atEnd && i === count - 1;
        const sealed = chunks.seal(index, isFinal, data.subarray(i * chunkBytes, isFinal ? data.length : (i + 1) * chunkBytes));
        out.set(sealed, at);
        at += sealed.length;
      }
      data.fill(0);
      await sink.write(out);
      if (atEnd) break;
    }
    await sink.commit();
  } catch (err) {
    await sink?.abort();
    if (err instanceof EnveilError && err.code === 'INVALID_ARGUMENT') {
      throw new CliError(EXIT.USAGE, `${source.name}: ${err.message}`, { cause: err });
    }
    throw err;
  } finally {
    streamKey?.fill(0);
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
  /** @type {Uint8Array | null} */
  let streamKey = null;
  let released = false;
  try {
    const sealed = await readSealed(source);
    const { header, info } = sealed;
    streamKey = await openBeginWith(source.name, key, sealed, context);
    const chunks = chunkCipher(streamKey, header);
    sink = await outputSink(output);
    const record = info.chunkBytes + core.sizes().tagBytes;
    // A batch of chunks (about 1 MiB) per read; each chunk's plaintext is
    // released only after it authenticated, those of a batch together.
    const batch = batchOf(info.chunkBytes);
    // The next batch is read while this one is opened and written.
    let next = source.read(record * batch);
    for (let index = 0; ;) {
      const data = await next;
      const atEnd = data.length < record * batch;
      if (!atEnd) next = guarded(source.read(record * batch));
      const count = atEnd ? Math.floor(data.length / record) + 1 : batch;
      /** @type {Uint8Array[]} */
      const opened = [];
      try {
        for (let i = 0; i < count; i++, index++) {
          const isFinal = atEnd && i === count - 1;
          const sealed = data.subarray(i * record, isFinal ? data.length : (i + 1) * record);
          try {
            opened.push(chunks.open(index, isFinal, sealed));
          } catch (err) {
            if (!(err instanceof EnveilError && err.code === 'AUTH_FAILED')) throw err;
            // Those of this batch that did authenticate are released first.
            for (const p of opened) if (p.length > 0) { await sink.write(p); released = true; }
            throw new CliError(EXIT.AUTH, sealed.length === 0
              ? `${source.name} is truncated: it ends before its final chunk`
              : `${source.name}: chunk ${index} does not authenticate: the file was altered, truncated or extended`);
          }
        }
        const total = opened.reduce((n, p) => n + p.length, 0);
        if (total > 0) {
          const out = new Uint8Array(total);
          let at = 0;
          for (const p of opened) { out.set(p, at); at += p.length; }
          await sink.write(out);
          out.fill(0);
          released = true;
        }
      } finally {
        for (const p of opened) p.fill(0);
      }
      if (atEnd) break;
    }
    await sink.commit();
  } catch (err) {
    await sink?.abort();
    if (err instanceof CliError && err.exitCode === EXIT.AUTH) {
      err.message += toStdout
        ? (released ? '; the plaintext already written to stdout is incomplete: discard it' : '')
        : `; nothing was written to ${output}`;
    }
    throw err;
  } finally {
    streamKey?.fill(0);
    await source.close();
  }
}
