// enveil keygen, key file checks, --help of every command, usage errors and
// audit, run as a subprocess.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as core from '../../js/stream-format.js';
import { keygen, listDir, run, tempDir } from './helpers.js';

test('keygen writes <id>.key: base64 of 32 bytes, mode 0600, and prints its path', async (t) => {
  const dir = tempDir(t);
  const r = await run(['keygen', '--dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  const file = r.stdout.toString().trim();
  assert.equal(path.dirname(file), dir);
  assert.match(path.basename(file), /^\d{8}-[0-9a-f]{8}\.key$/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^[A-Za-z0-9+/]{43}=\n$/);
  assert.equal(Buffer.from(text, 'base64').length, 32);
  const second = await run(['keygen', '--dir', dir]);
  assert.notEqual(readFileSync(second.stdout.toString().trim(), 'utf8'), text, 'fresh random keys');
});

test('keygen is 0600 even under a permissive umask, and the default dir is the cwd', async (t) => {
  const dir = tempDir(t);
  const r = await run(['keygen', '--id', 'here'], { cwd: dir, umask: 0 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(path.join(dir, 'here.key')).mode & 0o777, 0o600);
});

test('keygen refuses to overwrite an existing key file', async (t) => {
  const dir = tempDir(t);
  const file = await keygen(dir, 'prod');
  const before = readFileSync(file, 'utf8');
  const r = await run(['keygen', '--dir', dir, '--id', 'prod']);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /already exists: not overwriting a key file/);
  assert.equal(readFileSync(file, 'utf8'), before);
  assert.deepEqual(listDir(dir), ['prod.key'], 'no temporary file left');
});

test('keygen rejects ids that are not safe file names', async (t) => {
  const dir = tempDir(t);
  for (const id of ['../evil', '.hidden', '-x', 'a b', 'x'.repeat(65), '']) {
    const r = await run(['keygen', '--dir', dir, '--id', id]);
    assert.equal(r.code, 2, `${id}: ${r.stderr}`);
  }
  assert.deepEqual(listDir(dir), []);
});

test('key files readable by group or others, malformed or misnamed are refused (exit 3)', async (t) => {
  const dir = tempDir(t);
  const file = await keygen(dir, 'k');
  chmodSync(file, 0o640);
  let r = await run(['seal', '--key-path', file], { input: 'x' });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /accessible by group or others \(mode 0640\); run: chmod 600/);
  chmodSync(file, 0o604);
  r = await run(['seal', '--key-path', file], { input: 'x' });
  assert.equal(r.code, 3);
  chmodSync(file, 0o600);
  r = await run(['seal', '--key-path', file], { input: 'x' });
  assert.equal(r.code, 0, r.stderr);

  const cases = /** @type {Array<[string, string]>} */ ([
    ['short.key', `${Buffer.alloc(31).toString('base64')}\n`],
    ['long.key', `${Buffer.alloc(33).toString('base64')}\n`],
    ['junk.key', 'not base64 at all, not base64 at all, not b=\n'],
    ['hex.key', `${'ab'.repeat(32)}\n`],
  ]);
  for (const [name, content] of cases) {
    writeFileSync(path.join(dir, name), content, { mode: 0o600 });
    r = await run(['seal', '--key-path', path.join(dir, name)], { input: 'x' });
    assert.equal(r.code, 3, name);
    assert.match(r.stderr, /not the base64 of 32 bytes/, name);
  }
  writeFileSync(path.join(dir, 'noext'), readFileSync(file), { mode: 0o600 });
  r = await run(['seal', '--key-path', path.join(dir, 'noext')], { input: 'x' });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /must be <id>\.key/);
  r = await run(['seal', '--key-path', path.join(dir, 'missing.key')], { input: 'x' });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /no such file/);
});

test('a symbolically linked key file is refused (exit 3), even to a good key', async (t) => {
  const dir = tempDir(t);
  const file = await keygen(dir, 'real');
  const link = path.join(dir, 'linked.key');
  symlinkSync('real.key', link);
  const r = await run(['seal', '--key-path', link], { input: 'x' });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /key file .*linked\.key is a symbolic link: refused/);
  assert.equal(r.stdout.length, 0);
  assert.equal((await run(['seal', '--key-path', file], { input: 'x' })).code, 0, 'the file itself is fine');
});

test('a key file owned by another user is refused (exit 3)', async (t) => {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    t.skip('needs root to give a file to another uid');
    return;
  }
  const dir = tempDir(t);
  const file = await keygen(dir, 'theirs');
  chownSync(file, 4242, 4242);
  const r = await run(['seal', '--key-path', file], { input: 'x' });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /theirs\.key is owned by uid 4242, not by the user running enveil \(uid 0\)/);
  chownSync(file, 0, 0);
  assert.equal((await run(['seal', '--key-path', file], { input: 'x' })).code, 0, 'owned by us it is fine');
});

/**
 * Opens a stream sealed by the CLI in this process, with key bytes decoded
 * by Node's base64 (an independent decoder): the CLI's key bytes were these.
 * @param {Buffer} sealed
 * @param {Uint8Array} keyBytes
 * @param {string} keyId
 */
async function openInProcess(sealed, keyBytes, keyId) {
  await core.init();
  const info = core.parseHeader(sealed);
  assert.ok(info);
  const header = sealed.subarray(0, info.size);
  const streamKey = core.openBegin(keyBytes, keyId, header);
  const body = sealed.subarray(info.size);
  assert.ok(body.length < info.chunkBytes + 16, 'one chunk');
  return Buffer.from(core.openChunk(streamKey, header, 0, true, body));
}

test('key files are decoded, and keygen encodes them, exactly as base64', async (t) => {
  const dir = tempDir(t);
  const keys = /** @type {Array<[string, Buffer, string]>} */ ([
    ['all-ones', Buffer.alloc(32, 0xff), '\n'], // '/' characters
    ['plus', Buffer.from(Array.from({ length: 32 }, (_, i) => [0xfb, 0xef, 0xbe][i % 3])), '\n'], // '+' characters
    ['zeros', Buffer.alloc(32, 0), ''], // no newline
    ['mixed', Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 97 + 13) & 0xff)), '\r\n'], // CRLF
  ]);
  for (const [id, bytes, eol] of keys) {
    const file = path.join(dir, `${id}.key`);
    writeFileSync(file, `${bytes.toString('base64')}${eol}`, { mode: 0o600 });
    const sealed = await run(['seal', '--key-path', file], { input: id });
    assert.equal(sealed.code, 0, `${id}: ${sealed.stderr}`);
    assert.equal((await openInProcess(sealed.stdout, bytes, id)).toString(), id, id);
  }
  // A non-canonical last character (its low bits set) is not a key.
  const ones = Buffer.alloc(32, 0xff).toString('base64');
  writeFileSync(path.join(dir, 'loose.key'), `${ones.slice(0, 42)}9=\n`, { mode: 0o600 });
  const loose = await run(['seal', '--key-path', path.join(dir, 'loose.key')], { input: 'x' });
  assert.equal(loose.code, 3, loose.stderr);
  // keygen's files: base64 as Node writes it, and the key the CLI uses.
  for (let i = 0; i < 4; i++) {
    const file = await keygen(dir, `gen${i}`);
    const text = readFileSync(file, 'latin1');
    const bytes = Buffer.from(text, 'base64');
    assert.equal(`${bytes.toString('base64')}\n`, text);
    const sealed = await run(['seal', '--key-path', file], { input: 'generated' });
    assert.equal((await openInProcess(sealed.stdout, bytes, `gen${i}`)).toString(), 'generated');
  }
});

const COMMANDS = [
  [['--help'], /Usage: enveil <command>/],
  [['help'], /Usage: enveil <command>/],
  [['keygen', '--help'], /Usage: enveil keygen/],
  [['seal', '--help'], /Usage: enveil seal/],
  [['open', '-h'], /Usage: enveil open/],
  [['env', '--help'], /Usage: enveil env seal\|open/],
  [['env', 'seal', '--help'], /Usage: enveil env seal\|open/],
  [['env', 'open', '--help'], /Usage: enveil env seal\|open/],
  [['rotate', '--help'], /Usage: enveil rotate/],
  [['audit', '--help'], /Usage: enveil audit/],
  [['help', 'rotate'], /Usage: enveil rotate/],
];

for (const [args, usage] of /** @type {Array<[string[], RegExp]>} */ (COMMANDS)) {
  test(`enveil ${args.join(' ')} prints its usage and the exit codes`, async () => {
    const r = await run(args);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.toString();
    assert.match(text, usage);
    assert.match(text, /Exit codes:\n {2}0 {3}success\n {2}1 {3}does not open/);
    for (const code of ['2', '3', '4', '5', '70']) assert.match(text, new RegExp(`\\n  ${code} +\\S`));
  });
}

test('usage errors exit 2 with a message on stderr', async () => {
  for (const args of [['frobnicate'], ['seal', '--bogus'], ['seal', 'a', 'b'], ['rotate'], ['audit'],
    ['env', 'shake'], ['seal', '--chunk-size', '15'], ['seal', '--chunk-size', '17M'], ['keygen', 'extra']]) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^enveil: \S/);
  }
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.stdout.toString(), /Usage/);
  const version = await run(['--version']);
  assert.match(version.stdout.toString(), /^enveil \d+\.\d+\.\d+\n$/);
});

test('audit prints the header without a key, and flags a body of the wrong length', async (t) => {
  const dir = tempDir(t);
  const key = await keygen(dir, 'audit-key');
  const file = path.join(dir, 'f.enc');
  const sealed = await run(['seal', '--key-path', key, '--context', 'ci', '--chunk-size', '1K', '-o', file], { input: Buffer.alloc(3000, 1) });
  assert.equal(sealed.code, 0, sealed.stderr);
  const r = await run(['audit', '--json', file]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout.toString());
  assert.equal(info.format, 'enveil stream v1');
  assert.equal(info.keyId, 'audit-key');
  assert.equal(info.context, 'ci');
  assert.equal(info.chunkBytes, 1024);
  assert.equal(info.chunks, 3);
  assert.equal(info.plaintextBytes, 3000);
  assert.equal(info.headerBytes + info.bodyBytes, statSync(file).size);
  assert.match(info.fileId, /^[0-9a-f]{32}$/);
  const text = await run(['audit', file]);
  assert.match(text.stdout.toString(), /master key: {2}audit-key/);
  // 10 bytes cut from the end: the last chunk is shorter than a tag.
  writeFileSync(file, readFileSync(file).subarray(0, statSync(file).size - (3000 - 2048 + 16) + 10));
  const cut = await run(['audit', file]);
  assert.equal(cut.code, 1);
  assert.match(cut.stdout.toString(), /not a whole number of chunks/);
  writeFileSync(path.join(dir, 'plain'), 'hello');
  const plain = await run(['audit', path.join(dir, 'plain')]);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /not an enveil sealed file/);
});
