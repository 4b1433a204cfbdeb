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
 * stdin is empty.
 * @param {string[]} args
 * @param {{ input?: Buffer | string, env?: Record<string, string | undefined>, cwd?: string, nodeArgs?: string[] }} [options]
 * @returns {Promise<RunResult>}
 */
export function run(args, { input, env = {}, cwd, nodeArgs = [] } = {}) {
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env, ...env };
    if (!('ENVEIL_KEY_PATH' in env)) delete childEnv.ENVEIL_KEY_PATH;
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    /** @type {Buffer[]} */
    const out = [];
    /** @type {Buffer[]} */
    const errs = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => errs.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(errs).toString('utf8') }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
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
