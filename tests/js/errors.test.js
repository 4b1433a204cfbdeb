// One mapping from the core's numeric codes (src/status.h) to EnveilError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EnveilError, coreError, coreResult } from '../../js/errors.js';

/** [number, 'AUTH_FAILED', …] for each ErrorCode of src/status.h but kOk. */
function coreCodes() {
  const header = readFileSync(new URL('../../src/status.h', import.meta.url), 'utf8');
  const body = /enum class ErrorCode : int \{([^}]*)\}/.exec(header)[1];
  return [...body.matchAll(/k(\w+) = (\d+)/g)]
    .filter(([, name]) => name !== 'Ok')
    .map(([, name, value]) => [Number(value), name.replace(/(?<=.)([A-Z])/g, '_$1').toUpperCase()]);
}

test('every code of src/status.h maps to the EnveilError code of the same name', () => {
  const codes = coreCodes();
  assert.ok(codes.length >= 6);
  for (const [value, name] of codes) {
    const err = coreError(-value, {});
    assert.ok(err instanceof EnveilError);
    assert.equal(err.code, name, `-${value}`);
    assert.equal(coreError(-value, { [name]: 'what it means here' }).message, 'what it means here');
  }
  assert.equal(coreError(-99, {}).code, 'UNSUPPORTED', 'a code this JS does not know');
});

test('coreResult passes successes through and throws failures with the operation\'s message', () => {
  assert.equal(coreResult(0, {}), 0);
  assert.equal(coreResult(4294967295, {}), 4294967295, 'a key id');
  let built = 0;
  const messages = () => {
    built++;
    return { UNKNOWN_KEY: 'no key with id 7' };
  };
  assert.equal(coreResult(3, messages), 3);
  assert.equal(built, 0, 'messages are built on failure only');
  assert.throws(() => coreResult(-2, messages), { code: 'UNKNOWN_KEY', message: 'no key with id 7' });
  assert.throws(() => coreResult(-4, messages), { code: 'INVALID_ARGUMENT', message: 'operation failed (INVALID_ARGUMENT)' });
});
