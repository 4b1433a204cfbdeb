/**
 * A TokenVault kept in one durable file, for `enveil token`: the same
 * EncryptedStore (store format 2: every record, the manifest and the
 * HMAC-chained audit log authenticated) over an IndexedDB whose every
 * committed transaction is written to the file atomically
 * (../node/file-indexeddb.js), with the OAuth client's settings in an
 * authenticated record beside the tokens (an attacker with the file cannot
 * point the refresh at another server), and one process at a time on the
 * file (../node/file-lock.js): parallel `token get`s make one refresh.
 * @module
 */
import { rmSync } from 'node:fs';
import { EnveilError } from '../errors.js';
import { EncryptedStore } from '../store/encrypted-store.js';
import { RefreshError, TokenVault } from '../vault/token-vault.js';
import { openFileIndexedDB } from '../node/file-indexeddb.js';
import { withFileLock } from '../node/file-lock.js';
import { CliError, EXIT } from './exit.js';
import { isService } from './master.js';
import { refreshWith } from './oauth.js';
import { testPause } from './test-hooks.js';

const STORE = 'enveil-token';
const CONFIG = 'token-config';
const CONFIG_ID = 'client';
const COLLECTIONS = { [CONFIG]: { encrypted: [] } };

/**
 * @typedef {object} ClientConfig what `token init` stores (authenticated, not secret)
 * @property {string} tokenEndpoint
 * @property {string} clientId
 * @property {string} [clientSecretEnv] the environment variable holding the client secret
 * @property {'basic' | 'post'} clientAuth
 * @property {string} [scope]
 */

/**
 * The key provider of a master key: a key file's bytes in WASM, or the
 * service's provider.
 * @param {import('./master.js').Master} master
 */
async function providerOf(master) {
  if (isService(master)) return master.provider;
  const { memory } = await import('../providers/index.js');
  return memory(master.bytes, { id: `key-file:${master.id}` });
}

/**
 * Maps what the store and the vault throw to the command line's exit codes.
 * @param {unknown} err @param {string} file
 */
export function vaultError(err, file) {
  if (!(err instanceof EnveilError)) return err;
  switch (err.code) {
    // The store cannot unlock: its key envelope was altered (in a vault
    // file there is no other reason).
    case 'LOCKED': return new CliError(EXIT.AUTH, `${file}: the vault does not open (altered): ${err.message}`, { cause: err });
    case 'AUTH_FAILED': return new CliError(EXIT.AUTH, `${file}: the vault does not authenticate (altered, or not an enveil token vault): ${err.message}`, { cause: err });
    case 'KEY_UNAVAILABLE': case 'UNKNOWN_KEY': return new CliError(EXIT.KEY, `${file}: the master key does not open this vault: ${err.message}`, { cause: err });
    case 'REFRESH_REUSED': return new CliError(EXIT.REUSED, `${file}: refresh-token reuse reported by the token endpoint (the token leaked): the session was wiped; run enveil token init again with a new refresh token`, { cause: err });
    case 'REFRESH_FAILED':
      // The refresh could not even start (the client secret's variable unset): that error.
      if (err.cause instanceof CliError) return err.cause;
      return new CliError(EXIT.REFRESH, `${file}: ${err.message}`, { cause: err });
    case 'STORAGE_FAILED': case 'QUOTA_EXCEEDED':
      // An I/O failure of the file (it carries the system's code), or a
      // store that does not hold together (keys deleted): the file altered.
      return typeof /** @type {any} */ (err.cause)?.code === 'string'
        ? new CliError(EXIT.IO, `${file}: ${err.message}`, { cause: err })
        : new CliError(EXIT.AUTH, `${file}: the vault does not hold together (altered): ${err.message}`, { cause: err });
    case 'INVALID_ARGUMENT':
      return new CliError(/already exists/.test(err.message) ? EXIT.IO : EXIT.USAGE, `${file}: ${err.message}`, { cause: err });
    default: return err;
  }
}

/**
 * Runs `use` on the vault file, alone on it (the lock), and closes it.
 * @template T
 * @param {{ file: string, master: import('./master.js').Master, create?: ClientConfig & { refreshToken: string }, skewMs?: number, offlineGraceMs?: number, allowStale?: boolean }} options
 * @param {(vault: TokenVault, store: EncryptedStore, config: ClientConfig) => Promise<T>} use
 * @returns {Promise<T>}
 */
export async function withTokenVault({ file, master, create, skewMs = 30_000, offlineGraceMs = 0, allowStale = false }, use) {
  try {
    return await withFileLock(file, async () => {
      const db = await openFileIndexedDB(file, { mode: create ? 'create' : 'open' });
      /** @type {EncryptedStore | undefined} */
      let store;
      let made = false;
      try {
        store = await EncryptedStore.open({ name: STORE, provider: await providerOf(master), collections: COLLECTIONS, indexedDB: db.indexedDB });
        /** @type {ClientConfig} */
        let config;
        if (create) {
          const { refreshToken, ...settings } = create;
          config = settings;
          await store.put(CONFIG, CONFIG_ID, { ...config });
        } else {
          const stored = await store.get(CONFIG, CONFIG_ID);
          if (!stored) throw new CliError(EXIT.AUTH, `${file}: the vault has no client settings: not a vault made by enveil token init, or altered`);
          const { id, ...rest } = stored;
          config = /** @type {ClientConfig} */ (rest);
          // Every command checks the whole audit chain: a dropped or edited
          // entry is an altered file, whatever the command.
          const verified = await store.verifyAuditLog();
          if (!verified.ok) throw new CliError(EXIT.AUTH, `${file}: the vault's audit log does not verify: the file was altered`);
        }
        // The client secret is read when a refresh needs it (audit does not).
        /** @param {string} token */
        const refresh = (token) => refreshWith({ ...config, clientSecret: clientSecretOf(config) })(token);
        const vault = await TokenVault.open({
          store, skewMs, offlineGraceMs, offlinePolicy: allowStale ? 'return-expired' : 'throw',
          refresh: async (token) => {
            const tokens = await refresh(token);
            // Tests: the server has rotated, nothing is written yet.
            if (process.env.ENVEIL_TEST_TOKEN_PAUSE_AFTER_REFRESH === '1') await testPause('after the token endpoint answered');
            return tokens;
          },
        });
        if (create) {
          let first;
          try {
            first = await refresh(create.refreshToken);
          } catch (err) {
            if (!(err instanceof RefreshError)) throw err;
            throw new CliError(err.kind === 'reused' ? EXIT.REUSED : EXIT.REFRESH, `${file}: the first refresh, which checks the settings and the token, failed: ${err.message}; no vault was made`, { cause: err });
          }
          await vault.setTokens({ ...first, refreshToken: first.refreshToken ?? create.refreshToken });
        }
        made = true;
        return await use(vault, store, config);
      } finally {
        store?.close();
        await db.close();
        // A vault that init could not finish (the first refresh failed) is
        // not left behind: the file was made by this run.
        if (create && !made) rmSync(file, { force: true });
      }
    });
  } catch (err) {
    throw vaultError(err, file);
  }
}

/** The client secret, from the environment variable the config names. @param {ClientConfig} config */
function clientSecretOf(config) {
  if (!config.clientSecretEnv) return undefined;
  const secret = process.env[config.clientSecretEnv];
  if (!secret) throw new CliError(EXIT.USAGE, `the client secret's environment variable ${config.clientSecretEnv} is not set`);
  return secret;
}

/**
 * Why the vault holds no session: wiped after the server reported reuse, or
 * cleared (the audit log, which is authenticated, says so), or else its
 * session record was removed from the file.
 * @param {TokenVault} vault @param {string} file
 */
export async function noSession(vault, file) {
  const log = await vault.auditLog();
  const last = log.filter((e) => ['stored', 'refreshed', 'reuse-detected', 'cleared'].includes(e.event)).at(-1);
  if (last?.event === 'reuse-detected') return new CliError(EXIT.REUSED, `${file}: the session was wiped after the server reported refresh-token reuse; run enveil token init again`);
  if (last?.event === 'cleared') return new CliError(EXIT.REFRESH, `${file}: the session was cleared; run enveil token init again`);
  return new CliError(EXIT.AUTH, `${file}: the vault's session record is missing, though its audit log says one is stored: the file was altered`);
}
