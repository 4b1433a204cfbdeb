// A loopback stand-in for two key services, for the tests and the bench:
// HashiCorp Vault's Transit engine and AWS KMS, each speaking its documented
// HTTP protocol closely enough that enveil's providers (and, for KMS, the
// real @aws-sdk/client-kms) cannot tell. It is NOT Vault or KMS: no
// policies beyond one token, no SigV4 check, no persistence, one process.
// Keys are made here at start and never leave it.
//
// Vault Transit (Vault API docs, "Transit secrets engine (API)",
// developer.hashicorp.com/vault/api-docs/secret/transit):
//   POST /v1/<mount>/encrypt/<name>   { plaintext, associated_data } (base64)
//     → { data: { ciphertext: "vault:v<n>:" base64(nonce ‖ ct ‖ tag), key_version } }
//   POST /v1/<mount>/decrypt/<name>   { ciphertext, associated_data } → { data: { plaintext } }
//   POST /v1/<mount>/keys/<name>/rotate → a new version; older ones still decrypt
//   X-Vault-Token checked (403 { errors: ["permission denied"] }); unknown
//   key 400 { errors: ["encryption key not found"] } (real Vault's encrypt may
//   instead create the key, when the token's policy allows `create`).
//   Keys are aes256-gcm96: AES-256-GCM, 96-bit random nonce, the associated
//   data as AAD, as Vault does for that key type.
// AWS KMS (AWS KMS API Reference, "Encrypt", "Decrypt", "Common Errors";
// JSON 1.1 protocol): POST / with X-Amz-Target TrentService.Encrypt|Decrypt,
//   Content-Type application/x-amz-json-1.1; blobs base64 in JSON; errors
//   HTTP 400 (500 for KMSInternalException) { __type, message }. Each key is
//   AES-256-GCM here; the EncryptionContext (canonical: pairs sorted by key)
//   and the blob's header are the AAD. The CiphertextBlob is our own opaque
//   format that names its key, as real KMS blobs do:
//   0x01 ‖ u8 idLength ‖ key id (UTF-8) ‖ nonce(12) ‖ ct ‖ tag(16).
import http from 'node:http';
import crypto from 'node:crypto';

const NONCE = 12;
const TAG = 16;
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';

/**
 * @typedef {object} ServerOptions
 * @property {string} [vaultToken] the one token Vault accepts (default 'test-token')
 * @property {string} [vaultMount] (default 'transit')
 * @property {string} [vaultNamespace] when set, required as X-Vault-Namespace
 * @property {string[]} [vaultKeys] Transit keys made at start (default ['enveil', 'other'])
 * @property {string[]} [kmsAliases] KMS keys made at start, by alias (default ['alias/enveil', 'alias/other'])
 * @property {string[]} [kmsDenied] aliases whose key policy denies every use
 */

/** @param {ServerOptions} [options] */
export async function startKeyServiceServer(options = {}) {
  const {
    vaultToken = 'test-token', vaultMount = 'transit', vaultNamespace,
    vaultKeys = ['enveil', 'other'], kmsAliases = ['alias/enveil', 'alias/other'], kmsDenied = [],
  } = options;

  /** Transit keys: name → versions (index 0 is v1). @type {Map<string, Buffer[]>} */
  const transit = new Map(vaultKeys.map((name) => [name, [crypto.randomBytes(32)]]));
  /** KMS keys by key id. @type {Map<string, { arn: string, alias: string, secret: Buffer, denied: boolean }>} */
  const kmsKeys = new Map();
  for (const alias of kmsAliases) {
    const keyId = crypto.randomUUID();
    kmsKeys.set(keyId, { arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`, alias, secret: crypto.randomBytes(32), denied: kmsDenied.includes(alias) });
  }

  /** @type {Array<{ status?: number, mode: 'status500' | 'drop' | 'throttle' }>} */
  const faults = [];
  const state = {
    /** Requests received, per protocol and in all. */
    count: { vault: 0, kms: 0, total: 0 },
    /** The last request: { protocol, method, path, headers, body } (body parsed). @type {any} */
    lastRequest: null,
  };

  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body;
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        body = undefined;
      }
      const protocol = req.headers['x-amz-target'] ? 'kms' : 'vault';
      state.count[protocol]++;
      state.count.total++;
      state.lastRequest = { protocol, method: req.method, path: req.url, headers: { ...req.headers }, body };
      const fault = faults.shift();
      if (fault?.mode === 'drop') {
        req.socket.destroy();
        return;
      }
      const reply = protocol === 'kms' ? kmsReply(req, body, fault) : vaultReply(req, body, fault);
      const payload = JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'Content-Type': protocol === 'kms' ? 'application/x-amz-json-1.1' : 'application/json',
        'Content-Length': Buffer.byteLength(payload),
        ...(protocol === 'kms' ? { 'x-amzn-RequestId': crypto.randomUUID() } : {}),
      });
      res.end(payload);
    });
  });

  // ─── Vault ───
  /** @param {number} status @param {string[]} errors */
  const vaultError = (status, ...errors) => ({ status, body: { errors } });

  /** @param {http.IncomingMessage} req @param {any} body @param {{ mode: string } | undefined} fault */
  function vaultReply(req, body, fault) {
    if (fault?.mode === 'throttle') return vaultError(429, 'request path "transit/encrypt": rate limit quota exceeded');
    if (fault) return vaultError(500, 'internal error');
    if (req.headers['x-vault-token'] !== vaultToken) return vaultError(403, 'permission denied');
    if (vaultNamespace !== undefined && req.headers['x-vault-namespace'] !== vaultNamespace) return vaultError(403, 'permission denied');
    const prefix = `/v1/${vaultMount}/`;
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'POST' && req.method !== 'PUT') return vaultError(405, 'unsupported operation');
    if (!url.pathname.startsWith(prefix)) return vaultError(404, `no handler for route "${url.pathname.slice(4)}". route entry not found.`);
    const parts = url.pathname.slice(prefix.length).split('/').map(decodeURIComponent);
    if (body === undefined || typeof body !== 'object') return vaultError(400, 'failed to parse JSON input');
    if (parts.length === 3 && parts[0] === 'keys' && parts[2] === 'rotate') {
      const versions = transit.get(parts[1]);
      if (!versions) return vaultError(400, 'encryption key not found');
      versions.push(crypto.randomBytes(32));
      return { status: 200, body: { data: { name: parts[1], type: 'aes256-gcm96', latest_version: versions.length } } };
    }
    if (parts.length !== 2 || (parts[0] !== 'encrypt' && parts[0] !== 'decrypt')) return vaultError(404, 'unsupported path');
    const versions = transit.get(parts[1]);
    if (!versions) return vaultError(400, 'encryption key not found');
    const aad = body.associated_data === undefined ? Buffer.alloc(0) : strictBase64(body.associated_data);
    if (!aad) return vaultError(400, 'failed to base64-decode associated_data');
    if (parts[0] === 'encrypt') {
      const plaintext = strictBase64(body.plaintext);
      if (!plaintext) return vaultError(400, 'failed to base64-decode plaintext');
      const version = versions.length;
      const nonce = crypto.randomBytes(NONCE);
      const sealed = seal(versions[version - 1], nonce, plaintext, aad);
      return { status: 200, body: { data: { ciphertext: `vault:v${version}:${Buffer.concat([nonce, sealed]).toString('base64')}`, key_version: version } } };
    }
    const match = typeof body.ciphertext === 'string' && /^vault:v(\d+):(.*)$/.exec(body.ciphertext);
    if (!match) return vaultError(400, 'invalid ciphertext: no prefix');
    const version = Number(match[1]);
    if (version < 1 || version > versions.length) return vaultError(400, 'invalid ciphertext: key version not found');
    const bytes = strictBase64(match[2]);
    if (!bytes || bytes.length < NONCE + TAG) return vaultError(400, 'invalid ciphertext: could not decode');
    const plaintext = open(versions[version - 1], bytes.subarray(0, NONCE), bytes.subarray(NONCE), aad);
    if (!plaintext) return vaultError(400, 'cipher: message authentication failed');
    return { status: 200, body: { data: { plaintext: plaintext.toString('base64') } } };
  }

  // ─── KMS ───
  /** @param {string} type @param {string} message @param {number} [status] */
  const kmsError = (type, message, status = 400) => ({ status, body: { __type: type, message } });

  /** Finds a key by key id, key ARN, alias name or alias ARN. @param {unknown} ref */
  function kmsKey(ref) {
    if (typeof ref !== 'string') return undefined;
    for (const [keyId, k] of kmsKeys) {
      if (ref === keyId || ref === k.arn || ref === k.alias || ref === `arn:aws:kms:${REGION}:${ACCOUNT}:${k.alias}`) return { keyId, ...k };
    }
    return undefined;
  }

  /** @param {Record<string, string>} context */
  const canonicalContext = (context) => Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));

  /** @param {unknown} context @returns {Record<string, string> | null} */
  function contextArg(context) {
    if (context === undefined) return {};
    if (typeof context !== 'object' || context === null || Array.isArray(context)) return null;
    return Object.values(context).every((v) => typeof v === 'string') ? /** @type {Record<string, string>} */ (context) : null;
  }

  /** @param {http.IncomingMessage} req @param {any} body @param {{ mode: string } | undefined} fault */
  function kmsReply(req, body, fault) {
    if (fault?.mode === 'throttle') return kmsError('ThrottlingException', 'Rate exceeded');
    if (fault) return kmsError('KMSInternalException', 'An internal error occurred.', 500);
    if (req.method !== 'POST' || req.url !== '/') return kmsError('UnknownOperationException', '', 404);
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') return kmsError('SerializationException', 'Start of structure or map found where not expected.');
    if (!/^AWS4-HMAC-SHA256 Credential=/.test(String(req.headers.authorization ?? ''))) {
      return kmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    if (body === undefined || typeof body !== 'object') return kmsError('SerializationException', 'Malformed JSON');
    const context = contextArg(body.EncryptionContext);
    if (!context) return kmsError('SerializationException', 'EncryptionContext must map strings to strings');
    const target = req.headers['x-amz-target'];
    if (target === 'TrentService.Encrypt') {
      const key = kmsKey(body.KeyId);
      if (!key) return kmsError('NotFoundException', `Key '${String(body.KeyId)}' does not exist`);
      if (key.denied) return kmsError('AccessDeniedException', `User is not authorized to perform: kms:Encrypt on resource: ${key.arn}`);
      const plaintext = strictBase64(body.Plaintext);
      if (!plaintext || plaintext.length < 1 || plaintext.length > 4096) return kmsError('ValidationException', 'Plaintext must be 1 to 4096 bytes');
      const header = Buffer.concat([Buffer.from([1, key.keyId.length]), Buffer.from(key.keyId)]);
      const nonce = crypto.randomBytes(NONCE);
      const sealed = seal(key.secret, nonce, plaintext, Buffer.concat([header, canonicalContext(context)]));
      return { status: 200, body: { CiphertextBlob: Buffer.concat([header, nonce, sealed]).toString('base64'), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } };
    }
    if (target === 'TrentService.Decrypt') {
      const blob = strictBase64(body.CiphertextBlob);
      if (!blob || blob.length < 2 || blob[0] !== 1 || blob.length < 2 + blob[1] + NONCE + TAG) return kmsError('InvalidCiphertextException', '');
      const header = blob.subarray(0, 2 + blob[1]);
      const blobKey = kmsKey(header.subarray(2).toString('utf8'));
      if (!blobKey) return kmsError('InvalidCiphertextException', '');
      if (body.KeyId !== undefined) {
        const named = kmsKey(body.KeyId);
        if (!named) return kmsError('NotFoundException', `Key '${String(body.KeyId)}' does not exist`);
        if (named.keyId !== blobKey.keyId) return kmsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
      }
      if (blobKey.denied) return kmsError('AccessDeniedException', `User is not authorized to perform: kms:Decrypt on resource: ${blobKey.arn}`);
      const rest = blob.subarray(header.length);
      const plaintext = open(blobKey.secret, rest.subarray(0, NONCE), rest.subarray(NONCE), Buffer.concat([header, canonicalContext(context)]));
      if (!plaintext) return kmsError('InvalidCiphertextException', '');
      return { status: 200, body: { KeyId: blobKey.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } };
    }
    return kmsError('UnknownOperationException', '');
  }

  await new Promise((resolve) => { server.listen(0, '127.0.0.1', () => resolve(undefined)); });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());

  return {
    url: `http://127.0.0.1:${port}`,
    vaultToken,
    vaultMount,
    state,
    /** The ARN of the KMS key with this alias. @param {string} alias */
    kmsArn: (alias) => kmsKey(alias)?.arn,
    /**
     * The next `n` requests fail: 'status500' (Vault 500, KMS
     * KMSInternalException 500), 'throttle' (KMS ThrottlingException 400, Vault 429)
     * or 'drop' (the connection is closed without an answer).
     * @param {number} n
     * @param {'status500' | 'drop' | 'throttle'} [mode]
     */
    failNext(n, mode = 'status500') {
      for (let i = 0; i < n; i++) faults.push({ mode });
    },
    /** Every request fails from now on (until clearFaults). @param {'status500' | 'drop' | 'throttle'} [mode] */
    failAlways(mode = 'status500') {
      faults.length = 0;
      for (let i = 0; i < 1000; i++) faults.push({ mode });
    },
    clearFaults() {
      faults.length = 0;
    },
    resetCounts() {
      state.count = { vault: 0, kms: 0, total: 0 };
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/** @param {Buffer} key @param {Buffer} nonce @param {Buffer} plaintext @param {Buffer} aad */
function seal(key, nonce, plaintext, aad) {
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** @param {Buffer} key @param {Buffer} nonce @param {Buffer} sealed @param {Buffer} aad @returns {Buffer | null} null when authentication fails */
function open(key, nonce, sealed, aad) {
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', key, nonce);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    return null;
  }
}

/** Standard base64, refusing what Node's lenient decoder would skip. @param {unknown} text */
function strictBase64(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  return Buffer.from(text, 'base64');
}
