/**
 * The OAuth 2.0 refresh_token grant (RFC 6749 §6) for `enveil token`: a
 * form-encoded POST to the token endpoint, the client authenticated by
 * client_secret_basic or client_secret_post (§2.3.1), the answer read as
 * §5.1 and §5.2 write it, and every failure sorted into what TokenVault
 * needs to know (RefreshError kinds): the server unreachable or failing
 * (network: 5xx, 429, a timeout), the token refused (invalid), or the
 * refused token reported as reused. No message holds a token or a secret.
 * @module
 */
import { RefreshError } from '../vault/token-vault.js';
import { CliError, EXIT } from './exit.js';

/**
 * @typedef {object} OAuthClient
 * @property {string} tokenEndpoint
 * @property {string} clientId
 * @property {string} [clientSecret]
 * @property {'basic' | 'post'} clientAuth how the secret is sent (none without a secret)
 * @property {string} [scope]
 */

/** Seconds an access token is taken to live when the server does not say (expires_in is only RECOMMENDED). */
export const DEFAULT_EXPIRES_IN = 300;
/** The longest answer read from the token endpoint. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** The longest expires_in taken as meant (ten years). */
const MAX_EXPIRES_IN = 10 * 365 * 24 * 3600;
/** A token as RFC 6749 (Appendix A, VSCHAR) allows it, at most 16 KiB: no space or line break to inject into `--format env`. */
const TOKEN = /^[\x21-\x7e]{1,16384}$/;

/**
 * The answer's body, at most MAX_ANSWER_BYTES, as JSON (null when it is not).
 * @param {Response} res
 */
async function boundedJson(res) {
  const reader = res.body?.getReader();
  if (!reader) return null;
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => {});
      return null;
    }
    parts.push(value);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * Checks a token endpoint: https, or http to this machine only (the refresh
 * token and the client secret would cross the network in clear).
 * @param {string} text
 */
export function tokenEndpointArg(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(EXIT.USAGE, '--token-endpoint must be a URL');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new CliError(EXIT.USAGE, '--token-endpoint must be https: (http: only to this machine)');
  }
  if (url.username || url.password || url.hash) throw new CliError(EXIT.USAGE, '--token-endpoint must not hold credentials or a fragment');
  return url.href;
}

/** RFC 6749 Appendix B: application/x-www-form-urlencoded of one value. @param {string} s */
const formEncode = (s) => new URLSearchParams({ s }).toString().slice(2);

/**
 * The refresh function TokenVault calls.
 * @param {OAuthClient} client
 * @param {{ fetch?: typeof fetch, timeoutMs?: number }} [options]
 * @returns {(refreshToken: string) => Promise<import('../vault/token-vault.js').TokenSet>}
 */
export function refreshWith(client, { fetch: doFetch = globalThis.fetch, timeoutMs = 30_000 } = {}) {
  return async (refreshToken) => {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    if (client.scope) body.set('scope', client.scope);
    /** @type {Record<string, string>} */
    const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (client.clientSecret !== undefined && client.clientAuth === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`).toString('base64')}`;
    } else {
      body.set('client_id', client.clientId);
      if (client.clientSecret !== undefined) body.set('client_secret', client.clientSecret);
    }
    let res;
    try {
      res = await doFetch(client.tokenEndpoint, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new RefreshError('network', 'the token endpoint could not be reached', { cause: err });
    }
    /** @type {any} */
    let json = null;
    try {
      json = await boundedJson(res);
    } catch (err) {
      throw new RefreshError('network', 'the token endpoint\'s answer could not be read', { cause: err });
    }
    if (res.status >= 500 || res.status === 429) throw new RefreshError('network', `the token endpoint answered ${res.status}`);
    if (!res.ok) {
      const error = typeof json?.error === 'string' ? json.error : `HTTP ${res.status}`;
      const description = typeof json?.error_description === 'string' ? json.error_description : '';
      // RFC 6749 has no code for reuse: servers say so in the description
      // (or, as the demo's server, with reused: true).
      const reused = error === 'invalid_grant' && (json?.reused === true || /\breuse/i.test(description));
      throw new RefreshError(reused ? 'reused' : 'invalid', `the token endpoint refused the refresh (${error.replace(/[^\x20-\x7e]/g, '?').slice(0, 64)})`);
    }
    if (typeof json?.access_token !== 'string' || !TOKEN.test(json.access_token)) {
      throw new RefreshError('invalid', 'the token endpoint answered without a well-formed access_token');
    }
    if (json.refresh_token !== undefined && (typeof json.refresh_token !== 'string' || !TOKEN.test(json.refresh_token))) {
      throw new RefreshError('invalid', 'the token endpoint answered with a malformed refresh_token');
    }
    if (json.expires_in !== undefined && !(typeof json.expires_in === 'number' && json.expires_in >= 0 && json.expires_in <= MAX_EXPIRES_IN)) {
      throw new RefreshError('invalid', 'the token endpoint answered with an expires_in out of range');
    }
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : DEFAULT_EXPIRES_IN;
    return {
      accessToken: json.access_token,
      expiresIn,
      ...(typeof json.refresh_token === 'string' && json.refresh_token ? { refreshToken: json.refresh_token } : {}),
      ...(typeof json.scope === 'string' ? { scope: json.scope } : {}),
    };
  };
}
