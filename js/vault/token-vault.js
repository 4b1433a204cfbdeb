/**
 * TokenVault: OAuth access and refresh tokens kept encrypted in an
 * EncryptedStore, refreshed by one caller at a time (single flight, also
 * across vault instances and tabs), with refresh-token rotation, reuse
 * detection, an offline grace period and an HMAC-chained audit log.
 *
 * This file is the class the package exports, with its static open(), and
 * RefreshError: the vault's code (opened-vault.js, whose OpenedVault extends
 * this class) loads with the store's, when a store is first opened
 * (js/internal/load-open-code.js), so that `import('enveil')` and init() do
 * not pay for it. Every vault open() returns is an instance of this class.
 * @module
 */
import { EnveilError } from '../errors.js';
import { loadOpenCode } from '../internal/load-open-code.js';

/**
 * What the app's `refresh` function throws to say why a refresh failed.
 * `kind` 'reused': the server saw a refresh token used twice (a sign of
 * theft); the vault wipes the tokens. 'invalid': the server rejected the
 * token. 'network': the server could not be reached (offline, timeout).
 * A TypeError (what fetch throws when offline) counts as 'network'.
 */
export class RefreshError extends Error {
  /**
   * @param {'reused' | 'invalid' | 'network'} kind
   * @param {string} [message]
   * @param {{ cause?: unknown }} [options]
   */
  constructor(kind, message = `refresh failed: ${kind}`, options) {
    super(message, options);
    this.name = 'RefreshError';
    this.kind = kind;
  }
}

/**
 * @typedef {object} TokenSet
 * @property {string} accessToken
 * @property {string} [refreshToken]
 * @property {number} [expiresAt] ms since the epoch
 * @property {number} [expiresIn] seconds from now
 * @property {string} [scope]
 * @property {string} [idToken]
 */

/**
 * @typedef {object} AccessTokenInfo
 * @property {string} accessToken
 * @property {number} expiresAt
 * @property {boolean} offline true when refresh failed for network reasons and the token is an expired one within offlineGraceMs
 */

/**
 * @typedef {{ store: import('../store/encrypted-store.js').EncryptedStore, refresh: (refreshToken: string) => Promise<TokenSet>,
 *   now?: () => number, skewMs?: number, offlineGraceMs?: number, offlinePolicy?: 'return-expired' | 'throw',
 *   previousGraceMs?: number, name?: string }} TokenVaultOptions
 */

/**
 * The type of an open vault, with all its methods: see EncryptedStore in
 * encrypted-store.js for why the class below is a const.
 * @typedef {import('./opened-vault.js').OpenedVault} TokenVault
 */
export const TokenVault = class TokenVault {
  /** @protected Made by open(), as an OpenedVault. */
  constructor() {
    if (new.target === TokenVault) throw new EnveilError('INVALID_ARGUMENT', 'a TokenVault is made by TokenVault.open()');
  }

  /**
   * @param {TokenVaultOptions} options
   *   skewMs: a token this close to expiry counts as expired (@default 30000);
   *   offlineGraceMs: how long after expiry an offline app may keep using the token (@default 0);
   *   offlinePolicy: what getAccessToken does then (@default 'return-expired');
   *   previousGraceMs: how long a rotated-away refresh token is kept for a retry (@default 60000);
   *   name: tells several vaults in one store apart (@default 'session')
   * @returns {Promise<import('./opened-vault.js').OpenedVault>}
   */
  static async open(options) {
    return (await loadOpenCode()).OpenedVault.open(options);
  }
};
