// enveil env seal / env open, run as a subprocess.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { keygen, run, tempDir } from './helpers.js';

// SINGLE is single-quoted (literal: no escapes, no expansion); APOSTROPHE
// holds a single apostrophe, which only double quotes can hold.
const DOTENV = [
  '# database',
  'export DB_URL=postgres://u:p@db/app',
  'API_TOKEN="tok en with spaces" # trailing comment',
  "SINGLE='single-quoted $HOME \\n stays'",
  '',
  'EMPTY=',
  'MULTI="line one\\nline two"',
  '  SPACED = spaced-value',
  'QUOTED="say \\"hi\\" \\\\ done"',
  'UNICODE=grüße',
  'APOSTROPHE="it\'s here"',
  '',
].join('\n');

/** @param {import('node:test').TestContext} t */
async function setup(t) {
  const dir = tempDir(t);
  const key = await keygen(dir, 'ci-key');
  writeFileSync(path.join(dir, '.env'), DOTENV);
  return { dir, key, env: path.join(dir, '.env'), sealed: path.join(dir, '.env.sealed') };
}

test('a .env file round-trips value by value, keeping comments, order and quoting', async (t) => {
  const { dir, key, env, sealed } = await setup(t);
  const s = await run(['env', 'seal', '--key-path', key, env, '-o', sealed]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stderr, /sealed 9 values/);
  const text = readFileSync(sealed, 'utf8');
  for (const secret of ['postgres://', 'tok en', 'single-quoted', 'line one', 'spaced-value', 'grüße', 'say', "it's"]) {
    assert.ok(!text.includes(secret), `${secret} is not in the sealed file`);
  }
  const lines = text.split('\n');
  assert.equal(lines[0], '# database');
  assert.match(lines[1] ?? '', /^export DB_URL=enveil:v2:[A-Za-z0-9_-]+$/);
  assert.match(lines[2] ?? '', /^API_TOKEN="enveil:v2:[A-Za-z0-9_-]+" # trailing comment$/);
  assert.match(lines[3] ?? '', /^SINGLE='enveil:v2:[A-Za-z0-9_-]+'$/);
  assert.equal(lines[4], '');
  assert.match(lines[7] ?? '', /^ {2}SPACED = enveil:v2:/);
  assert.match(lines[10] ?? '', /^APOSTROPHE="enveil:v2:[A-Za-z0-9_-]+"$/);
  const out = path.join(dir, 'opened.env');
  const o = await run(['env', 'open', '--key-path', key, sealed, '-o', out]);
  assert.equal(o.code, 0, o.stderr);
  assert.equal(readFileSync(out, 'utf8'), DOTENV, 'byte for byte');
  const values = parseEnv(readFileSync(out, 'utf8'));
  assert.equal(values.SINGLE, 'single-quoted $HOME \\n stays');
  assert.equal(values.APOSTROPHE, "it's here");
  assert.equal(statSync(out).mode & 0o777, 0o600, 'opened .env is 0600');
  // stdin to stdout, with ENVEIL_KEY_PATH.
  const piped = await run(['env', 'open'], { input: text, env: { ENVEIL_KEY_PATH: key } });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout.toString(), DOTENV);
});

test('a value moved to another name does not open (exit 1)', async (t) => {
  const { key, env, sealed } = await setup(t);
  await run(['env', 'seal', '--key-path', key, env, '-o', sealed]);
  const text = readFileSync(sealed, 'utf8');
  const token = /DB_URL=(enveil:v2:\S+)/.exec(text)?.[1];
  assert.ok(token);
  const swapped = text.replace(/^EMPTY=.*$/m, `EMPTY=${token}`);
  const r = await run(['env', 'open', '--key-path', key], { input: swapped });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /:6 EMPTY was sealed with context 'env:DB_URL'/);
  assert.doesNotMatch(r.stderr, /postgres/);
  assert.equal(r.stdout.length, 0, 'nothing is written when one value fails');
});

test('--context binds every value; a tampered value fails; plain values need --allow-plain', async (t) => {
  const { key, env } = await setup(t);
  const s = await run(['env', 'seal', '--key-path', key, '--context', 'prod', env]);
  assert.equal(s.code, 0, s.stderr);
  const text = s.stdout.toString();
  assert.equal((await run(['env', 'open', '--key-path', key], { input: text })).code, 1);
  assert.equal((await run(['env', 'open', '--key-path', key, '--context', 'staging'], { input: text })).code, 1);
  const ok = await run(['env', 'open', '--key-path', key, '--context', 'prod'], { input: text });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.toString(), DOTENV);

  // One character of one token changed.
  const at = text.indexOf('enveil:v2:') + 200;
  const flipped = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
  const bad = await run(['env', 'open', '--key-path', key, '--context', 'prod'], { input: flipped });
  assert.equal(bad.code, 1, bad.stderr);

  const withPlain = `${text}ADDED=plain\n`;
  const refused = await run(['env', 'open', '--key-path', key, '--context', 'prod'], { input: withPlain });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /ADDED: the value is not sealed/);
  const allowed = await run(['env', 'open', '--key-path', key, '--context', 'prod', '--allow-plain'], { input: withPlain });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(allowed.stdout.toString(), `${DOTENV}ADDED=plain\n`);
});

test('sealing again keeps existing tokens and seals only new plain values', async (t) => {
  const { key, env } = await setup(t);
  const first = (await run(['env', 'seal', '--key-path', key, env])).stdout.toString();
  const again = await run(['env', 'seal', '--key-path', key], { input: `${first}NEW=value\n` });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /sealed 1 values \(9 already sealed\)/);
  assert.ok(again.stdout.toString().startsWith(first));
});

test('env open with the wrong key names the key id; a broken line names its number only', async (t) => {
  const { dir, key, env } = await setup(t);
  const other = await keygen(dir, 'other');
  const sealed = (await run(['env', 'seal', '--key-path', key, env])).stdout.toString();
  const r = await run(['env', 'open', '--key-path', other], { input: sealed });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /sealed under key id 'ci-key'; --key-path gives 'other'/);
  const broken = await run(['env', 'seal', '--key-path', key], { input: 'A=1\nthis is not valid s3cr3t\n' });
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /stdin:2: not a NAME=VALUE line/);
  assert.doesNotMatch(broken.stderr, /s3cr3t/);
});

test("NAME=#text (an empty value and a comment to dotenv) is sealed whole and opens byte for byte", async (t) => {
  const { key } = await setup(t);
  const input = 'HASHPW=#value\nAFTER=1 # comment\n';
  const sealed = await run(['env', 'seal', '--key-path', key], { input });
  assert.equal(sealed.code, 0, sealed.stderr);
  assert.match(sealed.stderr, /sealed 2 values/);
  const text = sealed.stdout.toString();
  assert.ok(!text.includes('#value'), 'the text after = is not left in clear');
  assert.match(text, /^HASHPW=enveil:v2:[A-Za-z0-9_-]+\n/);
  const opened = await run(['env', 'open', '--key-path', key], { input: text });
  assert.equal(opened.code, 0, opened.stderr);
  // Written back as it was: dotenv (and node's parseEnv) read HASHPW as
  // empty; the old re-quoted HASHPW="#value" changed what it meant.
  assert.equal(opened.stdout.toString(), input);
  assert.deepEqual(parseEnv(opened.stdout.toString()), { HASHPW: '', AFTER: '1' });
});

test('a --context or a name too long for the format is a usage error (exit 2), before anything is sealed', async (t) => {
  const { key, env } = await setup(t);
  const long = 'x'.repeat(1024 - 'env:DB_URL:'.length + 1);
  const r = await run(['env', 'seal', '--key-path', key, '--context', long, env]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--context is too long: the context of .*\.env:2 \(env:NAME:CONTEXT\) would be 1025 bytes, at most 1024/);
  assert.equal(r.stdout.length, 0);
  const fits = await run(['env', 'seal', '--key-path', key, '--context', 'x'.repeat(1024 - 'env:APOSTROPHE:'.length), env]);
  assert.equal(fits.code, 0, fits.stderr);
  const opened = await run(['env', 'open', '--key-path', key, '--context', long], { input: fits.stdout });
  assert.equal(opened.code, 2, opened.stderr);
  const name = `N${'x'.repeat(1024)}`;
  const longName = await run(['env', 'seal', '--key-path', key], { input: `A=1\n${name}=v\n` });
  assert.equal(longName.code, 2, longName.stderr);
  assert.match(longName.stderr, /stdin:2: the variable name is too long to seal/);
});

test('a malformed .env exits 2 and input that is not UTF-8 exits 4, as --help says', async (t) => {
  const { key } = await setup(t);
  // dotenv reads B as '"unterminated' and skips line 3 without a word.
  const malformed = await run(['env', 'seal', '--key-path', key], { input: 'A=1\nB="unterminated\nsecond line\n' });
  assert.equal(malformed.code, 2, malformed.stderr);
  assert.match(malformed.stderr, /stdin:3: not a NAME=VALUE line/);
  const latin1 = await run(['env', 'seal', '--key-path', key], { input: Buffer.from('A=gr\xfc\xdfe\n', 'latin1') });
  assert.equal(latin1.code, 4, latin1.stderr);
  assert.match(latin1.stderr, /cannot read stdin: not UTF-8 text/);
  const help = (await run(['env', '--help'])).stdout.toString().replace(/\s+/g, ' ');
  assert.match(help, /A line that is not NAME=VALUE, a comment or blank exits 2/);
  assert.match(help, /input that is not UTF-8 text exits 4/);
});

test('env seal refuses a plain value that only looks sealed (exit 1, names the line, writes nothing)', async (t) => {
  const { dir, key } = await setup(t);
  const out = path.join(dir, 'out.env');
  writeFileSync(out, 'previous\n');
  const secret = 'hunter2 is the old password';
  const lookalike = `enveil:v2:${Buffer.from(secret).toString('base64url')}`;
  const r = await run(['env', 'seal', '--key-path', key, '-o', out], { input: `A=1\nFAKE=${lookalike}\nB=2\n` });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /stdin:2 FAKE: /);
  assert.match(r.stderr, /looks sealed but does not open under key 'ci-key'/);
  assert.ok(!r.stderr.includes(lookalike.slice(10, 30)) && !r.stderr.includes('hunter2'), 'the value is not in the message');
  assert.equal(readFileSync(out, 'utf8'), 'previous\n', 'the output is left as it was');
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.enveil-tmp')), []);
  const toStdout = await run(['env', 'seal', '--key-path', key], { input: `A=1\nFAKE=${lookalike}\n` });
  assert.equal(toStdout.code, 1, toStdout.stderr);
  assert.equal(toStdout.stdout.length, 0, 'nothing is sealed, nothing is written');
});

test('env seal keeps a token only when it opens under the key, for its name and --context', async (t) => {
  const { dir, key, env } = await setup(t);
  const other = await keygen(dir, 'other');
  const sealed = (await run(['env', 'seal', '--key-path', key, env])).stdout.toString();
  const token = /DB_URL=(enveil:v2:\S+)/.exec(sealed)?.[1] ?? '';
  assert.ok(token);
  // Moved to another name.
  const moved = await run(['env', 'seal', '--key-path', key], { input: `NEW=plain\nOTHER=${token}\n` });
  assert.equal(moved.code, 1, moved.stderr);
  assert.match(moved.stderr, /stdin:2 OTHER was sealed with context 'env:DB_URL'/);
  assert.equal(moved.stdout.length, 0);
  // Sealed without --context, kept with one.
  const context = await run(['env', 'seal', '--key-path', key, '--context', 'prod'], { input: `DB_URL=${token}\n` });
  assert.equal(context.code, 1, context.stderr);
  assert.match(context.stderr, /stdin:1 DB_URL was sealed with context 'env:DB_URL'/);
  // One character of its last chunk changed.
  const at = token.length - 10;
  const altered = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
  const bad = await run(['env', 'seal', '--key-path', key], { input: `DB_URL=${altered}\n` });
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /stdin:1 DB_URL: the sealed value does not authenticate/);
  assert.equal(bad.stdout.length, 0);
  // Sealed under another key: the key's exit code, as env open has it.
  const otherKey = await run(['env', 'seal', '--key-path', other], { input: `DB_URL=${token}\n` });
  assert.equal(otherKey.code, 3, otherKey.stderr);
  assert.match(otherKey.stderr, /stdin:1 DB_URL is sealed under key id 'ci-key'; --key-path gives 'other'/);
  // Under the right key, name and context it is kept as it is.
  const kept = await run(['env', 'seal', '--key-path', key], { input: `DB_URL=${token}\nNEW=plain\n` });
  assert.equal(kept.code, 0, kept.stderr);
  assert.match(kept.stderr, /sealed 1 values \(1 already sealed\)/);
  assert.ok(kept.stdout.toString().startsWith(`DB_URL=${token}\n`));
});

test('env seal reports each comment that holds NAME=value text by line and name, never the value', async (t) => {
  const { key } = await setup(t);
  const input = [
    '# database',
    '# OLD_PASSWORD=hunter2',
    'A=1 # PREVIOUS_A=s3cr3t-one',
    '  #export  TOKEN = t0k3n-two',
    '# see https://example.com/?q=notreported and a = b',
    'B="multi',
    '# not a comment: inside a quoted value',
    'line" # LAST=l4st-three',
    '#EMPTY=',
    '',
  ].join('\n');
  const r = await run(['env', 'seal', '--key-path', key], { input });
  assert.equal(r.code, 0, r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('warning'));
  assert.deepEqual(warnings.map((l) => /stdin:(\d+): a comment holds NAME=value text \((\w+)\)/.exec(l)?.slice(1).join(' ')),
    ['2 OLD_PASSWORD', '3 PREVIOUS_A', '4 TOKEN', '8 LAST'], r.stderr);
  assert.match(r.stderr, /copied in clear.*--strip-comments/);
  for (const secret of ['hunter2', 's3cr3t', 't0k3n', 'l4st', 'notreported']) assert.ok(!r.stderr.includes(secret), secret);
  assert.match(r.stdout.toString(), /^# OLD_PASSWORD=hunter2$/m, 'without --strip-comments, comments are kept');
});

test('env seal --strip-comments drops comment lines and trailing comments; the values still open', async (t) => {
  const { key } = await setup(t);
  const input = '# database\n# OLD_PASSWORD=hunter2\nA=1 # PREVIOUS_A=s3cr3t\n\nHASH=#not-a-comment\nQ="x" # note\n  # indented\n';
  const r = await run(['env', 'seal', '--key-path', key, '--strip-comments'], { input });
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout.toString();
  assert.match(text, /^A=enveil:v2:[A-Za-z0-9_-]+\n\nHASH=enveil:v2:[A-Za-z0-9_-]+\nQ="enveil:v2:[A-Za-z0-9_-]+"\n$/);
  assert.doesNotMatch(r.stderr, /warning/, 'nothing is left in clear to warn about');
  assert.match(r.stderr, /sealed 3 values; 5 comments dropped/);
  const opened = await run(['env', 'open', '--key-path', key], { input: text });
  assert.equal(opened.code, 0, opened.stderr);
  // HASH=#not-a-comment is an empty value and a comment to dotenv: sealed
  // whole, so --strip-comments does not drop it, and it comes back as it was.
  assert.equal(opened.stdout.toString(), 'A=1\n\nHASH=#not-a-comment\nQ="x"\n');
  const help = (await run(['env', '--help'])).stdout.toString().replace(/\s+/g, ' ');
  assert.match(help, /--strip-comments \(seal\) drop comments/);
  const refused = await run(['env', 'open', '--key-path', key, '--strip-comments'], { input: text });
  assert.equal(refused.code, 2, 'env open has no --strip-comments');
});
