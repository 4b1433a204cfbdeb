// Runs the README's example as written, importing 'enveil' and
// 'enveil/hazmat' through the package's own exports map (self-reference).
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/<!-- readme-example[^>]*-->\s*```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test('the README has its marked examples', () => {
  assert.equal(examples.length, 3);
});

examples.forEach((source, n) => test(`README example ${n + 1} runs and its assertions hold`, async () => {
  const dir = path.join(root, 'build', 'readme');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `example-${n}-${process.pid}.mjs`);
  writeFileSync(file, source);
  const original = console.assert;
  const log = console.log;
  console.log = () => {};
  let checked = 0;
  console.assert = (cond, ...rest) => {
    checked++;
    if (!cond) throw new assert.AssertionError({ message: `README console.assert failed ${rest.join(' ')}` });
  };
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.assert = original;
    console.log = log;
  }
  assert.equal(checked, (source.match(/console\.assert\(/g) ?? []).length, 'every console.assert in the example ran');
}));
