// enveil seal / open, run as a subprocess: round trips, wrong key, tampering
// of every header region and of the body, truncation, extension, and no
// output left behind on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keygen, layout, listDir, pattern, run, tempDir } from './helpers.js';

/** @param {import('node:test').TestContext} t */
async function setup(t) {
  const dir = tempDir(t);
  const key = await keygen(dir, 'k1');
  return { dir, key };
}

for (const size of [0, 1, 100_000]) {
  test(`a ${size}-byte file round-trips file to file`, async (t) => {
    const { dir, key } = await setup(t);
    const data = pattern(size);
    writeFileSync(path.join(dir, 'in'), data);
    const sealed = await run(['seal', '--key-path', key, path.join(dir, 'in'), '-o', path.join(dir, 'in.enc')]);
    assert.equal(sealed.code, 0, sealed.stderr);
    const enc = readFileSync(path.join(dir, 'in.enc'));
    assert.equal(enc.subarray(0, 6).toString(), 'ENVEIL');
    assert.ok(size < 16 || enc.indexOf(data.subarray(0, 16)) < 0, 'no plaintext in the sealed file');
    const opened = await run(['open', '--key-path', key, path.join(dir, 'in.enc'), '-o', path.join(dir, 'out')]);
    assert.equal(opened.code, 0, opened.stderr);
    assert.deepEqual(readFileSync(path.join(dir, 'out')), data);
    assert.equal(statSync(path.join(dir, 'out')).mode & 0o777, 0o600, 'plaintext output is 0600');
  });
}

test('a 10 MiB file round-trips, and so does stdin to stdout', async (t) => {
  const { dir, key } = await setup(t);
  const data = pattern(10 * 1024 * 1024, 7);
  writeFileSync(path.join(dir, 'big'), data);
  const sealed = await run(['seal', '--key-path', key, path.join(dir, 'big'), '-o', path.join(dir, 'big.enc')]);
  assert.equal(sealed.code, 0, sealed.stderr);
  const opened = await run(['open', '--key-path', key, path.join(dir, 'big.enc')]);
  assert.equal(opened.code, 0, opened.stderr);
  assert.ok(opened.stdout.equals(data));
  // Through pipes, with '-' and with the input omitted.
  const piped = await run(['seal', '--key-path', key, '-'], { input: data });
  assert.equal(piped.code, 0, piped.stderr);
  const back = await run(['open', '--key-path', key], { input: piped.stdout });
  assert.equal(back.code, 0, back.stderr);
  assert.ok(back.stdout.equals(data));
});

test('empty and 1-byte inputs round-trip through stdin and stdout', async (t) => {
  const { key } = await setup(t);
  for (const data of [Buffer.alloc(0), Buffer.from('x')]) {
    const sealed = await run(['seal', '--key-path', key], { input: data });
    assert.equal(sealed.code, 0, sealed.stderr);
    const opened = await run(['open', '--key-path', key], { input: sealed.stdout });
    assert.equal(opened.code, 0, opened.stderr);
    assert.ok(opened.stdout.equals(data));
  }
});

test('sizes around chunk boundaries round-trip (--chunk-size 16)', async (t) => {
  const { key } = await setup(t);
  for (const size of [0, 15, 16, 17, 32, 33, 160]) {
    const data = pattern(size, size + 3);
    const sealed = await run(['seal', '--key-path', key, '--chunk-size', '16'], { input: data });
    assert.equal(sealed.code, 0, sealed.stderr);
    const body = sealed.stdout.length - layout(0, 2).body;
    assert.equal(body, size + 16 * (Math.floor(size / 16) + 1), `${size}: full chunks then a shorter final one`);
    const opened = await run(['open', '--key-path', key], { input: sealed.stdout });
    assert.equal(opened.code, 0, opened.stderr);
    assert.ok(opened.stdout.equals(data), `${size}`);
  }
});

test('ENVEIL_KEY_PATH is the default key, and no key at all is exit 3', async (t) => {
  const { key } = await setup(t);
  const sealed = await run(['seal'], { input: 'via env', env: { ENVEIL_KEY_PATH: key } });
  assert.equal(sealed.code, 0, sealed.stderr);
  const opened = await run(['open', '--key-path', key], { input: sealed.stdout });
  assert.equal(opened.stdout.toString(), 'via env');
  const none = await run(['seal'], { input: 'x' });
  assert.equal(none.code, 3);
  assert.match(none.stderr, /--key-path FILE or set ENVEIL_KEY_PATH/);
});

test('open with the wrong key says which key id it needs (exit 3)', async (t) => {
  const { dir, key } = await setup(t);
  const other = await keygen(dir, 'other-key');
  const sealed = await run(['seal', '--key-path', key], { input: 'secret' });
  const opened = await run(['open', '--key-path', other, '-o', path.join(dir, 'out')], { input: sealed.stdout });
  assert.equal(opened.code, 3);
  assert.match(opened.stderr, /sealed under key id 'k1'; --key-path gives 'other-key'/);
  assert.ok(!existsSync(path.join(dir, 'out')));
  assert.doesNotMatch(opened.stderr, /secret/);
});

test('another key file under the same id does not open the file (exit 1)', async (t) => {
  const { dir, key } = await setup(t);
  const sealed = await run(['seal', '--key-path', key], { input: 'secret' });
  const impostorDir = path.join(dir, 'impostor');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(impostorDir);
  const impostor = await keygen(impostorDir, 'k1');
  const opened = await run(['open', '--key-path', impostor], { input: sealed.stdout });
  assert.equal(opened.code, 1);
  assert.match(opened.stderr, /does not authenticate under key 'k1'/);
  assert.equal(opened.stdout.length, 0);
});

test('open needs the context the file was sealed with (exit 1)', async (t) => {
  const { key } = await setup(t);
  const sealed = await run(['seal', '--key-path', key, '--context', 'prod/db'], { input: 'pw' });
  assert.equal(sealed.code, 0, sealed.stderr);
  const none = await run(['open', '--key-path', key], { input: sealed.stdout });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /sealed with context 'prod\/db'; no --context was given/);
  const wrong = await run(['open', '--key-path', key, '--context', 'staging/db'], { input: sealed.stdout });
  assert.equal(wrong.code, 1);
  const right = await run(['open', '--key-path', key, '--context', 'prod/db'], { input: sealed.stdout });
  assert.equal(right.code, 0, right.stderr);
  assert.equal(right.stdout.toString(), 'pw');
});

/**
 * Writes `bytes` to IN, runs open -o OUT over an existing OUT, and checks
 * that it fails with `code`, that OUT still holds its old content and that
 * no temporary file is left.
 * @param {string} dir
 * @param {string} key
 * @param {Buffer} bytes
 * @param {number} code
 * @param {string} label
 */
async function assertOpenFails(dir, key, bytes, code, label) {
  writeFileSync(path.join(dir, 'bad.enc'), bytes);
  writeFileSync(path.join(dir, 'out'), 'previous content');
  const before = listDir(dir);
  const r = await run(['open', '--key-path', key, path.join(dir, 'bad.enc'), '-o', path.join(dir, 'out')]);
  assert.equal(r.code, code, `${label}: ${r.stderr}`);
  assert.equal(readFileSync(path.join(dir, 'out'), 'utf8'), 'previous content', `${label}: OUT untouched`);
  assert.deepEqual(listDir(dir), before, `${label}: nothing left behind`);
  return r;
}

test('tampering with any header region or a body byte fails, leaving nothing behind', async (t) => {
  const { dir, key } = await setup(t);
  const context = 'ctx';
  const sealed = await run(['seal', '--key-path', key, '--context', context, '--chunk-size', '16'], { input: pattern(40) });
  assert.equal(sealed.code, 0, sealed.stderr);
  const good = sealed.stdout;
  const at = layout(context.length, 'k1'.length);
  const regions = /** @type {Array<[string, number, number]>} */ ([
    ['magic', at.magic, 1],
    ['version', at.version, 1],
    ['suite', at.suite, 1],
    ['chunk size', at.chunkSize + 3, 1],
    ['file id', at.fileId + 5, 1],
    ['context length', at.contextLength + 1, 1],
    ['context', at.context + 1, 1],
    ['commitment', at.commitment + 9, 1],
    ['key id length', at.keyIdLength, 1],
    ['wrapped key', at.wrappedKey + 60, 1],
    ['first chunk', at.body + 3, 1],
    ['first tag', at.body + 16 + 2, 1],
    ['final chunk', good.length - 20, 1],
  ]);
  for (const [label, offset, code] of regions) {
    const bad = Buffer.from(good);
    bad[offset] ^= 0x01;
    const r = await assertOpenFails(dir, key, bad, code, label);
    assert.match(r.stderr, /enveil: /, label);
  }
  // The key id is not trusted: changed, it names another key (exit 3).
  const relabelled = Buffer.from(good);
  relabelled[at.keyId + 1] = '2'.charCodeAt(0);
  const r = await assertOpenFails(dir, key, relabelled, 3, 'key id');
  assert.match(r.stderr, /sealed under key id 'k2'/);
  // The untouched file still opens: the failures above are the edits'.
  writeFileSync(path.join(dir, 'good.enc'), good);
  const ok = await run(['open', '--key-path', key, '--context', context, path.join(dir, 'good.enc')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(ok.stdout.equals(pattern(40)));
});

test('a tampered context with a matching --context is rejected by the core (exit 1), not by the name check', async (t) => {
  const { dir, key } = await setup(t);
  const sealed = await run(['seal', '--key-path', key, '--context', 'prod/db'], { input: 'the plaintext' });
  assert.equal(sealed.code, 0, sealed.stderr);
  const at = layout('prod/db'.length, 'k1'.length);
  const bad = Buffer.from(sealed.stdout);
  bad.write('test', at.context, 'latin1'); // 'prod/db' -> 'test/db', same length
  // The header now names context 'test/db', and --context gives it: only the
  // core's checks (wrapped key, commitment, chunk AAD) stand in the way.
  writeFileSync(path.join(dir, 'bad.enc'), bad);
  const r = await run(['open', '--key-path', key, '--context', 'test/db', path.join(dir, 'bad.enc'), '-o', path.join(dir, 'out')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /does not authenticate under key 'k1'/);
  assert.doesNotMatch(r.stderr, /sealed with context/, 'the context check of the CLI passed');
  assert.ok(!existsSync(path.join(dir, 'out')));
  const toStdout = await run(['open', '--key-path', key, '--context', 'test/db'], { input: bad });
  assert.equal(toStdout.code, 1, toStdout.stderr);
  assert.equal(toStdout.stdout.length, 0, 'no plaintext');
});

test('a relabelled key id with the right key saved under that id does not open (exit 1)', async (t) => {
  const { dir, key } = await setup(t);
  const sealed = await run(['seal', '--key-path', key], { input: 'the plaintext' });
  assert.equal(sealed.code, 0, sealed.stderr);
  const at = layout(0, 'k1'.length);
  const relabelled = Buffer.from(sealed.stdout);
  relabelled[at.keyId + 1] = '2'.charCodeAt(0); // 'k1' -> 'k2'
  // The very same key bytes, saved as k2.key: the id check of the CLI passes,
  // and the data key's wrapping, bound to the id 'k1', must fail.
  const copy = path.join(dir, 'k2.key');
  writeFileSync(copy, readFileSync(key), { mode: 0o600 });
  const r = await run(['open', '--key-path', copy], { input: relabelled });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /does not authenticate under key 'k2'/);
  assert.equal(r.stdout.length, 0, 'no plaintext');
  writeFileSync(path.join(dir, 'relabelled.enc'), relabelled);
  const toFile = await run(['open', '--key-path', copy, path.join(dir, 'relabelled.enc'), '-o', path.join(dir, 'out')]);
  assert.equal(toFile.code, 1, toFile.stderr);
  assert.ok(!existsSync(path.join(dir, 'out')));
  // The unaltered file opens with the original key file: the edit failed it.
  const ok = await run(['open', '--key-path', key], { input: sealed.stdout });
  assert.equal(ok.stdout.toString(), 'the plaintext');
});

test('a file cut at a chunk boundary, cut mid-chunk or extended fails (exit 1)', async (t) => {
  const { dir, key } = await setup(t);
  const sealed = await run(['seal', '--key-path', key, '--chunk-size', '16'], { input: pattern(40) });
  const good = sealed.stdout;
  const body = layout(0, 2).body;
  const record = 16 + 16;
  // Cut after one and after two whole chunks: the final chunk is missing.
  for (const chunks of [0, 1, 2]) {
    const r = await assertOpenFails(dir, key, good.subarray(0, body + chunks * record), 1, `cut after ${chunks} chunks`);
    assert.match(r.stderr, chunks === 0 ? /truncated|does not authenticate/ : /truncated/);
  }
  await assertOpenFails(dir, key, good.subarray(0, good.length - 1), 1, 'last byte cut');
  await assertOpenFails(dir, key, good.subarray(0, body - 1), 1, 'header cut');
  for (const extra of [1, 16, record]) {
    await assertOpenFails(dir, key, Buffer.concat([good, Buffer.alloc(extra, 0x41)]), 1, `${extra} bytes appended`);
  }
  // A final chunk copied after itself (an extension that reuses a valid
  // chunk) fails too.
  const final = good.subarray(body + 2 * record);
  await assertOpenFails(dir, key, Buffer.concat([good, final]), 1, 'final chunk repeated');
  // Two chunks swapped.
  const swapped = Buffer.concat([good.subarray(0, body), good.subarray(body + record, body + 2 * record),
    good.subarray(body, body + record), good.subarray(body + 2 * record)]);
  await assertOpenFails(dir, key, swapped, 1, 'chunks swapped');
});

test('open to stdout of a truncated stream exits 1 and says to discard the output', async (t) => {
  const { key } = await setup(t);
  const sealed = await run(['seal', '--key-path', key, '--chunk-size', '16'], { input: pattern(40) });
  const cut = sealed.stdout.subarray(0, layout(0, 2).body + 2 * 32);
  const r = await run(['open', '--key-path', key], { input: cut });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /truncated.*discard it/);
  assert.ok(r.stdout.equals(pattern(40).subarray(0, 32)), 'only authenticated chunks were written');
});

test('input that is not sealed, and a missing input, fail with their own codes', async (t) => {
  const { dir, key } = await setup(t);
  const plain = await run(['open', '--key-path', key], { input: 'just some text, not sealed at all' });
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /not an enveil sealed file/);
  const missing = await run(['open', '--key-path', key, path.join(dir, 'nope.enc')]);
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /cannot read .*nope\.enc: no such file/);
  const noDir = await run(['seal', '--key-path', key, '-o', path.join(dir, 'no', 'such', 'dir', 'x')], { input: 'x' });
  assert.equal(noDir.code, 4);
});

test('seal -o replaces OUT atomically and leaves no temporary file', async (t) => {
  const { dir, key } = await setup(t);
  const out = path.join(dir, 'x.enc');
  writeFileSync(out, 'old');
  const r = await run(['seal', '--key-path', key, '-o', out], { input: 'new' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(out).subarray(0, 6).toString(), 'ENVEIL');
  assert.deepEqual(listDir(dir), ['k1.key', 'x.enc']);
});
