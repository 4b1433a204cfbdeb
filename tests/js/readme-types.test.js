// Type-checks what the README shows an app writing: every import from
// 'enveil' or 'enveil/…' in its code blocks (each path and name must resolve
// through the package's exports map), and the Capacitor examples in full,
// against the real plugin packages' own types (dev dependencies), with tsc
// in strict mode and no casts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```(js|ts)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], source: m[2] }));
const capacitorBlocks = [...readme.matchAll(/<!-- readme-capacitor[^>]*-->\s*```(js|ts)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], source: m[2] }));

/** Every import statement (one or more lines) from 'enveil' or 'enveil/…'. */
const enveilImports = blocks.flatMap(({ source }) =>
  [...source.matchAll(/^import\s[^;]*?from\s+'(enveil(?:\/[^']*)?)';/gms)].map((m) => ({ statement: m[0], specifier: m[1] })));

test('the README shows imports from the package, its Capacitor examples and the definitions path', () => {
  assert.ok(enveilImports.length >= 5, `found ${enveilImports.length} imports`);
  assert.ok(enveilImports.some((i) => i.specifier === 'enveil/providers/definitions'), 'the definitions path is shown');
  assert.equal(capacitorBlocks.length, 3);
});

test('every import the README shows, and its Capacitor examples, type-check against the exports map and the real plugins', () => {
  const dir = path.join(root, 'build', `readme-types-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const files = [];
    // Each import on its own: tsc reports a path the exports map lacks
    // (TS2307) and a name the module does not export (TS2305), used or not.
    enveilImports.forEach(({ statement }, n) => {
      const file = `import-${n}.ts`;
      writeFileSync(path.join(dir, file), `${statement}\nexport {};\n`);
      files.push(file);
    });
    capacitorBlocks.forEach(({ lang, source }, n) => {
      const file = `capacitor-${n}.${lang}`;
      writeFileSync(path.join(dir, file), `${source}\nexport {};\n`);
      files.push(file);
    });
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, allowJs: true, checkJs: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext',
        types: [], lib: ['es2022', 'dom'], skipLibCheck: false,
      },
      files,
    }));
    try {
      execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', dir], { cwd: root, encoding: 'utf8' });
    } catch (err) {
      assert.fail(`tsc rejected what the README shows:\n${err.stdout}${err.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
