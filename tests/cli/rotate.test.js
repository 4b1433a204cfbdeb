// enveil rotate, run as a subprocess: re-wrap without re-encryption, open
// with the new key only, reruns, failures per file, and a run killed with
// SIGKILL mid-way (after a file, and between fsync and rename) then rerun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, lstatSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, keygen, layout, listDir, pattern, run, runWithPauses, tempDir } from './helpers.js';

/**
 * Old and new keys and `count` sealed files of different sizes.
 * @param {import('node:test').TestContext} t
 * @param {number} count
 */
async function setup(t, count) {
  const dir = tempDir(t);
  const oldKey = await keygen(dir, 'old-1');
  const newKey = await keygen(dir, 'new-2');
  /** @type {Array<{ file: string, data: Buffer }>} */
  const files = [];
  for (let i = 0; i < count; i++) {
    const data = pattern(i * 70_000 + 5, i + 1);
    const file = path.join(dir, `f${i}.enc`);
    writeFileSync(path.join(dir, 'in'), data);
    const r = await run(['seal', '--key-path', oldKey, path.join(dir, 'in'), '-o', file]);
    assert.equal(r.code, 0, r.stderr);
    files.push({ file, data });
  }
  return { dir, oldKey, newKey, files };
}

/**
 * @param {string} file
 * @param {string} key
 */
async function openWith(file, key) {
  return run(['open', '--key-path', key, file]);
}

/** Body bytes of a sealed file (after a header with empty context). @param {string} file @param {number} keyIdBytes */
const bodyOf = (file, keyIdBytes) => readFileSync(file).subarray(layout(0, keyIdBytes).body);

test('rotated files open with the new key only; bodies are not re-encrypted', async (t) => {
  const { oldKey, newKey, files } = await setup(t, 3);
  const bodies = files.map(({ file }) => bodyOf(file, 'old-1'.length));
  chmodSync(files[0]?.file ?? '', 0o640);
  const r = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, ...files.map((f) => f.file)]);
  assert.equal(r.code, 0, r.stderr);
  const report = r.stdout.toString();
  for (const { file } of files) assert.ok(report.includes(`rotated: ${file} (old-1 -> new-2)`), report);
  assert.match(report, /3 rotated, 0 already rotated, 0 failed/);
  for (const [i, { file, data }] of files.entries()) {
    assert.ok(bodyOf(file, 'new-2'.length).equals(/** @type {Buffer} */ (bodies[i])), 'body copied as it was');
    const opened = await openWith(file, newKey);
    assert.equal(opened.code, 0, opened.stderr);
    assert.ok(opened.stdout.equals(data));
    const old = await openWith(file, oldKey);
    assert.equal(old.code, 3);
    assert.match(old.stderr, /sealed under key id 'new-2'; --key-path gives 'old-1'/);
  }
  assert.equal(statSync(files[0]?.file ?? '').mode & 0o777, 0o640, 'a rotated file keeps its mode');
  const again = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, ...files.map((f) => f.file)]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout.toString(), /0 rotated, 3 already rotated, 0 failed/);
});

test('a file under neither key, or not sealed, fails alone; the others are rotated (exit 5)', async (t) => {
  const { dir, oldKey, newKey, files } = await setup(t, 2);
  const third = await keygen(dir, 'third');
  const foreign = path.join(dir, 'foreign.enc');
  await run(['seal', '--key-path', third, '-o', foreign], { input: 'x' });
  const before = readFileSync(foreign);
  const plain = path.join(dir, 'plain.txt');
  writeFileSync(plain, 'not sealed');
  const r = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, foreign, plain, ...files.map((f) => f.file)]);
  assert.equal(r.code, 5);
  assert.match(r.stderr, /foreign\.enc is sealed under key id 'third', neither 'old-1' \(--key-path\) nor 'new-2'/);
  assert.match(r.stderr, /plain\.txt is not an enveil sealed file/);
  assert.match(r.stdout.toString(), /2 rotated, 0 already rotated, 2 failed/);
  assert.ok(readFileSync(foreign).equals(before));
  for (const { file, data } of files) assert.ok((await openWith(file, newKey)).stdout.equals(data));
});

test('a tampered header is not rotated: the wrapped key must unwrap under the old key', async (t) => {
  const { oldKey, newKey, files } = await setup(t, 1);
  const file = files[0]?.file ?? '';
  const bytes = readFileSync(file);
  bytes[layout(0, 5).fileId] ^= 1;
  writeFileSync(file, bytes);
  const r = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, file]);
  assert.equal(r.code, 5);
  assert.match(r.stderr, /does not authenticate under key 'old-1'/);
  assert.ok(readFileSync(file).equals(bytes), 'left as it was');
});

/**
 * Starts a rotate that pauses at a test hook, waits for the pause, kills it
 * with SIGKILL and returns what it printed.
 * @param {string[]} args
 * @param {Record<string, string>} env
 */
function rotateAndKill(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'rotate', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes('enveil: test pause')) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

test('rotation killed after some files is completed by running it again', async (t) => {
  const { oldKey, newKey, files } = await setup(t, 4);
  const names = files.map((f) => f.file);
  const killed = /** @type {any} */ (await rotateAndKill(['--key-path', oldKey, '--new-key', newKey, ...names],
    { ENVEIL_TEST_ROTATE_PAUSE_AFTER: '2' }));
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  // Exactly the first two files moved; every file opens with one of the keys.
  for (const [i, { file, data }] of files.entries()) {
    const opened = await openWith(file, i < 2 ? newKey : oldKey);
    assert.equal(opened.code, 0, `${file}: ${opened.stderr}`);
    assert.ok(opened.stdout.equals(data));
  }
  const rerun = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, ...names]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout.toString(), /2 rotated, 2 already rotated, 0 failed/);
  for (const { file, data } of files) {
    const opened = await openWith(file, newKey);
    assert.equal(opened.code, 0, opened.stderr);
    assert.ok(opened.stdout.equals(data));
  }
});

test('rotation killed between fsync and rename leaves the file intact, and a rerun completes', async (t) => {
  const { dir, oldKey, newKey, files } = await setup(t, 3);
  const names = files.map((f) => f.file);
  const original = readFileSync(names[1] ?? '');
  const killed = /** @type {any} */ (await rotateAndKill(['--key-path', oldKey, '--new-key', newKey, ...names],
    { ENVEIL_TEST_ROTATE_PAUSE_BEFORE_RENAME: '1' }));
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  assert.match(killed.stderr, /before renaming .*f1\.enc/);
  assert.ok(readFileSync(names[1] ?? '').equals(original), 'f1 is still the old file, whole');
  const temps = readdirSync(dir).filter((n) => n.endsWith('.enveil-tmp'));
  assert.equal(temps.length, 1, 'the killed run left its synced temporary copy');
  const rerun = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, ...names]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout.toString(), /2 rotated, 1 already rotated, 0 failed/);
  assert.match(rerun.stderr.toString(), /removed .*\.enveil-tmp, a temporary file left by an interrupted run/);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.enveil-tmp')), [], 'the rerun removed the leftover');
  for (const { file, data } of files) assert.ok((await openWith(file, newKey)).stdout.equals(data));
});

test('without --new-key a key is generated; a rerun without --new-key is refused, naming the id found', async (t) => {
  const { dir, oldKey, files } = await setup(t, 3);
  const names = files.map((f) => f.file);
  const killed = /** @type {any} */ (await rotateAndKill(['--key-path', oldKey, ...names], { ENVEIL_TEST_ROTATE_PAUSE_AFTER: '1' }));
  const generated = /^new key: (.+)$/m.exec(killed.stdout)?.[1];
  assert.ok(generated, killed.stdout);
  assert.equal(path.dirname(generated), dir);
  assert.equal(statSync(generated).mode & 0o777, 0o600);
  const generatedId = path.basename(generated, '.key');
  const keysBefore = readdirSync(dir).filter((n) => n.endsWith('.key')).sort();
  const contents = names.map((n) => readFileSync(n));
  // The key id in f0's header is not authenticated: rotate does not pick a
  // key by it, it asks for --new-key.
  const refused = await run(['rotate', '--key-path', oldKey, ...names]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, new RegExp(`sealed under key id '${generatedId}', not 'old-1'`));
  assert.match(refused.stderr, /--new-key PATH/);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.key')).sort(), keysBefore, 'no key was generated');
  for (const [i, n] of names.entries()) assert.ok(readFileSync(n).equals(/** @type {Buffer} */ (contents[i])), `${n} untouched`);
  const rerun = await run(['rotate', '--key-path', oldKey, '--new-key', generated, ...names]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout.toString(), /2 rotated, 1 already rotated, 0 failed/);
  for (const { file, data } of files) assert.ok((await openWith(file, generated)).stdout.equals(data));
});

test('without --new-key, files under foreign key ids are refused (exit 2) and every id is named', async (t) => {
  const { dir, oldKey, files } = await setup(t, 1);
  const foreign = [];
  for (const id of ['third', 'fourth']) {
    const key = await keygen(dir, id);
    const file = path.join(dir, `${id}.enc`);
    assert.equal((await run(['seal', '--key-path', key, '-o', file], { input: 'x' })).code, 0);
    foreign.push(file);
  }
  const before = listDir(dir);
  const r = await run(['rotate', '--key-path', oldKey, files[0]?.file ?? '', ...foreign]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /sealed under key ids 'fourth', 'third', not 'old-1'/);
  assert.deepEqual(listDir(dir), before, 'no key generated, nothing rotated');
});

/**
 * Runs rotate with a pause before the rename of the first file, calls
 * `change` during it, then lets rotate go on (through the resume file, so
 * however slow the machine, the change happens before rotate's check).
 * @param {string[]} args
 * @param {() => void} change
 */
function rotateChangingDuringPause(args, change) {
  const resume = path.join(os.tmpdir(), `enveil-resume-${process.pid}-${Math.random().toString(16).slice(2)}`);
  return runWithPauses(['rotate', ...args], {
    env: { ENVEIL_TEST_ROTATE_PAUSE_BEFORE_RENAME: '0', ENVEIL_TEST_RESUME_FILE: resume },
    onPause(_child, index) {
      // The first pause is the one to act in; later ones (the next file,
      // when the first failed) just go on.
      if (index === 0) change();
      writeFileSync(resume, '');
    },
  });
}

test('a sealed file replaced while it is being rotated is left as the other writer made it (exit 5)', async (t) => {
  const { dir, oldKey, newKey, files } = await setup(t, 2);
  const [f0, f1] = files.map((f) => f.file);
  const replacement = Buffer.from('replaced by another process');
  const r = await rotateChangingDuringPause(['--key-path', oldKey, '--new-key', newKey, f0 ?? '', f1 ?? ''], () => {
    writeFileSync(path.join(dir, 'replacement'), replacement);
    renameSync(path.join(dir, 'replacement'), f0 ?? '');
  });
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /f0\.enc changed while it was being rotated/);
  assert.match(r.stdout.toString(), /1 rotated, 0 already rotated, 1 failed/);
  assert.ok(readFileSync(f0 ?? '').equals(replacement), 'the replacement is still there');
  assert.ok((await openWith(f1 ?? '', newKey)).stdout.equals(files[1]?.data ?? Buffer.alloc(1)), 'the other file was rotated');
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.enveil-tmp')), [], 'no temporary file left');
});

test('a sealed .env file modified in place while it is being rotated keeps the modification (exit 5)', async (t) => {
  const { dir, oldKey, newKey } = await setup(t, 0);
  const env = path.join(dir, '.env.sealed');
  assert.equal((await run(['env', 'seal', '--key-path', oldKey, '-o', env], { input: 'A=1\n' })).code, 0);
  const r = await rotateChangingDuringPause(['--key-path', oldKey, '--new-key', newKey, env], () => {
    appendFileSync(env, 'ADDED=by-someone-else\n');
  });
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /\.env\.sealed changed while it was being rotated/);
  assert.match(readFileSync(env, 'utf8'), /\nADDED=by-someone-else\n$/);
  const opened = await run(['env', 'open', '--key-path', oldKey, '--allow-plain', env]);
  assert.equal(opened.code, 0, opened.stderr);
  assert.equal(opened.stdout.toString(), 'A=1\nADDED=by-someone-else\n', 'still under the old key');
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.enveil-tmp')), []);
});

test('a symbolic link is not rotated (exit 5); neither the link nor its target changes', async (t) => {
  const { dir, oldKey, newKey, files } = await setup(t, 2);
  const [f0, f1] = files.map((f) => f.file);
  const link = path.join(dir, 'link.enc');
  symlinkSync(path.basename(f0 ?? ''), link);
  const before = readFileSync(f0 ?? '');
  const r = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, link, f1 ?? '']);
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /link\.enc is a symbolic link: not rotated/);
  assert.ok(lstatSync(link).isSymbolicLink(), 'still a link');
  assert.ok(readFileSync(f0 ?? '').equals(before), 'its target is untouched');
  assert.match(r.stdout.toString(), /1 rotated, 0 already rotated, 1 failed/);
});

test("'-', a missing file and a path through a file fail one by one (exit 5), never exit 70", async (t) => {
  const { dir, oldKey, newKey, files } = await setup(t, 1);
  const f0 = files[0]?.file ?? '';
  const sealed = readFileSync(f0);
  const r = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, '-', path.join(dir, 'missing.enc'), path.join(f0, 'x'), f0],
    { input: sealed });
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /failed: cannot rotate '-': stdin is not a file/);
  assert.match(r.stderr, /failed: cannot read .*missing\.enc: no such file or directory/);
  assert.match(r.stderr, /failed: cannot read .*f0\.enc\/x: a parent is not a directory/);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.match(r.stdout.toString(), /1 rotated, 0 already rotated, 3 failed/);
  // Without --new-key too ('-' is not read for key ids).
  const r2 = await run(['rotate', '--key-path', newKey, '-'], { input: sealed });
  assert.equal(r2.code, 5, r2.stderr);
  assert.match(r2.stderr, /cannot rotate '-'/);
});

test('sealed .env files are rotated value by value', async (t) => {
  const { dir, oldKey, newKey } = await setup(t, 0);
  const env = path.join(dir, '.env.sealed');
  const s = await run(['env', 'seal', '--key-path', oldKey, '-o', env], { input: '# c\nA=1\nB="two"\n' });
  assert.equal(s.code, 0, s.stderr);
  const r = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, env]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /rotated: .*\.env\.sealed/);
  const opened = await run(['env', 'open', '--key-path', newKey, env]);
  assert.equal(opened.code, 0, opened.stderr);
  assert.equal(opened.stdout.toString(), '# c\nA=1\nB="two"\n');
  assert.equal((await run(['env', 'open', '--key-path', oldKey, env])).code, 3);
  const again = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, env]);
  assert.match(again.stdout.toString(), /already rotated/);
});

test('rotating a sealed .env file changes the tokens and no other byte', async (t) => {
  const { dir, oldKey, newKey } = await setup(t, 0);
  const sealedPart = await run(['env', 'seal', '--key-path', oldKey],
    { input: 'SECRET=one\r\nexport SQ=\'two words\'\r\nDQ="three \\"3\\"" # kept comment\r\n' });
  assert.equal(sealedPart.code, 0, sealedPart.stderr);
  // Plain values and layout that a re-format would change: an unquoted value
  // with a quote, a double-quoted one with an unknown escape, spacing, a lone
  // LF in a CRLF file, no newline at the end.
  const text = [
    '# header comment\r\n',
    sealedPart.stdout.toString(),
    '\r\n',
    "PLAIN_U=it's\r\n",
    "PLAIN_S='single $HOME \\n'   # spaced comment\r\n",
    'PLAIN_D="a\\x b"\n',
    '  export  SPACED =   value\r\n',
    'EMPTY=\r\n',
    '# last line, no newline',
  ].join('');
  const file = path.join(dir, '.env.sealed');
  writeFileSync(file, text);
  const r = await run(['rotate', '--key-path', oldKey, '--new-key', newKey, file]);
  assert.equal(r.code, 0, r.stderr);
  const after = readFileSync(file, 'utf8');
  const TOKEN = /enveil:v2:[A-Za-z0-9_-]+/g;
  const mask = (/** @type {string} */ s) => s.replace(TOKEN, 'TOKEN');
  assert.equal(mask(after), mask(text), 'every byte outside the tokens is unchanged');
  const tokensBefore = text.match(TOKEN) ?? [];
  const tokensAfter = after.match(TOKEN) ?? [];
  assert.equal(tokensBefore.length, 3);
  assert.equal(tokensAfter.length, 3);
  for (const [i, token] of tokensAfter.entries()) assert.notEqual(token, tokensBefore[i], 'each token was rotated');
  const opened = await run(['env', 'open', '--key-path', newKey, '--allow-plain', file]);
  assert.equal(opened.code, 0, opened.stderr);
  const before = await run(['env', 'open', '--key-path', oldKey, '--allow-plain'], { input: text });
  assert.equal(opened.stdout.toString(), before.stdout.toString(), 'the values are the same');
});
