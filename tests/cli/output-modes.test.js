// The mode of the files -o writes: 0600 whatever the umask, the mode of the
// input and the mode of the file replaced (a sealed .env still names every
// variable and keeps comments; an opened one is plaintext). rotate keeps the
// mode of the file it replaces (rotate.test.js), keygen writes 0600
// (keys-help.test.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keygen, run, tempDir } from './helpers.js';

/** @param {string} file */
const modeOf = (file) => (statSync(file).mode & 0o777).toString(8).padStart(4, '0');

/**
 * Runs `args` (ending in `-o OUT`) under `umask` over an OUT that exists
 * with mode 0644, and returns OUT's mode after.
 * @param {string[]} args
 * @param {string} out
 * @param {number} umask
 */
async function modeWritten(args, out, umask) {
  writeFileSync(out, 'previous');
  chmodSync(out, 0o644);
  const r = await run([...args, '-o', out], { umask });
  assert.equal(r.code, 0, r.stderr);
  return modeOf(out);
}

/** @param {import('node:test').TestContext} t */
async function setup(t) {
  const dir = tempDir(t);
  const key = await keygen(dir, 'k1');
  const env = path.join(dir, '.env');
  writeFileSync(env, '# db\nDB_PASSWORD=hunter2\n');
  const data = path.join(dir, 'data');
  writeFileSync(data, 'some plaintext');
  return { dir, key, env, data };
}

test('env seal -o writes 0600 under a permissive umask, whatever the mode of the .env it reads', async (t) => {
  const { dir, key, env } = await setup(t);
  const out = path.join(dir, '.env.sealed');
  for (const sourceMode of [0o600, 0o644]) {
    chmodSync(env, sourceMode);
    for (const umask of [0o022, 0o000, 0o277]) {
      assert.equal(await modeWritten(['env', 'seal', '--key-path', key, env], out, umask), '0600',
        `source ${sourceMode.toString(8)}, umask ${umask.toString(8)}`);
    }
  }
});

test('env open -o writes 0600 whatever the umask', async (t) => {
  const { dir, key, env } = await setup(t);
  const sealed = path.join(dir, '.env.sealed');
  assert.equal((await run(['env', 'seal', '--key-path', key, env, '-o', sealed])).code, 0);
  chmodSync(sealed, 0o644);
  for (const umask of [0o022, 0o000, 0o277]) {
    assert.equal(await modeWritten(['env', 'open', '--key-path', key, sealed], path.join(dir, 'opened.env'), umask), '0600',
      `umask ${umask.toString(8)}`);
  }
});

test('seal -o writes 0600 whatever the umask and the mode of its input', async (t) => {
  const { dir, key, data } = await setup(t);
  chmodSync(data, 0o644);
  for (const umask of [0o022, 0o000, 0o277]) {
    assert.equal(await modeWritten(['seal', '--key-path', key, data], path.join(dir, 'data.enc'), umask), '0600', `umask ${umask.toString(8)}`);
  }
});

test('open -o writes 0600 whatever the umask', async (t) => {
  const { dir, key, data } = await setup(t);
  const sealed = path.join(dir, 'data.enc');
  assert.equal((await run(['seal', '--key-path', key, data, '-o', sealed])).code, 0);
  chmodSync(sealed, 0o644);
  for (const umask of [0o022, 0o000, 0o277]) {
    assert.equal(await modeWritten(['open', '--key-path', key, sealed], path.join(dir, 'opened'), umask), '0600', `umask ${umask.toString(8)}`);
  }
});
