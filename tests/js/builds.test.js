// The two builds of the core (baseline and -msimd128): which one init()
// loads, what init() options do, and that both compute the same bytes and
// open each other's records. Each case is a fresh process, since a process
// loads one core (tests/js/fixtures/build-child.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { EnveilError, init } from '../../js/index.js';
import { simdSupported } from '../../js/internal/wasm.js';

const run = promisify(execFile);
const child = new URL('./fixtures/build-child.mjs', import.meta.url).pathname;

/**
 * @param {object | undefined} options
 * @param {{ noSimd?: boolean, other?: string }} [how]
 */
async function build(options, how = {}) {
  // Never inherit --import ./tests/builds/no-simd.mjs: each case says.
  const { stdout } = await run(process.execPath, [child, JSON.stringify(options ?? null) === 'null' ? '' : JSON.stringify(options), how.noSimd ? 'no-simd' : '', how.other ?? ''],
    { maxBuffer: 64 << 20, env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(stdout);
}

// node --import ./tests/builds/no-simd.mjs (the suite's baseline pass) makes
// this process an engine without SIMD.
const simdHere = simdSupported();

test('init() resolves to the build it loaded: SIMD exactly where WebAssembly.validate accepts SIMD', async () => {
  const loaded = await init();
  assert.deepEqual(loaded, { simd: simdHere });
  assert.ok(Object.isFrozen(loaded));
  if (process.env.ENVEIL_TEST_NO_SIMD) assert.equal(loaded.simd, false, 'the no-simd pass must run the baseline build');
});

test('init() with a build other than the one loaded rejects INVALID_ARGUMENT; the same build returns the same promise', async () => {
  const first = init();
  await first;
  assert.equal(init({ simd: simdHere }), first);
  await assert.rejects(init({ simd: !simdHere }), (e) => e instanceof EnveilError && e.code === 'INVALID_ARGUMENT'
    && /already initialised with the (SIMD|baseline) build/.test(e.message));
});

test('init() refuses options it does not know, before loading anything', async () => {
  for (const bad of [null, 1, 'simd', { simd: 'no' }, { simd: 0 }, { sIMD: false }, { simd: false, wasm: 'x' }]) {
    await assert.rejects(init(/** @type {any} */ (bad)), (e) => e instanceof EnveilError && e.code === 'INVALID_ARGUMENT', `init(${JSON.stringify(bad)})`);
  }
});

test('a fresh process: init() picks SIMD where it runs; { simd: false } loads the baseline; { simd: true } without SIMD is UNSUPPORTED', async () => {
  const auto = await build(undefined);
  assert.deepEqual(auto.first, { ok: { simd: true } }, 'Node 20 runs WebAssembly SIMD');
  assert.deepEqual(auto.again.default, { ok: { simd: true } });
  assert.deepEqual(auto.again.simdTrue, { ok: { simd: true } });
  assert.equal(auto.again.simdFalse.code, 'INVALID_ARGUMENT');
  assert.match(auto.again.simdFalse.message, /already initialised with the SIMD build/);

  const baseline = await build({ simd: false });
  assert.deepEqual(baseline.first, { ok: { simd: false } });
  assert.deepEqual(baseline.again.default, { ok: { simd: false } });
  assert.equal(baseline.again.simdTrue.code, 'INVALID_ARGUMENT');

  const noSimd = await build(undefined, { noSimd: true });
  assert.deepEqual(noSimd.first, { ok: { simd: false } });
  assert.equal(noSimd.again.simdTrue.code, 'INVALID_ARGUMENT');
  const forced = await build({ simd: true }, { noSimd: true });
  assert.equal(forced.first.code, 'UNSUPPORTED');
  assert.match(forced.first.message, /does not run WebAssembly SIMD/);
  assert.deepEqual(forced.again.default, { ok: { simd: false } }, 'a refused init() loads nothing: the next one still can');
});

test('both builds compute the same bytes and open each other\'s records', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'enveil-builds-'));
  try {
    const simd = await build({ simd: true });
    const baseline = await build({ simd: false });
    assert.ok(Object.keys(simd.outputs).length >= 45);
    assert.deepEqual(baseline.outputs, simd.outputs);
    await writeFile(path.join(dir, 'simd.json'), JSON.stringify(simd));
    await writeFile(path.join(dir, 'baseline.json'), JSON.stringify(baseline));
    const baselineOpens = await build({ simd: false }, { other: path.join(dir, 'simd.json') });
    const simdOpens = await build({ simd: true }, { other: path.join(dir, 'baseline.json') });
    const expected = (/** @type {string} */ n) => Buffer.from(Uint8Array.from({ length: Number(n) }, (_, i) => (i * 31 + Number(n) + 1) & 0xff)).toString('hex');
    for (const [name, opened] of [['baseline', baselineOpens.keyring.opened], ['simd', simdOpens.keyring.opened]]) {
      assert.deepEqual(Object.keys(opened).sort(), ['0', '1', '1024', '256', '32', '70000'], name);
      for (const [n, hex] of Object.entries(opened)) assert.equal(hex, expected(n), `${name} opened the other build's ${n}-byte record`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
