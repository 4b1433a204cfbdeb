/**
 * The master key of a command, a key file or a key held by a key service,
 * and what seal, open, rotate and audit do with a sealed stream's start
 * (a key-service block, if any, then the stream header) under either kind:
 * one place that knows both, so that the commands do not.
 * @module
 */
import { EnveilError } from '../errors.js';
import { randomBytes } from '../hazmat.js';
import * as core from '../stream-format.js';
import { CliError, EXIT, quote } from './exit.js';
import { serviceMaster } from './kek-uri.js';
import { loadKey } from './key-file.js';
import { blockContext, encodeBlock, MAX_BLOCK_BYTES, parseBlock, startsWithBlock } from './key-service-block.js';
import { beginOpen, checkHeaderNames, notSealed, rewrap } from './sealed-header.js';

/**
 * @typedef {import('./key-file.js').MasterKey} FileMaster
 * @typedef {import('./key-service-block.js').KeyServiceBlock} KeyServiceBlock
 * @typedef {object} ServiceMaster
 * @property {KeyServiceBlock['kind']} kind
 * @property {string} id the service key's id (the provider's)
 * @property {string} name for messages: the URI without its secrets
 * @property {import('../providers/definitions.js').KeyProvider} provider
 * @property {() => Promise<void>} close
 * @typedef {FileMaster | ServiceMaster} Master
 * @typedef {object} Sealed the start of a sealed stream
 * @property {KeyServiceBlock | null} block
 * @property {Uint8Array} header the stream header
 * @property {import('../stream-format.js').HeaderInfo} info
 * @property {number} size bytes of block and header: the body starts here
 */

/** @param {Master} master @returns {master is ServiceMaster} */
export const isService = (master) => 'provider' in master;

/** How a master key is named in messages. @param {Master} master */
export const describeMaster = (master) => (isService(master) ? `${master.kind} key ${quote(master.id)}` : `key id ${quote(master.id)}`);

/** The same, short: a key file's id alone. @param {Master} master */
export const shortName = (master) => (isService(master) ? describeMaster(master) : quote(master.id));

/** How the key a sealed stream names is named in messages. @param {Sealed} sealed */
export const describeSealedKey = (sealed) => (sealed.block ? `${sealed.block.kind} key ${quote(sealed.block.id)}` : `key id ${quote(sealed.info.keyId)}`);

/** The most bytes a sealed stream's start can take. */
export const maxStartBytes = () => MAX_BLOCK_BYTES + core.sizes().maxHeaderBytes;

/**
 * The block (if any) and header at the start of `bytes`; null when they do
 * not start as a sealed stream that is whole and well formed.
 * @param {Uint8Array} bytes
 * @returns {Sealed | null}
 */
export function parseSealed(bytes) {
  const block = startsWithBlock(bytes) ? parseBlock(bytes) : null;
  if (startsWithBlock(bytes) && block === null) return null;
  const at = block?.size ?? 0;
  const info = core.parseHeader(bytes.subarray(at));
  if (info === null) return null;
  if (block && info.keyId !== block.kind) return null;
  return { block, header: bytes.slice(at, at + info.size), info, size: at + info.size };
}

/**
 * Reads the start of a sealed stream from `source`, leaving the body to
 * read. Exit 1 when it is not one.
 * @param {import('./io/source.js').Source} source
 * @returns {Promise<Sealed>}
 */
export async function readSealed(source) {
  const prefix = await source.read(maxStartBytes());
  const sealed = parseSealed(prefix);
  if (sealed === null) throw notSealed(source.name, prefix);
  source.unread(prefix.subarray(sealed.size));
  return sealed;
}

/** @param {Uint8Array} header @param {import('../stream-format.js').HeaderInfo} info */
const immutableOf = (header, info) => header.subarray(0, info.immutableSize);

/**
 * Starts a stream under `master`: the bytes to write first (block and
 * header), the header (the chunks' AAD) and the stream key (wipe it).
 * @param {Master} master @param {Uint8Array} context @param {number} chunkBytes
 */
export async function sealBeginWith(master, context, chunkBytes) {
  if (!isService(master)) {
    const { header, streamKey } = core.sealBegin(master.bytes, master.id, context, chunkBytes);
    return { start: header, header, streamKey };
  }
  const streamMaster = randomBytes(core.sizes().keyBytes);
  try {
    const { header, streamKey } = core.sealBegin(streamMaster, master.kind, context, chunkBytes);
    const info = /** @type {import('../stream-format.js').HeaderInfo} */ (core.parseHeader(header));
    const wrapped = await fromService(master, 'wrap', () => master.provider.wrapKey(streamMaster.slice(), blockContext(master.kind, master.id, immutableOf(header, info))));
    const block = encodeBlock(master.kind, master.id, wrapped);
    const start = new Uint8Array(block.length + header.length);
    start.set(block);
    start.set(header, block.length);
    return { start, header, streamKey };
  } finally {
    streamMaster.fill(0);
  }
}

/**
 * The key that opens `sealed`'s header under `master` (a key file's, or the
 * stream master key the service unwraps: wipe its bytes), after checking
 * that `sealed` names `master` (exit 3 otherwise).
 * @param {string} name @param {Master} master @param {Sealed} sealed
 * @returns {Promise<FileMaster>}
 */
async function headerKey(name, master, sealed) {
  if (!isService(master)) {
    if (sealed.block) throw new CliError(EXIT.KEY, `${name} is sealed under ${describeSealedKey(sealed)}, held by a key service: give its URI with --kek`);
    return master;
  }
  if (!sealed.block) {
    throw new CliError(EXIT.KEY, `${name} is sealed under key file id ${quote(sealed.info.keyId)}; --kek gives ${describeMaster(master)}: give the key file with --key-path`);
  }
  const { block } = sealed;
  if (block.kind !== master.kind || block.id !== master.id) {
    throw new CliError(EXIT.KEY, `${name} is sealed under ${describeSealedKey(sealed)}; --kek gives ${describeMaster(master)}`);
  }
  const context = blockContext(block.kind, block.id, immutableOf(sealed.header, sealed.info));
  const bytes = await fromService(master, 'unwrap', () => master.provider.unwrapKey(block.wrapped, context), name);
  if (bytes.length !== core.sizes().keyBytes) {
    bytes.fill(0);
    throw new CliError(EXIT.KEY, `${name}: the key service returned a key of the wrong size`);
  }
  return { id: master.kind, path: master.name, bytes };
}

/**
 * The stream key of `sealed` under `master`, after checking the key it
 * names (exit 3) and the context (exit 1).
 * @param {string} name @param {Master} master @param {Sealed} sealed @param {Uint8Array} context
 */
export async function openBeginWith(name, master, sealed, context) {
  const key = await headerKey(name, master, sealed);
  try {
    checkHeaderNames(name, sealed.info, key, context);
    return beginOpen(name, key, sealed.header);
  } finally {
    if (key !== master) key.bytes.fill(0);
  }
}

/** Whether `sealed` names `master` (not yet verified). @param {Sealed} sealed @param {Master} master */
export function namesMaster(sealed, master) {
  return isService(master)
    ? sealed.block !== null && sealed.block.kind === master.kind && sealed.block.id === master.id
    : sealed.block === null && sealed.info.keyId === master.id;
}

/**
 * Checks that `sealed` opens under `master` (rotate's "already rotated"):
 * exit 1 or 3 as for open, without a context.
 * @param {string} name @param {Master} master @param {Sealed} sealed
 */
export async function verifyUnder(name, master, sealed) {
  const key = await headerKey(name, master, sealed);
  try {
    beginOpen(name, key, sealed.header).fill(0);
  } finally {
    if (key !== master) key.bytes.fill(0);
  }
}

/**
 * `sealed`'s start re-wrapped from `oldMaster` to `newMaster`: the body is
 * unchanged. Between key files the data key never leaves the core; with a
 * key service the stream master key is new for the new key.
 * @param {string} name @param {Master} oldMaster @param {Master} newMaster @param {Sealed} sealed
 * @returns {Promise<Uint8Array>} the new block (if any) and header
 */
export async function rewrapWith(name, oldMaster, newMaster, sealed) {
  if (!namesMaster(sealed, oldMaster)) {
    throw new CliError(EXIT.KEY, `${name} is sealed under ${describeSealedKey(sealed)}, neither ${shortName(oldMaster)} (${isService(oldMaster) ? '--kek' : '--key-path'}) nor ${shortName(newMaster)} (the new key)`);
  }
  const oldKey = await headerKey(name, oldMaster, sealed);
  const streamMaster = isService(newMaster) ? randomBytes(core.sizes().keyBytes) : null;
  try {
    /** @type {FileMaster} */
    const newKey = isService(newMaster) ? { id: newMaster.kind, path: newMaster.name, bytes: /** @type {Uint8Array} */ (streamMaster) } : newMaster;
    const header = rewrap(name, oldKey, newKey, sealed.header, sealed.info);
    if (!isService(newMaster)) return header;
    const context = blockContext(newMaster.kind, newMaster.id, immutableOf(header, sealed.info));
    const wrapped = await fromService(newMaster, 'wrap', () => newMaster.provider.wrapKey(/** @type {Uint8Array} */ (streamMaster).slice(), context), name);
    const block = encodeBlock(newMaster.kind, newMaster.id, wrapped);
    const start = new Uint8Array(block.length + header.length);
    start.set(block);
    start.set(header, block.length);
    return start;
  } finally {
    if (oldKey !== oldMaster) oldKey.bytes.fill(0);
    streamMaster?.fill(0);
  }
}

/**
 * A call to the key service; its failure is exit 3 with the provider's
 * message (which names no secret): whether the file was altered or the
 * service refused or could not be reached, the service alone knows.
 * @template T
 * @param {ServiceMaster} master @param {'wrap' | 'unwrap'} what @param {() => Promise<T>} call @param {string} [name]
 * @returns {Promise<T>}
 */
async function fromService(master, what, call, name) {
  try {
    return await call();
  } catch (err) {
    const why = err instanceof EnveilError ? err.message : 'it failed';
    throw new CliError(EXIT.KEY, what === 'unwrap'
      ? `${name}: ${describeMaster(master)} did not unwrap its key (the file was altered, or the key service refused or could not be reached): ${why}`
      : `${name ? `${name}: ` : ''}${describeMaster(master)} could not wrap a key: ${why}`, { cause: err });
  }
}

/**
 * The master key the options name: `--key-path FILE` or `--kek URI` (one,
 * not both), else ENVEIL_KEY_PATH or ENVEIL_KEK (one, not both).
 * @param {Record<string, unknown>} values parsed options
 * @param {{ path?: string, uri?: string }} [names] the option names (rotate's new key)
 * @returns {Promise<Master>}
 */
export async function loadMaster(values, { path: pathOption = 'key-path', uri: uriOption = 'kek' } = {}) {
  const file = /** @type {string | undefined} */ (values[pathOption]);
  const uri = /** @type {string | undefined} */ (values[uriOption]);
  if (file !== undefined && uri !== undefined) throw new CliError(EXIT.USAGE, `give --${pathOption} or --${uriOption}, not both`);
  if (uri !== undefined) return serviceMaster(uri, `--${uriOption}`);
  if (file !== undefined) return loadKey(file, `--${pathOption}`);
  if (pathOption !== 'key-path') throw new CliError(EXIT.USAGE, `no key: pass --${pathOption} FILE or --${uriOption} URI`);
  const envFile = process.env.ENVEIL_KEY_PATH;
  const envUri = process.env.ENVEIL_KEK;
  if (envFile && envUri) throw new CliError(EXIT.USAGE, 'both ENVEIL_KEY_PATH and ENVEIL_KEK are set: unset one, or pass --key-path or --kek');
  if (envUri) return serviceMaster(envUri, 'ENVEIL_KEK');
  if (!envFile) throw new CliError(EXIT.KEY, 'no key: pass --key-path FILE or set ENVEIL_KEY_PATH (for a key service: --kek URI or ENVEIL_KEK)');
  return loadKey(envFile);
}

/** Wipes a key file's bytes, or closes a key service's session. @param {Master | undefined} master */
export async function releaseMaster(master) {
  if (!master) return;
  if (isService(master)) await master.close();
  else master.bytes.fill(0);
}

/**
 * Runs `use` with the master key the options name, and releases it after.
 * @template T
 * @param {Record<string, unknown>} values
 * @param {(master: Master) => Promise<T>} use
 * @returns {Promise<T>}
 */
export async function withMaster(values, use) {
  const master = await loadMaster(values);
  try {
    return await use(master);
  } finally {
    await releaseMaster(master);
  }
}
