// Throwaway SoftHSM2 tokens for the tests: a config and a token directory in
// a temp folder of this process (test files run in parallel processes, each
// with its own), never /etc/softhsm. Keys with chosen attributes are made,
// and read, through pkcs11js in a child process, so that this process's own
// C_Initialize/C_Finalize (the provider's) is never disturbed.
//
// SoftHSM2 reads SOFTHSM2_CONF and lists its tokens when the library is
// C_Initialize'd: create every token a test file needs before its first
// provider call (or after every provider is closed, which finalises).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const MODULE_CANDIDATES = [
  process.env.ENVEIL_SOFTHSM2_MODULE,
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

/** Path of SoftHSM2's PKCS#11 library, or undefined. */
export const softHsmModule = MODULE_CANDIDATES.find((p) => p && existsSync(p));

/**
 * Why the SoftHSM2 tests cannot run here (one sentence), or undefined when
 * they can.
 * @returns {string | undefined}
 */
export function softHsmSkipReason() {
  if (!softHsmModule) return 'SoftHSM2 is not installed (no libsofthsm2.so; apt-get install softhsm2).';
  if (spawnSync('softhsm2-util', ['--version']).status !== 0) return 'softhsm2-util is not on PATH (apt-get install softhsm2).';
  try {
    createRequire(path.join(root, 'package.json'))('pkcs11js');
  } catch {
    return 'pkcs11js is not installed or its native addon did not build (npm ci with npm_config_nodedir pointing at Node\'s headers).';
  }
  return undefined;
}

/** @type {{ dir: string, conf: string, tokens: string } | undefined} */
let home;

/**
 * This process's SoftHSM2 home: a temp folder with softhsm2.conf and tokens/,
 * SOFTHSM2_CONF pointing at it (set before anything loads the library),
 * removed when the process exits.
 * @returns {{ dir: string, conf: string, tokens: string }}
 */
export function softHsmHome() {
  if (home) return home;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'enveil-softhsm-'));
  const tokens = path.join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = path.join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  home = { dir, conf, tokens };
  return home;
}

const env = () => ({ ...process.env, SOFTHSM2_CONF: softHsmHome().conf });

let tokenCount = 0;

/**
 * Initialises a new token in this process's SoftHSM2 home.
 * @param {{ label?: string, pin?: string, soPin?: string }} [options]
 * @returns {{ module: string, token: string, pin: string, soPin: string, conf: string, cleanup(): void }}
 */
export function createToken(options = {}) {
  const { label = `enveil-${process.pid}-${tokenCount += 1}`, pin = '1234-user', soPin = '5678-so' } = options;
  const { conf } = softHsmHome();
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], { env: env(), stdio: 'pipe' });
  return { module: /** @type {string} */ (softHsmModule), token: label, pin, soPin, conf, cleanup: () => deleteToken(label) };
}

/** Deletes a token (its folder), as pulling a card out would take it away. @param {string} label */
export function deleteToken(label) {
  spawnSync('softhsm2-util', ['--delete-token', '--token', label], { env: env(), stdio: 'pipe' });
}

// Runs in a child: opens a logged-in RW session on the token and does `job`.
const CHILD = `
const pk = require('pkcs11js');
const a = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const lib = new pk.PKCS11();
lib.load(a.module);
lib.C_Initialize();
let out;
try {
  const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trimEnd() === a.token);
  const session = lib.C_OpenSession(slot, pk.CKF_SERIAL_SESSION | pk.CKF_RW_SESSION);
  lib.C_Login(session, pk.CKU_USER, a.pin);
  const find = () => {
    lib.C_FindObjectsInit(session, [{ type: pk.CKA_CLASS, value: pk.CKO_SECRET_KEY }, { type: pk.CKA_LABEL, value: a.key }]);
    const found = lib.C_FindObjects(session, 10);
    lib.C_FindObjectsFinal(session);
    return found;
  };
  if (a.job === 'create') {
    lib.C_GenerateKey(session, { mechanism: a.keyType === 'generic' ? pk.CKM_GENERIC_SECRET_KEY_GEN : pk.CKM_AES_KEY_GEN }, [
      { type: pk.CKA_CLASS, value: pk.CKO_SECRET_KEY },
      { type: pk.CKA_KEY_TYPE, value: a.keyType === 'generic' ? pk.CKK_GENERIC_SECRET : pk.CKK_AES },
      { type: pk.CKA_VALUE_LEN, value: a.length },
      { type: pk.CKA_LABEL, value: a.key },
      { type: pk.CKA_TOKEN, value: true },
      { type: pk.CKA_PRIVATE, value: true },
      { type: pk.CKA_SENSITIVE, value: a.sensitive },
      { type: pk.CKA_EXTRACTABLE, value: a.extractable },
      { type: pk.CKA_ENCRYPT, value: true },
      { type: pk.CKA_DECRYPT, value: true },
    ]);
    out = { ok: true };
  } else if (a.job === 'read') {
    out = find().map((h) => {
      try {
        return { value: lib.C_GetAttributeValue(session, h, [{ type: pk.CKA_VALUE }])[0].value.toString('hex') };
      } catch (e) {
        return { error: e.message };
      }
    });
  } else if (a.job === 'count') {
    out = find().length;
  }
} finally {
  lib.C_Finalize();
}
process.stdout.write(JSON.stringify(out));
`;

/** @param {Record<string, unknown>} args */
function inChild(args) {
  const stdout = execFileSync(process.execPath, ['-e', CHILD], { cwd: root, env: env(), input: JSON.stringify({ module: softHsmModule, ...args }) });
  return JSON.parse(stdout.toString());
}

/**
 * Makes a secret key in the token through pkcs11js directly, with the
 * attributes given (e.g. an extractable one, which createPkcs11Key never
 * makes).
 * @param {{ token: string, pin: string, key: string, extractable?: boolean, sensitive?: boolean, keyType?: 'aes' | 'generic', length?: number }} options
 */
export function createKeyDirectly({ token, pin, key, extractable = false, sensitive = true, keyType = 'aes', length = 32 }) {
  inChild({ job: 'create', token, pin, key, extractable, sensitive, keyType, length });
}

/**
 * What C_GetAttributeValue(CKA_VALUE) gives for each secret key labelled
 * `key`: `{ value: hex }` or `{ error: 'CKR_…' }`.
 * @param {{ token: string, pin: string, key: string }} options
 * @returns {{ value?: string, error?: string }[]}
 */
export function readKeyValues({ token, pin, key }) {
  return inChild({ job: 'read', token, pin, key });
}

/** How many secret keys labelled `key` the token holds. @param {{ token: string, pin: string, key: string }} o */
export function countKeys({ token, pin, key }) {
  return inChild({ job: 'count', token, pin, key });
}
