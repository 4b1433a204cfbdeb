/**
 * Re-wrapping the data key of sealed files (and of each value of sealed .env
 * files) from an old master key to a new one, for `enveil rotate`. Bodies are
 * copied as they are, never decrypted or re-encrypted. Per file: new header
 * and copied body to an atomic file (io/atomic-file.js) renamed over the
 * file, so a file is either wholly old or wholly new. Files already under
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
import * as core from '../stream-format.js';
import { readToken, tokenBytes, tokensIn, toToken } from './env-tokens.js';
import { CliError, EXIT, ioError, quote } from './exit.js';
import { atomicFile } from './io/atomic-file.js';
import { eachPiece, openSource } from './io/source.js';
import { readSourceText, readText } from './io/text.js';
import { writeNewKey } from './key-file.js';
import { isService, maxStartBytes, namesMaster, parseSealed, readSealed, rewrapWith, verifyUnder } from './master.js';
import { startsWithMagic } from './sealed-header.js';
import { rotatePausePoints, testPause } from './test-hooks.js';

const COPY_PIECE_BYTES = 1024 * 1024;

/**
 * @typedef {import('./master.js').Master} MasterKey
 * @typedef {'rotated' | 'already'} Outcome
 */

/**
 * Rotates each of `files` in turn, reporting each outcome; a file that fails
 * is reported through `fail` and the others go on.
 * @param {{ oldKey: MasterKey, newKey: MasterKey, files: string[], report: (line: string) => void, fail: (line: string) => void }} options
 */
export async function rotateFiles({ oldKey, newKey, files, report, fail }) {
  const pauseAt = rotatePausePoints();
  const counts = { rotated: 0, already: 0, failed: 0 };
  for (const file of files) {
    const beforeRename = async () => {
      if (counts.rotated === pauseAt.beforeRename) await testPause(`before renaming ${file}`);
    };
    try {
      const outcome = await rotateFile(file, oldKey, newKey, beforeRename);
      counts[outcome]++;
      report(outcome === 'rotated'
        ? `rotated: ${file} (${label(oldKey)} -> ${label(newKey)})`
        : `already rotated: ${file} (${label(newKey)})`);
      if (outcome === 'rotated' && counts.rotated === pauseAt.after) await testPause(`after ${counts.rotated} files`);
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
  return counts;
}

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
    const rotate = (await startsWithMagic(source)) ? rotateStreamFile : rotateEnvFile;
    return await rotate(source, file, opened, oldKey, newKey, checkedBeforeRename);
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
 * Writes the rotated file through `write` to an atomic file that keeps the
 * mode, owner and group of the file opened, and renames it over the file.
 * @param {string} file
 * @param {import('node:fs').Stats} opened
 * @param {() => Promise<void>} beforeRename
 * @param {(sink: import('./io/sink.js').Sink) => Promise<void>} write
 */
async function replaceFile(file, opened, beforeRename, write) {
  const sink = await atomicFile(file, { mode: opened.mode & 0o7777, exactMode: true, owner: { uid: opened.uid, gid: opened.gid } });
  try {
    await write(sink);
    await sink.commit({ beforeRename });
  } catch (err) {
    await sink.abort();
    throw err;
  }
}

/**
 * @param {import('./io/source.js').Source} source
 * @param {string} file
 * @param {import('node:fs').Stats} opened
 * @param {MasterKey} oldKey
 * @param {MasterKey} newKey
 * @param {() => Promise<void>} beforeRename
 * @returns {Promise<Outcome>}
 */
async function rotateStreamFile(source, file, opened, oldKey, newKey, beforeRename) {
  const sealed = await readSealed(source);
  if (namesMaster(sealed, newKey)) {
    await verifyUnder(file, newKey, sealed);
    return 'already';
  }
  const newHeader = await rewrapWith(file, oldKey, newKey, sealed);
  await replaceFile(file, opened, beforeRename, async (sink) => {
    await sink.write(newHeader);
    await eachPiece(source, COPY_PIECE_BYTES, (piece) => sink.write(piece));
  });
  return 'rotated';
}

/**
 * Re-wraps every token of a sealed .env file. Only the tokens' text changes:
 * every other byte (comments, quoting, spacing, line endings, plain values)
 * stays as it was.
 * @param {import('./io/source.js').Source} source
 * @param {string} file
 * @param {import('node:fs').Stats} opened
 * @param {MasterKey} oldKey
 * @param {MasterKey} newKey
 * @param {() => Promise<void>} beforeRename
 * @returns {Promise<Outcome>}
 */
async function rotateEnvFile(source, file, opened, oldKey, newKey, beforeRename) {
  const notRotatable = () => new CliError(EXIT.AUTH, `${file} is not an enveil sealed file or a .env file with sealed values`);
  let text;
  try {
    text = await readSourceText(source);
  } catch {
    throw notRotatable();
  }
  const tokens = tokensIn(text, file);
  if (tokens.length === 0) throw notRotatable();
  let out = '';
  let copied = 0;
  let replaced = 0;
  for (const entry of tokens) {
    const where = `${file}:${entry.line} ${entry.name}`;
    const { bytes, sealed } = readToken(where, entry.value);
    if (namesMaster(sealed, newKey)) {
      await verifyUnder(where, newKey, sealed);
      continue;
    }
    const newHeader = await rewrapWith(where, oldKey, newKey, sealed);
    const body = bytes.subarray(sealed.size);
    if (text.slice(entry.start, entry.end) !== entry.value) {
      throw new Error(`${where}: the parser's position of the token is wrong`);
    }
    out += text.slice(copied, entry.start) + toToken(Buffer.concat([newHeader, body]));
    copied = entry.end;
    replaced++;
  }
  if (replaced === 0) return 'already';
  out += text.slice(copied);
  await replaceFile(file, opened, beforeRename, (sink) => sink.write(new TextEncoder().encode(out)));
  return 'rotated';
}

/**
 * The master keys the starts of `file`'s streams name, as messages name
 * them (none when unreadable).
 * @param {string} file
 * @returns {Promise<string[]>}
 */
async function keysNamedIn(file) {
  if (file === '-') return [];
  /** @param {import('./master.js').Sealed | null} sealed */
  const named = (sealed) => (sealed === null ? [] : [sealed.block ? `${sealed.block.kind} key ${quote(sealed.block.id)}` : quote(sealed.info.keyId)]);
  try {
    // Regular files only: opening a FIFO would wait forever (rotate then
    // reports such a FILE as failed).
    if (!(await fsp.lstat(file)).isFile()) return [];
    const source = await openSource(file);
    try {
      const found = named(parseSealed(await source.read(maxStartBytes())));
      if (found.length) return found;
    } finally {
      await source.close();
    }
    return tokensIn(await readText(file), file).flatMap((t) => named(parseSealed(/** @type {Uint8Array} */ (tokenBytes(t.value)))));
  } catch {
    return [];
  }
}

/** How reports name a master key: its id (a key file's, or the service's). @param {MasterKey} key */
const label = (key) => key.id;

/**
 * The new key when none is given: a new key file generated next to the old
 * key. Not when some FILES already name another key id (a rerun after an
 * interrupted rotation, most likely): which key that is cannot be known from
 * a header, whose key id is not authenticated until its key unwraps it, so
 * the user is asked for --new-key (the path the first run printed).
 * @param {MasterKey} oldKey
 * @param {string[]} files
 * @param {(line: string) => void} report
 */
export async function generateNewKey(oldKey, files, report) {
  if (isService(oldKey)) {
    throw new CliError(EXIT.USAGE, 'rotate from a key-service key needs the new key: --new-key FILE or --new-kek URI');
  }
  /** @type {Set<string>} */
  const others = new Set();
  const own = quote(oldKey.id);
  for (const file of files) {
    for (const named of await keysNamedIn(file)) if (named !== own) others.add(named);
  }
  if (others.size > 0) {
    const names = [...others].sort().join(', ');
    throw new CliError(EXIT.USAGE, `some files are sealed under key id${others.size > 1 ? 's' : ''} ${names}, not ${own} (--key-path): if a rotation was interrupted, run it again with --new-key PATH, the key file it printed ("new key: PATH"); no new key was generated`);
  }
  const key = await writeNewKey(path.dirname(oldKey.path));
  report(`new key: ${key.path}`);
  return key;
}
