// Outputs and inputs that are not plain regular files: -o to a FIFO or to a
// character device is written in place (never replaced by a plaintext file),
// a directory or a symbolic link is refused, and so is a FIFO replaced
// between its check and its open; a FIFO as key file or as a FILE of rotate is
// refused without blocking; rotate keeps a file's owner and group and a
// UTF-8 byte order mark; names near the length limit still get a temporary
// file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, keygen, listDir, pattern, run, runWithPauses, tempDir } from './helpers.js';

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

test('-o to a symbolic link is refused (exit 4), whatever it points to: /dev/null, a FIFO, a file; the link and its target stay as they were', { skip: process.platform === 'win32' && 'no /dev/null or FIFOs on Windows', timeout: 30_000 }, async (t) => {
  const dir = tempDir(t);
  const { key, sealed } = await sealedFixture(dir);
  const fifo = path.join(dir, 'pipe');
  mkfifo(fifo);
  // A reader on the FIFO, so that a write through the link would not block.
  const reader = spawn('cat', [fifo]);
  t.after(() => reader.kill());
  /** @type {Buffer[]} */
  const leaked = [];
  reader.stdout.on('data', (b) => leaked.push(b));
  const file = path.join(dir, 'file');
  writeFileSync(file, 'target content');
  for (const target of ['/dev/null', fifo, file]) {
    const link = path.join(dir, 'out');
    symlinkSync(target, link);
    for (const args of [['open', '--key-path', key, sealed], ['seal', '--key-path', key, sealed]]) {
      const r = await run([...args, '-o', link]);
      assert.equal(r.code, 4, `${args[0]} -o link to ${target}: ${r.stderr}`);
      assert.match(r.stderr, /out is a symbolic link: refused/);
      assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
      assert.equal(readlinkSync(link), target);
    }
    rmSync(link);
  }
  assert.equal(readFileSync(file, 'utf8'), 'target content');
  assert.ok(statSync('/dev/null').isCharacterDevice(), '/dev/null is still the device');
  assert.equal(Buffer.concat(leaked).length, 0, 'nothing went into the FIFO');
  assert.deepEqual(listDir(dir).filter((n) => n.endsWith('.enveil-tmp')), []);
});

test('-o /dev/stdout and -o /dev/fd/N (a shell\'s >(cmd)) write into the descriptor enveil was given', { skip: !['linux', 'darwin'].includes(process.platform) && 'needs /dev/fd' }, async (t) => {
  const dir = tempDir(t);
  const { key, data, sealed } = await sealedFixture(dir);
  const r = await run(['open', '--key-path', key, sealed, '-o', '/dev/stdout']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.equals(data), 'the plaintext went to stdout');
  const bash = spawnSync('bash', ['-c', 'echo ok']);
  if (bash.status !== 0) return t.skip('no bash for >(cmd)');
  // bash gives enveil a pipe named /dev/fd/63; cat copies it to bash's stdout.
  const sub = spawnSync('bash', ['-c', '"$0" "$1" open --key-path "$2" "$3" -o >(cat); s=$?; wait; exit $s', process.execPath, BIN, key, sealed]);
  assert.equal(sub.status, 0, sub.stderr.toString());
  assert.ok(sub.stdout.equals(data), 'the plaintext went through the pipe');
  assert.deepEqual(listDir(dir).filter((n) => n.endsWith('.enveil-tmp')), []);
});

test('-o to a FIFO that is replaced, between its check and its open, by a link or a file is refused (exit 4); nothing is written into what replaced it', { skip: process.platform === 'win32' && 'no FIFOs on Windows', timeout: 30_000 }, async (t) => {
  const dir = tempDir(t);
  const { key, sealed } = await sealedFixture(dir);
  const victim = path.join(dir, 'victim');
  const before = 'the file the link points to';
  for (const replacement of ['link', 'file']) {
    writeFileSync(victim, before);
    const out = path.join(dir, 'out');
    mkfifo(out);
    const resume = path.join(dir, 'resume');
    const r = await runWithPauses(['open', '--key-path', key, sealed, '-o', out], {
      env: { ENVEIL_TEST_PAUSE_BEFORE_DEVICE_OPEN: '1', ENVEIL_TEST_RESUME_FILE: resume },
      onPause() {
        rmSync(out);
        if (replacement === 'link') symlinkSync(victim, out);
        else writeFileSync(out, before);
        writeFileSync(resume, '');
      },
    });
    assert.match(r.stderr, /test pause before opening/, 'the pause hook ran');
    assert.equal(r.code, 4, `replaced by a ${replacement}: ${r.stderr}`);
    assert.equal(readFileSync(victim, 'utf8'), before, `replaced by a ${replacement}: the link's target is unchanged`);
    assert.equal(readFileSync(out, 'utf8'), before, `replaced by a ${replacement}: what is there now is unchanged`);
    rmSync(out);
  }
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
  const mask = (/** @type {string} */ text) => text.replace(/enveil:v2:[A-Za-z0-9_-]+/g, 'TOKEN');
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
