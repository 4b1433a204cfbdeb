// Outputs and inputs that are not plain regular files: -o to a FIFO or to a
// character device is written in place (never replaced by a plaintext file),
// a directory is refused; a FIFO as key file or as a FILE of rotate is
// refused without blocking; rotate keeps a file's owner and group and a
// UTF-8 byte order mark; names near the length limit still get a temporary
// file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, keygen, listDir, pattern, run, tempDir } from './helpers.js';

/** @param {string} file */
function mkfifo(file) {
  const r = spawnSync('mkfifo', [file]);
  assert.equal(r.status, 0, `mkfifo ${file}: ${r.stderr}`);
}

/**
 * Sealed test data and the key that opens it.
 * @param {string} dir
 */
async function sealedFixture(dir) {
  const key = await keygen(dir, 'k1');
  const data = pattern(200_000, 7);
  writeFileSync(path.join(dir, 'data'), data);
  const s = await run(['seal', '--key-path', key, path.join(dir, 'data'), '-o', path.join(dir, 'data.enc')]);
  assert.equal(s.code, 0, s.stderr);
  return { key, data, sealed: path.join(dir, 'data.enc') };
}

test('open -o to a FIFO writes the plaintext into the pipe; the FIFO stays a FIFO', { skip: process.platform === 'win32' && 'no FIFOs on Windows', timeout: 30_000 }, async (t) => {
  const dir = tempDir(t);
  const { key, data, sealed } = await sealedFixture(dir);
  const fifo = path.join(dir, 'pipe');
  mkfifo(fifo);
  // A reader on the pipe, as `enveil open -o pipe & consumer < pipe` would be.
  const reader = spawn('cat', [fifo]);
  t.after(() => reader.kill());
  /** @type {Buffer[]} */
  const got = [];
  reader.stdout.on('data', (b) => got.push(b));
  const readerDone = new Promise((resolve) => reader.on('close', resolve));
  const r = await run(['open', '--key-path', key, sealed, '-o', fifo]);
  await readerDone;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Buffer.concat(got).equals(data), 'the reader got the plaintext');
  assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO, not a file holding the plaintext');
  assert.deepEqual(listDir(dir).filter((n) => n.endsWith('.enveil-tmp')), []);
});

test('open -o through a link to /dev/null writes into the device; neither the link nor /dev/null is replaced', { skip: process.platform === 'win32' && 'no /dev/null on Windows' }, async (t) => {
  const dir = tempDir(t);
  const { key, sealed } = await sealedFixture(dir);
  const link = path.join(dir, 'nul');
  symlinkSync('/dev/null', link);
  const r = await run(['open', '--key-path', key, sealed, '-o', link]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
  assert.equal(readlinkSync(link), '/dev/null');
  assert.ok(statSync('/dev/null').isCharacterDevice(), '/dev/null is still the device');
  assert.deepEqual(listDir(dir).filter((n) => n.endsWith('.enveil-tmp')), []);
});

test('open -o to a directory is refused (exit 4) and leaves nothing behind', async (t) => {
  const dir = tempDir(t);
  const { key, sealed } = await sealedFixture(dir);
  const target = path.join(dir, 'adir');
  mkdirSync(target);
  const r = await run(['open', '--key-path', key, sealed, '-o', target]);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /not a regular file/);
  assert.deepEqual(listDir(target), []);
  assert.deepEqual(listDir(dir).filter((n) => n.endsWith('.enveil-tmp')), []);
});

test('a FIFO as key file is refused at once (exit 3), without waiting for a writer', { skip: process.platform === 'win32' && 'no FIFOs on Windows', timeout: 20_000 }, async (t) => {
  const dir = tempDir(t);
  const fifo = path.join(dir, 'k2.key');
  mkfifo(fifo);
  chmodSync(fifo, 0o600);
  writeFileSync(path.join(dir, 'x'), 'x');
  const r = await run(['seal', '--key-path', fifo, path.join(dir, 'x')]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /not a regular file/);
});

test('rotate: a FIFO among the files fails at once (exit 5); the other files are rotated', { skip: process.platform === 'win32' && 'no FIFOs on Windows', timeout: 30_000 }, async (t) => {
  const dir = tempDir(t);
  const { key, data, sealed } = await sealedFixture(dir);
  const next = await keygen(dir, 'k2');
  const fifo = path.join(dir, 'p.enc');
  mkfifo(fifo);
  for (const withNewKey of [true, false]) {
    const args = ['rotate', '--key-path', key, ...(withNewKey ? ['--new-key', next] : []), fifo, sealed];
    const r = await run(args);
    if (withNewKey) {
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /p\.enc is not a regular file/);
      const opened = await run(['open', '--key-path', next, sealed]);
      assert.ok(opened.stdout.equals(data), 'the sealed file was rotated');
    } else {
      // The key-id scan of a rerun without --new-key skips the FIFO too
      // (and refuses, as the other file is under k2 now).
      assert.equal(r.code, 2, r.stderr);
    }
  }
});

test('rotate keeps the owner and group of the file it replaces', { skip: (typeof process.getuid !== 'function' || process.getuid() !== 0) && 'needs root to give a file another owner' }, async (t) => {
  const dir = tempDir(t);
  const { key, sealed } = await sealedFixture(dir);
  const next = await keygen(dir, 'k2');
  chownSync(sealed, 1234, 2345);
  chmodSync(sealed, 0o640);
  const r = await run(['rotate', '--key-path', key, '--new-key', next, sealed]);
  assert.equal(r.code, 0, r.stderr);
  const st = statSync(sealed);
  assert.equal(st.uid, 1234);
  assert.equal(st.gid, 2345);
  assert.equal(st.mode & 0o777, 0o640);
});

test('rotate of a sealed .env keeps its UTF-8 byte order mark', async (t) => {
  const dir = tempDir(t);
  const key = await keygen(dir, 'k1');
  const next = await keygen(dir, 'k2');
  const plain = path.join(dir, '.env');
  writeFileSync(plain, 'A=1\r\n# note\r\nB=two\r\n');
  const sealedPath = path.join(dir, '.env.sealed');
  const s = await run(['env', 'seal', '--key-path', key, plain, '-o', sealedPath]);
  assert.equal(s.code, 0, s.stderr);
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  writeFileSync(sealedPath, Buffer.concat([bom, readFileSync(sealedPath)]));
  const before = readFileSync(sealedPath, 'latin1');
  const r = await run(['rotate', '--key-path', key, '--new-key', next, sealedPath]);
  assert.equal(r.code, 0, r.stderr);
  const after = readFileSync(sealedPath);
  assert.ok(after.subarray(0, 3).equals(bom), 'the byte order mark is still there');
  const mask = (/** @type {string} */ text) => text.replace(/enveil:v1:[A-Za-z0-9_-]+/g, 'TOKEN');
  assert.equal(mask(after.toString('latin1')), mask(before), 'only the tokens changed');
});

test('an output name near the 255-byte limit still gets its temporary file', async (t) => {
  const dir = tempDir(t);
  const key = await keygen(dir, 'k1');
  writeFileSync(path.join(dir, 'x'), 'some data');
  const long = path.join(dir, 'b'.repeat(240));
  const s = await run(['seal', '--key-path', key, path.join(dir, 'x'), '-o', long]);
  assert.equal(s.code, 0, s.stderr);
  const o = await run(['open', '--key-path', key, long]);
  assert.equal(o.stdout.toString(), 'some data');
  assert.deepEqual(listDir(dir).filter((n) => n.endsWith('.enveil-tmp')), []);
});
