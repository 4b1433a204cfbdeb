/**
 * `enveil audit FILE`: what a sealed file (or sealed .env file) says about
 * itself, read without any key and without decrypting: format version, suite,
 * master key id, context, file id, chunk size and sizes. Nothing here is
 * verified — a header can claim anything until `open` authenticates it — but
 * a body whose length is no whole number of chunks is reported (exit 1).
 * @module
 */
import * as core from '../stream-format.js';
import { CliError, EXIT } from './exit.js';
import { openSource, readText } from './files.js';
import { envTokens, tokenBytes } from './env.js';
import { notSealed, readHeader } from './seal.js';

const MAGIC = new TextEncoder().encode('ENVEIL');
const SUITES = /** @type {Record<number, string>} */ ({ 1: 'AES-256-GCM STREAM (HKDF-SHA256 per-file keys, key-committing)' });

/**
 * @param {core.HeaderInfo} info
 * @param {number} bodyBytes
 */
function describe(info, bodyBytes) {
  const { tagBytes, version, suite } = core.sizes();
  const record = info.chunkBytes + tagBytes;
  const chunks = Math.floor(bodyBytes / record) + 1;
  const last = bodyBytes - (chunks - 1) * record;
  const consistent = last >= tagBytes;
  return {
    format: `enveil stream v${version}`,
    suite: SUITES[suite] ?? `0x${suite.toString(16)}`,
    keyId: info.keyId,
    context: new TextDecoder().decode(info.context),
    fileId: Buffer.from(info.fileId).toString('hex'),
    chunkBytes: info.chunkBytes,
    headerBytes: info.size,
    bodyBytes,
    chunks: consistent ? chunks : null,
    plaintextBytes: consistent ? bodyBytes - chunks * tagBytes : null,
    consistent,
  };
}

/**
 * @param {{ file: string, json: boolean, write: (text: string) => void }} options
 * @returns {Promise<number>} exit code
 */
export async function auditCommand({ file, json, write }) {
  const source = await openSource(file);
  /** @type {ReturnType<typeof describe> | null} */
  let stream = null;
  try {
    const start = await source.read(MAGIC.length);
    source.unread(start);
    if (start.length === MAGIC.length && MAGIC.every((b, i) => start[i] === b)) {
      const { info } = await readHeader(source);
      let bodyBytes = 0;
      for (;;) {
        const piece = await source.read(1 << 20);
        bodyBytes += piece.length;
        if (piece.length < 1 << 20) break;
      }
      stream = describe(info, bodyBytes);
    }
  } finally {
    await source.close();
  }
  if (stream) {
    if (json) write(`${JSON.stringify({ file, ...stream }, null, 2)}\n`);
    else {
      write([
        `file:        ${file}`,
        `format:      ${stream.format}`,
        `suite:       ${stream.suite}`,
        `master key:  ${stream.keyId} (as the header says; only open verifies it)`,
        `context:     ${JSON.stringify(stream.context)}`,
        `file id:     ${stream.fileId}`,
        `chunk size:  ${stream.chunkBytes} bytes`,
        `header:      ${stream.headerBytes} bytes`,
        stream.consistent
          ? `body:        ${stream.bodyBytes} bytes in ${stream.chunks} chunks (${stream.plaintextBytes} bytes of plaintext)`
          : `body:        ${stream.bodyBytes} bytes: not a whole number of chunks (truncated or extended)`,
        '',
      ].join('\n'));
    }
    return stream.consistent ? EXIT.OK : EXIT.AUTH;
  }
  // Not a stream: a .env file with sealed values?
  let text;
  try {
    text = await readText(file);
  } catch {
    throw notSealed(file, new Uint8Array(0));
  }
  /** @type {import('./dotenv.js').Assignment[]} */
  let tokens;
  try {
    ({ tokens } = envTokens(text, file));
  } catch {
    tokens = [];
  }
  if (tokens.length === 0) throw notSealed(file, new Uint8Array(0));
  const values = tokens.map((t) => {
    const bytes = /** @type {Uint8Array} */ (tokenBytes(t.value));
    const info = core.parseHeader(bytes);
    if (info === null) return { name: t.name, line: t.line, damaged: true };
    const d = describe(info, bytes.length - info.size);
    return { name: t.name, line: t.line, keyId: d.keyId, context: d.context, plaintextBytes: d.plaintextBytes, consistent: d.consistent };
  });
  const keyIds = [...new Set(values.flatMap((v) => ('keyId' in v && v.keyId ? [v.keyId] : [])))];
  const ok = values.every((v) => 'consistent' in v && v.consistent);
  if (json) write(`${JSON.stringify({ file, format: 'enveil .env v1', keyIds, values }, null, 2)}\n`);
  else {
    write([
      `file:        ${file}`,
      `format:      enveil .env v1 (each value an enveil stream v${core.sizes().version})`,
      `master keys: ${keyIds.join(', ')}`,
      `values:      ${values.length} sealed`,
      ...values.map((v) => ('damaged' in v
        ? `  ${v.name} (line ${v.line}): damaged`
        : `  ${v.name} (line ${v.line}): key ${v.keyId}, ${v.consistent ? `${v.plaintextBytes} bytes` : 'truncated or extended'}`)),
      '',
    ].join('\n'));
  }
  if (!ok) throw new CliError(EXIT.AUTH, `${file}: some sealed values are damaged`);
  return EXIT.OK;
}
