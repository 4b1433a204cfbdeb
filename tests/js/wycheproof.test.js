import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HmacSha256Key, aes256gcmOpen, aes256gcmSeal, chacha20poly1305Open, chacha20poly1305Seal, hkdfSha256, hmacSha256, hmacSha256Verify, init } from '../../js/hazmat.js';
import { hex, loadWycheproof, toHex } from './helpers.js';

await init();

/** Expects fn to throw EnveilError with `code`; returns whether it did. */
function throwsCode(fn, code) {
  try {
    fn();
  } catch (err) {
    assert.equal(err.code, code, err.message);
    return true;
  }
  assert.fail(`expected ${code}`);
}

/**
 * Replays an AEAD vector file: 256-bit key, 96-bit nonce, 128-bit tag cases
 * must seal and open exactly (invalid ones fail with AUTH_FAILED); every
 * other size must be rejected with INVALID_ARGUMENT, and is counted.
 * @returns {{ run: number, passed: number, rejected: number }}
 */
function replayAead(t, file, seal, open) {
  const doc = loadWycheproof(file);
  let run = 0, passed = 0, rejected = 0;
  for (const group of doc.testGroups) {
    const supported = group.keySize === 256 && group.ivSize === 96 && group.tagSize === 128;
    for (const v of group.tests) {
      run++;
      const key = hex(v.key), iv = hex(v.iv), aad = hex(v.aad), msg = hex(v.msg);
      const sealed = hex(v.ct + v.tag);
      const id = `tcId ${v.tcId}`;
      if (!supported) {
        throwsCode(() => seal(key, iv, msg, aad), 'INVALID_ARGUMENT');
        throwsCode(() => open(key, iv, sealed, aad), 'INVALID_ARGUMENT');
        rejected++;
      } else if (v.result === 'valid') {
        assert.equal(toHex(seal(key, iv, msg, aad)), v.ct + v.tag, id);
        assert.equal(toHex(open(key, iv, sealed, aad)), v.msg, id);
      } else {
        throwsCode(() => open(key, iv, sealed, aad), 'AUTH_FAILED');
      }
      passed++;
    }
  }
  const line = `${file}: run ${run}, passed ${passed}, unsupported sizes rejected ${rejected}`;
  t.diagnostic(line);
  console.log(`[wycheproof] ${line}`);
  return { run, passed, rejected };
}

test('AES-256-GCM replays every Wycheproof vector and rejects unsupported sizes', (t) => {
  const { run, passed, rejected } = replayAead(t, 'aes_gcm_test.json', aes256gcmSeal, aes256gcmOpen);
  assert.equal(run, 316);
  assert.equal(run - rejected, 66);
  assert.equal(passed, run);
});

test('HMAC-SHA256 replays every Wycheproof vector, truncated tags through verify', (t) => {
  const doc = loadWycheproof('hmac_sha256_test.json');
  let run = 0, passed = 0;
  for (const group of doc.testGroups) {
    for (const v of group.tests) {
      run++;
      const key = hex(v.key), msg = hex(v.msg), tag = hex(v.tag);
      const valid = v.result === 'valid';
      assert.equal(hmacSha256Verify(key, msg, tag), valid, `tcId ${v.tcId}`);
      // The same through a precomputed key (HmacSha256Key).
      const held = new HmacSha256Key(key);
      assert.equal(held.verify(msg, tag), valid, `tcId ${v.tcId} (HmacSha256Key)`);
      if (group.tagSize === 256) {
        assert.equal(toHex(hmacSha256(key, msg)) === v.tag, valid, `tcId ${v.tcId}`);
        assert.equal(toHex(held.mac(msg)) === v.tag, valid, `tcId ${v.tcId} (HmacSha256Key)`);
      }
      held.destroy();
      passed++;
    }
  }
  t.diagnostic(`hmac_sha256_test.json: run ${run}, passed ${passed}`);
  console.log(`[wycheproof] hmac_sha256_test.json: run ${run}, passed ${passed}`);
  assert.equal(run, 174);
  assert.equal(passed, run);
});

test('HKDF-SHA256 replays every Wycheproof vector, oversized output rejected', (t) => {
  const doc = loadWycheproof('hkdf_sha256_test.json');
  let run = 0, passed = 0;
  for (const group of doc.testGroups) {
    for (const v of group.tests) {
      run++;
      const args = [hex(v.ikm), hex(v.salt), hex(v.info), v.size];
      if (v.result === 'valid') {
        assert.equal(toHex(hkdfSha256(...args)), v.okm, `tcId ${v.tcId}`);
      } else {
        throwsCode(() => hkdfSha256(...args), 'INVALID_ARGUMENT');
      }
      passed++;
    }
  }
  t.diagnostic(`hkdf_sha256_test.json: run ${run}, passed ${passed}`);
  console.log(`[wycheproof] hkdf_sha256_test.json: run ${run}, passed ${passed}`);
  assert.equal(run, 86);
  assert.equal(passed, run);
});

test('ChaCha20-Poly1305 replays every Wycheproof vector and rejects unsupported sizes', (t) => {
  const { run, passed, rejected } = replayAead(t, 'chacha20_poly1305_test.json', chacha20poly1305Seal, chacha20poly1305Open);
  assert.equal(run, 325);
  assert.equal(run - rejected, 316);
  assert.equal(passed, run);
});
