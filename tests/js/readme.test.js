// Runs the README's example as written, importing 'enveil' and
// 'enveil/hazmat' through the package's own exports map (self-reference).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('the README example runs and its assertions hold', async () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const match = readme.match(/<!-- readme-example[^>]*-->\s*```js\n([\s\S]*?)```/);
  assert.ok(match, 'README has a marked example');
  const dir = path.join(root, 'build', 'readme');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `example-${process.pid}.mjs`);
  writeFileSync(file, match[1]);
  const original = console.assert;
  let checked = 0;
  console.assert = (cond, ...rest) => {
    checked++;
    if (!cond) throw new assert.AssertionError({ message: `README console.assert failed ${rest.join(' ')}` });
  };
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.assert = original;
  }
  assert.equal(checked, 3, 'every console.assert in the example ran');
});
