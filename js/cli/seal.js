/**
 * `enveil seal` and `enveil open`: a file or stdin in chunks, in the stream
 * format of src/stream_format.h. Memory stays bounded by the chunk size
 * whatever the input's size. `open -o OUT` writes a temporary file and
 * renames it over OUT only once every chunk and the stream's end have
 * authenticated; `open` to stdout releases each chunk's plaintext once that
 * chunk has authenticated and exits non-zero if a later one fails or the
 * stream is cut short (the reader must check the exit status).
 * @module
 */
import { EnveilError } from '../errors.js';
import * as core from '../stream-format.js';
import { CliError, EXIT, quote } from './exit.js';
import { openSource, outputSink } from './files.js';

const encoder = new TextEncoder();
const MAGIC = encoder.encode('ENVEIL');

/**
 * The --context bytes (at most the format's limit).
 * @param {string | undefined} context
 */
export function contextArg(context) {
  const bytes = encoder.encode(context ?? '');
  const max = core.sizes().maxContextBytes;
  if (bytes.length > max) throw new CliError(EXIT.USAGE, `--context must be at most ${max} bytes of UTF-8, got ${bytes.length}`);
  return bytes;
}

/**
 * Reads and parses the header at the start of `source`, leaving the body to
 * read. Throws CliError (exit 1) when there is no v1 header.
 * @param {import('./files.js').Source} source
 */
export async function readHeader(source) {
  const prefix = await source.read(core.sizes().maxHeaderBytes);
  const info = core.parseHeader(prefix);
  if (info === null) throw notSealed(source.name, prefix);
  source.unread(prefix.subarray(info.size));
  return { header: prefix.slice(0, info.size), info };
}

/**
 * @param {string} name
 * @param {Uint8Array} prefix the first bytes of the input
 */
export function notSealed(name, prefix) {
  const magic = prefix.length >= MAGIC.length && MAGIC.every((b, i) => prefix[i] === b);
  return new CliError(EXIT.AUTH, magic
    ? `${name}: the enveil header is damaged, truncated or of an unknown version`
    : `${name} is not an enveil sealed file`);
}

/**
 * Checks what a header names before any key is used: the key id (exit 3)
 * and the context (exit 1), with messages that say which is which.
 * @param {string} name
 * @param {core.HeaderInfo} info
 * @param {import('./keys.js').MasterKey} key
 * @param {Uint8Array} context
 * @param {string} [keyOption]
 */
export function checkHeaderNames(name, info, key, context, keyOption = '--key-path') {
  if (info.keyId !== key.id) {
    throw new CliError(EXIT.KEY, `${name} is sealed under key id ${quote(info.keyId)}; ${keyOption} gives ${quote(key.id)}`);
  }
  if (!sameBytes(info.context, context)) {
    const stored = new TextDecoder().decode(info.context);
    const given = new TextDecoder().decode(context);
    throw new CliError(EXIT.AUTH, `${name} was sealed with context ${quote(stored)}; ${context.length ? `--context gives ${quote(given)}` : 'no --context was given'}`);
  }
}

/**
 * The stream key of a header whose names were checked; exit 1 when it does
 * not authenticate.
 * @param {string} name
 * @param {import('./keys.js').MasterKey} key
 * @param {Uint8Array} header
 */
export function beginOpen(name, key, header) {
  try {
    return core.openBegin(key.bytes, key.id, header);
  } catch (err) {
    if (err instanceof EnveilError && err.code === 'AUTH_FAILED') {
      throw new CliError(EXIT.AUTH, `${name} does not authenticate under key ${quote(key.id)}: its header was altered, or ${key.path} holds another key with the same id`);
    }
    throw err;
  }
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
function sameBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * @param {{ input?: string, output?: string, key: import('./keys.js').MasterKey, context: Uint8Array, chunkBytes: number }} options
 */
export async function sealCommand({ input, output, key, context, chunkBytes }) {
  const source = await openSource(input);
  /** @type {import('./files.js').Sink | null} */
  let sink = null;
  /** @type {Uint8Array | null} */
  let streamKey = null;
  try {
    const begun = core.sealBegin(key.bytes, key.id, context, chunkBytes);
    const header = begun.header;
    streamKey = begun.streamKey;
    sink = await outputSink(output, { mode: 0o666 });
    await sink.write(header);
    for (let index = 0; ; index++) {
      const plaintext = await source.read(chunkBytes);
      const isFinal = plaintext.length < chunkBytes;
      const sealed = core.sealChunk(streamKey, header, index, isFinal, plaintext);
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
 * @param {{ input?: string, output?: string, key: import('./keys.js').MasterKey, context: Uint8Array }} options
 */
export async function openCommand({ input, output, key, context }) {
  const source = await openSource(input);
  const toStdout = output === undefined || output === '-';
  /** @type {import('./files.js').Sink | null} */
  let sink = null;
  /** @type {Uint8Array | null} */
  let streamKey = null;
  let released = false;
  try {
    const { header, info } = await readHeader(source);
    checkHeaderNames(source.name, info, key, context);
    streamKey = beginOpen(source.name, key, header);
    sink = await outputSink(output, { mode: 0o600 });
    const record = info.chunkBytes + core.sizes().tagBytes;
    for (let index = 0; ; index++) {
      const sealed = await source.read(record);
      const isFinal = sealed.length < record;
      let plaintext;
      try {
        plaintext = core.openChunk(streamKey, header, index, isFinal, sealed);
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
