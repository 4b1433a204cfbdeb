/**
 * `enveil token init|get|rotate|audit`: OAuth tokens for CI/CD jobs and
 * servers, kept in a sealed vault file (token-vault-file.js).
 * @module
 */
import * as core from '../../stream-format.js';
import { parse, showHelp } from '../args.js';
import { CliError, EXIT } from '../exit.js';
import { readText } from '../io/text.js';
import { loadMaster, releaseMaster } from '../master.js';
import { tokenEndpointArg } from '../oauth.js';
import { noSession, withTokenVault } from '../token-vault-file.js';

const KEY = { 'key-path': { type: /** @type {const} */ ('string') }, kek: { type: /** @type {const} */ ('string') }, file: { type: /** @type {const} */ ('string') } };

/** @param {string} name @param {string | undefined} text @param {number} fallback */
function seconds(name, text, fallback) {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) throw new CliError(EXIT.USAGE, `--${name} must be a whole number of seconds`);
  return Number(text) * 1000;
}

/**
 * @param {string[]} args
 * @param {import('../args.js').CommandIO} io
 */
export async function tokenCommand(args, { out, err }) {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    showHelp('token', out);
    return sub === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const options = {
    init: { ...KEY, 'token-endpoint': { type: 'string' }, 'client-id': { type: 'string' }, 'client-secret-env': { type: 'string' }, 'client-auth': { type: 'string' }, scope: { type: 'string' } },
    get: { ...KEY, format: { type: 'string' }, skew: { type: 'string' }, 'allow-stale': { type: 'boolean' }, 'offline-grace': { type: 'string' } },
    rotate: { ...KEY },
    audit: { ...KEY, verify: { type: 'boolean' }, json: { type: 'boolean' } },
  }[sub];
  if (!options) throw new CliError(EXIT.USAGE, `no such command: token ${sub}\nSee: enveil token --help`);
  const { values, positionals } = parse(`token ${sub}`, rest, /** @type {any} */ (options));
  /** @type {Record<string, any>} */
  const v = values;
  if (v.help) return showHelp('token', out);
  if (positionals.length > 0) throw new CliError(EXIT.USAGE, `enveil token ${sub} takes no arguments\nSee: enveil token --help`);
  if (!v.file) throw new CliError(EXIT.USAGE, `enveil token ${sub} needs --file VAULT\nSee: enveil token --help`);
  await core.init();
  const file = /** @type {string} */ (v.file);
  if (sub === 'init') return init(file, v, err);
  const master = await loadMaster(v);
  try {
    if (sub === 'audit') return await audit(file, master, v, out);
    const format = v.format ?? 'raw';
    if (!['raw', 'env', 'json'].includes(format)) throw new CliError(EXIT.USAGE, '--format must be raw, env or json');
    return await withTokenVault({
      file, master, skewMs: seconds('skew', v.skew, 30_000), offlineGraceMs: seconds('offline-grace', v['offline-grace'], 0), allowStale: v['allow-stale'] ?? false,
    }, async (vault) => {
      const info = await vault.getAccessTokenInfo({ forceRefresh: sub === 'rotate' });
      if (!info) throw await noSession(vault, file);
      if (sub === 'rotate') {
        err(`enveil: refreshed; the access token expires at ${new Date(info.expiresAt).toISOString()}\n`);
        return EXIT.OK;
      }
      if (info.offline) err(`enveil: warning: the token endpoint could not be reached; this access token expired at ${new Date(info.expiresAt).toISOString()} (--allow-stale)\n`);
      if (format === 'raw') out(`${info.accessToken}\n`);
      else if (format === 'env') out(`ACCESS_TOKEN=${info.accessToken}\n`);
      else out(`${JSON.stringify({ accessToken: info.accessToken, expiresAt: new Date(info.expiresAt).toISOString(), stale: info.offline })}\n`);
      return EXIT.OK;
    });
  } finally {
    await releaseMaster(master);
  }
}

/**
 * token init: the refresh token from stdin only (never argv or the
 * environment), one refresh to check the settings, then the vault.
 * @param {string} file @param {Record<string, any>} v @param {(text: string) => void} err
 */
async function init(file, v, err) {
  if (!v['token-endpoint']) throw new CliError(EXIT.USAGE, 'enveil token init needs --token-endpoint URL');
  if (!v['client-id']) throw new CliError(EXIT.USAGE, 'enveil token init needs --client-id ID');
  const clientAuth = v['client-auth'] ?? 'basic';
  if (clientAuth !== 'basic' && clientAuth !== 'post') throw new CliError(EXIT.USAGE, '--client-auth must be basic (client_secret_basic) or post (client_secret_post)');
  const secretEnv = v['client-secret-env'];
  if (secretEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretEnv)) throw new CliError(EXIT.USAGE, '--client-secret-env must name an environment variable');
  const tokenEndpoint = tokenEndpointArg(v['token-endpoint']);
  if (process.stdin.isTTY) err('enveil: reading the refresh token from stdin (end with Ctrl-D)\n');
  const refreshToken = (await readText(undefined)).replace(/\r?\n$/, '');
  if (!refreshToken || /[\s]/.test(refreshToken)) throw new CliError(EXIT.USAGE, 'stdin must hold the refresh token: one line, no spaces');
  const master = await loadMaster(v);
  try {
    await withTokenVault({
      file, master,
      create: { tokenEndpoint, clientId: v['client-id'], clientAuth, refreshToken, ...(secretEnv ? { clientSecretEnv: secretEnv } : {}), ...(v.scope ? { scope: v.scope } : {}) },
    }, async () => {});
  } finally {
    await releaseMaster(master);
  }
  err(`enveil: created the token vault ${file}\n`);
  return EXIT.OK;
}

/**
 * token audit: the log (time, event, details: key ids, expiry; never a
 * token) and, with --verify, the chain (exit 1 when it does not verify).
 * @param {string} file @param {import('../master.js').Master} master @param {Record<string, any>} v @param {(text: string) => void} out
 */
async function audit(file, master, v, out) {
  return withTokenVault({ file, master }, async (vault) => {
    const entries = await vault.auditLog();
    const verified = v.verify ? await vault.verifyAuditLog() : null;
    if (v.json) out(`${JSON.stringify({ file, entries, ...(verified ? { verified } : {}) }, null, 2)}\n`);
    else {
      for (const e of entries) out(`${new Date(e.at).toISOString()}  ${e.event}${Object.keys(e.details ?? {}).length ? `  ${JSON.stringify(e.details)}` : ''}\n`);
      if (verified) out(verified.ok ? `verified: ${entries.length} entries, chain intact\n` : 'NOT VERIFIED: the audit chain is broken\n');
    }
    if (verified && !verified.ok) throw new CliError(EXIT.AUTH, `${file}: the audit log does not verify`);
    return EXIT.OK;
  });
}
