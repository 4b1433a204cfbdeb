// Runs the real `enveil` bin as a subprocess, as a pipeline would.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(root, 'bin', 'enveil.js');

/**
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null, stdout: Buffer, stderr: string }} RunResult
 */

/**
 * Runs `enveil ...args`. `input` (Buffer or string) is piped to stdin, else
 * stdin is empty. `umask`: the child's umask, set before the bin loads (a
 * child inherits ours otherwise).
 * @param {string[]} args
 * @param {{ input?: Buffer | string, env?: Record<string, string | undefined>, cwd?: string, nodeArgs?: string[], umask?: number }} [options]
 * @returns {Promise<RunResult>}
 */
export function run(args, { input, env = {}, cwd, nodeArgs = [], umask } = {}) {
  const withUmask = umask === undefined ? nodeArgs : ['--import', `data:text/javascript,process.umask(0o${umask.toString(8)})`, ...nodeArgs];
  return runWithPauses(args, { input, env, cwd, nodeArgs: withUmask });
}

/**
 * The environment of a child: ours, without ENVEIL_KEY_PATH unless given,
 * with `env` applied (undefined removes a variable).
 * @param {Record<string, string | undefined>} env
 */
function childEnvOf(env) {
  const childEnv = { ...process.env, ...env };
  if (!('ENVEIL_KEY_PATH' in env)) delete childEnv.ENVEIL_KEY_PATH;
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined || (k.startsWith('ENVEIL_TEST_') && !(k in env))) delete childEnv[k];
  return childEnv;
}

/**
 * Runs `enveil ...args` as `run` does, and calls `onPause(child, index)` each
 * time it announces a test pause on stderr ("enveil: test pause ...", see
 * the ENVEIL_TEST_* hooks in js/cli/test-hooks.js), with the
 * text of that line. `input` undefined with `keepStdinOpen` leaves stdin open
 * for the caller (child.stdin).
 * @param {string[]} args
 * @param {{ input?: Buffer | string, keepStdinOpen?: boolean, env?: Record<string, string | undefined>, cwd?: string, nodeArgs?: string[],
 *   onPause?: (child: import('node:child_process').ChildProcessWithoutNullStreams, index: number, line: string) => unknown,
 *   onSpawn?: (child: import('node:child_process').ChildProcessWithoutNullStreams) => unknown }} [options]
 * @returns {Promise<RunResult>}
 */
export function runWithPauses(args, { input, keepStdinOpen = false, env = {}, cwd, nodeArgs = [], onPause, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd, env: childEnvOf(env), stdio: ['pipe', 'pipe', 'pipe'] });
    /** @type {Buffer[]} */
    const out = [];
    /** @type {Buffer[]} */
    const errs = [];
    let pauses = 0;
    /** @type {unknown} */
    let failure = null;
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => {
      errs.push(d);
      const text = Buffer.concat(errs).toString('utf8');
      const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l.startsWith('enveil: test pause'));
      while (pauses < lines.length) {
        const index = pauses++;
        Promise.resolve()
          .then(() => onPause?.(child, index, /** @type {string} */ (lines[index])))
          .catch((err) => {
            failure ??= err;
            child.kill('SIGKILL');
          });
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (failure) reject(failure);
      else resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(errs).toString('utf8') });
    });
    child.stdin.on('error', () => {});
    onSpawn?.(child);
    if (!keepStdinOpen) child.stdin.end(input);
  });
}

/** A fresh temporary directory, removed after the test. @param {import('node:test').TestContext} t */
export function tempDir(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'enveil-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Files in `dir` (hidden ones too), sorted. @param {string} dir */
export const listDir = (dir) => readdirSync(dir).sort();

/**
 * Creates a key file with `enveil keygen` and returns its path.
 * @param {string} dir
 * @param {string} id
 */
export async function keygen(dir, id) {
  const r = await run(['keygen', '--dir', dir, '--id', id]);
  if (r.code !== 0) throw new Error(`keygen failed: ${r.stderr}`);
  return path.join(dir, `${id}.key`);
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. @param {number} n @param {number} [seed] */
export function pattern(n, seed = 1) {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Header offsets of the stream format for a context of n bytes and key id of k bytes. @param {number} n @param {number} k */
export function layout(n, k) {
  const immutable = 62 + n;
  return {
    magic: 0, version: 6, suite: 7, chunkSize: 8, fileId: 12, contextLength: 28, context: 30,
    commitment: 30 + n, keyIdLength: immutable, keyId: immutable + 1, wrappedKey: immutable + 1 + k,
    body: immutable + 1 + k + 102,
  };
}
