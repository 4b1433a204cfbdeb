// The old-engine floor: the package, bundled as an app would bundle it, in
// WPE WebKit 2.38 (Debian's wpewebkit-driver + cog, headless; an engine of
// about Safari 16.0's age: no regex lookbehind, no Web Locks, no wasm SIMD),
// as shipped and with the newer APIs deleted before it loads.
import { after, before, test } from 'node:test';
import { wpeSkipReason } from '../browser/webdriver.mjs';
import { report, runInWebKit, startServer } from './harness.js';

const skip = wpeSkipReason();

let server;
before(async () => {
  if (!skip) server = await startServer();
});
after(() => server?.close());

test('WPE WebKit 2.38: init, keyring, hazmat against WebCrypto, the store with the webCrypto provider, the token vault, a reload', { skip }, async (t) => {
  await report(t, await runInWebKit('wpe', `${server.url}index.html`));
});

test('WPE WebKit 2.38 with the newer APIs deleted (structuredClone, Object.hasOwn, Array.prototype.at, BroadcastChannel, …): the same checks pass', { skip }, async (t) => {
  await report(t, await runInWebKit('wpe', `${server.url}stripped.html`));
});
