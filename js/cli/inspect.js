/**
 * What a sealed file (or sealed .env file) says about itself, read without
 * any key and without decrypting (`enveil audit`): format version, suite,
 * master key (a key file's id, or the key service and its key's id), context, file id, chunk size and sizes. Nothing here is
 * verified (a header can claim anything until `open` authenticates it), but a
 * body whose length is no whole number of chunks is marked inconsistent.
 * @module
 */
import * as core from '../stream-format.js';
import { tokenBytes, tokensIn } from './env-tokens.js';
import { eachPiece, openSource } from './io/source.js';
import { readText } from './io/text.js';
import { parseSealed, readSealed } from './master.js';
import { notSealed, startsWithMagic } from './sealed-header.js';

const SUITES = /** @type {Record<number, string>} */ ({ 1: 'AES-256-GCM STREAM (HKDF-SHA256 per-file keys, key-committing)' });

/**
 * @typedef {ReturnType<typeof describe>} StreamSummary
 * @typedef {{ name: string, line: number, damaged: true }
 *   | { name: string, line: number, keyKind: string, keyId: string, context: string, plaintextBytes: number | null, consistent: boolean }} ValueSummary
 * @typedef {{ kind: 'stream', stream: StreamSummary }
 *   | { kind: 'env', keyIds: string[], values: ValueSummary[], consistent: boolean }} FileSummary
 */

/**
 * @param {import('./master.js').Sealed} sealed
 * @param {number} bodyBytes
 */
function describe({ info, block, size }, bodyBytes) {
  const { tagBytes, version, suite } = core.sizes();
  const record = info.chunkBytes + tagBytes;
  const chunks = Math.floor(bodyBytes / record) + 1;
  const last = bodyBytes - (chunks - 1) * record;
  const consistent = last >= tagBytes;
  return {
    format: `enveil stream v${version}`,
    suite: SUITES[suite] ?? `0x${suite.toString(16)}`,
    // 'key file', or the key service that holds the master key.
    keyKind: block ? block.kind : 'key file',
    keyId: block ? block.id : info.keyId,
    context: new TextDecoder().decode(info.context),
    fileId: Buffer.from(info.fileId).toString('hex'),
    chunkBytes: info.chunkBytes,
    headerBytes: size,
    bodyBytes,
    chunks: consistent ? chunks : null,
    plaintextBytes: consistent ? bodyBytes - chunks * tagBytes : null,
    consistent,
  };
}

/**
 * The summary of `file`: a sealed stream, or a .env file with sealed values.
 * Throws CliError (exit 1) when it is neither.
 * @param {string} file
 * @returns {Promise<FileSummary>}
 */
export async function inspectFile(file) {
  const source = await openSource(file);
  try {
    if (await startsWithMagic(source)) {
      const sealed = await readSealed(source);
      let bodyBytes = 0;
      await eachPiece(source, 1 << 20, (piece) => { bodyBytes += piece.length; });
      return { kind: 'stream', stream: describe(sealed, bodyBytes) };
    }
  } finally {
    await source.close();
  }
  let text;
  try {
    text = await readText(file);
  } catch {
    throw notSealed(file, new Uint8Array(0));
  }
  const tokens = tokensIn(text, file);
  if (tokens.length === 0) throw notSealed(file, new Uint8Array(0));
  /** @type {ValueSummary[]} */
  const values = tokens.map((t) => {
    const bytes = /** @type {Uint8Array} */ (tokenBytes(t.value));
    const sealed = parseSealed(bytes);
    if (sealed === null) return { name: t.name, line: t.line, damaged: /** @type {const} */ (true) };
    const d = describe(sealed, bytes.length - sealed.size);
    return { name: t.name, line: t.line, keyKind: d.keyKind, keyId: d.keyId, context: d.context, plaintextBytes: d.plaintextBytes, consistent: d.consistent };
  });
  const keyIds = [...new Set(values.flatMap((v) => ('keyId' in v && v.keyId ? [v.keyId] : [])))];
  const consistent = values.every((v) => 'consistent' in v && v.consistent);
  return { kind: 'env', keyIds, values, consistent };
}
