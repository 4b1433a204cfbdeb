/**
 * A .env parser that keeps everything it does not change: comments, blank
 * lines, order, `export ` prefixes, spacing around `=`, quote style and
 * trailing comments. Rules:
 *
 * - `[export ]NAME=VALUE`, NAME matching [A-Za-z_][A-Za-z0-9_.-]*;
 *   blank lines and lines starting with `#` are kept as they are (or dropped,
 *   with trailing comments, by `formatDotEnv(…, { stripComments: true })`).
 * - VALUE unquoted: up to a `#` preceded by whitespace (a comment), trimmed.
 * - VALUE in single quotes: taken literally, may span lines.
 * - VALUE in double quotes: `\n`, `\r`, `\t`, `\"` and `\\` are escapes
 *   (another backslash is kept as it is); may span lines.
 * - After a closing quote only whitespace and a comment may follow.
 * - CRLF files stay CRLF.
 *
 * Errors name the line number only, never its content (it may be a secret).
 * @module
 */
import { CliError, EXIT } from './exit.js';

/**
 * @typedef {{ kind: 'raw', text: string, line: number }} RawLine
 * @typedef {object} Assignment
 * @property {'var'} kind
 * @property {string} lead leading whitespace and `export `
 * @property {string} name
 * @property {string} equals `=` with the spacing around it
 * @property {'' | "'" | '"'} quote
 * @property {string} value the value, unescaped
 * @property {string} trailing whitespace and comment after the value
 * @property {number} line 1-based line number
 * @property {number} lastLine the line of the closing quote (where a trailing
 *   comment is), `line` unless the value spans lines
 * @property {number} start offset in the text of the value as written (after
 *   an opening quote)
 * @property {number} end offset in the text just after it (before a closing
 *   quote); text.slice(start, end) is the value itself unless it is
 *   double-quoted with escapes or spans lines
 * @typedef {RawLine | Assignment} Entry
 * @typedef {{ entries: Entry[], eol: string }} DotEnv
 * @typedef {{ line: number, text: string }} Comment from its `#` to the end of its line
 */

const NAME = '[A-Za-z_][A-Za-z0-9_.-]*';
const ASSIGNMENT = new RegExp(`^(\\s*(?:export\\s+)?)(${NAME})(\\s*=\\s*)`);
const TRAILING = /^(\s*(?:#.*)?)$/;
const COMMENT_LINE = /^\s*#/;
/** A trailing comment with the whitespace before it. */
const TRAILING_COMMENT = /\s*#.*$/s;
/** A line commented out: `# [export] NAME = value`, with the spacing a line may have. */
const COMMENTED_OUT = new RegExp(`^#+\\s*(?:export\\s+)?(${NAME})\\s*=\\s*\\S`);
/** NAME=value anywhere in a comment, as a word; "a = b" in prose is not one. */
const ASSIGNMENT_IN_TEXT = new RegExp(`(?:^|\\s)(?:export\\s+)?(${NAME})=\\S`, 'g');

/**
 * @param {string} text
 * @param {string} name the file, for messages
 * @returns {DotEnv}
 */
export function parseDotEnv(text, name) {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  // text.split(/\r?\n/), with the offset where each line starts.
  /** @type {string[]} */
  const lines = [];
  /** @type {number[]} */
  const starts = [];
  const eolPattern = /\r?\n/g;
  let from = 0;
  for (let m = eolPattern.exec(text); m !== null; m = eolPattern.exec(text)) {
    lines.push(text.slice(from, m.index));
    starts.push(from);
    from = m.index + m[0].length;
  }
  lines.push(text.slice(from));
  starts.push(from);
  /** @type {Entry[]} */
  const entries = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = /** @type {string} */ (lines[i]);
    const m = ASSIGNMENT.exec(line);
    if (!m) {
      if (/^\s*(#.*)?$/.test(line)) {
        entries.push({ kind: 'raw', text: line, line: lineNo });
        continue;
      }
      throw new CliError(EXIT.USAGE, `${name}:${lineNo}: not a NAME=VALUE line, comment or blank line`);
    }
    const [head, lead, varName, equals] = /** @type {[string, string, string, string]} */ (/** @type {unknown} */ (m));
    const rest = line.slice(head.length);
    const valueAt = /** @type {number} */ (starts[i]) + head.length;
    const q = rest[0];
    if (q === '"' || q === "'") {
      // Find the closing quote, joining lines while it is missing.
      const firstLine = i;
      let body = rest.slice(1);
      let end = findClosing(body, q);
      while (end < 0 && i + 1 < lines.length) {
        body += `\n${lines[++i]}`;
        end = findClosing(body, q);
      }
      if (end < 0) throw new CliError(EXIT.USAGE, `${name}:${lineNo}: unterminated ${q === '"' ? 'double' : 'single'}-quoted value`);
      const trailing = body.slice(end + 1);
      if (!TRAILING.test(trailing)) {
        throw new CliError(EXIT.USAGE, `${name}:${lineNo}: unexpected text after the closing quote`);
      }
      const raw = body.slice(0, end);
      // The closing quote is on line i, the last one joined.
      const endAt = i === firstLine
        ? valueAt + 1 + end
        : /** @type {number} */ (starts[i]) + end - (body.length - /** @type {string} */ (lines[i]).length);
      entries.push({
        kind: 'var', lead, name: varName, equals, quote: q,
        value: q === '"' ? unescapeDouble(raw) : raw, trailing, line: lineNo, lastLine: i + 1,
        start: valueAt + 1, end: endAt,
      });
    } else {
      // A comment starts at a '#' after whitespace; `A=#x` is the value '#x'.
      const comment = /\s#/.exec(rest) ?? (rest.startsWith('#') && /\s$/.test(equals) ? { index: 0 } : null);
      const valuePart = comment ? rest.slice(0, comment.index) : rest;
      const value = valuePart.trimEnd();
      entries.push({
        kind: 'var', lead, name: varName, equals, quote: '',
        value, trailing: rest.slice(value.length), line: lineNo, lastLine: lineNo,
        start: valueAt, end: valueAt + value.length,
      });
    }
  }
  return { entries, eol };
}

/**
 * Index of the closing quote in `body`, or -1.
 * @param {string} body
 * @param {string} q
 */
function findClosing(body, q) {
  if (q === "'") return body.indexOf("'");
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === '"') return i;
  }
  return -1;
}

/** @type {Record<string, string>} */
const UNESCAPE = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** @param {string} raw */
function unescapeDouble(raw) {
  return raw.replace(/\\(.)/gs, (all, c) => UNESCAPE[c] ?? all);
}

/** @param {string} value */
function escapeDouble(value) {
  return value.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c);
}

/**
 * The text of a value in the entry's quote style, or in another style when
 * that one cannot hold it (unquoted → double quotes for spaces, `#`, quotes
 * or newlines; single → double when the value holds a `'`).
 * @param {Assignment} entry
 * @param {string} value
 */
function quoteValue(entry, value) {
  if (entry.quote === '' && /^[^\s#'"\\]*$/.test(value)) return value;
  if (entry.quote === "'" && !value.includes("'")) return `'${value}'`;
  return `"${escapeDouble(value)}"`;
}

/**
 * The comments of a .env file, whole-line and trailing, in line order.
 * @param {DotEnv} env
 * @returns {Comment[]}
 */
export function commentsOf(env) {
  return env.entries.flatMap((e) => {
    const text = e.kind === 'raw' ? e.text : e.trailing;
    const at = COMMENT_LINE.test(text) ? text.indexOf('#') : -1;
    return at < 0 ? [] : [{ line: e.kind === 'raw' ? e.line : e.lastLine, text: text.slice(at) }];
  });
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
 * The .env text again, with `values` (by entry) in place of the parsed ones;
 * with `stripComments`, without comment lines and trailing comments.
 * @param {DotEnv} env
 * @param {(entry: Assignment) => string} valueOf
 * @param {{ stripComments?: boolean }} [options]
 */
export function formatDotEnv(env, valueOf, { stripComments = false } = {}) {
  const kept = stripComments ? env.entries.filter((e) => e.kind !== 'raw' || !COMMENT_LINE.test(e.text)) : env.entries;
  return kept.map((e) => {
    if (e.kind === 'raw') return e.text;
    const text = quoteValue(e, valueOf(e));
    const ownTrailing = stripComments ? e.trailing.replace(TRAILING_COMMENT, '') : e.trailing;
    // A comment right after an empty value needs whitespace once a value
    // stands before it, or it would read as part of the value.
    const trailing = ownTrailing.startsWith('#') && text !== '' ? ` ${ownTrailing}` : ownTrailing;
    return `${e.lead}${e.name}${e.equals}${text}${trailing}`;
  }).join(env.eol);
}
