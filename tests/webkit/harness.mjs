// What the WebKitGTK suites share: an X display and a WebKitWebDriver per
// test file, sessions of our own browser (browser.py: an on-disk profile,
// an optional origin quota), the enveil bundle the fault tests load, the
// renderer's processes, and the byte search over a profile's files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundlePage } from '../browser/test-page.mjs';
import { startDriver, startXvfb, WEBKITGTK_DRIVER, webkitgtkSkipReason } from '../browser/webdriver.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BROWSER = path.join(root, 'tests/webkit/browser.py');
/** Debian's interpreter: python3-gi is installed for it, not for a python3 earlier on PATH. */
const PYTHON = '/usr/bin/python3';

/** Why these suites cannot run here, in one sentence, or false. */
export const skip = webkitgtkSkipReason({ ownBrowser: true });

/**
 * An X display and a driver, for one test file.
 * @returns {Promise<{ driver: import('../browser/webdriver.mjs').Driver, stop: () => Promise<void> }>}
 */
export async function startWebKit() {
  const xvfb = await startXvfb();
  try {
    const driver = await startDriver({ binary: WEBKITGTK_DRIVER, env: { DISPLAY: xvfb.display } });
    return { driver, stop: async () => { await driver.stop(); await xvfb.stop(); } };
  } catch (err) {
    await xvfb.stop();
    throw err;
  }
}

/**
 * A session of browser.py on `profile` (made if missing). One at a time per
 * driver: delete the last one first.
 * @param {import('../browser/webdriver.mjs').Driver} driver
 * @param {{ profile: string, originQuota?: number, width?: number, height?: number }} options
 */
export function openBrowser(driver, { profile, originQuota, width = 1280, height = 900 }) {
  const args = [BROWSER, '--profile', profile, '--width', String(width), '--height', String(height)];
  if (originQuota) args.push('--origin-quota', String(originQuota));
  return driver.newSession({ 'webkitgtk:browserOptions': { binary: PYTHON, args } });
}

/** Where browser.py keeps IndexedDB under a profile. @param {string} profile */
export const indexedDBDir = (profile) => path.join(profile, 'data', 'databases', 'indexeddb');

/**
 * The processes of a process group, as [pid, command name].
 * @param {number} group @returns {[number, string][]}
 */
function groupProcesses(group) {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: comm may hold spaces, so split after ')'.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === group && state !== 'Z' ? [[Number(pid), comm]] : [];
    } catch {
      return []; // exited while we looked
    }
  });
}

/**
 * The WebKitWebProcess (renderer) pids of a driver's browser: the driver is a
 * process-group leader and everything it starts stays in its group.
 * @param {import('../browser/webdriver.mjs').Driver} driver
 * @returns {number[]}
 */
export function webProcesses(driver) {
  return groupProcesses(driver.process.pid).filter(([, comm]) => comm.startsWith('WebKitWebProces')).map(([pid]) => pid);
}

/**
 * Ends the browser a session left behind and waits until its processes are
 * gone. After a renderer crash WebKitWebDriver deletes the session but keeps
 * the browser and its network process, which holds the profile's SQLite
 * files: a new session on the same profile must not start beside it.
 * @param {import('../browser/webdriver.mjs').Driver} driver
 */
export async function endBrowser(driver) {
  const others = () => groupProcesses(driver.process.pid).filter(([pid]) => pid !== driver.process.pid);
  const signal = (sig) => { for (const [pid] of others()) { try { process.kill(pid, sig); } catch { /* gone */ } } };
  signal('SIGTERM'); // browser.py quits its main loop: WebKit closes its databases
  for (let waited = 0; others().length > 0; waited += 50) {
    if (waited === 3000) signal('SIGKILL');
    if (waited > 6000) throw new Error(`the browser did not exit: ${others().map(([pid, comm]) => `${comm} ${pid}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Bundles enveil (esbuild, through the package's exports as an app would)
 * into a page the demo server serves: build/e2e/webkit.html sets
 * window.enveil and window.ready.
 * @returns {Promise<string>} the page's path on the server
 */
export function buildTestPage() {
  return bundlePage('webkit', ["import * as enveil from 'enveil';", 'window.enveil = enveil;', 'window.ready = true;']);
}

/**
 * Every file under `dir`, recursively, with its bytes. A running browser's
 * SQLite removes its `-wal` and `-shm` files when it checkpoints, so a file
 * can vanish between the listing and the read; then the whole walk starts
 * again, so that the result is one consistent picture (the write-ahead log's
 * contents are in the main file by then) and never a partial one.
 * @param {string} dir @returns {{ file: string, bytes: Buffer }[]}
 */
export function filesUnder(dir) {
  for (let attempt = 1; ; attempt++) {
    try {
      return walk(dir);
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'ENOENT' || attempt === 20) throw e;
    }
  }
}

/** @param {string} dir @returns {{ file: string, bytes: Buffer }[]} */
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? walk(file) : [{ file, bytes: readFileSync(file) }];
  });
}

/**
 * The files holding `needle` as WebKit stores strings (8-bit Latin-1 or
 * UTF-16LE; for the ASCII needles here Latin-1 is the UTF-8 form) or as raw
 * bytes. @param {{ file: string, bytes: Buffer }[]} files @param {string | Uint8Array} needle
 */
export function filesHolding(files, needle) {
  const forms = typeof needle === 'string' ? [Buffer.from(needle, 'latin1'), Buffer.from(needle, 'utf16le')] : [Buffer.from(needle)];
  return files.filter(({ bytes }) => forms.some((f) => bytes.indexOf(f) !== -1)).map(({ file }) => file);
}

/** Whether the SQLite files are what we scan (not a format we cannot read). @param {{ file: string, bytes: Buffer }[]} files */
export function sqliteFiles(files) {
  return files.filter(({ file, bytes }) => file.endsWith('IndexedDB.sqlite3')
    ? bytes.subarray(0, 16).toString('latin1') === 'SQLite format 3\0'
    : file.endsWith('IndexedDB.sqlite3-wal'));
}

/** Kills the renderers with SIGKILL (no clean-up runs in the page). @param {number[]} pids */
export function killProcesses(pids) {
  for (const pid of pids) process.kill(pid, 'SIGKILL');
}
