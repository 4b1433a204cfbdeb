// Master keys held by a key service on the command line: `--kek URI`,
// ENVEIL_KEK and `rotate --new-kek`, against a real PKCS#11 token (SoftHSM2),
// and against our loopback server speaking Vault Transit's and AWS KMS's
// documented HTTP protocols (KMS through the real @aws-sdk/client-kms).
// Each sealed file records which kind of key wrapped it; a file moves
// between a key file and any service without its body changing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keygen, pattern, run, tempDir } from './helpers.js';
import { createToken, softHsmHome, softHsmSkipReason } from '../js/softhsm.js';
import { startKeyServiceServer } from '../js/key-service-server.js';

const noHsm = softHsmSkipReason();
/** @type {Awaited<ReturnType<typeof startKeyServiceServer>>} */
let server;
/** @type {ReturnType<typeof createToken>} */
let token;
before(async () => {
  server = await startKeyServiceServer();
  if (!noHsm) token = createToken();
});
after(() => server?.close());

const hsmUri = (object = 'kek') => `pkcs11:token=${token.token};object=${object}?module-path=${token.module}&pin-value=${token.pin}`;
const hsmEnv = () => ({ SOFTHSM2_CONF: softHsmHome().conf });
const vaultUri = (key = 'enveil') => `vault-transit:${key}?address=${server.url}`;
const vaultEnv = () => ({ VAULT_TOKEN: server.vaultToken });
const kmsUri = (alias = 'alias/enveil') => `aws-kms:${alias}?region=us-east-1&endpoint=${server.url}`;
const kmsEnv = () => ({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_MAX_ATTEMPTS: '1' });
/** The start of a file sealed under a key service: "ENVEIL" 0xFE. @param {Buffer} b */
const blockMarked = (b) => b.subarray(0, 7).equals(Buffer.from([...Buffer.from('ENVEIL'), 0xfe]));
/** Where the stream header starts after a block. @param {Buffer} b */
const headerAt = (b) => 11 + b[8] + b.readUInt16BE(9 + b[8]);

/** The services, each with a URI of its key, another key, the environment and the id files record. */
const services = () => [
  ...(noHsm ? [] : [{ kind: 'pkcs11', uri: hsmUri(), other: hsmUri('other'), env: hsmEnv(), id: `pkcs11:${token.token}/kek` }]),
  { kind: 'vault-transit', uri: vaultUri(), other: vaultUri('other'), env: vaultEnv(), id: 'vault-transit:transit/enveil' },
  { kind: 'aws-kms', uri: kmsUri(), other: kmsUri('alias/other'), env: kmsEnv(), id: 'aws-kms:alias/enveil' },
];

test('keygen --kek makes a non-extractable key in the token, and never replaces one', { skip: noHsm }, async () => {
  for (const object of ['kek', 'other']) {
    const r = await run(['keygen', '--kek', hsmUri(object)], { env: hsmEnv() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), `pkcs11:${token.token}/${object}\n`);
  }
  const again = await run(['keygen', '--kek', hsmUri()], { env: hsmEnv() });
  assert.equal(again.code, 4, again.stderr);
  assert.match(again.stderr, /not overwriting/);
  assert.ok(!again.stderr.includes(token.pin), 'the PIN is in a message');
  const vault = await run(['keygen', '--kek', vaultUri()], { env: vaultEnv() });
  assert.equal(vault.code, 2);
  assert.match(vault.stderr, /PKCS#11 token only/);
});

test('seal and open under each key service: the file records the kind and the id; audit shows them; nothing else opens it', async (t) => {
  const dir = tempDir(t);
  const keyFile = await keygen(dir, 'file-key');
  const plain = pattern(200_000, 7);
  writeFileSync(path.join(dir, 'plain.bin'), plain);
  for (const s of services()) {
    await t.test(s.kind, async () => {
      const sealedPath = path.join(dir, `${s.kind}.enc`);
      const seal = await run(['seal', '--kek', s.uri, '--context', 'ctx', '-o', sealedPath, path.join(dir, 'plain.bin')], { env: s.env });
      assert.equal(seal.code, 0, seal.stderr);
      const bytes = readFileSync(sealedPath);
      assert.ok(blockMarked(bytes), 'a key-service block first');
      assert.equal(bytes[7], { pkcs11: 1, 'vault-transit': 2, 'aws-kms': 3 }[s.kind]);
      assert.equal(bytes.subarray(9, 9 + bytes[8]).toString(), s.id);
      assert.equal(bytes.indexOf(plain.subarray(0, 64)), -1);

      const open = await run(['open', '--kek', s.uri, '--context', 'ctx', sealedPath], { env: s.env });
      assert.equal(open.code, 0, open.stderr);
      assert.ok(open.stdout.equals(plain), 'the plaintext comes back');
      // The same through ENVEIL_KEK.
      const viaEnv = await run(['open', '--context', 'ctx', '-o', path.join(dir, `${s.kind}.out`), sealedPath], { env: { ...s.env, ENVEIL_KEK: s.uri } });
      assert.equal(viaEnv.code, 0, viaEnv.stderr);
      assert.ok(readFileSync(path.join(dir, `${s.kind}.out`)).equals(plain));

      const audit = await run(['audit', '--json', sealedPath]);
      assert.equal(audit.code, 0, audit.stderr);
      const summary = JSON.parse(audit.stdout.toString());
      assert.equal(summary.keyKind, s.kind);
      assert.equal(summary.keyId, s.id);

      const withFile = await run(['open', '--key-path', keyFile, '--context', 'ctx', sealedPath]);
      assert.equal(withFile.code, 3);
      assert.match(withFile.stderr, /held by a key service: give its URI with --kek/);
      const otherKey = await run(['open', '--kek', s.other, '--context', 'ctx', sealedPath], { env: s.env });
      assert.equal(otherKey.code, 3, otherKey.stderr);
      assert.ok(otherKey.stderr.includes(`sealed under ${s.kind} key '${s.id}'`), otherKey.stderr);
      const wrongContext = await run(['open', '--kek', s.uri, '--context', 'other', sealedPath], { env: s.env });
      assert.equal(wrongContext.code, 1, wrongContext.stderr);
      for (const r of [seal, open, withFile, otherKey, wrongContext]) {
        assert.ok(!r.stderr.includes(token?.pin ?? '\0') && !r.stderr.includes(server.vaultToken), 'a secret in a message');
      }
    });
  }
});

test('a key-service block that was altered, or moved from another file, does not open (exit 3), and nothing is written', async (t) => {
  const dir = tempDir(t);
  for (const s of services()) {
    await t.test(s.kind, async () => {
      const a = path.join(dir, `${s.kind}-a.enc`);
      const b = path.join(dir, `${s.kind}-b.enc`);
      for (const [file, text] of [[a, 'first secret text'], [b, 'second secret text']]) {
        const r = await run(['seal', '--kek', s.uri, '-o', file], { input: text, env: s.env });
        assert.equal(r.code, 0, r.stderr);
      }
      const original = readFileSync(a);
      const at = headerAt(original);
      // Every byte of the wrapped key, in turn, for PKCS#11 (fast); a sample for the others.
      const wrappedStart = 11 + original[8];
      const positions = s.kind === 'pkcs11' ? Array.from({ length: at - wrappedStart }, (_, i) => wrappedStart + i) : [wrappedStart, Math.floor((wrappedStart + at) / 2), at - 1];
      for (const i of positions) {
        const edited = Buffer.from(original);
        edited[i] ^= 0x01;
        writeFileSync(path.join(dir, 'edited.enc'), edited);
        const out = path.join(dir, 'edited.out');
        const r = await run(['open', '--kek', s.uri, '-o', out, path.join(dir, 'edited.enc')], { env: s.env });
        assert.ok(r.code === 3 || r.code === 1, `byte ${i}: exit ${r.code} ${r.stderr}`);
        assert.throws(() => readFileSync(out), { code: 'ENOENT' }, 'nothing written');
      }
      // b's block on a's header and body.
      const other = readFileSync(b);
      const swapped = Buffer.concat([other.subarray(0, headerAt(other)), original.subarray(at)]);
      writeFileSync(path.join(dir, 'swapped.enc'), swapped);
      const r = await run(['open', '--kek', s.uri, path.join(dir, 'swapped.enc')], { env: s.env });
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout.length, 0);
    });
  }
});

test('rotate moves files between a key file and each service and back, bodies untouched; a rerun says already rotated', async (t) => {
  const dir = tempDir(t);
  const keyFile = await keygen(dir, 'start-key');
  const plain = pattern(150_000, 3);
  const file = path.join(dir, 'data.enc');
  const env = path.join(dir, 'app.env');
  assert.equal((await run(['seal', '--key-path', keyFile, '-o', file], { input: plain })).code, 0);
  writeFileSync(path.join(dir, 'plain.env'), 'API_TOKEN=abcdef-123456\nDB_PASSWORD="p4ss word"\n');
  assert.equal((await run(['env', 'seal', '--key-path', keyFile, '-o', env, path.join(dir, 'plain.env')])).code, 0);
  const bodyOf = (/** @type {Buffer} */ b) => b.subarray(blockMarked(b) ? headerAt(b) + 62 + b[headerAt(b) + 29] + 1 + b[headerAt(b) + 62 + b[headerAt(b) + 29]] + 102 : 62 + 1 + b[62] + 102);
  const body = bodyOf(readFileSync(file));
  /** @type {{ args: string[], env: Record<string, string> }} */
  let current = { args: ['--key-path', keyFile], env: {} };
  const chain = [...services(), ...services().slice(0, 1).map((s) => ({ ...s, uri: s.other, id: s.id.replace(/kek$|enveil$/, 'other') }))];
  for (const s of chain) {
    const r = await run(['rotate', ...current.args, '--new-kek', s.uri, file, env], { env: { ...current.env, ...s.env } });
    assert.equal(r.code, 0, `${s.kind}: ${r.stderr}`);
    assert.match(r.stdout.toString(), /2 rotated, 0 already rotated, 0 failed/);
    assert.ok(bodyOf(readFileSync(file)).equals(body), `${s.kind}: the body is unchanged`);
    const again = await run(['rotate', ...current.args, '--new-kek', s.uri, file, env], { env: { ...current.env, ...s.env } });
    assert.match(again.stdout.toString(), /0 rotated, 2 already rotated, 0 failed/, again.stderr);
    current = { args: ['--kek', s.uri], env: s.env };
    const open = await run(['open', ...current.args, file], { env: current.env });
    assert.equal(open.code, 0, open.stderr);
    assert.ok(open.stdout.equals(plain));
    const envOpen = await run(['env', 'open', ...current.args, env], { env: current.env });
    assert.equal(envOpen.code, 0, envOpen.stderr);
    assert.equal(envOpen.stdout.toString(), 'API_TOKEN=abcdef-123456\nDB_PASSWORD="p4ss word"\n');
  }
  // And back to a key file.
  const back = await keygen(dir, 'end-key');
  const r = await run(['rotate', ...current.args, '--new-key', back, file, env], { env: current.env });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!blockMarked(readFileSync(file)), 'a plain stream header again');
  assert.ok(bodyOf(readFileSync(file)).equals(body));
  const open = await run(['open', '--key-path', back, file]);
  assert.ok(open.stdout.equals(plain));
  const audit = await run(['audit', env]);
  assert.match(audit.stdout.toString(), /API_TOKEN \(line 1\): key end-key/);
});

test('a key service that refuses or cannot be reached is exit 3, saying so, and never exit 0 with partial output', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'v.enc');
  assert.equal((await run(['seal', '--kek', vaultUri(), '-o', file], { input: 'hello vault' , env: vaultEnv() })).code, 0);
  const badToken = await run(['open', '--kek', vaultUri(), file], { env: { VAULT_TOKEN: 'not-the-token' } });
  assert.equal(badToken.code, 3, badToken.stderr);
  assert.match(badToken.stderr, /did not unwrap its key/);
  assert.ok(!badToken.stderr.includes('not-the-token'));
  const noToken = await run(['open', '--kek', vaultUri(), file], { env: { VAULT_TOKEN: undefined } });
  assert.equal(noToken.code, 3);
  assert.match(noToken.stderr, /VAULT_TOKEN is not set/);
  const down = await run(['open', '--kek', 'vault-transit:enveil?address=http://127.0.0.1:9', file], { env: vaultEnv() });
  assert.equal(down.code, 3, down.stderr);
  assert.equal(down.stdout.length, 0);
  const both = await run(['open', '--kek', vaultUri(), '--key-path', file, file], { env: vaultEnv() });
  assert.equal(both.code, 2);
  const unknown = await run(['open', '--kek', 'pkcs11:token=t;object=k;id=%01?module-path=/x.so&pin-value=1', file]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /attribute 'id' is not supported/);
  assert.ok(!unknown.stderr.includes('pin-value=1'), 'the PIN is hidden in messages');
});

test('a key-service URI whose options the provider refuses is a usage error (exit 2), not an internal one', async (t) => {
  const dir = tempDir(t);
  const plain = path.join(dir, 'p.txt');
  writeFileSync(plain, 'hello');
  const http = await run(['seal', '--kek', 'vault-transit:enveil?address=http://vault.internal:8200', plain], { env: vaultEnv() });
  assert.equal(http.code, 2, http.stderr);
  assert.match(http.stderr, /http: to another machine/);
  const bad = await run(['seal', '--kek', 'vault-transit:enveil?address=http://vault.internal:8200&allow-http=yes', plain], { env: vaultEnv() });
  assert.equal(bad.code, 2, bad.stderr);
});
