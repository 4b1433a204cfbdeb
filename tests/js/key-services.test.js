// Key providers over network key services: Vault Transit and AWS KMS, each
// against tests/js/key-service-server.js (our loopback server speaking the
// documented protocol, not a real Vault or KMS), KMS through the real
// @aws-sdk/client-kms. No test waits on real time: backoff sleeps are
// injected and recorded.
import 'fake-indexeddb/auto';
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import nodeCrypto from 'node:crypto';
import { IDBFactory } from 'fake-indexeddb';
import { DecryptCommand, EncryptCommand, KMS, KMSClient } from '@aws-sdk/client-kms';
import { rejectionCode as codeOf } from './helpers.js';
import { startKeyServiceServer } from './key-service-server.js';
import { EncryptedStore, init } from '../../js/index.js';
import { awsKms, vaultTransit } from '../../js/providers/key-services.js';

await init();

const ctx = new TextEncoder().encode('enveil/v1/smk|app|smk-1');
const other = new TextEncoder().encode('enveil/v1/smk|app|smk-2');
const base64url = (bytes) => Buffer.from(bytes).toString('base64url');

/** @type {Awaited<ReturnType<typeof startKeyServiceServer>>} */
let server;
before(async () => { server = await startKeyServiceServer({ kmsDenied: ['alias/denied'], kmsAliases: ['alias/enveil', 'alias/other', 'alias/denied'] }); });
after(() => server.close());
beforeEach(() => {
  server.clearFaults();
  server.resetCounts();
});

/** A sleep that returns at once and records what it was asked to wait. */
function recordingSleep() {
  const waits = [];
  const sleep = async (ms) => { waits.push(ms); };
  return { waits, sleep };
}

const vault = (options = {}) => vaultTransit({
  address: server.url, token: server.vaultToken, key: 'enveil', retry: { sleep: async () => {} }, ...options,
});

const kmsCredentials = { accessKeyId: 'AKIDLOOPBACKTEST', secretAccessKey: 'loopback-secret' };
// maxAttempts 1: the SDK's own retries (which wait real time) are off, so
// every retry counted here is enveil's.
const kmsClient = () => new KMSClient({ endpoint: server.url, region: 'us-east-1', credentials: kmsCredentials, maxAttempts: 1 });
const kms = (options = {}) => awsKms({
  client: kmsClient(), commands: { EncryptCommand, DecryptCommand }, keyId: 'alias/enveil', retry: { sleep: async () => {} }, ...options,
});

/** The contract every provider meets; returns the key and its wrapped form. */
async function checkContract(provider) {
  const key = nodeCrypto.randomBytes(32);
  const wrapped = await provider.wrapKey(new Uint8Array(key), ctx);
  assert.ok(wrapped instanceof Uint8Array);
  assert.equal(Buffer.from(wrapped).indexOf(key), -1, 'the wrapped form contains the key');
  assert.equal(Buffer.from(wrapped).indexOf(key.toString('base64')), -1, 'the wrapped form contains the key in base64');
  assert.deepEqual(Buffer.from(await provider.unwrapKey(wrapped, ctx)), key);
  assert.equal(await codeOf(provider.unwrapKey(wrapped, other)), 'KEY_UNAVAILABLE', 'the context is not bound');
  return { key, wrapped };
}

/** A store opened with `provider` is written, closed and reopened. */
async function checkWithStore(provider, reopenProvider = provider) {
  const idb = new IDBFactory();
  const collections = { notes: { encrypted: ['body'] } };
  const store = await EncryptedStore.open({ name: 'services', provider, collections, indexedDB: idb });
  await store.put('notes', 1, { body: 'hello' });
  store.close();
  const again = await EncryptedStore.open({ name: 'services', provider: reopenProvider, collections, indexedDB: idb });
  assert.equal((await again.get('notes', 1)).body, 'hello');
  again.close();
  return idb;
}

/** Every single-byte change of `wrapped` (each byte XOR 1) is refused. */
async function checkEveryEditRefused(provider, wrapped) {
  for (let i = 0; i < wrapped.length; i++) {
    const edited = wrapped.slice();
    edited[i] ^= 1;
    assert.equal(await codeOf(provider.unwrapKey(edited, ctx)), 'KEY_UNAVAILABLE', `byte ${i} edited`);
  }
  assert.equal(await codeOf(provider.unwrapKey(wrapped.subarray(0, wrapped.length - 1), ctx)), 'KEY_UNAVAILABLE', 'truncated');
}

describe('vaultTransit', () => {
  test('wraps in Vault with the context as associated_data and unwraps only with that context', async () => {
    const p = vault();
    assert.equal(p.id, 'vault-transit:transit/enveil');
    const { key, wrapped } = await checkContract(p);
    const text = new TextDecoder().decode(wrapped);
    assert.match(text, /^vault:v1:[A-Za-z0-9+/]+=*$/, 'the wrapped form is Vault\'s ciphertext as is');
    // What went over the wire: the token header, the context as AAD.
    const sent = server.state.lastRequest;
    assert.equal(sent.path, '/v1/transit/decrypt/enveil');
    assert.equal(sent.headers['x-vault-token'], server.vaultToken);
    assert.equal(sent.body.associated_data, Buffer.from(other).toString('base64'));
    assert.equal(sent.body.ciphertext, text);
    assert.notEqual(key.length, 0);
  });

  test('refuses a wrapped key with any byte edited or cut short', async () => {
    const p = vault();
    const { wrapped } = await checkContract(p);
    await checkEveryEditRefused(p, wrapped);
  });

  test('another Transit key cannot unwrap, and an unknown key is KEY_UNAVAILABLE', async () => {
    const { wrapped } = await checkContract(vault());
    assert.equal(await codeOf(vault({ key: 'other' }).unwrapKey(wrapped, ctx)), 'KEY_UNAVAILABLE');
    server.resetCounts();
    assert.equal(await codeOf(vault({ key: 'missing' }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    assert.equal(server.state.count.vault, 1, 'a 400 is not retried');
  });

  test('a bad token is KEY_UNAVAILABLE at once, and the token is in no message', async () => {
    const p = vault({ token: 'hvs.wrong-token-value' });
    const err = await p.wrapKey(new Uint8Array(32), ctx).catch((e) => e);
    assert.equal(err.code, 'KEY_UNAVAILABLE');
    assert.match(err.message, /permission denied/);
    assert.equal(server.state.count.vault, 1, 'a 403 is not retried');
    assert.doesNotMatch(`${err.message} ${err.cause?.message}`, /wrong-token-value|test-token/);
  });

  test('a token function is asked before every request (renewal), and its failure is KEY_UNAVAILABLE', async () => {
    let asked = 0;
    const p = vault({ token: async () => { asked++; return server.vaultToken; } });
    await checkContract(p);
    assert.equal(asked, 3);
    assert.equal(await codeOf(vault({ token: () => { throw new Error('login failed'); } }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    assert.equal(await codeOf(vault({ token: async () => '' }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
  });

  test('sends the namespace header when given one', async () => {
    const scoped = await startKeyServiceServer({ vaultNamespace: 'team-a' });
    try {
      const p = vaultTransit({ address: scoped.url, token: scoped.vaultToken, key: 'enveil', namespace: 'team-a' });
      await checkContract(p);
      assert.equal(scoped.state.lastRequest.headers['x-vault-namespace'], 'team-a');
      assert.equal(await codeOf(vaultTransit({ address: scoped.url, token: scoped.vaultToken, key: 'enveil' }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    } finally {
      await scoped.close();
    }
  });

  test('retries a 500 twice with growing backoff, then succeeds', async () => {
    const { waits, sleep } = recordingSleep();
    const p = vault({ retry: { sleep, backoffMs: 100 } });
    server.failNext(2);
    const wrapped = await p.wrapKey(new Uint8Array(32).fill(1), ctx);
    assert.equal(server.state.count.vault, 3);
    assert.equal(waits.length, 2);
    assert.ok(waits[0] >= 100 && waits[0] < 200, `first wait ${waits[0]}`);
    assert.ok(waits[1] >= 200 && waits[1] < 400, `second wait ${waits[1]}`);
    assert.equal((await p.unwrapKey(wrapped, ctx))[0], 1);
  });

  test('gives up with KEY_UNAVAILABLE after the bounded tries when Vault keeps failing', async () => {
    server.failAlways();
    assert.equal(await codeOf(vault().wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    assert.equal(server.state.count.vault, 3, 'three tries by default');
    server.resetCounts();
    assert.equal(await codeOf(vault({ retry: { attempts: 5, sleep: async () => {} } }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    assert.equal(server.state.count.vault, 5);
    server.resetCounts();
    assert.equal(await codeOf(vault({ retry: { attempts: 1 } }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    assert.equal(server.state.count.vault, 1);
  });

  test('retries a dropped connection and a 429', async () => {
    const p = vault();
    server.failNext(1, 'drop');
    const wrapped = await p.wrapKey(new Uint8Array(32), ctx);
    assert.equal(server.state.count.vault, 2);
    server.resetCounts();
    server.failNext(1, 'throttle');
    assert.equal((await p.unwrapKey(wrapped, ctx)).length, 32);
    assert.equal(server.state.count.vault, 2);
    // Nothing listening: every try fails to connect.
    const closed = await startKeyServiceServer();
    await closed.close();
    const { waits, sleep } = recordingSleep();
    assert.equal(await codeOf(vaultTransit({ address: closed.url, token: 't', key: 'k', retry: { sleep } }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    assert.equal(waits.length, 2);
  });

  test('old wraps still unwrap after the key is rotated in Vault; new wraps use the new version', async () => {
    const p = vault();
    const { key, wrapped: v1 } = await checkContract(p);
    const rotated = await fetch(`${server.url}/v1/transit/keys/enveil/rotate`, { method: 'POST', headers: { 'X-Vault-Token': server.vaultToken }, body: '{}' });
    assert.equal(rotated.status, 200);
    const v2 = await p.wrapKey(new Uint8Array(key), ctx);
    assert.match(new TextDecoder().decode(v2), /^vault:v2:/);
    assert.deepEqual(Buffer.from(await p.unwrapKey(v1, ctx)), key);
    assert.deepEqual(Buffer.from(await p.unwrapKey(v2, ctx)), key);
  });

  test('a malformed answer, a redirect or a key of the wrong size is KEY_UNAVAILABLE, never retried', async () => {
    let calls = 0;
    const answering = (body) => vault({ fetch: async () => { calls++; return new Response(JSON.stringify(body), { status: 200 }); } });
    for (const body of [{}, { data: null }, { data: { ciphertext: 42 } }, { data: { ciphertext: 'v1:abc' } }]) {
      calls = 0;
      assert.equal(await codeOf(answering(body).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE', JSON.stringify(body));
      assert.equal(calls, 1);
    }
    const wrapped = new TextEncoder().encode('vault:v1:AAAA');
    for (const plaintext of [Buffer.alloc(16).toString('base64'), Buffer.alloc(33).toString('base64'), 'not base64!', undefined]) {
      assert.equal(await codeOf(answering({ data: { plaintext } }).unwrapKey(wrapped, ctx)), 'KEY_UNAVAILABLE', String(plaintext));
    }
    calls = 0;
    const redirecting = vault({ fetch: async () => { calls++; return new Response(null, { status: 307, headers: { Location: 'https://elsewhere.example/v1/transit/encrypt/enveil' } }); } });
    const redirected = await redirecting.wrapKey(new Uint8Array(32), ctx).catch((e) => e);
    assert.equal(redirected.code, 'KEY_UNAVAILABLE');
    assert.match(redirected.message, /redirect/);
    assert.equal(calls, 1, 'a redirect is neither followed nor retried');
    const notJson = vault({ fetch: async () => new Response('<html>proxy</html>', { status: 200 }) });
    assert.equal(await codeOf(notJson.wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    // Bytes that are no Transit ciphertext never reach Vault.
    server.resetCounts();
    assert.equal(await codeOf(vault().unwrapKey(new Uint8Array([0xff, 0xfe, 1]), ctx)), 'KEY_UNAVAILABLE');
    assert.equal(server.state.count.vault, 0);
  });

  test('checks its options, and refuses http: to another machine unless allowed', () => {
    assert.throws(() => vaultTransit({ address: 'http://vault.example.com:8200', token: 't', key: 'k' }), { code: 'INVALID_ARGUMENT', message: /in clear/ });
    assert.equal(vaultTransit({ address: 'http://vault.example.com:8200', token: 't', key: 'k', allowHttp: true }).id, 'vault-transit:transit/k');
    assert.equal(vaultTransit({ address: 'https://vault.example.com', token: 't', key: 'k', mount: 'kv/transit' }).id, 'vault-transit:kv/transit/k');
    assert.equal(vaultTransit({ address: 'https://vault.example.com', token: 't', key: 'k', mount: '/kv/transit/' }).id, 'vault-transit:kv/transit/k');
    assert.throws(() => vaultTransit({ address: 'https://x', token: 't', key: 'k', mount: '/' }), { code: 'INVALID_ARGUMENT', message: /mount/ });
    assert.throws(() => vaultTransit({ address: 'ftp://x', token: 't', key: 'k' }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => vaultTransit({ address: 'https://x', token: '', key: 'k' }), { code: 'INVALID_ARGUMENT', message: /token/ });
    assert.throws(() => vaultTransit({ address: 'https://x', token: 't' }), { code: 'INVALID_ARGUMENT', message: /key/ });
    assert.throws(() => vaultTransit({ address: 'https://x', token: 't', key: 'k', retry: { attempts: 0 } }), { code: 'INVALID_ARGUMENT', message: /attempts/ });
  });

  test('an EncryptedStore opens, is written, closed and reopened with it', async () => {
    await checkWithStore(vault());
  });

  test('after a rotation in Vault, rotateMasterKey with the same provider re-wraps the store key under the new version', async () => {
    const p = vault({ key: 'other' });
    const idb = await checkWithStore(p);
    await fetch(`${server.url}/v1/transit/keys/other/rotate`, { method: 'POST', headers: { 'X-Vault-Token': server.vaultToken }, body: '{}' });
    const store = await EncryptedStore.open({ name: 'services', provider: p, collections: { notes: { encrypted: ['body'] } }, indexedDB: idb });
    server.resetCounts();
    await store.rotateMasterKey(p);
    assert.equal(server.state.lastRequest.path, '/v1/transit/encrypt/other');
    store.close();
    const again = await EncryptedStore.open({ name: 'services', provider: p, collections: { notes: { encrypted: ['body'] } }, indexedDB: idb });
    assert.match(server.state.lastRequest.body.ciphertext, /^vault:v2:/, 'the store key is now wrapped under v2');
    assert.equal((await again.get('notes', 1)).body, 'hello');
    again.close();
  });
});

describe('awsKms through @aws-sdk/client-kms', () => {
  test('wraps with KMS Encrypt, the context in EncryptionContext, and unwraps only with that context', async () => {
    const p = kms();
    assert.equal(p.id, 'aws-kms:alias/enveil');
    const { key } = await checkContract(p);
    const sent = server.state.lastRequest;
    assert.equal(sent.headers['x-amz-target'], 'TrentService.Decrypt');
    assert.equal(sent.headers['content-type'], 'application/x-amz-json-1.1');
    assert.match(sent.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDLOOPBACKTEST\//, 'signed by the real SDK');
    assert.deepEqual(sent.body.EncryptionContext, { enveil: base64url(other) });
    assert.equal(sent.body.KeyId, 'alias/enveil');
    assert.notEqual(key.length, 0);
  });

  test('refuses a blob with any byte edited or cut short', async () => {
    const p = kms();
    const { wrapped } = await checkContract(p);
    await checkEveryEditRefused(p, wrapped);
  });

  test('another KMS key cannot unwrap; a key the policy denies or that does not exist is KEY_UNAVAILABLE at once', async () => {
    const { wrapped } = await checkContract(kms());
    server.resetCounts();
    const err = await kms({ keyId: 'alias/other' }).unwrapKey(wrapped, ctx).catch((e) => e);
    assert.equal(err.code, 'KEY_UNAVAILABLE');
    assert.equal(err.cause?.name, 'IncorrectKeyException');
    assert.equal(server.state.count.kms, 1, 'a 400 is not retried');
    const denied = await kms({ keyId: 'alias/denied' }).wrapKey(new Uint8Array(32), ctx).catch((e) => e);
    assert.equal(denied.cause?.name, 'AccessDeniedException');
    assert.equal(await codeOf(kms({ keyId: 'alias/missing' }).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    // The same key named by ARN unwraps.
    assert.equal((await kms({ keyId: server.kmsArn('alias/enveil') }).unwrapKey(wrapped, ctx)).length, 32);
  });

  test('works with the aggregated KMS client too', async () => {
    const client = new KMS({ endpoint: server.url, region: 'us-east-1', credentials: kmsCredentials, maxAttempts: 1 });
    await checkContract(awsKms({ client, keyId: 'alias/enveil' }));
  });

  test('retries KMSInternalException, throttling and a dropped connection, then succeeds', async () => {
    const { waits, sleep } = recordingSleep();
    const p = kms({ retry: { sleep } });
    server.failNext(2);
    const wrapped = await p.wrapKey(new Uint8Array(32).fill(2), ctx);
    assert.equal(server.state.count.kms, 3);
    assert.equal(waits.length, 2);
    server.resetCounts();
    server.failNext(1, 'throttle');
    server.failNext(1, 'drop');
    assert.equal((await p.unwrapKey(wrapped, ctx))[0], 2);
    assert.equal(server.state.count.kms, 3);
  });

  test('gives up with KEY_UNAVAILABLE after the bounded tries when KMS keeps failing', async () => {
    server.failAlways();
    const err = await kms().wrapKey(new Uint8Array(32), ctx).catch((e) => e);
    assert.equal(err.code, 'KEY_UNAVAILABLE');
    assert.match(err.message, /after 3 tries/);
    assert.equal(server.state.count.kms, 3);
    // Nothing listening: the SDK's connection error has no HTTP status.
    const closed = await startKeyServiceServer();
    await closed.close();
    const { waits, sleep } = recordingSleep();
    const client = new KMSClient({ endpoint: closed.url, region: 'us-east-1', credentials: kmsCredentials, maxAttempts: 1 });
    const refused = await awsKms({ client, commands: { EncryptCommand, DecryptCommand }, keyId: 'alias/enveil', retry: { sleep } })
      .wrapKey(new Uint8Array(32), ctx).catch((e) => e);
    assert.equal(refused.code, 'KEY_UNAVAILABLE');
    assert.equal(waits.length, 2, 'a refused connection is retried');
  });

  test('a malformed answer or a key of the wrong size is KEY_UNAVAILABLE', async () => {
    const answering = (encrypt, decrypt) => awsKms({ client: { encrypt: async () => encrypt, decrypt: async () => decrypt }, keyId: 'k' });
    for (const out of [{}, { CiphertextBlob: 'base64?' }, { CiphertextBlob: new Uint8Array(0) }, undefined]) {
      assert.equal(await codeOf(answering(out, {}).wrapKey(new Uint8Array(32), ctx)), 'KEY_UNAVAILABLE');
    }
    for (const out of [{}, { Plaintext: new Uint8Array(31) }, { Plaintext: new Uint8Array(64) }, { Plaintext: 'x'.repeat(32) }]) {
      assert.equal(await codeOf(answering({}, out).unwrapKey(new Uint8Array(8), ctx)), 'KEY_UNAVAILABLE');
    }
  });

  test('checks which client it was given', () => {
    assert.throws(() => awsKms({ client: kmsClient(), keyId: 'k' }), { code: 'INVALID_ARGUMENT', message: /commands/ });
    assert.throws(() => awsKms({ client: {}, keyId: 'k' }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => awsKms({ client: kmsClient(), commands: {}, keyId: 'k' }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => awsKms({ client: kmsClient(), commands: { EncryptCommand, DecryptCommand } }), { code: 'INVALID_ARGUMENT', message: /keyId/ });
  });

  test('an EncryptedStore opens, is written, closed and reopened with it', async () => {
    await checkWithStore(kms());
  });
});
