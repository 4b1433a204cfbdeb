/**
 * A .env file read as dotenv 16 reads it, with the position of each value in
 * the original text, so that values can be replaced in place and every other
 * byte (comments, blank lines, order, `export`, spacing, quotes, CRLF, a BOM)
 * stays as it was.
 *
 * The grammar is dotenv 16's own: its LINE expression, run over the text with
 * CR LF and lone CR read as LF (offsets are mapped back to the original):
 *
 *   [export ]NAME=VALUE | [export ]NAME: VALUE    NAME is [A-Za-z0-9_.-]+
 *
 * with spaces allowed around NAME and `=`. VALUE is `'…'`, `"…"` or `` `…` ``
 * (each may span lines), or unquoted text up to a `#` or the end of the line;
 * a `#` comment may follow. dotenv trims the value, strips one pair of
 * matching outer quotes and, in double quotes only, turns `\n` and `\r` into
 * line breaks. An entry's rawStart..rawEnd is the value exactly as written (what
 * `env seal` seals); NAME=#text reads as an empty value and a comment, and
 * that span takes the comment too, so nothing after `=` is left in clear.
 *
 * Text that dotenv does not match is an error unless it is blank or a
 * comment: dotenv would ignore it silently. Errors name the line number only,
 * never its content (it may be a secret).
 * @module
 */
import { CliError, EXIT } from './exit.js';

/**
 * @typedef {object} Assignment
 * @property {'var'} kind
 * @property {string} name
 * @property {string} value the value as dotenv reads it
 * @property {'' | "'" | '"' | '`'} quote the quotes dotenv strips
 * @property {number} line 1-based line of the name
 * @property {number} lastLine the line where the value ends
 * @property {number} rawStart offset of the value as written, with its
 *   quotes (not the whitespace around it, which dotenv trims); for NAME=#text,
 *   the `#text` too
 * @property {number} rawEnd
 * @property {number} start offset of the value inside its quotes: for a
 *   token, text.slice(start, end) === value
 * @property {number} end
 * @typedef {{ entries: Assignment[], text: string }} DotEnv
 * @typedef {{ line: number, text: string, start: number, end: number, whole: boolean }} Comment
 *   from its `#` to the end of its line; `whole` when only whitespace precedes it
 */

/** dotenv 16.x lib/main.js LINE, with `d` for the offsets of the groups. */
const LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dmg;
const IGNORABLE = /^\s*(?:#.*)?$/;
const COMMENT = /#[^\n\r\u2028\u2029]*/g;
/** A line commented out: `# [export] NAME = value`, with the spacing a line may have. */
const COMMENTED_OUT = /^#+\s*(?:export\s+)?([\w.-]+)\s*=\s*\S/;
/** NAME=value anywhere in a comment, as a word; "a = b" in prose is not one. */
const ASSIGNMENT_IN_TEXT = /(?:^|\s)(?:export\s+)?([A-Za-z_][\w.-]*)=\S/g;

/**
 * The text as dotenv sees it (line breaks as LF) and, for each of its
 * offsets, the offset in the original.
 * @param {string} text
 */
function normalise(text) {
  /** @type {number[]} */
  const at = [];
  let out = '';
  for (let i = 0; i < text.length; i++) {
    at.push(i);
    if (text[i] === '\r') {
      out += '\n';
      if (text[i + 1] === '\n') i++;
    } else {
      out += text[i];
    }
  }
  at.push(text.length);
  return { text: out, at };
}

/**
 * The 1-based line of each offset of `text` (line breaks: CR LF, CR, LF).
 * @param {string} text
 */
function lineNumbers(text) {
  /** @type {number[]} */
  const starts = [0];
  for (const m of text.matchAll(/\r\n?|\n/g)) starts.push(/** @type {number} */ (m.index) + m[0].length);
  /** @param {number} offset */
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (/** @type {number} */ (starts[mid]) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * Where the line holding `offset` starts (after a BOM on the first line).
 * @param {string} text
 * @param {number} offset
 */
function lineStart(text, offset) {
  const start = Math.max(text.lastIndexOf('\n', offset - 1), text.lastIndexOf('\r', offset - 1)) + 1;
  return start === 0 && text.startsWith('\uFEFF') ? 1 : start;
}

/**
 * @param {string} text
 * @param {string} name the file, for messages
 * @returns {DotEnv}
 */
export function parseDotEnv(text, name) {
  const { text: lf, at } = normalise(text);
  const lineAt = lineNumbers(text);
  /** @type {Assignment[]} */
  const entries = [];
  let covered = 0;
  /** @param {number} until */
  const checkIgnored = (until) => {
    let offset = covered;
    for (const piece of lf.slice(covered, until).split('\n')) {
      if (!IGNORABLE.test(piece)) {
        throw new CliError(EXIT.USAGE, `${name}:${lineAt(/** @type {number} */ (at[offset]))}: not a NAME=VALUE line, comment or blank line (dotenv would ignore it)`);
      }
      offset += piece.length + 1;
    }
  };
  LINE.lastIndex = 0;
  for (let m = LINE.exec(lf); m !== null; m = LINE.exec(lf)) {
    checkIgnored(m.index);
    covered = m.index + m[0].length;
    const indices = /** @type {RegExpIndicesArray} */ (m.indices);
    const [, nameAt, valueAt] = indices;
    const written = m[2] ?? '';
    const nameEnd = /** @type {[number, number]} */ (nameAt)[1];
    // The value as written starts after the whitespace dotenv trims (or, with
    // no value group, right after the separator) and ends before it.
    const trimmed = written.trim();
    let start = valueAt ? valueAt[0] + (trimmed === '' ? 0 : written.length - written.trimStart().length)
      : nameEnd + /** @type {RegExpExecArray} */ (/^(?:\s*=|:\s)/.exec(lf.slice(nameEnd)))[0].length;
    let end = start + trimmed.length;
    const rawStart = start;
    let rawEnd = end;
    // NAME=#text: dotenv reads an empty value and a comment; the text is
    // sealed with the value.
    if (!valueAt && lf[rawStart] === '#') rawEnd = rawStart + /** @type {RegExpExecArray} */ (/^#.*/.exec(lf.slice(rawStart)))[0].length;
    /** @type {Assignment['quote']} */
    let quote = '';
    const outer = /^(['"`])([\s\S]*)\1$/.exec(trimmed);
    // dotenv's replace(/^(['"`])([\s\S]*)\1$/mg, '$2') has the m flag: with a
    // line break inside, ^ and $ may match at other lines; do exactly that.
    const unquoted = trimmed.replace(/^(['"`])([\s\S]*)\1$/mg, '$2');
    if (outer && unquoted === outer[2]) {
      quote = /** @type {Assignment['quote']} */ (outer[1]);
      start++;
      end--;
    }
    let value = unquoted;
    if (trimmed[0] === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
    entries.push({
      kind: 'var', name: /** @type {string} */ (m[1]), value, quote,
      line: lineAt(/** @type {number} */ (at[/** @type {[number, number]} */ (nameAt)[0]])),
      lastLine: lineAt(/** @type {number} */ (at[rawEnd])),
      rawStart: /** @type {number} */ (at[rawStart]), rawEnd: /** @type {number} */ (at[rawEnd]),
      start: /** @type {number} */ (at[start]), end: /** @type {number} */ (at[end]),
    });
  }
  checkIgnored(lf.length);
  return { entries, text };
}

/**
 * The comments of a .env file, whole-line and trailing, in order: every `#`
 * outside the values starts one.
 * @param {DotEnv} env
 * @returns {Comment[]}
 */
export function commentsOf(env) {
  const { text } = env;
  const lineAt = lineNumbers(text);
  /** @type {Comment[]} */
  const comments = [];
  let from = 0;
  for (const span of [...env.entries.map((e) => [e.rawStart, e.rawEnd]), [text.length, text.length]]) {
    const [rawStart, rawEnd] = /** @type {[number, number]} */ (span);
    for (const m of text.slice(from, rawStart).matchAll(COMMENT)) {
      const start = from + /** @type {number} */ (m.index);
      comments.push({
        line: lineAt(start), text: m[0], start, end: start + m[0].length,
        whole: /^\s*$/.test(text.slice(lineStart(text, start), start)),
      });
    }
    from = rawEnd;
  }
  return comments;
}

/**
 * The names a comment assigns a value to, as a line commented out
 * (`# OLD_PASSWORD=hunter2`) or as NAME=value among other words: text that
 * may be a secret left in clear.
 * @param {string} comment from its `#`
 */
export function namesAssignedIn(comment) {
  const names = new Set();
  const commentedOut = COMMENTED_OUT.exec(comment);
  if (commentedOut) names.add(commentedOut[1]);
  for (const m of comment.matchAll(ASSIGNMENT_IN_TEXT)) names.add(m[1]);
  return /** @type {string[]} */ ([...names]);
}

/**
 * The .env text again with each value as written (its raw span) replaced by
 * `rawOf(entry)`, every other byte as it was; with `stripComments`, without
 * comment lines and trailing comments.
 * @param {DotEnv} env
 * @param {(entry: Assignment) => string} rawOf
 * @param {{ stripComments?: boolean }} [options]
 */
export function formatDotEnv(env, rawOf, { stripComments = false } = {}) {
  const { text } = env;
  /** @type {{ start: number, end: number, text: string, trailing?: boolean }[]} */
  const edits = env.entries.map((e) => ({ start: e.rawStart, end: e.rawEnd, text: rawOf(e) }));
  if (stripComments) {
    for (const c of commentsOf(env)) {
      if (c.whole) {
        const lineBreak = /^(?:\r\n|\r|\n)?/.exec(text.slice(c.end))?.[0].length ?? 0;
        edits.push({ start: lineStart(text, c.start), end: c.end + lineBreak, text: '' });
      } else {
        edits.push({ start: c.start, end: c.end, text: '', trailing: true });
      }
    }
    edits.sort((a, b) => a.start - b.start);
  }
  let out = '';
  let copied = 0;
  for (const edit of edits) {
    out += text.slice(copied, edit.start);
    // A trailing comment goes with the spaces before it, the value's own
    // trailing spaces included.
    if (edit.trailing) out = out.replace(/[ \t]*$/, '');
    out += edit.text;
    copied = edit.end;
  }
  return out + text.slice(copied);
}
