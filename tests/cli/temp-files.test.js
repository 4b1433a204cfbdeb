// Temporary files of atomic writes, run as a subprocess: removed when
// SIGINT, SIGTERM or SIGHUP ends the process (exit 128 + the signal), and the
// sweep of leftovers spares the temporary file of a live process and goes on
// past one it cannot remove.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { keygen, listDir, pattern, run, runWithPauses, tempDir } from './helpers.js';

/** Pause after the first write to each temporary file. */
const PAUSE = { ENVEIL_TEST_PAUSE_AFTER_WRITE: '1' };

/** The temporary file a pause line names. @param {string} line */
function tempOf(line) {
  const m = /after writing to (.+\.enveil-tmp)$/.exec(line);
  assert.ok(m, line);
  return /** @type {string} */ (m[1]);
}

/**
 * Runs `args` with the pause hook, checks at the pause that the temporary
 * file exists, sends `signal`, and returns the result.
 * @param {string[]} args
 * @param {NodeJS.Signals} signal
 * @param {{ input?: Buffer | string }} [options]
 */
async function interrupted(args, signal, { input } = {}) {
  /** @type {string[]} */
  const temps = [];
  const r = await runWithPauses(args, {
    input,
    env: PAUSE,
    onPause(child, index, line) {
      const temp = tempOf(line);
      assert.ok(existsSync(temp), `the temporary file exists during the pause: ${temp}`);
      temps.push(temp);
      if (index === 0) child.kill(signal);
    },
  });
  assert.equal(temps.length, 1, r.stderr);
  assert.equal(r.signal, null, `the process handled ${signal}: ${r.stderr}`);
  assert.equal(r.code, 128 + /** @type {number} */ (constants.signals[signal]), r.stderr);
  assert.match(r.stderr, new RegExp(`interrupted by ${signal}; temporary files removed`));
  assert.ok(!existsSync(/** @type {string} */ (temps[0])), 'the temporary file was removed');
  return r;
}

/** @param {import('node:test').TestContext} t */
async function setup(t) {
  const dir = tempDir(t);
  const key = await keygen(dir, 'k1');
  const data = pattern(300_000, 5);
  writeFileSync(path.join(dir, 'plain'), data);
  const sealed = await run(['seal', '--key-path', key, '--chunk-size', '4K', path.join(dir, 'plain'), '-o', path.join(dir, 'in.enc')]);
  assert.equal(sealed.code, 0, sealed.stderr);
  writeFileSync(path.join(dir, 'out'), 'previous content');
  return { dir, key, data };
}

for (const [signal, code] of /** @type {Array<[NodeJS.Signals, number]>} */ ([['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]])) {
  test(`open -o interrupted by ${signal} removes its plaintext temporary file and exits ${code}`, async (t) => {
    const { dir, key } = await setup(t);
    const before = listDir(dir);
    await interrupted(['open', '--key-path', key, path.join(dir, 'in.enc'), '-o', path.join(dir, 'out')], signal);
    assert.deepEqual(listDir(dir), before, 'nothing but the original files');
    assert.equal(readFileSync(path.join(dir, 'out'), 'utf8'), 'previous content', 'OUT left as it was');
  });
}

test('seal -o, env open -o, keygen and rotate interrupted by SIGTERM leave no temporary file', async (t) => {
  const { dir, key } = await setup(t);
  const env = path.join(dir, '.env.sealed');
  assert.equal((await run(['env', 'seal', '--key-path', key, '-o', env], { input: 'A=1\n' })).code, 0);
  const newKey = await keygen(dir, 'k2');
  const before = listDir(dir);
  const originals = before.map((name) => readFileSync(path.join(dir, name)));
  await interrupted(['seal', '--key-path', key, path.join(dir, 'plain'), '-o', path.join(dir, 'out')], 'SIGTERM');
  await interrupted(['env', 'open', '--key-path', key, env, '-o', path.join(dir, 'out')], 'SIGTERM');
  await interrupted(['keygen', '--dir', dir, '--id', 'k3'], 'SIGTERM');
  await interrupted(['rotate', '--key-path', key, '--new-key', newKey, path.join(dir, 'in.enc')], 'SIGTERM');
  await interrupted(['rotate', '--key-path', key, '--new-key', newKey, env], 'SIGTERM');
  assert.deepEqual(listDir(dir), before, 'nothing but the original files');
  for (const [i, name] of before.entries()) {
    assert.ok(readFileSync(path.join(dir, name)).equals(/** @type {Buffer} */ (originals[i])), `${name} is unchanged`);
  }
});

test("another process's write spares the temporary file of a live enveil writing the same target", async (t) => {
  const { dir, key } = await setup(t);
  const out = path.join(dir, 'out');
  /** @type {string | undefined} */
  let firstTemp;
  const first = await runWithPauses(['seal', '--key-path', key, path.join(dir, 'plain'), '-o', out], {
    env: PAUSE,
    async onPause(child, index, line) {
      if (index > 0) return;
      firstTemp = tempOf(line);
      assert.match(path.basename(firstTemp), new RegExp(`^\\.out\\.${child.pid}\\.[0-9a-f]{12}\\.enveil-tmp$`), 'the temporary file is named with the PID');
      // While the first one is paused with its temporary file open, a second
      // process writes the same target.
      const second = await run(['seal', '--key-path', key, '-o', out], { input: 'second' });
      assert.equal(second.code, 0, second.stderr);
      assert.doesNotMatch(second.stderr, /removed/);
      assert.ok(existsSync(firstTemp), "the live process's temporary file survived");
      child.kill('SIGTERM');
    },
  });
  assert.equal(first.code, 143, first.stderr);
  assert.ok(firstTemp && !existsSync(firstTemp));
  const opened = await run(['open', '--key-path', key, out]);
  assert.equal(opened.code, 0, opened.stderr);
  assert.equal(opened.stdout.toString(), 'second', "OUT is the second process's");
});

/** The PID of a process that has exited. */
function deadPid() {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.equal(r.status, 0);
  return /** @type {number} */ (r.pid);
}

test('a leftover of a dead process, or of a dead one with our own PID, is removed and reported', async (t) => {
  const { dir, key, data } = await setup(t);
  const stale = path.join(dir, `.out.${deadPid()}.0123456789ab.enveil-tmp`);
  writeFileSync(stale, 'partial plaintext');
  const before = listDir(dir).filter((n) => n !== path.basename(stale));
  const r = await run(['open', '--key-path', key, path.join(dir, 'in.enc'), '-o', path.join(dir, 'out')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`removed .*${path.basename(stale).replaceAll('.', '\\.')}, a temporary file left by an interrupted run`));
  assert.deepEqual(listDir(dir), before);
  assert.ok(readFileSync(path.join(dir, 'out')).equals(data));

  // The same PID as the process that sweeps (PIDs are reused, quickly in a
  // container): not a file it is writing, so a dead process's. The name is
  // made once the child's PID is known, before it reads its input.
  /** @type {string} */
  let own = '';
  const r2 = await runWithPauses(['open', '--key-path', key, '-o', path.join(dir, 'out')], {
    keepStdinOpen: true,
    onSpawn(child) {
      own = path.join(dir, `.out.${child.pid}.ba9876543210.enveil-tmp`);
      writeFileSync(own, 'partial plaintext');
      child.stdin.end(readFileSync(path.join(dir, 'in.enc')));
    },
  });
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /removed .*\.ba9876543210\.enveil-tmp, a temporary file left by an interrupted run/);
  assert.ok(!existsSync(own));
  assert.deepEqual(listDir(dir), before);
});

test('a leftover that cannot be removed is reported and the write goes on', async (t) => {
  const { dir, key } = await setup(t);
  // A directory with the name of a leftover: unlink() fails on it.
  const stuck = path.join(dir, `.out.${deadPid()}.0123456789ab.enveil-tmp`);
  mkdirSync(stuck);
  writeFileSync(path.join(stuck, 'inside'), 'x');
  const r = await run(['seal', '--key-path', key, '-o', path.join(dir, 'out')], { input: 'new' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: cannot remove .*\.0123456789ab\.enveil-tmp: .*remove it by hand/);
  assert.equal(readFileSync(path.join(dir, 'out')).subarray(0, 6).toString(), 'ENVEIL');
  assert.ok(existsSync(stuck));
});
