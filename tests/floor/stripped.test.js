// The fallbacks, proven: the floor checks with the APIs newer than the
// compatibility floor deleted before enveil loads (page/strip.js:
// navigator.locks, BroadcastChannel, structuredClone, Object.hasOwn,
// Array.prototype.at, …), in Debian's Chromium (playwright-core) and in
// WebKitGTK (WebKitWebDriver through the shared client). WPE WebKit, which
// never had some of them, runs the same page in wpe.test.js.
import { after, before, describe, test } from 'node:test';
import { existsSync } from 'node:fs';
import { webkitgtkSkipReason } from '../browser/webdriver.mjs';
import { CHROMIUM, report, runInChromium, runInWebKit, startServer } from './harness.js';

const chromiumSkip = existsSync(CHROMIUM) ? false : `Debian's Chromium is not installed at ${CHROMIUM}: run npm test as root to install it, or apt-get install chromium`;
const webkitgtkSkip = webkitgtkSkipReason();

let server;
before(async () => {
  if (!chromiumSkip || !webkitgtkSkip) server = await startServer();
});
after(() => server?.close());

// The two engines at once: each is a browser process of its own.
describe('the newer APIs deleted before enveil loads', { concurrency: 2 }, () => {
  test('Chromium with the newer APIs deleted: every check passes through the fallbacks', { skip: chromiumSkip }, async (t) => {
    const run = await runInChromium(`${server.url}stripped.html`);
    await report(t, run);
    t.assert.ok(run.stripped.includes('navigator.locks') && run.stripped.includes('BroadcastChannel') && run.stripped.includes('structuredClone'), `deleted: ${run.stripped}`);
    t.assert.ok(run.stripped.includes('DecompressionStream') && run.stripped.includes('WebAssembly SIMD'), `deleted: ${run.stripped}`);
  });

  test('WebKitGTK with the newer APIs deleted: every check passes through the fallbacks', { skip: webkitgtkSkip }, async (t) => {
    const run = await runInWebKit('webkitgtk', `${server.url}stripped.html`);
    await report(t, run);
    t.assert.ok(run.stripped.includes('navigator.locks') && run.stripped.includes('BroadcastChannel') && run.stripped.includes('structuredClone'), `deleted: ${run.stripped}`);
  });
});
