// The tables of `npm run bench`, in print order. Each runs in its own child
// process (bench/table.mjs) so that one table's JIT state, heap and WASM
// instances never disturb another's.

/**
 * @typedef {object} TableSpec
 * @property {string} id argument of bench/table.mjs
 * @property {string} letter as in the issue
 * @property {string} title
 * @property {() => Promise<() => Promise<object>>} load the table's function
 */

/** @type {TableSpec[]} */
export const TABLES = [
  { id: 'seal', letter: 'a', title: 'AES-256-GCM seal', load: async () => (await import('../tables/aead.mjs')).sealTable },
  { id: 'open', letter: 'b', title: 'AES-256-GCM open', load: async () => (await import('../tables/aead.mjs')).openTable },
  { id: 'hmac', letter: 'c', title: 'HMAC-SHA256', load: async () => (await import('../tables/hmac.mjs')).hmacTable },
  { id: 'blind-index', letter: 'd', title: 'Blind index of a 32-byte value', load: async () => (await import('../tables/blind-index.mjs')).blindIndexTable },
  { id: 'module', letter: 'e', title: 'Module size and cold init', load: async () => (await import('../tables/module.mjs')).moduleTable },
  { id: 'store', letter: 'f', title: 'EncryptedStore vs plain idb (fake-indexeddb, 1 KiB records)', load: async () => (await import('../tables/store.mjs')).storeTable },
  { id: 'store-browser', letter: 'g', title: 'EncryptedStore vs plain idb in Chromium (real IndexedDB, 1 KiB records)', load: async () => (await import('../tables/store-browser.mjs')).storeBrowserTable },
  { id: 'key-providers', letter: 'h', title: 'Key providers: wrap+unwrap and store unlock', load: async () => (await import('../tables/key-providers.mjs')).keyProvidersTable },
  { id: 'cli', letter: 'i', title: 'The command line against age: seal and open of one large file', load: async () => (await import('../tables/cli.mjs')).cliTable },
];
