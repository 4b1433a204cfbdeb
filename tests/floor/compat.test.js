// The static half of the compatibility floor: eslint.config.js (eslint-plugin-
// compat against .browserslistrc, eslint-plugin-es-x for syntax, built-ins
// and regular expressions) over what ships to webviews, and proof that the
// check sees each kind of thing the floor lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: root });

/** @param {ESLint.LintResult[]} results */
const problems = (results) => results.flatMap((r) => r.messages.map((m) =>
  `${path.relative(root, r.filePath)}:${m.line}:${m.column} ${m.message} (${m.ruleId ?? 'parse'})`));

test('js/ (but the Node-only command line) and the built WASM glue use no API or syntax newer than iOS 15.0 and Android System WebView 85', async () => {
  assert.ok(existsSync(path.join(root, 'dist/enveil.wasm.js')), 'dist/enveil.wasm.js is not built: run npm run build');
  const results = await eslint.lintFiles(['js', 'dist/enveil.wasm.js', 'dist/enveil-baseline.wasm.js', 'dist/enveil-simd.wasm.js']);
  assert.ok(results.some((r) => r.filePath.endsWith(`${path.sep}wasm.js`)), 'js/internal/wasm.js was not checked');
  assert.ok(results.some((r) => r.filePath.endsWith(`${path.sep}enveil.wasm.js`)), 'the glue was not checked');
  assert.ok(results.filter((r) => /enveil-(baseline|simd)\.wasm\.js$/.test(r.filePath)).length === 2, 'the two payloads were not checked');
  assert.ok(!results.some((r) => r.filePath.includes(`${path.sep}cli${path.sep}`)), 'the command line was checked');
  assert.deepEqual(problems(results), []);
});

// Each of these, in a file of js/, must be reported.
const newerThanTheFloor = {
  'a regex lookbehind (Safari 16.4)': 'export const lone = (s) => /(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]/.test(s);',
  'structuredClone (Safari 15.4)': 'export const copy = (v) => structuredClone(v);',
  'Object.hasOwn (Safari 15.4)': 'export const has = (o) => Object.hasOwn(o, "k");',
  'Array.prototype.at (Safari 15.4)': 'export const last = () => [1, 2, 3].at(-1);',
  'crypto.randomUUID (Safari 15.4)': 'export const id = () => crypto.randomUUID();',
  'a class static block (Safari 16.4)': 'export class A { static { A.ready = true; } }',
  'Array.prototype.findLast (ES2023)': 'export const f = () => [1, 2].findLast((x) => x > 1);',
  'String.prototype.isWellFormed (ES2024)': 'export const wf = (s) => `${s}`.isWellFormed();',
  'top-level await (Chrome 89)': 'await Promise.resolve();',
  'a regex v flag (ES2024)': 'export const r = /[\\p{L}--\\p{N}]/v;',
};

for (const [what, code] of Object.entries(newerThanTheFloor)) {
  test(`the check reports ${what}`, async () => {
    const results = await eslint.lintText(code, { filePath: path.join(root, 'js/floor-probe.js') });
    assert.ok(problems(results).length > 0, `not reported: ${code}`);
  });
}
