/**
 * The TokenVault that TokenVault.open() returns: the class of token-vault.js
 * extended with every method of an open vault. It loads with the store's
 * code, when a store is first opened (js/internal/open-code.js), so that
 * importing enveil stays cheap.
 * @module
 */
import { EnveilError } from '../errors.js';
import { Listeners } from '../internal/listeners.js';
import { withRefreshLock } from '../internal/locks.js';
import { TokenVault } from './token-vault.js';

/** @typedef {import('./token-vault.js').TokenSet} TokenSet */
/** @typedef {import('./token-vault.js').AccessTokenInfo} AccessTokenInfo */

const COLLECTION = '__tokens';
const SESSION = 'session';
const DECLARATION = { encrypted: ['accessToken', 'refreshToken', 'previousRefreshToken', 'idToken'] };

/** @param {unknown} err @returns {'reused' | 'invalid' | 'network' | 'other'} */
function kindOf(err) {
  const kind = /** @type {{ kind?: unknown }} */ (err)?.kind;
  if (kind === 'reused' || kind === 'invalid' || kind === 'network') return kind;
  if (err instanceof TypeError) return 'network';
  return 'other';
}

/** An open vault: every TokenVault that TokenVault.open() returns is one. */
export class OpenedVault extends TokenVault {
  /** @type {import('../store/encrypted-store.js').EncryptedStore} */
  #store;
  /** @type {(refreshToken: string) => Promise<TokenSet>} */
  #refresh;
  #now;
  #skewMs;
  #offlineGraceMs;
  #offlinePolicy;
  #previousGraceMs;
  #name;
  /** @type {Promise<AccessTokenInfo | null> | null} the refresh this instance is running */
  #inflight = null;
  /** @type {Record<string, any> | null} a refreshed pair the store was locked too soon to take */
  #pending = null;
  #listeners = new Listeners();

  /** @param {any} o */
  constructor(o) {
    super();
    this.#store = o.store;
    this.#refresh = o.refresh;
    this.#now = o.now;
    this.#skewMs = o.skewMs;
    this.#offlineGraceMs = o.offlineGraceMs;
    this.#offlinePolicy = o.offlinePolicy;
    this.#previousGraceMs = o.previousGraceMs;
    this.#name = o.name;
  }

  /**
   * TokenVault.open() (documented there), once this code is loaded.
   * @param {import('./token-vault.js').TokenVaultOptions} options
   * @returns {Promise<OpenedVault>}
   */
  static async open(options) {
    const {
      store, refresh, now = Date.now, skewMs = 30_000, offlineGraceMs = 0, offlinePolicy = 'return-expired',
      previousGraceMs = 60_000, name = SESSION,
    } = options ?? /** @type {any} */ ({});
    if (!store || typeof store.declare !== 'function') throw new EnveilError('INVALID_ARGUMENT', 'store must be an open EncryptedStore');
    if (typeof refresh !== 'function') throw new EnveilError('INVALID_ARGUMENT', 'refresh must be a function (refreshToken) => Promise<{ accessToken, … }>');
    if (typeof now !== 'function') throw new EnveilError('INVALID_ARGUMENT', 'now must be a function returning ms');
    for (const [k, v] of Object.entries({ skewMs, offlineGraceMs, previousGraceMs })) {
      if (typeof v !== 'number' || !(v >= 0)) throw new EnveilError('INVALID_ARGUMENT', `${k} must be a number of milliseconds`);
    }
    if (offlinePolicy !== 'return-expired' && offlinePolicy !== 'throw') {
      throw new EnveilError('INVALID_ARGUMENT', "offlinePolicy must be 'return-expired' or 'throw'");
    }
    if (typeof name !== 'string' || !name) throw new EnveilError('INVALID_ARGUMENT', 'name must be a non-empty string');
    await store.declare(COLLECTION, DECLARATION);
    const vault = new OpenedVault({ store, refresh, now, skewMs, offlineGraceMs, offlinePolicy, previousGraceMs, name });
    for (const event of ['locked', 'unlocked', 'key-rotated']) store.on(event, (/** @type {any} */ p) => vault.#emit(event, p));
    store.on('unlocked', () => { void vault.#writePending(); });
    const record = await vault.#read();
    if (record?.inflight) {
      // The app stopped during a refresh: the server may have rotated the
      // refresh token we still hold. The next refresh retries with it.
      await vault.#audit('refresh-interrupted', { since: record.inflight.since });
    }
    return vault;
  }

  /** The refresh lock of this session (shared by every instance on the store). */
  get #lockName() {
    return `${this.#store.name}|${this.#name}`;
  }

  /** @returns {Promise<Record<string, any> | undefined>} */
  #read() {
    return this.#store.get(COLLECTION, this.#name);
  }

  /** @param {Record<string, any>} record */
  #write(record) {
    const { id, ...fields } = record;
    return this.#store.put(COLLECTION, this.#name, fields);
  }

  /**
   * Writes `record` only while the stored session is still generation
   * `generation`: a refresh never writes over a sign-out or a new sign-in
   * that happened while it waited for the server.
   * @param {Record<string, any>} record
   * @param {unknown} generation
   */
  #writeIfSame(record, generation) {
    const { id, ...fields } = record;
    return this.#store.putIf(COLLECTION, this.#name, fields, (current) => current !== undefined && current.generation === generation);
  }

  /**
   * Writes a refreshed pair kept in memory because the store locked while
   * the server was answering: the server has rotated, so losing the pair
   * would turn the next refresh into a false reuse alarm.
   */
  async #writePending() {
    const next = this.#pending;
    if (!next) return;
    await withRefreshLock(this.#lockName, async () => {
      if (this.#pending !== next) return;
      this.#pending = null;
      await this.#writeIfSame(next, next.generation);
    }).catch(() => {});
  }

  /** The data key protecting the tokens, for the audit log. */
  async #keyIds() {
    const { keys } = await this.#store.keyStatus();
    return keys.filter((k) => k.kind === 'data' && k.scope === COLLECTION && k.status === 'primary').map((k) => k.id);
  }

  /** @param {string} event @param {Record<string, unknown>} details */
  async #audit(event, details) {
    await this.#store.appendAudit(event, { vault: this.#name, keyIds: await this.#keyIds(), ...details });
    this.#emit(event, details);
  }

  /** @param {string} event @param {any} payload */
  #emit(event, payload) {
    this.#listeners.emit(event, payload);
  }

  /**
   * Subscribes to 'stored', 'read', 'refreshed', 'rotated', 'reuse-detected'
   * (also emitted as 'REFRESH_REUSED'), 'refresh-failed', 'offline-grace',
   * 'refresh-interrupted', 'cleared', 'locked', 'unlocked', 'key-rotated'.
   * Payloads never contain token values. Returns the unsubscribe function.
   * @param {string} event
   * @param {(payload: any) => void} fn
   */
  on(event, fn) {
    return this.#listeners.on(event, fn);
  }

  /**
   * @param {unknown} tokens
   * @param {number} now
   * @returns {{ accessToken: string, refreshToken?: string, expiresAt: number, scope?: string, idToken?: string }}
   */
  static #tokenArg(tokens, now, what = 'tokens') {
    const t = /** @type {Record<string, unknown>} */ (tokens);
    if (!t || typeof t !== 'object') throw new EnveilError('INVALID_ARGUMENT', `${what} must be an object`);
    if (typeof t.accessToken !== 'string' || !t.accessToken) throw new EnveilError('INVALID_ARGUMENT', `${what}.accessToken must be a non-empty string`);
    if (t.refreshToken !== undefined && (typeof t.refreshToken !== 'string' || !t.refreshToken)) {
      throw new EnveilError('INVALID_ARGUMENT', `${what}.refreshToken must be a non-empty string when given`);
    }
    let expiresAt;
    if (typeof t.expiresAt === 'number' && Number.isFinite(t.expiresAt)) expiresAt = t.expiresAt;
    else if (typeof t.expiresIn === 'number' && Number.isFinite(t.expiresIn)) expiresAt = now + t.expiresIn * 1000;
    else throw new EnveilError('INVALID_ARGUMENT', `${what} needs expiresAt (ms) or expiresIn (s)`);
    for (const k of ['scope', 'idToken']) {
      if (t[k] !== undefined && typeof t[k] !== 'string') throw new EnveilError('INVALID_ARGUMENT', `${what}.${k} must be a string`);
    }
    return {
      accessToken: t.accessToken,
      ...(t.refreshToken ? { refreshToken: /** @type {string} */ (t.refreshToken) } : {}),
      expiresAt,
      ...(t.scope !== undefined ? { scope: /** @type {string} */ (t.scope) } : {}),
      ...(t.idToken !== undefined ? { idToken: /** @type {string} */ (t.idToken) } : {}),
    };
  }

  /**
   * Stores a new session (after sign-in), replacing any other.
   * @param {TokenSet} tokens
   */
  async setTokens(tokens) {
    const t = OpenedVault.#tokenArg(tokens, this.#now());
    // A new generation: a refresh of the previous session still in flight
    // can never write over this one (see #writeIfSame).
    this.#pending = null;
    await this.#write({ ...t, generation: crypto.getRandomValues(new Uint32Array(2)).join('-'), inflight: null, lastFailure: null });
    await this.#audit('stored', { expiresAt: t.expiresAt, ...(t.scope ? { scope: t.scope } : {}) });
  }

  /** @param {Record<string, any> | undefined} record */
  #valid(record) {
    return record !== undefined && this.#now() < record.expiresAt - this.#skewMs;
  }

  /**
   * The access token: the stored one while valid (less skewMs), otherwise a
   * fresh one from a single refresh however many callers wait. Resolves null
   * when no session is stored. See getAccessTokenInfo for offline use.
   * @param {{ forceRefresh?: boolean }} [options]
   * @returns {Promise<string | null>}
   */
  async getAccessToken(options) {
    return (await this.getAccessTokenInfo(options))?.accessToken ?? null;
  }

  /**
   * As getAccessToken, with the expiry and whether the token is an expired
   * one returned offline (offlinePolicy 'return-expired').
   * @param {{ forceRefresh?: boolean }} [options]
   * @returns {Promise<AccessTokenInfo | null>}
   */
  async getAccessTokenInfo(options = {}) {
    const { forceRefresh = false } = options;
    const record = await this.#read();
    if (!record) return null;
    if (!forceRefresh && this.#valid(record)) {
      // The hot path: one read transaction. A read changes nothing, so it
      // is an event, not an audit entry (the log records what changes tokens).
      this.#emit('read', { expiresAt: record.expiresAt });
      return { accessToken: record.accessToken, expiresAt: record.expiresAt, offline: false };
    }
    // Single flight within this instance; the refresh lock covers the rest.
    this.#inflight ??= withRefreshLock(this.#lockName, () => this.#refreshLocked(forceRefresh))
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  }

  /**
   * @param {boolean} force
   * @returns {Promise<AccessTokenInfo | null>}
   */
  async #refreshLocked(force) {
    const record = await this.#read();
    if (!record) return null;
    // Another instance may have refreshed while this one waited for the lock.
    if (this.#valid(record) && (!force || (record.refreshedAt ?? 0) > this.#now() - 1000)) {
      this.#emit('read', { expiresAt: record.expiresAt });
      return { accessToken: record.accessToken, expiresAt: record.expiresAt, offline: false };
    }
    if (!record.refreshToken) {
      throw new EnveilError('REFRESH_FAILED', 'the access token expired and no refresh token is stored');
    }
    const started = this.#now();
    // Write-ahead: if the app dies during the call, the next start knows.
    if (!(await this.#writeIfSame({ ...record, inflight: { since: started } }, record.generation))) {
      return this.#afterReplaced(await this.#read());
    }
    let used = record.refreshToken;
    let result;
    try {
      result = await this.#refresh(used);
    } catch (first) {
      let err = first;
      if (kindOf(err) === 'invalid' && record.previousRefreshToken && started < (record.previousUntil ?? 0)) {
        // The server may not have kept the last rotation: retry with the
        // refresh token it rotated away, while that is still allowed.
        used = record.previousRefreshToken;
        try {
          result = await this.#refresh(used);
          err = null;
        } catch (second) {
          err = second;
        }
      }
      if (err) return this.#refreshFailed(record, err);
    }
    let t;
    try {
      t = OpenedVault.#tokenArg({ refreshToken: undefined, ...result }, this.#now(), 'refresh() result');
    } catch (err) {
      await this.#writeIfSame({ ...record, inflight: null }, record.generation);
      throw new EnveilError('REFRESH_FAILED', /** @type {Error} */ (err).message, { cause: err });
    }
    const rotated = t.refreshToken !== undefined && t.refreshToken !== used;
    const next = {
      accessToken: t.accessToken,
      refreshToken: t.refreshToken ?? used,
      expiresAt: t.expiresAt,
      ...(t.scope ?? record.scope ? { scope: t.scope ?? record.scope } : {}),
      ...(t.idToken ?? record.idToken ? { idToken: t.idToken ?? record.idToken } : {}),
      // The rotated-away token, kept briefly for a retry (see above).
      ...(rotated ? { previousRefreshToken: used, previousUntil: this.#now() + this.#previousGraceMs } : {}),
      refreshedAt: this.#now(),
      generation: record.generation,
      inflight: null,
      lastFailure: null,
    };
    // One put: the new access token and the rotated refresh token together,
    // unless the session was cleared or replaced meanwhile.
    try {
      if (!(await this.#writeIfSame(next, record.generation))) return this.#afterReplaced(await this.#read());
    } catch (err) {
      if (err instanceof EnveilError && err.code === 'LOCKED') this.#pending = { ...next, generation: record.generation };
      throw err;
    }
    await this.#audit('refreshed', { expiresAt: next.expiresAt });
    if (rotated) await this.#audit('rotated', {});
    return { accessToken: next.accessToken, expiresAt: next.expiresAt, offline: false };
  }

  /**
   * The session was cleared or replaced while a refresh of the old one ran:
   * the old one's outcome no longer matters: null when signed out, else the
   * new session's token.
   * @param {Record<string, any> | undefined} current
   * @returns {AccessTokenInfo | null}
   */
  #afterReplaced(current) {
    return current ? this.#asInfo(current) : null;
  }

  /** @param {Record<string, any>} r @returns {AccessTokenInfo} */
  #asInfo(r) {
    return { accessToken: r.accessToken, expiresAt: r.expiresAt, offline: false };
  }

  /**
   * @param {Record<string, any>} record
   * @param {unknown} err
   * @returns {Promise<AccessTokenInfo | null>}
   */
  async #refreshFailed(record, err) {
    const kind = kindOf(err);
    if (kind === 'reused') {
      const current = await this.#read();
      if (current?.generation === record.generation) await this.#store.delete(COLLECTION, this.#name);
      else return this.#afterReplaced(current);
      await this.#audit('reuse-detected', {});
      this.#emit('REFRESH_REUSED', { code: 'REFRESH_REUSED' });
      throw new EnveilError('REFRESH_REUSED', 'the server saw this refresh token used twice: the session was wiped; sign in again', { cause: err });
    }
    const now = this.#now();
    await this.#writeIfSame({ ...record, inflight: null, lastFailure: { at: now, kind } }, record.generation);
    await this.#audit('refresh-failed', { reason: kind });
    // Inside the skew window the token has not really expired: still usable.
    if (kind === 'network' && now < record.expiresAt) return this.#asInfo(record);
    if (kind === 'network' && now - record.expiresAt < this.#offlineGraceMs) {
      await this.#audit('offline-grace', { expiresAt: record.expiresAt });
      if (this.#offlinePolicy === 'return-expired') {
        return { accessToken: record.accessToken, expiresAt: record.expiresAt, offline: true };
      }
    }
    throw new EnveilError('REFRESH_FAILED', `the access token could not be refreshed (${kind})`, { cause: err });
  }

  /** Forgets the session (sign-out). */
  async clear() {
    this.#pending = null;
    await this.#store.delete(COLLECTION, this.#name);
    await this.#audit('cleared', {});
  }

  /**
   * 'locked' (the store is), 'empty', 'valid', 'expired', or
   * 'offline-grace' (expired, the last refresh failed for network reasons,
   * and expiry was less than offlineGraceMs ago).
   * @returns {Promise<'locked' | 'empty' | 'valid' | 'expired' | 'offline-grace'>}
   */
  async status() {
    if (this.#store.locked) return 'locked';
    const record = await this.#read();
    if (!record) return 'empty';
    if (this.#valid(record)) return 'valid';
    const now = this.#now();
    if (record.lastFailure?.kind === 'network' && now >= record.expiresAt && now - record.expiresAt < this.#offlineGraceMs) return 'offline-grace';
    return 'expired';
  }

  /** The store's audit log (see EncryptedStore.auditLog). @param {{ since?: number, limit?: number }} [options] */
  auditLog(options) {
    return this.#store.auditLog(options);
  }

  /** Checks the audit chain (see EncryptedStore.verifyAuditLog). */
  verifyAuditLog() {
    return this.#store.verifyAuditLog();
  }
}
