// `enveil token`: refresh tokens for CI/CD jobs in a sealed vault file,
// against a loopback OAuth server of ours that rotates refresh tokens and
// detects reuse (oauth-server.js). Parallel processes make one refresh; a
// process killed between the server's answer and the local write loses
// nothing; a tampered file never sends an attacker's token anywhere; no
// token in argv, stderr, the audit log or the file in clear.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keygen, run, runWithPauses, tempDir } from './helpers.js';
import { startOAuthServer } from './oauth-server.js';
import { decodeSnapshot, encodeSnapshot } from '../../js/node/file-indexeddb.js';

/** @type {Awaited<ReturnType<typeof startOAuthServer>>} */
let server;
before(async () => { server = await startOAuthServer({ auth: 'basic', graceMs: 60_000 }); });
after(() => server?.close());

const SECRET_ENV = { DEPLOY_SECRET: 'ci-secret' };

/**
 * A new vault in a temp folder, made by `token init` with a fresh family's
 * refresh token on stdin. @param {import('node:test').TestContext} t @param {string[]} [extra]
 */
async function newVault(t, extra = []) {
  const dir = tempDir(t);
  const key = await keygen(dir, 'vault-key');
  const file = path.join(dir, 'deploy.vault');
  const refreshToken = server.newRefreshToken();
  const r = await run(['token', 'init', '--file', file, '--key-path', key, '--token-endpoint', server.tokenEndpoint,
    '--client-id', server.clientId, '--client-secret-env', 'DEPLOY_SECRET', ...extra], { input: `${refreshToken}\n`, env: SECRET_ENV });
  assert.equal(r.code, 0, r.stderr);
  return { dir, key, file, refreshToken };
}

/** `enveil token get` on a vault. @param {{ file: string, key: string }} v @param {string[]} [extra] @param {object} [options] */
const get = (v, extra = [], options = {}) => run(['token', 'get', '--file', v.file, '--key-path', v.key, ...extra], { env: SECRET_ENV, ...options });

/** Every token the server handed out or was shown. */
const allTokens = () => [...server.state.issued, ...server.state.presented];

test('init reads the refresh token from stdin, refreshes once, and creates a 0600 vault holding no token in clear; never over a file', async (t) => {
  const before = server.state.refreshes;
  const v = await newVault(t);
  assert.equal(server.state.refreshes - before, 1, 'one refresh checks the settings');
  assert.equal(statSync(v.file).mode & 0o777, 0o600);
  const bytes = readFileSync(v.file);
  for (const token of allTokens()) assert.equal(bytes.indexOf(token), -1, 'a token in the vault file in clear');
  const again = await run(['token', 'init', '--file', v.file, '--key-path', v.key, '--token-endpoint', server.tokenEndpoint, '--client-id', server.clientId],
    { input: `${server.newRefreshToken()}\n` });
  assert.notEqual(again.code, 0);
  assert.ok(readFileSync(v.file).equals(bytes), 'the existing vault is untouched');
  const inArgs = await run(['token', 'init', '--file', path.join(v.dir, 'x.vault'), '--key-path', v.key, '--token-endpoint', server.tokenEndpoint,
    '--client-id', server.clientId, 'rt_on_the_command_line']);
  assert.equal(inArgs.code, 2, 'a token on the command line is refused');
  const http = await run(['token', 'init', '--file', path.join(v.dir, 'y.vault'), '--key-path', v.key, '--token-endpoint', 'http://auth.example.com/token',
    '--client-id', 'x'], { input: 'rt\n' });
  assert.equal(http.code, 2);
  assert.match(http.stderr, /https/);
});

test('get prints the access token (raw, env, json) without a refresh while it is valid', async (t) => {
  const v = await newVault(t);
  const before = server.state.refreshes;
  const raw = await get(v);
  assert.equal(raw.code, 0, raw.stderr);
  const token = raw.stdout.toString().trim();
  assert.ok(server.state.issued.includes(token));
  assert.equal((await get(v, ['--format', 'env'])).stdout.toString(), `ACCESS_TOKEN=${token}\n`);
  const json = JSON.parse((await get(v, ['--format', 'json'])).stdout.toString());
  assert.equal(json.accessToken, token);
  assert.equal(json.stale, false);
  assert.equal(server.state.refreshes, before, 'no refresh while valid');
  for (const r of [raw]) for (const tk of allTokens()) assert.ok(!r.stderr.includes(tk));
});

test('8 token get processes started at once on an expired token make exactly 1 refresh, and all print the same new token', async (t) => {
  server.state.accessTtlS = 0; // the first access token is born expired
  const v = await newVault(t);
  server.state.accessTtlS = 3600;
  const before = server.state.refreshes;
  const results = await Promise.all(Array.from({ length: 8 }, () => get(v)));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const printed = new Set(results.map((r) => r.stdout.toString()));
  assert.equal(printed.size, 1, 'every process printed the same token');
  assert.equal(server.state.refreshes - before, 1, 'exactly one refresh at the server');
  assert.ok(!existsSync(`${v.file}.lock`), 'the lock is released');
});

test('killed (SIGKILL) after the server rotated but before the vault was written: the next get succeeds through the grace period; the log says refresh-interrupted; the lock is taken over', async (t) => {
  server.state.accessTtlS = 0;
  const v = await newVault(t);
  server.state.accessTtlS = 3600;
  const killed = await runWithPauses(['token', 'get', '--file', v.file, '--key-path', v.key], {
    env: { ...SECRET_ENV, ENVEIL_TEST_TOKEN_PAUSE_AFTER_REFRESH: '1' },
    onPause: (child) => { child.kill('SIGKILL'); },
  });
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(existsSync(`${v.file}.lock`), 'the killed process left its lock');
  const next = await get(v);
  assert.equal(next.code, 0, next.stderr);
  assert.ok(server.state.issued.includes(next.stdout.toString().trim()));
  const audit = await run(['token', 'audit', '--file', v.file, '--key-path', v.key, '--verify', '--json']);
  assert.equal(audit.code, 0, audit.stderr);
  const events = JSON.parse(audit.stdout.toString()).entries.map((/** @type {any} */ e) => e.event);
  assert.ok(events.includes('refresh-interrupted'), events.join(', '));
  assert.equal(events.at(-1), 'rotated');
  for (const tk of allTokens()) assert.ok(!audit.stdout.toString().includes(tk), 'a token in the audit log');
});

test('reuse reported by the server wipes the session, logs reuse-detected and exits 7, then and after', async (t) => {
  server.state.accessTtlS = 0;
  const v = await newVault(t);
  // An attacker refreshes with the vault's current refresh token (stolen).
  const stolen = server.state.issued.at(-1);
  const attacker = await fetch(server.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${server.clientId}:${server.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: /** @type {string} */ (stolen) }),
  });
  assert.equal(attacker.status, 200);
  server.expireGrace();
  const r = await get(v);
  assert.equal(r.code, 7, r.stderr);
  assert.match(r.stderr, /reuse/);
  const again = await get(v);
  assert.equal(again.code, 7, again.stderr);
  const audit = await run(['token', 'audit', '--file', v.file, '--key-path', v.key, '--json']);
  assert.ok(JSON.parse(audit.stdout.toString()).entries.some((/** @type {any} */ e) => e.event === 'reuse-detected'));
  for (const tk of allTokens()) assert.equal(readFileSync(v.file).indexOf(tk), -1);
});

test('the server unreachable: exit 6; --allow-stale within --offline-grace prints the expired token with a warning', async (t) => {
  server.state.accessTtlS = 0;
  const v = await newVault(t);
  server.state.accessTtlS = 3600;
  server.state.failNext = { n: 100, mode: 'drop' };
  try {
    const failed = await get(v);
    assert.equal(failed.code, 6, failed.stderr);
    const stale = await get(v, ['--allow-stale', '--offline-grace', '3600']);
    assert.equal(stale.code, 0, stale.stderr);
    assert.match(stale.stderr, /could not be reached/);
    assert.ok(server.state.issued.includes(stale.stdout.toString().trim()));
  } finally {
    server.state.failNext = null;
  }
  assert.equal((await get(v)).code, 0, 'once the server is back');
});

test('rotate refreshes now; audit --verify prints the log without a token and verifies the chain', async (t) => {
  const v = await newVault(t);
  const before = server.state.refreshes;
  const r = await run(['token', 'rotate', '--file', v.file, '--key-path', v.key], { env: SECRET_ENV });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(server.state.refreshes - before, 1);
  const audit = await run(['token', 'audit', '--file', v.file, '--key-path', v.key, '--verify']);
  assert.equal(audit.code, 0, audit.stderr);
  assert.match(audit.stdout.toString(), /verified: \d+ entries, chain intact/);
  assert.match(audit.stdout.toString(), /rotated/);
  for (const tk of allTokens()) assert.ok(!audit.stdout.toString().includes(tk));
});

test('a tampered vault file (any byte) is exit 1 or 3 and sends no request to the server', async (t) => {
  server.state.accessTtlS = 0;
  const v = await newVault(t);
  const original = readFileSync(v.file);
  const before = server.state.presented.length;
  // 24 bytes spread across the whole file, and the last one.
  const positions = [...Array.from({ length: 24 }, (_, i) => Math.floor((i * original.length) / 24)), original.length - 1];
  for (const i of positions) {
    const edited = Buffer.from(original);
    edited[i] ^= 0x20;
    writeFileSync(v.file, edited);
    const r = await get(v);
    assert.ok(r.code === 1 || r.code === 3, `byte ${i} of ${original.length}: exit ${r.code}: ${r.stderr}`);
    assert.equal(server.state.presented.length, before, `byte ${i}: a request reached the server`);
  }
  writeFileSync(v.file, original.subarray(0, original.length - 10));
  assert.equal((await get(v)).code, 1, 'truncated');
  writeFileSync(v.file, original);
  assert.equal((await get(v)).code, 0, 'the original still works');
});

/**
 * The vault file with `edit` applied to its snapshot, written back with a
 * valid container (an attacker recomputes the container's checksum): what
 * must catch the edit is the store's authentication.
 * @param {string} file @param {(stores: Map<string, Array<[any, any]>>) => void} edit
 */
function editRecords(file, edit) {
  const snapshot = decodeSnapshot(readFileSync(file), file);
  const stores = new Map(snapshot.databases.flatMap((d) => d.stores.map((s) => [s.name, s.entries])));
  edit(stores);
  writeFileSync(file, encodeSnapshot(snapshot));
}

test('records dropped, copied or edited in the vault (its container rewritten as valid): exit 1, and no request to the server', async (t) => {
  server.state.accessTtlS = 0;
  const v = await newVault(t);
  const original = readFileSync(v.file);
  const tokens = (/** @type {Map<string, Array<[any, any]>>} */ stores) => {
    const name = [...stores.keys()].find((n) => n.includes('__tokens'));
    assert.ok(name, `the tokens' object store among ${[...stores.keys()].join(', ')}`);
    return /** @type {Array<[any, any]>} */ (stores.get(name));
  };
  const config = (/** @type {Map<string, Array<[any, any]>>} */ stores) => /** @type {Array<[any, any]>} */ (stores.get([...stores.keys()].find((n) => n.includes('token-config')) ?? ''));
  const edits = {
    'the session record dropped': (/** @type {Map<string, Array<[any, any]>>} */ st) => { tokens(st).length = 0; },
    'the client settings dropped': (/** @type {Map<string, Array<[any, any]>>} */ st) => { config(st).length = 0; },
    'the settings record copied over the session': (/** @type {Map<string, Array<[any, any]>>} */ st) => {
      const [[, value]] = config(st);
      tokens(st)[0][1] = { ...value, id: 'session' };
    },
    'the token endpoint changed in the settings': (/** @type {Map<string, Array<[any, any]>>} */ st) => { config(st)[0][1].tokenEndpoint = 'http://127.0.0.1:9/steal'; },
    'a byte of the session\'s ciphertext flipped': (/** @type {Map<string, Array<[any, any]>>} */ st) => { tokens(st)[0][1].__rec[40] ^= 1; },
    'an audit entry dropped': (/** @type {Map<string, Array<[any, any]>>} */ st) => {
      const audit = [...st.entries()].find(([n]) => /audit/i.test(n));
      assert.ok(audit && audit[1].length >= 1, 'the audit store');
      audit[1].splice(0, 1);
    },
    'every record of the manifest\'s store dropped': (/** @type {Map<string, Array<[any, any]>>} */ st) => {
      const meta = [...st.entries()].find(([n]) => /meta/i.test(n));
      assert.ok(meta, 'the meta store');
      meta[1].length = 0;
    },
  };
  const before = server.state.presented.length;
  for (const [what, edit] of Object.entries(edits)) {
    writeFileSync(v.file, original);
    editRecords(v.file, edit);
    const r = await get(v);
    assert.equal(r.code, 1, `${what}: exit ${r.code}: ${r.stderr}`);
    assert.equal(server.state.presented.length, before, `${what}: a request reached the server`);
  }
});

test('client_secret_post: the secret sent in the form body, read from the environment variable the vault names, never stored', async (t) => {
  const postServer = await startOAuthServer({ auth: 'post', clientSecret: 'post-secret' });
  t.after(() => postServer.close());
  const dir = tempDir(t);
  const key = await keygen(dir, 'post-key');
  const file = path.join(dir, 'post.vault');
  const args = ['--file', file, '--key-path', key];
  const init = await run(['token', 'init', ...args, '--token-endpoint', postServer.tokenEndpoint, '--client-id', postServer.clientId,
    '--client-secret-env', 'POST_SECRET', '--client-auth', 'post'], { input: `${postServer.newRefreshToken()}\n`, env: { POST_SECRET: 'post-secret' } });
  assert.equal(init.code, 0, init.stderr);
  assert.equal(readFileSync(file).indexOf('post-secret'), -1, 'the client secret is not in the vault');
  const rotated = await run(['token', 'rotate', ...args], { env: { POST_SECRET: 'post-secret' } });
  assert.equal(rotated.code, 0, rotated.stderr);
  // --skew longer than the token lives: each get refreshes.
  const missing = await run(['token', 'get', ...args, '--skew', '100000'], { env: { POST_SECRET: undefined } });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /POST_SECRET is not set/);
  const wrong = await run(['token', 'get', ...args, '--skew', '100000'], { env: { POST_SECRET: 'not-it' } });
  assert.equal(wrong.code, 6, wrong.stderr);
  assert.ok(!wrong.stderr.includes('not-it'));
  // Basic against a server that wants post is refused the same (invalid_client): no vault is made.
  const basic = await run(['token', 'init', '--file', path.join(dir, 'basic.vault'), '--key-path', key, '--token-endpoint', postServer.tokenEndpoint,
    '--client-id', postServer.clientId, '--client-secret-env', 'POST_SECRET'], { input: `${postServer.newRefreshToken()}\n`, env: { POST_SECRET: 'post-secret' } });
  assert.equal(basic.code, 6, basic.stderr);
  assert.ok(!existsSync(path.join(dir, 'basic.vault')), 'a vault init could not finish is not left behind');
});

test('the vault path as a symbolic link, a FIFO or a device is refused (exit 4) at once, and the link target is left as it was', async (t) => {
  const v = await newVault(t);
  const link = path.join(v.dir, 'link.vault');
  symlinkSync(v.file, link);
  const before = readFileSync(v.file);
  const viaLink = await get({ ...v, file: link });
  assert.equal(viaLink.code, 4, viaLink.stderr);
  assert.match(viaLink.stderr, /symbolic link/);
  assert.ok(readFileSync(v.file).equals(before), 'the target is untouched');
  const fifo = path.join(v.dir, 'fifo.vault');
  execFileSync('mkfifo', [fifo]);
  const viaFifo = await get({ ...v, file: fifo });
  assert.equal(viaFifo.code, 4, viaFifo.stderr);
  const zero = path.join(v.dir, 'zero.vault');
  symlinkSync('/dev/zero', zero);
  assert.equal((await get({ ...v, file: zero })).code, 4);
});

test('a token endpoint answering tokens with spaces or line breaks, or an absurd expires_in, is refused (exit 6): nothing is injected into --format env', async (t) => {
  server.state.accessTtlS = 0;
  const v = await newVault(t);
  server.state.accessTtlS = 3600;
  try {
    server.state.mangle = (body) => ({ ...body, access_token: `${body.access_token}\nINJECTED=1` });
    const injected = await get(v, ['--format', 'env']);
    assert.equal(injected.code, 6, injected.stderr);
    assert.ok(!injected.stdout.toString().includes('INJECTED'));
    server.state.mangle = (body) => ({ ...body, expires_in: 1e30 });
    assert.equal((await get(v, ['--format', 'json'])).code, 6);
  } finally {
    server.state.mangle = null;
  }
});
