// enveil rotate, run as a subprocess: re-wrap without re-encryption, open
// with the new key only, reruns, failures per file, and a run killed with
// SIGKILL mid-way (after a file, and between fsync and rename) then rerun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, keygen, layout, pattern, run, tempDir } from './helpers.js';

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

test('without --new-key a key is generated next to the old one, and a rerun reuses it', async (t) => {
  const { dir, oldKey, files } = await setup(t, 3);
  const names = files.map((f) => f.file);
  const killed = /** @type {any} */ (await rotateAndKill(['--key-path', oldKey, ...names], { ENVEIL_TEST_ROTATE_PAUSE_AFTER: '1' }));
  const generated = /^new key: (.+)$/m.exec(killed.stdout)?.[1];
  assert.ok(generated, killed.stdout);
  assert.equal(path.dirname(generated), dir);
  assert.equal(statSync(generated).mode & 0o777, 0o600);
  const rerun = await run(['rotate', '--key-path', oldKey, ...names]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout.toString(), new RegExp(`resuming with new key: ${generated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(rerun.stdout.toString(), /2 rotated, 1 already rotated, 0 failed/);
  for (const { file, data } of files) assert.ok((await openWith(file, generated)).stdout.equals(data));
  assert.equal(readdirSync(dir).filter((n) => n.endsWith('.key')).length, 3, 'no third key was generated');
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
