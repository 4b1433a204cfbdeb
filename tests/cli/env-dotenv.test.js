// env seal / env open against dotenv 16 as the oracle: dotenv must read the
// opened file as it read the original, for every .env it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as core from '../../js/stream-format.js';
import { loadKey } from '../../js/cli/key-file.js';
import { CliError } from '../../js/cli/exit.js';
import { openEnv, sealEnv } from '../../js/cli/sealed-env.js';
import { FIXTURES, IGNORED_BY_DOTENV } from './dotenv-fixtures.js';
import { keygen, run, tempDir } from './helpers.js';

/** @type {{ parse: (text: string) => Record<string, string> }} */
const dotenv = createRequire(import.meta.url)('dotenv');

const BOM = '\uFEFF';
/** @param {string} text */
const crlf = (text) => text.replace(/\n/g, '\r\n');

/** The whole fixture set as one file; the one without a final newline last. */
const ALL = Object.entries(FIXTURES).sort(([a], [b]) => Number(a === 'noFinalNewline') - Number(b === 'noFinalNewline'))
  .map(([, text]) => text).join('');

/** @param {import('node:test').TestContext} t */
async function keyFor(t) {
  const dir = tempDir(t);
  const file = await keygen(dir, 'oracle-key');
  await core.init();
  return { dir, file, key: await loadKey(file) };
}

/**
 * Values dotenv reads from `text` of six characters or more, and the lines
 * of six or more of the multi-line ones: none may be in a sealed file.
 * @param {string} text
 */
const longValues = (text) => Object.values(dotenv.parse(text))
  .flatMap((v) => [v, ...v.split(/[\r\n]+/)]).filter((v) => v.trim().length >= 6);

/**
 * @param {string} sealed
 * @param {string} original
 * @param {string} label
 */
function assertNothingInClear(sealed, original, label) {
  for (const value of longValues(original)) assert.ok(!sealed.includes(value), `${label}: ${JSON.stringify(value)} is not in the sealed file`);
}

test('every fixture opens to what dotenv read from it: LF, CRLF, with a BOM, byte for byte', async (t) => {
  const { key } = await keyFor(t);
  for (const [label, base] of Object.entries(FIXTURES)) {
    for (const [form, text] of [['LF', base], ['CRLF', crlf(base)], ['BOM', BOM + base], ['BOM+CRLF', BOM + crlf(base)]]) {
      const name = `${label} (${form})`;
      const sealed = (await sealEnv({ text, name, key })).text;
      assertNothingInClear(sealed, text, name);
      const opened = (await openEnv({ text: sealed, name, key })).text;
      assert.deepEqual(dotenv.parse(opened), dotenv.parse(text), name);
      assert.equal(opened, text, `${name}: the original bytes come back`);
      if (form.includes('CRLF')) assert.doesNotMatch(sealed, /(?<!\r)\n/, `${name}: the sealed file keeps CRLF`);
      if (form.includes('BOM')) assert.ok(sealed.startsWith(BOM), `${name}: the sealed file keeps the BOM`);
    }
  }
});

test('NAME=#text, an empty value and a comment to dotenv, is sealed whole: the text is not left in clear', async (t) => {
  const { key } = await keyFor(t);
  const sealed = (await sealEnv({ text: FIXTURES.hashValue, name: 'f', key })).text;
  assert.ok(!sealed.includes('starts-with-hash'));
  assert.match(sealed, /^HASH_ONLY=enveil:v2:[\w-]+\nHASH_SPACED=enveil:v2:[\w-]+ #a-comment-only\n$/);
});

test('the enveil command line seals and opens the whole fixture set, in each line ending, as dotenv reads it', async (t) => {
  const { dir, file } = await keyFor(t);
  for (const [form, text] of [['LF', ALL], ['CRLF', crlf(ALL)], ['BOM+CRLF', BOM + crlf(ALL)]]) {
    const input = path.join(dir, `${form}.env`);
    writeFileSync(input, text);
    const sealed = await run(['env', 'seal', '--key-path', file, input]);
    assert.equal(sealed.code, 0, sealed.stderr);
    assertNothingInClear(sealed.stdout.toString(), text, form);
    const opened = await run(['env', 'open', '--key-path', file, '-o', path.join(dir, `${form}.opened`)], { input: sealed.stdout });
    assert.equal(opened.code, 0, opened.stderr);
    const back = readFileSync(path.join(dir, `${form}.opened`), 'utf8');
    assert.deepEqual(dotenv.parse(back), dotenv.parse(text), form);
    assert.equal(back, text, form);
  }
});

test('a line dotenv ignores is refused with its line number (exit 2) and nothing is sealed', async (t) => {
  const { file, key } = await keyFor(t);
  for (const { text, line } of IGNORED_BY_DOTENV) {
    await assert.rejects(() => sealEnv({ text, name: 'f', key }), (err) => err instanceof CliError && err.exitCode === 2
      && err.message.startsWith(`f:${line}: not a NAME=VALUE line, comment or blank line`), JSON.stringify(text));
    const r = await run(['env', 'seal', '--key-path', file], { input: crlf(text) });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`stdin:${line}: not a NAME=VALUE line`));
    assert.equal(r.stdout.length, 0, 'nothing is written');
  }
});

/**
 * A small seeded generator (mulberry32), so a failure can be replayed.
 * @param {number} seed
 */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUE_PIECES = ['a', 'Z', '7', ' ', '\t', "'", '"', '`', '\\', '\\n', '\\r', '#', ' #', '=', '\n', '\r\n', 'ü', 'ß', '鍵', '🔑', '$', '{', '}', ':', 'export'];

test('property: random names and values in each quoting dotenv accepts open to what dotenv read', async (t) => {
  const { key } = await keyFor(t);
  const next = random(Number(process.env.SEED ?? 0x5eed));
  const pick = (/** @type {string[]} */ list) => /** @type {string} */ (list[Math.floor(next() * list.length)]);
  const nameOf = () => pick(['A', 'b', '_', 'X']) + Array.from({ length: Math.floor(next() * 8) }, () => pick(['A', 'z', '0', '_', '.', '-'])).join('');
  for (let i = 0; i < Number(process.env.CASES ?? 300); i++) {
    const lines = [];
    for (let n = 1 + Math.floor(next() * 5); n > 0; n--) {
      let value = Array.from({ length: Math.floor(next() * 12) }, () => pick(VALUE_PIECES)).join('');
      const quote = pick(['', "'", '"', '`']);
      if (quote === '') {
        // One line; an opening quote with no closing one could pair with a
        // quote further down and swallow lines (a different file, tested above).
        value = value.replace(/[\r\n]/g, ' ').replace(/^\s*['"`]/, 'u$&');
      } else {
        value = value.split(quote).join(`\\${quote}`).replace(/\\$/, '\\x');
      }
      const lead = pick(['', '', 'export ', '  ']);
      const separator = pick(['=', '=', ' = ', ': ']);
      const comment = quote && next() < 0.3 ? ' # note' : '';
      lines.push(`${lead}${nameOf()}${separator}${quote}${value}${quote}${comment}`);
      if (next() < 0.2) lines.push(pick(['', '# a comment', '   ']));
    }
    let text = lines.join('\n') + (next() < 0.8 ? '\n' : '');
    if (next() < 0.3) text = crlf(text);
    if (next() < 0.2) text = BOM + text;
    const name = `case ${i}: ${JSON.stringify(text)}`;
    const sealed = (await sealEnv({ text, name: 'case', key })).text;
    const opened = (await openEnv({ text: sealed, name: 'case', key })).text;
    assert.deepEqual(dotenv.parse(opened), dotenv.parse(text), name);
    assert.equal(opened, text, name);
    for (const value of Object.values(dotenv.parse(text))) {
      // Names, separators and comments hold none of these characters.
      if (value.length >= 6 && /[üß鍵🔑${}\\]/u.test(value)) assert.ok(!sealed.includes(value), `${name}: ${JSON.stringify(value)} in clear`);
    }
  }
});
