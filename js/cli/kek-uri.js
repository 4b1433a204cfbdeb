/**
 * Master keys held by a key service, named by URI wherever the command line
 * takes a key file (`--kek URI`, `ENVEIL_KEK`, `rotate --new-kek URI`):
 *
 * - `pkcs11:token=T;object=L?module-path=/path/lib.so&pin-source=file:/run/secrets/pin`
 *   (RFC 7512, as p11-kit and OpenSSL read it; `pin-value=` for tests; path
 *   attributes `token`, `object`, `type=secret-key`, `slot-id`): an AES-256
 *   key in a PKCS#11 token (providers.pkcs11);
 * - `vault-transit:KEY?address=https://vault:8200&mount=transit&namespace=NS`
 *   (`allow-http=true` for http: to another host: the token and keys in clear),
 *   the token from VAULT_TOKEN and the address from VAULT_ADDR by default
 *   (providers.vaultTransit);
 * - `aws-kms:KEY-ID-ARN-OR-ALIAS?region=R&endpoint=URL`, with
 *   @aws-sdk/client-kms (installed by the user) and its usual credential
 *   chain (providers.awsKms).
 *
 * Messages name the URI without its PIN.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { EnveilError } from '../errors.js';
import { CliError, EXIT, quote } from './exit.js';

/** @typedef {import('./master.js').ServiceMaster} ServiceMaster */

const SCHEMES = ['pkcs11', 'vault-transit', 'aws-kms'];

/** Whether `text` is a key-service URI (else, a key file path). @param {string} text */
export const isKekUri = (text) => SCHEMES.some((s) => text.startsWith(`${s}:`));

/** The URI with any pin-value hidden, for messages. @param {string} uri */
export const redacted = (uri) => uri.replace(/([?&;]pin-value=)[^&]*/g, '$1…');

/** @param {string} option @param {string} uri @param {string} why */
const usage = (option, uri, why) => new CliError(EXIT.USAGE, `${option} ${redacted(uri)}: ${why}`);

/**
 * `name=value` pairs split on `sep`, percent-decoded (RFC 3986 as RFC 7512
 * uses it); a name given twice is refused.
 * @param {string} text @param {string} sep @param {(why: string) => CliError} bad
 */
function attributes(text, sep, bad) {
  /** @type {Map<string, string>} */
  const out = new Map();
  for (const part of text.split(sep)) {
    if (part === '') continue;
    const at = part.indexOf('=');
    if (at <= 0) throw bad(`${quote(part)} is not name=value`);
    const name = part.slice(0, at);
    let value;
    try {
      value = decodeURIComponent(part.slice(at + 1));
    } catch {
      throw bad(`the value of ${name} is not valid percent-encoding`);
    }
    if (out.has(name)) throw bad(`${name} is given twice`);
    out.set(name, value);
  }
  return out;
}

/**
 * The parts of a URI: the scheme, what follows it up to '?', and the query
 * attributes.
 * @param {string} uri @param {string} option
 */
function split(uri, option) {
  const scheme = SCHEMES.find((s) => uri.startsWith(`${s}:`));
  if (!scheme) throw usage(option, uri, `not a key-service URI (${SCHEMES.map((s) => `${s}:`).join(', ')})`);
  const rest = uri.slice(scheme.length + 1);
  const q = rest.indexOf('?');
  const bad = (/** @type {string} */ why) => usage(option, uri, why);
  return { scheme, path: q < 0 ? rest : rest.slice(0, q), query: attributes(q < 0 ? '' : rest.slice(q + 1), '&', bad), bad };
}

/** @param {Map<string, string>} attrs @param {string[]} known @param {(why: string) => CliError} bad @param {string} where */
function onlyKnown(attrs, known, bad, where) {
  for (const name of attrs.keys()) {
    if (!known.includes(name)) throw bad(`${where} attribute ${quote(name)} is not supported (${known.join(', ')})`);
  }
}

/**
 * The master key a URI names, with its provider (made, not yet used).
 * @param {string} uri
 * @param {string} option for messages (--kek, --new-kek)
 * @returns {Promise<ServiceMaster>}
 */
export async function serviceMaster(uri, option = '--kek') {
  const { scheme, path, query, bad } = split(uri, option);
  try {
    if (scheme === 'pkcs11') return await pkcs11Master(uri, path, query, bad);
    if (scheme === 'vault-transit') return await vaultMaster(uri, path, query, bad);
    return await kmsMaster(uri, path, query, bad);
  } catch (err) {
    // The provider refused its options (an http: address to another host…):
    // a usage error of the URI, not a bug.
    if (err instanceof EnveilError && err.code === 'INVALID_ARGUMENT') throw bad(err.message);
    throw err;
  }
}

/**
 * The options of providers.pkcs11 a pkcs11: URI gives.
 * @param {string} path @param {Map<string, string>} query @param {(why: string) => CliError} bad
 */
export function pkcs11Options(path, query, bad) {
  const attrs = attributes(path, ';', bad);
  onlyKnown(attrs, ['token', 'object', 'type', 'slot-id'], bad, 'path');
  onlyKnown(query, ['module-path', 'pin-source', 'pin-value'], bad, 'query');
  const token = attrs.get('token');
  const key = attrs.get('object');
  const module = query.get('module-path');
  if (!token) throw bad('token= is required (the token label)');
  if (!key) throw bad('object= is required (the key label)');
  if (!module) throw bad('module-path= is required (the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)');
  if (attrs.has('type') && attrs.get('type') !== 'secret-key') throw bad('type= must be secret-key (an AES-256 key)');
  const slotText = attrs.get('slot-id');
  const slot = slotText === undefined ? undefined : Number(slotText);
  if (slot !== undefined && !(Number.isInteger(slot) && slot >= 0)) throw bad('slot-id= must be a number');
  const pinValue = query.get('pin-value');
  const pinSource = query.get('pin-source');
  if (pinValue !== undefined && pinSource !== undefined) throw bad('give pin-source= or pin-value=, not both');
  /** @type {string | (() => Promise<string>)} */
  let pin;
  if (pinValue !== undefined) pin = pinValue;
  else if (pinSource !== undefined) {
    const file = pinSource.startsWith('file:') ? decodeURI(pinSource.slice('file:'.length).replace(/^\/\/(localhost)?(?=\/)/, '')) : pinSource;
    if (!file.startsWith('/')) throw bad('pin-source= must be a file: URI or an absolute path');
    pin = async () => {
      try {
        return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
      } catch (err) {
        throw new CliError(EXIT.KEY, `cannot read the PIN from ${file}: ${/** @type {NodeJS.ErrnoException} */ (err).code ?? 'error'}`, { cause: err });
      }
    };
  } else throw bad('pin-source=file:/path (or pin-value= for tests) is required');
  return { module, token, key, pin, ...(slot === undefined ? {} : { slot }) };
}

/**
 * @param {string} uri @param {string} path @param {Map<string, string>} query @param {(why: string) => CliError} bad
 * @returns {Promise<ServiceMaster>}
 */
async function pkcs11Master(uri, path, query, bad) {
  const options = pkcs11Options(path, query, bad);
  const { pkcs11 } = await import('../providers/pkcs11.js');
  const provider = pkcs11(options);
  return { kind: /** @type {const} */ ('pkcs11'), id: provider.id, name: redacted(uri), provider, close: () => provider.close() };
}

/**
 * @param {string} uri @param {string} path @param {Map<string, string>} query @param {(why: string) => CliError} bad
 * @returns {Promise<ServiceMaster>}
 */
async function vaultMaster(uri, path, query, bad) {
  onlyKnown(query, ['address', 'mount', 'namespace', 'allow-http'], bad, 'query');
  const key = decodeURIComponent(path);
  if (!key) throw bad('the Transit key name is missing (vault-transit:KEY?address=…)');
  const address = query.get('address') ?? process.env.VAULT_ADDR;
  if (!address) throw bad('address= or VAULT_ADDR is required');
  const token = process.env.VAULT_TOKEN;
  if (!token) throw new CliError(EXIT.KEY, `${redacted(uri)}: VAULT_TOKEN is not set`);
  const { vaultTransit } = await import('../providers/key-services.js');
  const namespace = query.get('namespace') ?? process.env.VAULT_NAMESPACE;
  const allowHttp = query.get('allow-http');
  if (allowHttp !== undefined && allowHttp !== 'true') throw bad('allow-http= takes true');
  const provider = vaultTransit({
    address, token, key, ...(query.has('mount') ? { mount: query.get('mount') } : {}), ...(namespace ? { namespace } : {}),
    ...(allowHttp === 'true' ? { allowHttp: true } : {}),
  });
  return { kind: /** @type {const} */ ('vault-transit'), id: provider.id, name: uri, provider, close: async () => {} };
}

/**
 * @param {string} uri @param {string} path @param {Map<string, string>} query @param {(why: string) => CliError} bad
 * @returns {Promise<ServiceMaster>}
 */
async function kmsMaster(uri, path, query, bad) {
  onlyKnown(query, ['region', 'endpoint'], bad, 'query');
  const keyId = decodeURIComponent(path);
  if (!keyId) throw bad('the key id, ARN or alias is missing (aws-kms:alias/NAME)');
  const name = '@aws-sdk/client-kms';
  /** @type {any} */
  let sdk;
  try {
    sdk = await import(name);
  } catch (err) {
    throw new CliError(EXIT.KEY, `${uri} needs the AWS SDK's KMS client: npm install ${name}`, { cause: err });
  }
  const region = query.get('region') ?? /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1];
  const client = new sdk.KMS({ ...(region ? { region } : {}), ...(query.has('endpoint') ? { endpoint: query.get('endpoint') } : {}) });
  const { awsKms } = await import('../providers/key-services.js');
  const provider = awsKms({ client, keyId });
  return { kind: /** @type {const} */ ('aws-kms'), id: provider.id, name: uri, provider, close: async () => client.destroy?.() };
}

/**
 * `enveil keygen --kek pkcs11:…`: a new non-extractable AES-256 key in the
 * token (never replacing one with that label). Vault and KMS keys are made
 * in the service itself (exit 2).
 * @param {string} uri
 * @returns {Promise<string>} the key's id
 */
export async function createServiceKey(uri) {
  const { scheme, path, query, bad } = split(uri, '--kek');
  if (scheme !== 'pkcs11') throw bad('keygen makes keys in a PKCS#11 token only; make a Vault Transit or KMS key in the service (vault write -f transit/keys/NAME type=aes256-gcm96; aws kms create-key)');
  const { createPkcs11Key } = await import('../providers/pkcs11.js');
  try {
    return (await createPkcs11Key(pkcs11Options(path, query, bad))).id;
  } catch (err) {
    const e = /** @type {{ code?: string, message?: string }} */ (err);
    if (e.code === 'INVALID_ARGUMENT') throw new CliError(EXIT.IO, `${redacted(uri)}: ${e.message}: not overwriting a key`, { cause: err });
    throw new CliError(EXIT.KEY, `${redacted(uri)}: ${e.message ?? 'the token failed'}`, { cause: err });
  }
}
