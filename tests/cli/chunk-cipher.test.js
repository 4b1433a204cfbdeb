// The command line seals and opens stream chunks with node:crypto's
// AES-256-GCM (js/cli/chunk-cipher.js); the core does the same in WASM
// (js/stream-format.js). Differential: the same header and stream key give
// byte-identical chunks either way, at sizes around the chunk boundaries,
// and each path opens what the other sealed; what the core refuses, this
// refuses too (tags, sizes, the final flag, indexes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as core from '../../js/stream-format.js';
import { chunkCipher } from '../../js/cli/chunk-cipher.js';
import { pattern } from './helpers.js';

await core.init();

/** A plaintext cut into the stream's chunks as the command line cuts it. @param {Uint8Array} plain @param {number} chunk */
function parts(plain, chunk) {
  const out = [];
  for (let at = 0; ; at += chunk) {
    const isFinal = plain.length - at < chunk;
    out.push({ piece: plain.subarray(at, isFinal ? plain.length : at + chunk), isFinal });
    if (isFinal) return out;
  }
}

for (const chunk of [16, 1000, 65536]) {
  test(`chunk size ${chunk}: node:crypto and the core seal the same bytes and open each other's, around every boundary`, () => {
    const master = randomBytes(32);
    const context = new TextEncoder().encode('ctx');
    const { header, streamKey } = core.sealBegin(master, 'k1', context, chunk);
    const node = chunkCipher(streamKey, header);
    for (const n of [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk - 1, 2 * chunk, 2 * chunk + 1, 3 * chunk + 7]) {
      const plain = pattern(n, n + chunk);
      parts(plain, chunk).forEach(({ piece, isFinal }, index) => {
        const viaCore = core.sealChunk(streamKey, header, index, isFinal, piece);
        const viaNode = node.seal(index, isFinal, piece);
        assert.deepEqual(Buffer.from(viaNode), Buffer.from(viaCore), `${n} bytes, chunk ${index}`);
        assert.deepEqual(Buffer.from(node.open(index, isFinal, viaCore)), Buffer.from(piece));
        assert.deepEqual(Buffer.from(core.openChunk(streamKey, header, index, isFinal, viaNode)), Buffer.from(piece));
      });
    }
    streamKey.fill(0);
  });
}

test('what the core refuses, node:crypto refuses: a flipped bit anywhere, another index, the final flag, a size its place does not allow', () => {
  const chunk = 32;
  const { header, streamKey } = core.sealBegin(randomBytes(32), 'k1', new Uint8Array(0), chunk);
  const node = chunkCipher(streamKey, header);
  const full = node.seal(3, false, pattern(chunk, 1));
  const last = node.seal(4, true, pattern(5, 2));
  const refused = (/** @type {() => unknown} */ f) => assert.throws(f, { code: 'AUTH_FAILED' });
  for (let i = 0; i < full.length; i++) {
    const edited = full.slice();
    edited[i] ^= 0x80;
    refused(() => node.open(3, false, edited));
    assert.throws(() => core.openChunk(streamKey, header, 3, false, edited), { code: 'AUTH_FAILED' });
  }
  refused(() => node.open(2, false, full));
  refused(() => node.open(3, true, full));
  refused(() => node.open(4, false, last));
  refused(() => node.open(4, true, last.subarray(0, 15)));
  refused(() => node.open(4, true, full));
  refused(() => node.open(2 ** 32, true, last));
  assert.throws(() => node.seal(0, false, pattern(chunk - 1, 3)), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => node.seal(0, true, pattern(chunk, 3)), { code: 'INVALID_ARGUMENT' });
  // Another file's header (its immutable part is the AAD) does not open it.
  const other = core.sealBegin(randomBytes(32), 'k1', new Uint8Array(0), chunk);
  const foreign = chunkCipher(streamKey, other.header);
  refused(() => foreign.open(3, false, full));
  streamKey.fill(0);
  other.streamKey.fill(0);
});

test('sealInto and openInto (what seal and open use, a batch of chunks in one buffer) give the core\'s bytes; a chunk that does not authenticate leaves the output as it was', () => {
  const chunk = 1000;
  const { header, streamKey } = core.sealBegin(randomBytes(32), 'k1', new TextEncoder().encode('batch'), chunk);
  const node = chunkCipher(streamKey, header);
  const plain = pattern(3 * chunk + 7, 4);
  const pieces = parts(plain, chunk);
  // A batch buffer reused with garbage in it, chunks at offsets one after another.
  const sealed = randomBytes(plain.length + pieces.length * 16 + 5);
  let at = 0;
  pieces.forEach(({ piece, isFinal }, index) => {
    const n = node.sealInto(index, isFinal, piece, sealed, at);
    assert.equal(n, piece.length + 16);
    assert.deepEqual(Buffer.from(sealed.subarray(at, at + n)), Buffer.from(core.sealChunk(streamKey, header, index, isFinal, piece)), `chunk ${index}`);
    at += n;
  });
  const opened = randomBytes(plain.length + 3);
  let from = 0;
  let to = 0;
  pieces.forEach(({ piece, isFinal }, index) => {
    const n = node.openInto(index, isFinal, sealed.subarray(from, from + piece.length + 16), opened, to);
    assert.equal(n, piece.length);
    from += piece.length + 16;
    to += n;
  });
  assert.deepEqual(Buffer.from(opened.subarray(0, plain.length)), Buffer.from(plain));
  // Refused: nothing written where the chunk would have gone.
  const edited = sealed.slice(0, chunk + 16);
  edited[7] ^= 1;
  const before = Buffer.from(opened);
  assert.throws(() => node.openInto(0, false, edited, opened, 0), { code: 'AUTH_FAILED' });
  assert.throws(() => node.openInto(1, false, sealed.subarray(0, chunk + 16), opened, 0), { code: 'AUTH_FAILED' });
  assert.deepEqual(Buffer.from(opened), before);
  // No room: refused before anything is written.
  assert.throws(() => node.sealInto(0, false, plain.subarray(0, chunk), new Uint8Array(chunk + 15), 0), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => node.openInto(0, false, sealed.subarray(0, chunk + 16), new Uint8Array(chunk), 1), { code: 'INVALID_ARGUMENT' });
  streamKey.fill(0);
});
