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
    for (let index = 0; ; index++) {
      const plaintext = await source.read(chunkBytes);
      const isFinal = plaintext.length < chunkBytes;
      const sealed = chunks.seal(index, isFinal, plaintext);
      plaintext.fill(0);
      await sink.write(sealed);
      if (isFinal) break;
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
    for (let index = 0; ; index++) {
      const sealed = await source.read(record);
      const isFinal = sealed.length < record;
      let plaintext;
      try {
        plaintext = chunks.open(index, isFinal, sealed);
      } catch (err) {
        if (!(err instanceof EnveilError && err.code === 'AUTH_FAILED')) throw err;
        throw new CliError(EXIT.AUTH, sealed.length === 0
          ? `${source.name} is truncated: it ends before its final chunk`
          : `${source.name}: chunk ${index} does not authenticate: the file was altered, truncated or extended`);
      }
      if (plaintext.length > 0) {
        await sink.write(plaintext);
        released = true;
      }
      plaintext.fill(0);
      if (isFinal) break;
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
