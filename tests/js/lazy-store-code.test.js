// Cold start (issue 20): importing enveil and running init() load neither
// the store's nor the token vault's code; the first EncryptedStore.open()
// loads it. Each case runs in a fresh process whose module loader hook
// records every module Node loads (fixtures/loaded-modules-child.mjs), for
// the package as Node resolves it (the bundle in dist/node/) and for the
// source files a browser bundler starts from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fixtures/loaded-modules-child.mjs', import.meta.url));
const SOURCE_ENTRY = fileURLToPath(new URL('../../js/index.js', import.meta.url));
const BUNDLE = new URL('../../dist/node/', import.meta.url);

// Text found in the implementation of an open store and of an open vault
// only (error messages of opened-store.js and opened-vault.js): it tells
// their code apart in the bundle's chunks, whose names are hashes.
const STORE_CODE = 'the manifest changed while the record was written';
const VAULT_CODE = 'the access token expired and no refresh token is stored';

/**
 * What one fresh process loaded by each step (see the child).
 * @param {string[]} args
 * @returns {any}
 */
const run = (...args) => JSON.parse(execFileSync(process.execPath, [CHILD, ...args], { encoding: 'utf8' }));

/** @param {string[]} urls the loaded files' text, joined */
const textOf = (urls) => urls.filter((u) => u.startsWith('file:')).map((u) => readFileSync(fileURLToPath(u), 'utf8')).join('\n');

/** @param {string[]} urls paths relative to js/ */
const sourcePaths = (urls) => urls.filter((u) => u.includes('/js/')).map((u) => u.slice(u.lastIndexOf('/js/') + 4));

test('the markers are the implementation\'s own: in opened-store.js and opened-vault.js, not in the classes the package exports', () => {
  const source = (/** @type {string} */ file) => readFileSync(new URL(`../../js/${file}`, import.meta.url), 'utf8');
  assert.ok(source('store/opened-store.js').includes(STORE_CODE));
  assert.ok(source('vault/opened-vault.js').includes(VAULT_CODE));
  for (const file of ['index.js', 'store/encrypted-store.js', 'vault/token-vault.js']) {
    assert.ok(!source(file).includes(STORE_CODE) && !source(file).includes(VAULT_CODE), file);
  }
});

test("in Node, import('enveil') and init() load no chunk of the store's or the vault's code; the first open() does", () => {
  const loaded = run('enveil');
  assert.ok(loaded.byImport.length > 0 && loaded.byImport.every((/** @type {string} */ u) => u.startsWith(BUNDLE.href) || u.startsWith('node:')),
    `the package resolves to the bundle: ${loaded.byImport}`);
  const early = textOf([...loaded.byImport, ...loaded.byInit]);
  assert.ok(!early.includes(STORE_CODE), 'the store\'s code was loaded by the import or init()');
  assert.ok(!early.includes(VAULT_CODE), 'the vault\'s code was loaded by the import or init()');
  const later = textOf([...loaded.byOpen, ...loaded.byVault]);
  assert.ok(later.includes(STORE_CODE) && later.includes(VAULT_CODE), 'open() and TokenVault.open() load their code');
  assert.deepEqual(loaded.instances, { store: true, vault: true });
});

test('from the source files, importing js/index.js and init() load no module of an open store or vault', () => {
  const loaded = run(SOURCE_ENTRY);
  const early = sourcePaths([...loaded.byImport, ...loaded.byInit]);
  assert.ok(early.includes('index.js') && early.includes('store/encrypted-store.js') && early.includes('vault/token-vault.js'));
  const allowed = new Set(['store/encrypted-store.js', 'vault/token-vault.js']);
  const implementation = early.filter((p) => (p.startsWith('store/') || p.startsWith('vault/')) && !allowed.has(p));
  assert.deepEqual(implementation, [], 'store and vault modules loaded before open()');
  assert.ok(!early.includes('internal/open-code.js'));
  const byOpen = sourcePaths(loaded.byOpen);
  for (const file of ['internal/open-code.js', 'store/opened-store.js', 'store/session.js', 'store/record-codec.js', 'vault/opened-vault.js']) {
    assert.ok(byOpen.includes(file), `${file} loaded by the first open()`);
  }
  assert.deepEqual(loaded.instances, { store: true, vault: true });
});

test("store code that cannot be loaded makes open() reject with UNSUPPORTED, the loader's error as the cause", () => {
  const chunk = readdirSync(BUNDLE).find((f) => readFileSync(new URL(f, BUNDLE), 'utf8').includes(STORE_CODE));
  assert.ok(chunk, 'a chunk of dist/node/ holds the store\'s code');
  for (const [entry, failing] of [['enveil', `/dist/node/${chunk}`], [SOURCE_ENTRY, '/js/internal/open-code.js']]) {
    const { failures } = run(entry, failing);
    assert.equal(failures.length, 2);
    for (const failure of failures) {
      assert.equal(failure.code, 'UNSUPPORTED', entry);
      assert.match(failure.cause, /record-loads-hook: the first load of .* fails/);
    }
  }
});
