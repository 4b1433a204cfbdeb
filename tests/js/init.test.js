import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnveilError, Keyring, init } from '../../js/index.js';
import * as hazmat from '../../js/hazmat.js';

test('crypto before init() throws UNSUPPORTED with a clear message', () => {
  assert.throws(() => hazmat.randomBytes(1), (e) => e instanceof EnveilError && e.code === 'UNSUPPORTED' && /await init\(\)/.test(e.message));
  assert.throws(() => Keyring.create({ kek: new Uint8Array(32) }), (e) => e.code === 'UNSUPPORTED');
});

test('init() is idempotent and cached: one promise, one module', async () => {
  const a = init(), b = init(), c = hazmat.init();
  assert.equal(a, b);
  assert.equal(a, c);
  await a;
  assert.equal(init(), a);
  assert.equal(hazmat.randomBytes(4).length, 4);
});
