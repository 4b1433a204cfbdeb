// The tables of `npm run bench`, in print order. Each runs in its own child
// process (bench/table.mjs) so that one table's JIT state, heap and WASM
// instances never disturb another's. The browser tables start their own
// browser (bench/lib/browsers.mjs).

/**
 * @typedef {object} TableSpec
 * @property {string} id argument of bench/table.mjs
 * @property {string} letter as in the issue
 * @property {string} title
 * @property {() => Promise<() => Promise<object>>} load the table's function
 */

const browser = () => import('../tables/browser.mjs');

/** @type {TableSpec[]} */
export const TABLES = [
  { id: 'seal', letter: 'a', title: 'AES-256-GCM seal (Node)', load: async () => (await import('../tables/aead.mjs')).sealTable },
  { id: 'open', letter: 'b', title: 'AES-256-GCM open (Node)', load: async () => (await import('../tables/aead.mjs')).openTable },
  { id: 'hmac', letter: 'c', title: 'HMAC-SHA256', load: async () => (await import('../tables/hmac.mjs')).hmacTable },
  { id: 'blind-index', letter: 'd', title: 'Blind index of a 32-byte value', load: async () => (await import('../tables/blind-index.mjs')).blindIndexTable },
  { id: 'module', letter: 'e', title: 'Module size and cold start', load: async () => (await import('../tables/module.mjs')).moduleTable },
  { id: 'store', letter: 'f', title: 'EncryptedStore vs plain idb on fake-indexeddb (a test double: information only)', load: async () => (await import('../tables/store.mjs')).storeTable },
  { id: 'store-browser', letter: 'g', title: 'EncryptedStore vs plain idb in Chromium (real IndexedDB)', load: async () => (await browser()).storeChromiumTable },
  { id: 'key-providers', letter: 'h', title: 'Key providers: wrap+unwrap and store unlock', load: async () => (await import('../tables/key-providers.mjs')).keyProvidersTable },
  { id: 'cli', letter: 'i', title: 'The command line against age: seal and open of one large file', load: async () => (await import('../tables/cli.mjs')).cliTable },
  { id: 'chacha', letter: 'j', title: 'ChaCha20-Poly1305 against libsodium doing the same job (Node)', load: async () => (await import('../tables/chacha.mjs')).chachaTable },
  { id: 'aead-chromium', letter: 'k', title: 'AES-256-GCM in Chromium: sync record call vs one awaited WebCrypto call', load: async () => (await browser()).aeadChromiumTable },
  { id: 'aead-webkit', letter: 'l', title: 'AES-256-GCM in WebKitGTK: sync record call vs one awaited WebCrypto call', load: async () => (await browser()).aeadWebkitTable },
  { id: 'store-webkit', letter: 'm', title: 'EncryptedStore vs plain idb in WebKitGTK (real IndexedDB)', load: async () => (await browser()).storeWebkitTable },
  { id: 'rotation-chromium', letter: 'n', title: 'Data-key rotation of 10 000 records in Chromium', load: async () => (await browser()).rotationChromiumTable },
  { id: 'builds', letter: 'o', title: 'The SIMD build against the baseline build (Node)', load: async () => (await import('../tables/builds.mjs')).buildsNodeTable },
  { id: 'builds-chromium', letter: 'p', title: 'The SIMD build against the baseline build (Chromium)', load: async () => (await import('../tables/builds.mjs')).buildsChromiumTable },
];
