/**
 * `enveil rotate`: re-wraps the data key of sealed files (and of each value
 * of sealed .env files) from an old master key to a new one. Bodies are
 * copied as they are, never decrypted or re-encrypted. Per file: new header
 * and copied body to a temporary file, fsync, rename over the file, fsync the
 * directory — a file is either wholly old or wholly new. Files already under
 * the new key are checked and skipped, so a run that was interrupted can be
 * run again; a file that fails is reported and the others go on.
 * @module
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EnveilError } from '../errors.js';
import * as core from './core.js';
import { envTokens, tokenBytes, TOKEN_PREFIX } from './env.js';
import { formatDotEnv } from './dotenv.js';
import { CliError, EXIT, quote } from './exit.js';
import { atomicFile, copyRest, openSource, readText } from './files.js';
import { loadKey, writeNewKey } from './keys.js';
import { beginOpen, readHeader } from './seal.js';

const MAGIC = new TextEncoder().encode('ENVEIL');
const COPY_PIECE_BYTES = 1024 * 1024;

/**
 * Test-only hooks (never documented for users): the rotate tests kill the
 * process at a known point, which these make deterministic.
 *   ENVEIL_TEST_ROTATE_PAUSE_AFTER=N         after N files were rotated
 *   ENVEIL_TEST_ROTATE_PAUSE_BEFORE_RENAME=N with N rotated, once the next
 *                                            file's temporary copy is synced
 * A pause announces itself on stderr and sleeps for a minute.
 * @param {string} name
 */
function testHook(name) {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : -1;
}

/** @param {string} what */
async function testPause(what) {
  process.stderr.write(`enveil: test pause ${what}\n`);
  await new Promise((resolve) => setTimeout(resolve, 60_000));
}

/**
 * @typedef {import('./keys.js').MasterKey} MasterKey
 * @typedef {'rotated' | 'already'} Outcome
 */

/**
 * @param {string} file
 * @param {MasterKey} oldKey
 * @param {MasterKey} newKey
 * @param {() => Promise<void>} beforeRename
 * @returns {Promise<Outcome>}
 */
async function rotateFile(file, oldKey, newKey, beforeRename) {
  const source = await openSource(file);
  try {
    const start = await source.read(MAGIC.length);
    source.unread(start);
    const isStream = start.length === MAGIC.length && MAGIC.every((b, i) => start[i] === b);
    if (isStream) return await rotateStreamFile(source, file, oldKey, newKey, beforeRename);
  } finally {
    await source.close();
  }
  return rotateEnvFile(file, oldKey, newKey, beforeRename);
}

/**
 * @param {import('./files.js').Source} source
 * @param {string} file
 * @param {MasterKey} oldKey
 * @param {MasterKey} newKey
 * @param {() => Promise<void>} beforeRename
 * @returns {Promise<Outcome>}
 */
async function rotateStreamFile(source, file, oldKey, newKey, beforeRename) {
  const { header, info } = await readHeader(source);
  if (info.keyId === newKey.id) {
    beginOpen(file, newKey, header).fill(0);
    return 'already';
  }
  const newHeader = rewrap(file, oldKey, newKey, header, info);
  const mode = (await fsp.stat(file)).mode & 0o7777;
  const sink = await atomicFile(file, { mode, exactMode: true });
  try {
    await sink.write(newHeader);
    await copyRest(source, sink, COPY_PIECE_BYTES);
    await sink.commit({ beforeRename });
  } catch (err) {
    await sink.abort();
    throw err;
  }
  return 'rotated';
}

/**
 * @param {string} name
 * @param {MasterKey} oldKey
 * @param {MasterKey} newKey
 * @param {Uint8Array} header
 * @param {core.HeaderInfo} info
 */
function rewrap(name, oldKey, newKey, header, info) {
  if (info.keyId !== oldKey.id) {
    throw new CliError(EXIT.KEY, `${name} is sealed under key id ${quote(info.keyId)}, neither ${quote(oldKey.id)} (--key-path) nor ${quote(newKey.id)} (the new key)`);
  }
  try {
    return core.rewrapHeader(oldKey, newKey, header, info);
  } catch (err) {
    if (err instanceof EnveilError && err.code === 'AUTH_FAILED') {
      throw new CliError(EXIT.AUTH, `${name} does not authenticate under key ${quote(oldKey.id)}: its header was altered, or ${oldKey.path} holds another key with the same id`);
    }
    throw err;
  }
}

/**
 * @param {string} file
 * @param {MasterKey} oldKey
 * @param {MasterKey} newKey
 * @param {() => Promise<void>} beforeRename
 * @returns {Promise<Outcome>}
 */
async function rotateEnvFile(file, oldKey, newKey, beforeRename) {
  let text;
  try {
    text = await readText(file);
  } catch {
    throw new CliError(EXIT.AUTH, `${file} is not an enveil sealed file or a .env file with sealed values`);
  }
  /** @type {ReturnType<typeof envTokens>} */
  let parsed;
  try {
    parsed = envTokens(text, file);
  } catch {
    parsed = { env: { entries: [], eol: '\n' }, tokens: [] };
  }
  const { env, tokens } = parsed;
  if (tokens.length === 0) {
    throw new CliError(EXIT.AUTH, `${file} is not an enveil sealed file or a .env file with sealed values`);
  }
  /** @type {Map<object, string>} */
  const replaced = new Map();
  for (const entry of tokens) {
    const where = `${file}:${entry.line} ${entry.name}`;
    const bytes = /** @type {Uint8Array} */ (tokenBytes(entry.value));
    const info = core.parseHeader(bytes);
    if (info === null) throw new CliError(EXIT.AUTH, `${where}: the sealed value is damaged`);
    const header = bytes.subarray(0, info.size);
    if (info.keyId === newKey.id) {
      beginOpen(where, newKey, header).fill(0);
      continue;
    }
    const newHeader = rewrap(where, oldKey, newKey, header, info);
    const body = bytes.subarray(info.size);
    replaced.set(entry, TOKEN_PREFIX + Buffer.concat([newHeader, body]).toString('base64url'));
  }
  if (replaced.size === 0) return 'already';
  const out = formatDotEnv(env, (e) => replaced.get(e) ?? e.value);
  const mode = (await fsp.stat(file)).mode & 0o7777;
  const sink = await atomicFile(file, { mode, exactMode: true });
  try {
    await sink.write(new TextEncoder().encode(out));
    await sink.commit({ beforeRename });
  } catch (err) {
    await sink.abort();
    throw err;
  }
  return 'rotated';
}

/**
 * The key ids the headers of `file` name (none when unreadable).
 * @param {string} file
 * @returns {Promise<string[]>}
 */
async function keyIdsIn(file) {
  try {
    const source = await openSource(file);
    try {
      const prefix = await source.read(core.sizes().maxHeaderBytes);
      const info = core.parseHeader(prefix);
      if (info) return [info.keyId];
    } finally {
      await source.close();
    }
    const { tokens } = envTokens(await readText(file), file);
    return tokens.flatMap((t) => {
      const info = core.parseHeader(/** @type {Uint8Array} */ (tokenBytes(t.value)));
      return info ? [info.keyId] : [];
    });
  } catch {
    return [];
  }
}

/**
 * Without --new-key: a rerun after an interrupted rotation reuses the key
 * the first run generated (the only other id among FILES, whose key file sits
 * next to the old key); otherwise a new key file is generated there.
 * @param {MasterKey} oldKey
 * @param {string[]} files
 * @param {(line: string) => void} report
 */
async function defaultNewKey(oldKey, files, report) {
  const dir = path.dirname(oldKey.path);
  const others = new Set();
  for (const file of files) {
    for (const id of await keyIdsIn(file)) if (id !== oldKey.id) others.add(id);
  }
  if (others.size === 1) {
    const candidate = path.join(dir, `${[...others][0]}.key`);
    const exists = await fsp.stat(candidate).then(() => true, () => false);
    if (exists) {
      report(`resuming with new key: ${candidate}`);
      return loadKey(candidate, 'the resumed new key');
    }
  }
  const key = await writeNewKey(dir);
  report(`new key: ${key.path}`);
  return key;
}

/**
 * @param {{ oldKeyPath?: string, newKeyPath?: string, files: string[], report: (line: string) => void, fail: (line: string) => void }} options
 * @returns {Promise<number>} exit code
 */
export async function rotateCommand({ oldKeyPath, newKeyPath, files, report, fail }) {
  const oldKey = await loadKey(oldKeyPath);
  const newKey = newKeyPath !== undefined
    ? await loadKey(newKeyPath, '--new-key')
    : await defaultNewKey(oldKey, files, report);
  try {
    if (newKey.id === oldKey.id) {
      throw new CliError(EXIT.USAGE, `the new key has the same id as the old one (${quote(oldKey.id)}); give it another name`);
    }
    const pauseAfter = testHook('ENVEIL_TEST_ROTATE_PAUSE_AFTER');
    const pauseBeforeRename = testHook('ENVEIL_TEST_ROTATE_PAUSE_BEFORE_RENAME');
    const counts = { rotated: 0, already: 0, failed: 0 };
    for (const file of files) {
      const beforeRename = async () => {
        if (counts.rotated === pauseBeforeRename) await testPause(`before renaming ${file}`);
      };
      try {
        const outcome = await rotateFile(file, oldKey, newKey, beforeRename);
        counts[outcome]++;
        report(outcome === 'rotated'
          ? `rotated: ${file} (${oldKey.id} -> ${newKey.id})`
          : `already rotated: ${file} (${newKey.id})`);
        if (outcome === 'rotated' && counts.rotated === pauseAfter) await testPause(`after ${counts.rotated} files`);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        counts.failed++;
        fail(`failed: ${err.message}`);
      }
    }
    report(`${counts.rotated} rotated, ${counts.already} already rotated, ${counts.failed} failed`);
    return counts.failed > 0 ? EXIT.PARTIAL : EXIT.OK;
  } finally {
    oldKey.bytes.fill(0);
    newKey.bytes.fill(0);
  }
}
