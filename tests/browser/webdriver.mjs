// A small W3C WebDriver client over plain `fetch` (no Selenium), for the
// WebKit engines Debian ships drivers for:
//   - WebKitGTK: /usr/bin/WebKitWebDriver (webkit2gtk-driver). Its browser
//     (MiniBrowser --automation, or one given through
//     'webkitgtk:browserOptions': { binary, args }) needs an X display:
//     startXvfb() below gives one.
//   - WPE WebKit: /usr/bin/WPEWebDriver (wpewebkit-driver), headless with
//     'wpe:browserOptions': { binary: '/usr/bin/cog', args: ['--automation', '--platform=headless'] }.
//
//   const xvfb = await startXvfb();                        // WebKitGTK only
//   const driver = await startDriver({ binary: WEBKITGTK_DRIVER, env: { DISPLAY: xvfb.display } });
//   const session = await driver.newSession({ browserName: 'MiniBrowser' });
//   await session.navigate('http://127.0.0.1:8080/');
//   const title = await session.execute('return document.title');
//   const sum = await session.executeAsync('const [a, b, done] = arguments; setTimeout(() => done(a + b), 10)', [1, 2]);
//   const answer = await session.run(async (x) => (await fetch(x)).status, ['/']); // a function, awaited in the page
//   await session.type('#email', 'ada@example.com'); await session.click('#add');  // real input events
//   const png = await session.screenshot();                 // Buffer of PNG bytes
//   await session.deleteSession();
//   await driver.stop();                                    // driver, browser and their children gone
//   await xvfb.stop();
//
// Hazards, learnt from these drivers:
//   - One session at a time per driver (WebKitGTK and WPE both refuse a
//     second): close windows, not sessions, to drop a tab.
//   - A crashed renderer deletes the session: every later command fails with
//     'invalid session id'. Start a new session (same profile: pass the same
//     browser arguments).
//   - MiniBrowser's window has a minimum width (its toolbar: 447 px asked
//     390); a browser of one's own without a toolbar sizes freely.
//   - Scripts run with the session's script timeout (set per call here); a
//     promise returned by a sync script is awaited (W3C "execute a function
//     body"), and its rejection is a 'javascript error'.
//   - stop() kills the driver's whole process group (the driver is started
//     as a group leader): the browser and its web/network processes started
//     by the driver go with it, also when a test failed half-way.
//
// Errors: a failed command throws a WebDriverError whose `error` is the W3C
// error code ('javascript error', 'script timeout', 'invalid session id', …).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

export const WEBKITGTK_DRIVER = process.env.ENVEIL_WEBKITGTK_DRIVER ?? '/usr/bin/WebKitWebDriver';
export const WPE_DRIVER = process.env.ENVEIL_WPE_DRIVER ?? '/usr/bin/WPEWebDriver';
export const XVFB = '/usr/bin/Xvfb';
const COG = '/usr/bin/cog';

/** A command the driver answered with an error. */
export class WebDriverError extends Error {
  /** @param {string} error W3C error code @param {string} message @param {string} [command] */
  constructor(error, message, command) {
    super(`${command ? `${command}: ` : ''}${error}: ${message}`);
    this.name = 'WebDriverError';
    this.error = error;
  }
}

/** A TCP port free on 127.0.0.1 at the time of asking. @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** The key W3C gives element references in JSON. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Kills a process group started with `detached: true`, SIGTERM then SIGKILL
 * after `graceMs`, and waits until the leader has exited.
 * @param {import('node:child_process').ChildProcess} child @param {number} [graceMs]
 */
async function killGroup(child, graceMs = 2000) {
  const exited = child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', r));
  const signal = (sig) => { try { process.kill(-child.pid, sig); } catch { /* already gone */ } };
  signal('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  // Children may outlive the leader (a browser that ignores SIGTERM): always
  // finish the group off.
  signal('SIGKILL');
  if (timedOut) await exited;
}

/**
 * Starts a virtual X server, its display number chosen by Xvfb itself
 * (`-displayfd`: no race on a guessed free display).
 * @param {{ screen?: string }} [options] screen as WxHxD, default 1400x1000x24
 * @returns {Promise<{ display: string, stop: () => Promise<void> }>}
 */
export function startXvfb({ screen = '1400x1000x24' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(XVFB, ['-displayfd', '3', '-screen', '0', screen, '-nolisten', 'tcp', '-noreset'], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before giving a display: ${err.trim().split('\n').pop()}`)));
    child.stdio[3].on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      child.removeAllListeners('exit');
      resolve({ display: `:${out.trim()}`, stop: () => killGroup(child) });
    });
  });
}

/**
 * Starts a WebDriver binary on a free port (or `port`) and waits until its
 * /status says it is ready.
 * @param {{ binary: string, args?: string[], env?: Record<string, string>, port?: number, timeoutMs?: number }} options
 * @returns {Promise<Driver>}
 */
export async function startDriver({ binary, args = [], env = {}, port, timeoutMs = 10_000 }) {
  port ??= await freePort();
  const child = spawn(binary, [`--port=${port}`, ...args], {
    detached: true, // its own process group: stop() takes the browser with it
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let log = '';
  const keep = (d) => { log = (log + d).slice(-8000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const driver = new Driver(`http://127.0.0.1:${port}`, child, () => log);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${binary} exited (${child.exitCode ?? child.signalCode}): ${log.trim()}`);
    try {
      const status = await driver.status();
      if (status.ready !== false) return driver;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await driver.stop();
      throw new Error(`${binary} did not answer /status within ${timeoutMs} ms: ${log.trim()}`);
    }
    await sleep(50);
  }
}

/**
 * One W3C command. @param {string} base @param {string} method @param {string} path
 * @param {unknown} [body] @param {number} [timeoutMs] how long to wait for the answer
 */
async function command(base, method, path, body, timeoutMs = 60_000) {
  let res;
  try {
    res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new WebDriverError(err.name === 'TimeoutError' ? 'timeout' : 'unreachable', `no answer from the driver (${err.message})`, `${method} ${path}`);
  }
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebDriverError('unknown error', `HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`, `${method} ${path}`);
  }
  if (!res.ok || (json.value && typeof json.value === 'object' && 'error' in json.value && json.value.error)) {
    throw new WebDriverError(json.value?.error ?? `HTTP ${res.status}`, json.value?.message ?? text.slice(0, 200), `${method} ${path}`);
  }
  return json.value;
}

/** A running driver process. */
export class Driver {
  /** @param {string} url @param {import('node:child_process').ChildProcess} child @param {() => string} log */
  constructor(url, child, log) {
    this.url = url;
    this.process = child;
    /** The driver's last output (8 KB), for error messages. */
    this.log = log;
  }

  /** GET /status: `{ ready, message }`. */
  status() {
    return command(this.url, 'GET', '/status', undefined, 2000);
  }

  /**
   * POST /session with `capabilities` as alwaysMatch.
   * @param {Record<string, unknown>} capabilities @param {{ timeoutMs?: number }} [options]
   * @returns {Promise<Session>}
   */
  async newSession(capabilities, { timeoutMs = 30_000 } = {}) {
    const value = await command(this.url, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } }, timeoutMs)
      .catch((err) => { err.message += `\n${this.log().trim()}`; throw err; });
    return new Session(this, value.sessionId, value.capabilities);
  }

  /** Kills the driver's process group (driver, browser, web processes) and waits for the driver to exit. */
  stop() {
    return killGroup(this.process);
  }
}

/** A WebDriver session: one browser, one or more windows. */
export class Session {
  /** @param {Driver} driver @param {string} id @param {Record<string, unknown>} capabilities */
  constructor(driver, id, capabilities) {
    this.driver = driver;
    this.id = id;
    this.capabilities = capabilities;
  }

  /** @param {string} method @param {string} path @param {unknown} [body] @param {number} [timeoutMs] */
  command(method, path, body, timeoutMs) {
    return command(this.driver.url, method, `/session/${this.id}${path}`, body, timeoutMs);
  }

  /** Navigates the current window and waits for the load. @param {string} url */
  navigate(url) {
    return this.command('POST', '/url', { url });
  }

  /** The current window's URL. @returns {Promise<string>} */
  currentUrl() {
    return this.command('GET', '/url');
  }

  /** Reloads the current window and waits for the load. */
  refresh() {
    return this.command('POST', '/refresh', {});
  }

  /** @param {number} ms the script timeout for what follows */
  async setScriptTimeout(ms) {
    if (this.scriptTimeout === ms) return;
    await this.command('POST', '/timeouts', { script: ms });
    this.scriptTimeout = ms;
  }

  /**
   * Runs `script` as a function body (arguments in `arguments`); a returned
   * promise is awaited. @param {string} script @param {unknown[]} [args]
   * @param {{ timeoutMs?: number }} [options]
   */
  async execute(script, args = [], { timeoutMs = 30_000 } = {}) {
    await this.setScriptTimeout(timeoutMs);
    return this.command('POST', '/execute/sync', { script, args }, timeoutMs + 10_000);
  }

  /**
   * Runs `script` with a callback as its last argument; resolves with what
   * the callback is given. @param {string} script @param {unknown[]} [args]
   * @param {{ timeoutMs?: number }} [options]
   */
  async executeAsync(script, args = [], { timeoutMs = 30_000 } = {}) {
    await this.setScriptTimeout(timeoutMs);
    return this.command('POST', '/execute/async', { script, args }, timeoutMs + 10_000);
  }

  /**
   * Calls `fn` (a function, sent as its source: it must not close over
   * anything) in the page with `args`, awaiting its promise; a rejection
   * becomes a WebDriverError whose message holds the page's error text.
   * @param {Function | string} fn @param {unknown[]} [args] @param {{ timeoutMs?: number }} [options]
   */
  run(fn, args = [], options = {}) {
    return this.executeAsync(
      `const done = arguments[arguments.length - 1];
       Promise.resolve().then(() => (${fn}).apply(null, Array.prototype.slice.call(arguments, 0, -1)))
         .then((value) => done({ ok: true, value: value === undefined ? null : value }),
               (err) => done({ ok: false, message: String(err && err.stack ? err.message + '\\n' + err.stack : err), code: err && err.code }));`,
      args, options,
    ).then((r) => {
      if (r.ok) return r.value;
      const err = new WebDriverError('javascript error', r.message, 'run');
      err.code = r.code;
      throw err;
    });
  }

  /**
   * Polls `fn` in the page until it returns a truthy value (returned); a
   * script error counts as not yet (the page may be loading).
   * @param {Function | string} fn @param {unknown[]} [args] @param {{ timeoutMs?: number, intervalMs?: number, message?: string }} [options]
   */
  async waitFor(fn, args = [], { timeoutMs = 15_000, intervalMs = 50, message } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      // A page that is loading (a reload, a navigation the page started)
      // fails the script: that is "not yet", as long as the session lives.
      const value = await this.run(fn, args, { timeoutMs: Math.max(1000, deadline - Date.now()) }).catch((err) => {
        if (err.error === 'invalid session id') throw err;
        last = ` (last: ${err.message.split('\n')[0]})`;
        return undefined;
      });
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message ?? String(fn)}${last}`);
      await sleep(intervalMs);
    }
  }

  /** The W3C element reference of the first match of `css` (no such element: an error). @param {string} css @returns {Promise<string>} */
  async findElement(css) {
    const value = await this.command('POST', '/element', { using: 'css selector', value: css });
    return value[ELEMENT];
  }

  /** A real click (the driver's pointer events) in the middle of the element. @param {string} css */
  async click(css) {
    await this.command('POST', `/element/${await this.findElement(css)}/click`, {});
  }

  /** Clears an input and types `text` into it as key events. @param {string} css @param {string} text */
  async type(css, text) {
    const el = await this.findElement(css);
    await this.command('POST', `/element/${el}/clear`, {});
    if (text !== '') await this.command('POST', `/element/${el}/value`, { text });
  }

  /** A PNG of the current window's viewport. @returns {Promise<Buffer>} */
  async screenshot() {
    return Buffer.from(await this.command('GET', '/screenshot'), 'base64');
  }

  /** Resizes the current window (outer size). @param {number} width @param {number} height */
  setWindowSize(width, height) {
    return this.command('POST', '/window/rect', { width, height });
  }

  /** @returns {Promise<{ x: number, y: number, width: number, height: number }>} */
  windowRect() {
    return this.command('GET', '/window/rect');
  }

  /** Opens a new tab (or window) and returns its handle; the current window does not change. @param {'tab' | 'window'} [type] */
  async newWindow(type = 'tab') {
    return (await this.command('POST', '/window/new', { type })).handle;
  }

  /** @param {string} handle */
  switchToWindow(handle) {
    return this.command('POST', '/window', { handle });
  }

  /** @returns {Promise<string>} */
  windowHandle() {
    return this.command('GET', '/window');
  }

  /** @returns {Promise<string[]>} */
  windowHandles() {
    return this.command('GET', '/window/handles');
  }

  /** Closes the current window; returns the handles left. */
  closeWindow() {
    return this.command('DELETE', '/window');
  }

  /** Ends the session (the driver closes its browser). Never throws for a session already gone. */
  async deleteSession() {
    await this.command('DELETE', '', undefined, 15_000).catch(() => {});
  }
}

/** @param {string} file */
const missing = (file) => !existsSync(file);

/**
 * Why WebKitGTK cannot be driven here, in one sentence, or false.
 * @param {{ ownBrowser?: boolean }} [options] ownBrowser: also the PyGObject
 *   bindings a browser of one's own (an on-disk profile) needs
 */
export function webkitgtkSkipReason({ ownBrowser = false } = {}) {
  const want = [];
  if (missing(WEBKITGTK_DRIVER)) want.push('webkit2gtk-driver');
  if (missing(XVFB)) want.push('xvfb');
  if (ownBrowser) {
    if (missing('/usr/lib/x86_64-linux-gnu/girepository-1.0/WebKit2-4.1.typelib') && missing('/usr/lib/aarch64-linux-gnu/girepository-1.0/WebKit2-4.1.typelib')) want.push('gir1.2-webkit2-4.1');
    if (missing('/usr/lib/python3/dist-packages/gi/__init__.py')) want.push('python3-gi');
  }
  if (want.length === 0) return false;
  return `WebKitGTK is not installed (no ${want.join(', ')}): run npm test as root to install it, or apt-get install ${want.join(' ')}`;
}

/** Why WPE WebKit cannot be driven here, in one sentence, or false. */
export function wpeSkipReason() {
  const want = [];
  if (missing(WPE_DRIVER)) want.push('wpewebkit-driver');
  if (missing(COG)) want.push('cog');
  if (want.length === 0) return false;
  return `WPE WebKit is not installed (no ${want.join(', ')}): run npm test as root to install it, or apt-get install ${want.join(' ')}`;
}

/** Both, by engine name. */
export const skipReason = { webkitgtk: webkitgtkSkipReason, wpe: wpeSkipReason };
