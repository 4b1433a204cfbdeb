/**
 * `enveil rotate`: re-wraps the data key of sealed files (and of each value
 * of sealed .env files) from an old master key to a new one. Bodies are
 * copied as they are, never decrypted or re-encrypted. Per file: new header
 * and copied body to a temporary file, fsync, rename over the file, fsync the
 * directory — a file is either wholly old or wholly new. Files already under
 * the new key are checked and skipped, so a run that was interrupted can be
 * run again; a file that fails is reported and the others go on.
 *
 * A file is only replaced if it is still the file that was read: symbolic
 * links are refused, and just before the rename the path must name the same
 * inode with the same size, mtime and ctime as the file opened (else another
 * writer replaced or changed it meanwhile, and that change is kept).
 * @module
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EnveilError } from '../errors.js';
import * as core from '../stream-format.js';
import { envTokens, tokenBytes, TOKEN_PREFIX } from './env.js';
import { CliError, EXIT, ioError, quote } from './exit.js';
import { atomicFile, copyRest, openSource, readSourceText, readText, testPause } from './files.js';
import { loadKey, writeNewKey } from './keys.js';
import { beginOpen, readHeader } from './seal.js';

const MAGIC = new TextEncoder().encode('ENVEIL');
const COPY_PIECE_BYTES = 1024 * 1024;

/**
 * Test-only hooks (never documented for users): the rotate tests kill the
 * process, or change a file, at a known point, which these make
 * deterministic.
 *   ENVEIL_TEST_ROTATE_PAUSE_AFTER=N         after N files were rotated
 *   ENVEIL_TEST_ROTATE_PAUSE_BEFORE_RENAME=N with N rotated, once the next
 *                                            file's temporary copy is synced
 * A pause announces itself on stderr and sleeps (files.js testPause).
 * @param {string} name
 */
function testHook(name) {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : -1;
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
  if (file === '-') {
    throw new CliError(EXIT.IO, "cannot rotate '-': stdin is not a file (rotate replaces files in place)");
  }
  let linkStat;
  try {
    linkStat = await fsp.lstat(file);
  } catch (err) {
    throw ioError('cannot read', file, err);
  }
  if (linkStat.isSymbolicLink()) {
    throw new CliError(EXIT.IO, `${file} is a symbolic link: not rotated (rotate would replace the link with a file); give the path of the file it points to`);
  }
  // Checked before the open, which would wait forever on a FIFO.
  if (!linkStat.isFile()) throw new CliError(EXIT.IO, `${file} is not a regular file: not rotated`);
  if (linkStat.nlink > 1) {
    process.stderr.write(`enveil: warning: ${file} has ${linkStat.nlink} hard links; only this name gets the rotated file, the others keep the old key\n`);
  }
  // O_NOFOLLOW: a link put there since the lstat is refused too.
  const source = await openSource(file, { noFollow: true });
  try {
    const opened = /** @type {import('node:fs').Stats} */ (source.stat);
    const checkedBeforeRename = async () => {
      await beforeRename();
      await checkUnchanged(file, opened);
    };
    const start = await source.read(MAGIC.length);
    source.unread(start);
    const isStream = start.length === MAGIC.length && MAGIC.every((b, i) => start[i] === b);
    if (isStream) return await rotateStreamFile(source, file, opened, oldKey, newKey, checkedBeforeRename);
    return await rotateEnvFile(source, file, opened, oldKey, newKey, checkedBeforeRename);
  } finally {
    await source.close();
  }
}

/**
 * Throws (the file fails, and is left as it is) unless `file` is still the
 * file that was opened, unchanged.
 * @param {string} file
 * @param {import('node:fs').Stats} opened its fstat when it was opened
 */
async function checkUnchanged(file, opened) {
  /** @type {import('node:fs').Stats | null} */
  let now = null;
  try {
    now = await fsp.lstat(file);
  } catch {
    // Removed: changed too.
  }
  const same = now !== null && now.dev === opened.dev && now.ino === opened.ino && now.size === opened.size
    && now.mtimeMs === opened.mtimeMs && now.ctimeMs === opened.ctimeMs;
  if (!same) {
    throw new CliError(EXIT.IO, `${file} changed while it was being rotated (replaced, modified or removed by another process): left as it is now; run rotate again`);
  }
}

/**
 * @param {import('./files.js').Source} source
 * @param {string} file
 * @param {import('node:fs').Stats} opened
 * @param {MasterKey} oldKey
 * @param {MasterKey} newKey
 * @param {() => Promise<void>} beforeRename
 * @returns {Promise<Outcome>}
 */
async function rotateStreamFile(source, file, opened, oldKey, newKey, beforeRename) {
  const { header, info } = await readHeader(source);
  if (info.keyId === newKey.id) {
    beginOpen(file, newKey, header).fill(0);
    return 'already';
  }
  const newHeader = rewrap(file, oldKey, newKey, header, info);
  const sink = await atomicFile(file, { mode: opened.mode & 0o7777, exactMode: true, owner: { uid: opened.uid, gid: opened.gid } });
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
 * Re-wraps every token of a sealed .env file. Only the tokens' text changes:
 * every other byte (comments, quoting, spacing, line endings, plain values)
 * stays as it was.
 * @param {import('./files.js').Source} source
 * @param {string} file
 * @param {import('node:fs').Stats} opened
 * @param {MasterKey} oldKey
 * @param {MasterKey} newKey
 * @param {() => Promise<void>} beforeRename
 * @returns {Promise<Outcome>}
 */
async function rotateEnvFile(source, file, opened, oldKey, newKey, beforeRename) {
  let text;
  try {
    text = await readSourceText(source);
  } catch {
    throw new CliError(EXIT.AUTH, `${file} is not an enveil sealed file or a .env file with sealed values`);
  }
  /** @type {ReturnType<typeof envTokens>['tokens']} */
  let tokens;
  try {
    ({ tokens } = envTokens(text, file));
  } catch {
    tokens = [];
  }
  if (tokens.length === 0) {
    throw new CliError(EXIT.AUTH, `${file} is not an enveil sealed file or a .env file with sealed values`);
  }
  let out = '';
  let copied = 0;
  let replaced = 0;
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
    if (text.slice(entry.start, entry.end) !== entry.value) {
      throw new Error(`${where}: the parser's position of the token is wrong`);
    }
    out += text.slice(copied, entry.start) + TOKEN_PREFIX + Buffer.concat([newHeader, body]).toString('base64url');
    copied = entry.end;
    replaced++;
  }
  if (replaced === 0) return 'already';
  out += text.slice(copied);
  const sink = await atomicFile(file, { mode: opened.mode & 0o7777, exactMode: true, owner: { uid: opened.uid, gid: opened.gid } });
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
  if (file === '-') return [];
  try {
    // Regular files only: opening a FIFO would wait forever (rotate then
    // reports such a FILE as failed).
    if (!(await fsp.lstat(file)).isFile()) return [];
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
 * Without --new-key: a new key file is generated next to the old key. Not
 * when some FILES already name another key id (a rerun after an interrupted
 * rotation, most likely): which key that is cannot be known from a header,
 * whose key id is not authenticated until its key unwraps it, so the user is
 * asked for --new-key (the path the first run printed).
 * @param {MasterKey} oldKey
 * @param {string[]} files
 * @param {(line: string) => void} report
 */
async function defaultNewKey(oldKey, files, report) {
  /** @type {Set<string>} */
  const others = new Set();
  for (const file of files) {
    for (const id of await keyIdsIn(file)) if (id !== oldKey.id) others.add(id);
  }
  if (others.size > 0) {
    const ids = [...others].sort().map(quote).join(', ');
    throw new CliError(EXIT.USAGE, `some files are sealed under key id${others.size > 1 ? 's' : ''} ${ids}, not ${quote(oldKey.id)} (--key-path): if a rotation was interrupted, run it again with --new-key PATH, the key file it printed ("new key: PATH"); no new key was generated`);
  }
  const key = await writeNewKey(path.dirname(oldKey.path));
  report(`new key: ${key.path}`);
  return key;
}

/**
 * @param {{ oldKeyPath?: string, newKeyPath?: string, files: string[], report: (line: string) => void, fail: (line: string) => void }} options
 * @returns {Promise<number>} exit code
 */
export async function rotateCommand({ oldKeyPath, newKeyPath, files, report, fail }) {
  const oldKey = await loadKey(oldKeyPath);
  /** @type {MasterKey | undefined} */
  let newKey;
  try {
    newKey = newKeyPath !== undefined
      ? await loadKey(newKeyPath, '--new-key')
      : await defaultNewKey(oldKey, files, report);
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
        const errno = /** @type {NodeJS.ErrnoException} */ (err);
        // A system error outside the file layer (e.g. a file gone mid-way)
        // fails that file, as an I/O error; anything else is a bug.
        const failure = err instanceof CliError ? err
          : errno && typeof errno.code === 'string' && typeof errno.syscall === 'string' ? ioError('cannot rotate', file, err)
            : null;
        if (failure === null) throw err;
        counts.failed++;
        fail(`failed: ${failure.message}`);
      }
    }
    report(`${counts.rotated} rotated, ${counts.already} already rotated, ${counts.failed} failed`);
    return counts.failed > 0 ? EXIT.PARTIAL : EXIT.OK;
  } finally {
    oldKey.bytes.fill(0);
    newKey?.bytes.fill(0);
  }
}
