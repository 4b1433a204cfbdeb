// Key providers whose KEK lives in a network key service and never leaves
// it: HashiCorp Vault's Transit engine (or OpenBao's) and AWS KMS. The
// store key is sent to the service, which wraps it under the KEK with the
// context bound, and is sent back to unwrap. Both speak HTTP; what they have
// in common is here too: bounded retries with backoff for transient
// failures, and one KEY_UNAVAILABLE for everything else.
//
// Browser-safe: no node: imports, no SDK import. Vault is reached with
// fetch; for KMS the caller's own AWS SDK client is passed in.
import { EnveilError } from '../errors.js';
import { limits } from '../internal/limits.js';
import { init, bytesArg } from '../internal/wasm.js';
import { fromBase64, toBase64, wipe } from '../internal/encoding.js';
import { unavailable } from './kek.js';

/** @typedef {import('./definitions.js').KeyProvider} KeyProvider */

/**
 * How a transient failure is retried.
 * @typedef {object} RetryOptions
 * @property {number} [attempts] tries in all, the first included (1: no
 *   retry); default 3
 * @property {number} [backoffMs] the wait before the second try; it doubles
 *   for each later one, plus up to as much again at random; default 100
 * @property {(ms: number) => Promise<void>} [sleep] how to wait (tests pass
 *   one that returns at once); default a setTimeout promise
 */

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 100;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Longest service error text kept in a `cause` (they are the service's words, never ours). */
const MAX_SERVICE_MESSAGE = 300;

/** @param {number} ms */
const realSleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * A failure worth another try (network, 5xx, throttling), as opposed to an
 * answer (refused, not found, cannot decrypt) that another try would repeat.
 */
class Transient extends Error {}

/**
 * Runs `call` up to `attempts` times while it throws Transient, waiting
 * backoffMs · 2^(n−1) plus jitter of up to as much again between tries (the
 * jitter keeps a fleet of CI runners from retrying in step).
 * @template T
 * @param {string} id provider id, for the error message
 * @param {string} what the operation, for the error message
 * @param {Required<RetryOptions>} retry
 * @param {() => Promise<T>} call
 * @returns {Promise<T>}
 */
async function withRetries(id, what, retry, call) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof Transient)) throw err;
      if (attempt >= retry.attempts) {
        throw unavailable(`key provider '${id}' could not ${what}: the service did not answer after ${attempt} tries (${err.message})`, err.cause ?? err);
      }
      const base = retry.backoffMs * 2 ** (attempt - 1);
      await retry.sleep(base + Math.random() * base);
    }
  }
}

/**
 * @param {RetryOptions | undefined} options
 * @param {string} adapter
 * @returns {Required<RetryOptions>}
 */
function retryOptions(options, adapter) {
  const { attempts = DEFAULT_ATTEMPTS, backoffMs = DEFAULT_BACKOFF_MS, sleep = realSleep } = options ?? {};
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10) {
    throw new EnveilError('INVALID_ARGUMENT', `${adapter}: retry.attempts must be an integer from 1 to 10, got ${String(attempts)}`);
  }
  if (typeof backoffMs !== 'number' || !(backoffMs >= 0) || backoffMs > 60_000) {
    throw new EnveilError('INVALID_ARGUMENT', `${adapter}: retry.backoffMs must be a number of milliseconds from 0 to 60000`);
  }
  if (typeof sleep !== 'function') throw new EnveilError('INVALID_ARGUMENT', `${adapter}: retry.sleep must be a function`);
  return { attempts, backoffMs, sleep };
}

/**
 * @param {unknown} value
 * @param {string} name
 * @returns {string}
 */
function nonEmptyString(value, name) {
  if (typeof value !== 'string' || value === '') {
    throw new EnveilError('INVALID_ARGUMENT', `${name} must be a non-empty string`);
  }
  return value;
}

/** A service's own error text, shortened: kept as a cause, for operators. @param {unknown} text */
const serviceText = (text) => String(text).slice(0, MAX_SERVICE_MESSAGE);

/**
 * The wrapped key checked and copied into a buffer of its own, so that the
 * caller's bytes are never handed on (and a caller wiping them later does
 * not change what we sent).
 * @param {unknown} key
 */
function keyToWrap(key) {
  return bytesArg(key, 'key').slice();
}

/**
 * An unwrapped key as the contract wants it: KEY_BYTES long, else wiped and
 * refused (a service must never make us hand on a key of the wrong size).
 * @param {Uint8Array} key
 * @param {string} id
 */
async function checkedKey(key, id) {
  await init();
  if (key.length !== limits().KEY_BYTES) {
    wipe(key);
    throw unavailable(`key provider '${id}' got a key of the wrong size back from the service`);
  }
  return key;
}

// ─── Vault / OpenBao Transit ───────────────────────────────────────────────
//
// The HTTP API, as documented by HashiCorp (Vault API docs, "Transit secrets
// engine (API)": developer.hashicorp.com/vault/api-docs/secret/transit):
//   POST /v1/<mount>/encrypt/<name>  { plaintext: base64, associated_data: base64 }
//     → 200 { data: { ciphertext: "vault:v<version>:<base64>", key_version } }
//   POST /v1/<mount>/decrypt/<name>  { ciphertext, associated_data }
//     → 200 { data: { plaintext: base64 } }
//   headers X-Vault-Token (and X-Vault-Namespace on Enterprise / OpenBao
//   namespaces); errors → 4xx/5xx { errors: [string, …] }.
// `associated_data` is authenticated by AES-GCM keys (aes128-gcm96,
// aes256-gcm96) and chacha20-poly1305 keys; other key types refuse it.
// OpenBao keeps the same paths and fields.

/** The exact form of a Transit ciphertext: "vault:v" version ":" base64. */
const VAULT_CIPHERTEXT = /^vault:v[1-9][0-9]{0,9}:[A-Za-z0-9+/]+={0,2}$/;
/** Hosts that http: may reach (the token and the store key cross in clear). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * @typedef {object} VaultTransitOptions
 * @property {string} address e.g. 'https://vault.example.com:8200' (VAULT_ADDR)
 * @property {string | (() => string | Promise<string>)} token the Vault token,
 *   or a function called before every request that returns the current one
 *   (where the app renews or re-logs in)
 * @property {string} key name of the Transit key (type aes256-gcm96)
 * @property {string} [mount] where the Transit engine is mounted; default 'transit'
 * @property {string} [namespace] sent as X-Vault-Namespace
 * @property {typeof fetch} [fetch] default globalThis.fetch
 * @property {number} [timeoutMs] per request; a timed-out request counts as
 *   a network error (retried); default 10000
 * @property {boolean} [allowHttp] allow an http: address other than
 *   localhost: the token and the store key would cross the network in clear;
 *   default false
 * @property {RetryOptions} [retry]
 * @property {string} [id] the provider id, stored with the wrapped key;
 *   default 'vault-transit:<mount>/<key>'
 */

/**
 * A KEK kept in Vault's (or OpenBao's) Transit secrets engine. Wrapping
 * sends the store key to `encrypt` with the context as `associated_data`;
 * the wrapped form is the UTF-8 of the ciphertext Vault returns
 * ("vault:v1:…"), exactly as the Vault CLI would print it, so an operator
 * can inspect, `rewrap` or decrypt it with Vault's own tools. Keys rotated
 * in Vault keep unwrapping older wraps (Vault keeps every version above
 * min_decryption_version).
 *
 * Network errors, timeouts, 5xx and 429 are retried (`retry`); any other
 * answer (403 bad token, 400 unknown key or failed authentication) and a
 * malformed response are KEY_UNAVAILABLE at once. Messages never hold the
 * token, the key or the wrapped key; Vault's own error strings are kept in
 * the error's `cause`.
 * @param {VaultTransitOptions} options
 * @returns {KeyProvider}
 * @since 0.2.0
 */
export function vaultTransit(options) {
  const adapter = 'vaultTransit';
  if (typeof options !== 'object' || options === null) throw new EnveilError('INVALID_ARGUMENT', `${adapter}: options must be an object`);
  const { token, namespace, allowHttp = false, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const key = nonEmptyString(options.key, `${adapter}: key`);
  // 'transit', '/transit/' and 'team/transit' name mounts as Vault's CLI takes them.
  const mount = nonEmptyString(options.mount ?? 'transit', `${adapter}: mount`).replace(/^\/+|\/+$/g, '');
  if (mount === '') throw new EnveilError('INVALID_ARGUMENT', `${adapter}: mount must name a path, got only slashes`);
  if (namespace !== undefined) nonEmptyString(namespace, `${adapter}: namespace`);
  if (typeof token !== 'function') nonEmptyString(token, `${adapter}: token (a string, or a function returning one)`);
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw new EnveilError('INVALID_ARGUMENT', `${adapter}: timeoutMs must be a positive number`);
  const base = vaultBase(options.address, allowHttp);
  const fetchFn = options.fetch ?? ((/** @type {RequestInfo | URL} */ url, /** @type {RequestInit} */ init) => globalThis.fetch(url, init));
  if (typeof fetchFn !== 'function') throw new EnveilError('INVALID_ARGUMENT', `${adapter}: fetch must be a function`);
  const retry = retryOptions(options.retry, adapter);
  const id = options.id === undefined ? `vault-transit:${mount}/${key}` : nonEmptyString(options.id, `${adapter}: id`);
  // Every path segment escaped: a key named "a/../b" must not reach another route.
  const route = (/** @type {'encrypt' | 'decrypt'} */ op) =>
    `${base}/v1/${mount.split('/').map(encodeURIComponent).join('/')}/${op}/${encodeURIComponent(key)}`;

  /** @returns {Promise<string>} */
  const currentToken = async () => {
    let value;
    try {
      value = typeof token === 'function' ? await token() : token;
    } catch (err) {
      throw unavailable(`key provider '${id}': the token function failed`, err);
    }
    if (typeof value !== 'string' || value === '') throw unavailable(`key provider '${id}': the token function returned no token`);
    return value;
  };

  /**
   * One Transit call, retried while transient; resolves `data` of the reply.
   * @param {'encrypt' | 'decrypt'} op
   * @param {Record<string, string>} body
   * @param {string} what
   * @returns {Promise<Record<string, unknown>>}
   */
  const call = (op, body, what) => withRetries(id, what, retry, async () => {
    /** @type {Record<string, string>} */
    const headers = { 'Content-Type': 'application/json', 'X-Vault-Token': await currentToken() };
    if (namespace !== undefined) headers['X-Vault-Namespace'] = namespace;
    const signal = typeof AbortSignal !== 'undefined' && typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(timeoutMs) : undefined;
    /** @type {Response} */
    let response;
    let text;
    try {
      response = await fetchFn(route(op), { method: 'POST', headers, body: JSON.stringify(body), signal, cache: 'no-store', redirect: 'manual' });
      text = await response.text();
    } catch (err) {
      // fetch rejects only when no HTTP answer came (refused, reset, DNS,
      // timeout): worth another try.
      throw new Transient(`network error: ${serviceText(/** @type {Error} */ (err)?.message ?? err)}`, { cause: err });
    }
    /** @type {unknown} */
    let reply;
    try {
      reply = JSON.parse(text);
    } catch {
      reply = undefined;
    }
    const errors = /** @type {{ errors?: unknown }} */ (reply)?.errors;
    const detail = Array.isArray(errors) ? errors.map(serviceText).join('; ') : '';
    if (response.status >= 500 || response.status === 429) {
      throw new Transient(`HTTP ${response.status}`, { cause: new Error(`Vault: HTTP ${response.status} ${detail}`) });
    }
    // Never followed: a 307 would carry the token and, on a wrap, the store
    // key to whatever host it names. A Vault standby redirects writes to the
    // active node: point `address` at that node or at the load balancer.
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      throw unavailable(`key provider '${id}' could not ${what}: Vault answered with a redirect, which enveil does not follow (set address to the active node or the load balancer)`);
    }
    if (!response.ok) {
      const why = response.status === 403 ? 'refused the token (permission denied)' : `answered HTTP ${response.status}`;
      throw unavailable(`key provider '${id}' could not ${what}: Vault ${why}`, new Error(`Vault: HTTP ${response.status} ${detail}`));
    }
    const data = /** @type {{ data?: unknown }} */ (reply)?.data;
    if (typeof data !== 'object' || data === null) throw unavailable(`key provider '${id}' could not ${what}: Vault's answer has no data`);
    return /** @type {Record<string, unknown>} */ (data);
  });

  return {
    id,
    async wrapKey(plainKey, context) {
      const copy = keyToWrap(plainKey);
      const aad = toBase64(bytesArg(context, 'context'));
      let plaintext = toBase64(copy);
      wipe(copy);
      try {
        const data = await call('encrypt', { plaintext, associated_data: aad }, 'wrap the key');
        const { ciphertext } = data;
        if (typeof ciphertext !== 'string' || !VAULT_CIPHERTEXT.test(ciphertext)) {
          throw unavailable(`key provider '${id}' could not wrap the key: Vault's answer holds no "vault:v…" ciphertext`);
        }
        return new TextEncoder().encode(ciphertext);
      } finally {
        // A string cannot be wiped; dropping the reference is all we can do.
        plaintext = '';
      }
    },
    async unwrapKey(wrapped, context) {
      const aad = toBase64(bytesArg(context, 'context'));
      let ciphertext;
      try {
        ciphertext = new TextDecoder('utf-8', { fatal: true }).decode(bytesArg(wrapped, 'wrapped'));
      } catch (err) {
        if (err instanceof EnveilError) throw err;
        ciphertext = '';
      }
      // Checked before sending: bytes that are no Transit ciphertext (edited,
      // or wrapped by another provider) never reach Vault.
      if (!VAULT_CIPHERTEXT.test(ciphertext)) throw unavailable(`key provider '${id}' cannot unwrap this key: it is not a Vault Transit ciphertext`);
      const data = await call('decrypt', { ciphertext, associated_data: aad }, 'unwrap the key');
      const key = fromBase64(data.plaintext, `key provider '${id}': Vault's plaintext`);
      return checkedKey(key, id);
    },
  };
}

/**
 * The address without a trailing slash, checked: http(s) only, and http:
 * only to this machine unless allowed.
 * @param {unknown} address
 * @param {boolean} allowHttp
 */
function vaultBase(address, allowHttp) {
  nonEmptyString(address, 'vaultTransit: address');
  let url;
  try {
    url = new URL(/** @type {string} */ (address));
  } catch {
    throw new EnveilError('INVALID_ARGUMENT', "vaultTransit: address must be a URL such as 'https://vault.example.com:8200'");
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new EnveilError('INVALID_ARGUMENT', `vaultTransit: address must be an https: URL, got ${url.protocol}`);
  }
  if (url.protocol === 'http:' && !allowHttp && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new EnveilError('INVALID_ARGUMENT', 'vaultTransit: address is http: to another machine: the token and the store key would cross the network in clear (use https:, or allowHttp: true)');
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new EnveilError('INVALID_ARGUMENT', 'vaultTransit: address must hold no credentials, query or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

// ─── AWS KMS ───────────────────────────────────────────────────────────────
//
// The operations, as documented in the AWS KMS API Reference ("Encrypt",
// "Decrypt"; JSON 1.1 protocol, X-Amz-Target TrentService.Encrypt /
// TrentService.Decrypt):
//   Encrypt { KeyId, Plaintext (≤ 4096 bytes), EncryptionContext: {string: string} }
//     → { CiphertextBlob, KeyId (ARN), EncryptionAlgorithm }
//   Decrypt { CiphertextBlob, EncryptionContext, KeyId? } → { Plaintext, KeyId, … }
// With the SDK, blobs are Uint8Arrays (it does the base64). Decrypt with a
// KeyId refuses a blob made under another key (IncorrectKeyException).
// Errors the API reference lists as transient: KMSInternalException (500),
// DependencyTimeoutException (503), KeyUnavailableException (500), and the
// throttling errors every AWS API may return.

/** The EncryptionContext key holding our context (KMS needs string values). */
const KMS_CONTEXT_KEY = 'enveil';
const KMS_TRANSIENT = new Set([
  'KMSInternalException', 'DependencyTimeoutException', 'KeyUnavailableException',
  'ThrottlingException', 'Throttling', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException',
]);

/**
 * What awsKms needs of the SDK: either the aggregated client (`new KMS(…)`
 * from @aws-sdk/client-kms), whose `encrypt`/`decrypt` take the input, or a
 * bare `KMSClient` with the two command classes, so that the package never
 * imports the SDK itself.
 * @typedef {{ encrypt(input: KmsEncryptInput): Promise<KmsEncryptOutput>, decrypt(input: KmsDecryptInput): Promise<KmsDecryptOutput> }} KmsAggregatedClient
 * @typedef {{ send(command: unknown): Promise<any> }} KmsBareClient
 * @typedef {{ EncryptCommand: new (input: KmsEncryptInput) => unknown, DecryptCommand: new (input: KmsDecryptInput) => unknown }} KmsCommands
 * @typedef {{ KeyId: string, Plaintext: Uint8Array, EncryptionContext: Record<string, string> }} KmsEncryptInput
 * @typedef {{ CiphertextBlob: Uint8Array, EncryptionContext: Record<string, string>, KeyId?: string }} KmsDecryptInput
 * @typedef {{ CiphertextBlob?: Uint8Array }} KmsEncryptOutput
 * @typedef {{ Plaintext?: Uint8Array }} KmsDecryptOutput
 */

/**
 * @typedef {object} AwsKmsOptions
 * @property {KmsAggregatedClient | KmsBareClient} client the app's SDK client
 *   (its region, credentials and the SDK's own retries are the app's)
 * @property {KmsCommands} [commands] EncryptCommand and DecryptCommand of the SDK
 *   (`@aws-sdk/client-kms`), needed when `client` is a bare KMSClient
 * @property {string} keyId key id, key ARN, alias name ('alias/…') or alias ARN
 * @property {RetryOptions} [retry]
 * @property {string} [id] the provider id, stored with the wrapped key;
 *   default 'aws-kms:<keyId>'
 */

/**
 * A KEK kept in AWS KMS: a symmetric KMS key (SYMMETRIC_DEFAULT) wraps and
 * unwraps the store key with `Encrypt`/`Decrypt`, the context bound as the
 * encryption context `{ enveil: base64url(context) }`, which CloudTrail logs
 * with every use. The wrapped form is KMS's CiphertextBlob as is. Decrypt
 * names `keyId`, so a blob made under another key is refused.
 *
 * Network errors, 5xx and KMS's transient errors (KMSInternalException,
 * DependencyTimeoutException, KeyUnavailableException, throttling) are
 * retried (`retry`) on top of the SDK's own retries (set the client's
 * `maxAttempts: 1` to leave retrying to enveil); anything else is
 * KEY_UNAVAILABLE at once, the SDK's error kept as `cause`.
 * @param {AwsKmsOptions} options
 * @returns {KeyProvider}
 * @since 0.2.0
 */
export function awsKms(options) {
  const adapter = 'awsKms';
  if (typeof options !== 'object' || options === null) throw new EnveilError('INVALID_ARGUMENT', `${adapter}: options must be an object`);
  const keyId = nonEmptyString(options.keyId, `${adapter}: keyId`);
  const id = options.id === undefined ? `aws-kms:${keyId}` : nonEmptyString(options.id, `${adapter}: id`);
  const retry = retryOptions(options.retry, adapter);
  const kms = kmsOperations(options.client, options.commands);

  /**
   * @template T
   * @param {() => Promise<T>} op
   * @param {string} what
   * @returns {Promise<T>}
   */
  const call = (op, what) => withRetries(id, what, retry, async () => {
    try {
      return await op();
    } catch (err) {
      const e = /** @type {{ name?: string, message?: string, $metadata?: { httpStatusCode?: number } }} */ (err);
      const status = e?.$metadata?.httpStatusCode;
      // No HTTP status: the request never got an answer (connection refused
      // or reset, timeout): transient, as is every 5xx.
      if (KMS_TRANSIENT.has(String(e?.name)) || status === undefined || status >= 500) {
        throw new Transient(`${String(e?.name ?? 'error')}${status ? ` (HTTP ${status})` : ''}`, { cause: err });
      }
      throw unavailable(`key provider '${id}' could not ${what}: KMS refused (${serviceText(e?.name ?? 'error')}, HTTP ${status})`, err);
    }
  });

  return {
    id,
    async wrapKey(plainKey, context) {
      const Plaintext = keyToWrap(plainKey);
      const EncryptionContext = kmsContext(bytesArg(context, 'context'));
      try {
        const out = await call(() => kms.encrypt({ KeyId: keyId, Plaintext, EncryptionContext }), 'wrap the key');
        const blob = out?.CiphertextBlob;
        if (!(blob instanceof Uint8Array) || blob.length === 0) throw unavailable(`key provider '${id}' could not wrap the key: KMS's answer has no CiphertextBlob`);
        return new Uint8Array(blob);
      } finally {
        wipe(Plaintext);
      }
    },
    async unwrapKey(wrapped, context) {
      const CiphertextBlob = bytesArg(wrapped, 'wrapped').slice();
      const EncryptionContext = kmsContext(bytesArg(context, 'context'));
      const out = await call(() => kms.decrypt({ CiphertextBlob, EncryptionContext, KeyId: keyId }), 'unwrap the key');
      const plaintext = out?.Plaintext;
      if (!(plaintext instanceof Uint8Array)) throw unavailable(`key provider '${id}' could not unwrap the key: KMS's answer has no Plaintext`);
      // A copy of our own; the SDK's buffer is wiped.
      const key = new Uint8Array(plaintext);
      wipe(plaintext);
      return checkedKey(key, id);
    },
  };
}

/**
 * The context as KMS takes it: one string value (base64url, no padding).
 * @param {Uint8Array} context
 * @returns {Record<string, string>}
 */
function kmsContext(context) {
  return { [KMS_CONTEXT_KEY]: toBase64(context).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') };
}

/**
 * `encrypt` and `decrypt` over whichever client shape was passed.
 * @param {unknown} client
 * @param {unknown} commands
 * @returns {{ encrypt(input: KmsEncryptInput): Promise<KmsEncryptOutput>, decrypt(input: KmsDecryptInput): Promise<KmsDecryptOutput> }}
 */
function kmsOperations(client, commands) {
  const c = /** @type {Partial<KmsAggregatedClient & KmsBareClient> | null} */ (client);
  if (typeof c !== 'object' || c === null) {
    throw new EnveilError('INVALID_ARGUMENT', 'awsKms: client must be a KMS client from @aws-sdk/client-kms (new KMS(…), or new KMSClient(…) with commands)');
  }
  if (commands !== undefined) {
    const k = /** @type {Partial<KmsCommands> | null} */ (commands);
    if (typeof c.send !== 'function' || typeof k?.EncryptCommand !== 'function' || typeof k?.DecryptCommand !== 'function') {
      throw new EnveilError('INVALID_ARGUMENT', 'awsKms: with commands, client must be a KMSClient (with send()) and commands { EncryptCommand, DecryptCommand } from @aws-sdk/client-kms');
    }
    const send = /** @type {KmsBareClient['send']} */ (c.send).bind(c);
    const { EncryptCommand, DecryptCommand } = /** @type {KmsCommands} */ (k);
    return {
      encrypt: (input) => send(new EncryptCommand(input)),
      decrypt: (input) => send(new DecryptCommand(input)),
    };
  }
  if (typeof c.encrypt === 'function' && typeof c.decrypt === 'function') {
    const { encrypt, decrypt } = /** @type {KmsAggregatedClient} */ (c);
    return { encrypt: (input) => encrypt.call(c, input), decrypt: (input) => decrypt.call(c, input) };
  }
  if (typeof c.send === 'function') {
    throw new EnveilError('INVALID_ARGUMENT', 'awsKms: a bare KMSClient needs commands: { EncryptCommand, DecryptCommand } from @aws-sdk/client-kms (or pass the aggregated new KMS(…) client)');
  }
  throw new EnveilError('INVALID_ARGUMENT', 'awsKms: client must be a KMS client from @aws-sdk/client-kms (new KMS(…), or new KMSClient(…) with commands)');
}
