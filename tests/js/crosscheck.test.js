// hazmat against node:crypto on random inputs from 0 B to 1 MiB, both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { HmacSha256Key, aes256gcmOpen, aes256gcmSeal, hkdfSha256, hmacSha256, init, randomBytes } from '../../js/hazmat.js';

await init();

const SIZES = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 1000, 1024, 4095, 4096, 65535, 65536, 65537, 300_001, 1 << 20];

function nodeSeal(key, iv, pt, aad) {
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

function nodeOpen(key, iv, sealed, aad) {
  const d = crypto.createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
}

test('AES-256-GCM seal matches node:crypto and each opens the other', () => {
  for (const size of SIZES) {
    const key = crypto.randomBytes(32), iv = crypto.randomBytes(12);
    const pt = crypto.randomBytes(size), aad = crypto.randomBytes(size % 97);
    const ours = aes256gcmSeal(key, iv, pt, aad);
    const theirs = nodeSeal(key, iv, pt, aad);
    assert.ok(Buffer.from(ours).equals(theirs), `seal differs at ${size} B`);
    assert.ok(nodeOpen(key, iv, Buffer.from(ours), aad).equals(pt), `node could not open ours at ${size} B`);
    assert.ok(Buffer.from(aes256gcmOpen(key, iv, theirs, aad)).equals(pt), `we could not open node's at ${size} B`);
  }
});

test('HMAC-SHA256 matches node:crypto for keys and messages of many sizes', () => {
  for (const size of SIZES) {
    const key = crypto.randomBytes([0, 1, 32, 64, 65, 200][size % 6]);
    const msg = crypto.randomBytes(size);
    const expected = crypto.createHmac('sha256', key).update(msg).digest();
    assert.ok(Buffer.from(hmacSha256(key, msg)).equals(expected), `at ${size} B`);
  }
});

test('HmacSha256Key: one key, many messages, each tag equals node:crypto; LOCKED once destroyed', () => {
  for (const keyLength of [0, 1, 32, 64, 65, 200]) {
    const key = crypto.randomBytes(keyLength);
    const held = new HmacSha256Key(key);
    for (const size of SIZES) {
      const msg = crypto.randomBytes(size);
      const expected = crypto.createHmac('sha256', key).update(msg).digest();
      const tag = held.mac(msg);
      assert.ok(Buffer.from(tag).equals(expected), `key ${keyLength} B, message ${size} B`);
      assert.equal(held.verify(msg, tag), true);
      assert.equal(held.verify(msg, tag.subarray(0, 16)), true, 'a 16-byte prefix verifies');
      tag[31] ^= 1;
      assert.equal(held.verify(msg, tag), false, 'a changed tag does not verify');
    }
    // The caller's key array is not kept: changing it afterwards changes nothing.
    const original = Buffer.from(key);
    key.fill(0xee);
    const msg = crypto.randomBytes(10);
    assert.ok(Buffer.from(held.mac(msg)).equals(crypto.createHmac('sha256', original).update(msg).digest()));
    held.destroy();
    assert.equal(held.destroyed, true);
    assert.throws(() => held.mac(msg), { code: 'LOCKED' });
    assert.throws(() => held.verify(msg, new Uint8Array(32)), { code: 'LOCKED' });
    held.destroy(); // idempotent
  }
});

test('HKDF-SHA256 matches node:crypto hkdfSync', () => {
  for (const length of [1, 16, 32, 33, 76, 255, 1000, 8160]) {
    const ikm = crypto.randomBytes(length % 80), salt = crypto.randomBytes(length % 40), info = crypto.randomBytes(length % 30);
    const expected = Buffer.from(crypto.hkdfSync('sha256', ikm, salt, info, length));
    assert.ok(Buffer.from(hkdfSha256(ikm, salt, info, length)).equals(expected), `L=${length}`);
  }
});

test('randomBytes returns fresh bytes of the requested length', () => {
  assert.equal(randomBytes(0).length, 0);
  const a = randomBytes(64), b = randomBytes(64);
  assert.equal(a.length, 64);
  assert.notDeepEqual(a, b);
  assert.equal(randomBytes(5000).length, 5000);
});
