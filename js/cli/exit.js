/**
 * Exit codes of the `enveil` command and the one error class the commands
 * throw: a message for stderr (never a secret or plaintext) and the exit code
 * it maps to.
 * @module
 */

/** The documented exit codes (also in `enveil --help` and the README). */
export const EXIT = Object.freeze({
  /** Success. */
  OK: 0,
  /** Does not open: altered, truncated, extended, not an enveil file, or another --context. */
  AUTH: 1,
  /** Usage: unknown command or option, missing or invalid argument, malformed .env line. */
  USAGE: 2,
  /** Key: no key given, key file missing, malformed, readable by others, another user's or a symlink, or sealed under another key id. */
  KEY: 3,
  /** I/O: an input cannot be read or an output cannot be written. */
  IO: 4,
  /** rotate (and other multi-file commands): some files failed, each reported. */
  PARTIAL: 5,
  /** token: the refresh failed (the token endpoint refused it, or could not be reached). */
  REFRESH: 6,
  /** token: the token endpoint reported refresh-token reuse; the session was wiped. */
  REUSED: 7,
  /** Internal error: a bug in enveil. */
  INTERNAL: 70,
});

export const EXIT_CODE_TABLE = `Exit codes:
  0   success
  1   does not open: the input was altered, truncated or extended, is not an
      enveil file, or was sealed with another --context
  2   usage: unknown command or option, missing or invalid argument, or a
      malformed .env line
  3   key: no key given, key file missing, malformed, readable by group or
      others, owned by another user or a symbolic link, or the input is
      sealed under another key id
  4   I/O: an input cannot be read (or a .env input is not UTF-8 text) or an
      output cannot be written
  5   rotate: some files could not be rotated (each one is reported)
  6   token: the refresh failed (the token endpoint refused it, or could not
      be reached and no usable token is left)
  7   token: the token endpoint reported refresh-token reuse (a leaked
      token); the session was wiped: run token init again
  70  internal error (a bug in enveil)
  129, 130, 143  interrupted by SIGHUP, SIGINT, SIGTERM (128 + the signal's
      number); temporary files were removed, outputs left as they were`;

export class CliError extends Error {
  /**
   * @param {number} exitCode one of EXIT
   * @param {string} message
   * @param {{ cause?: unknown }} [options]
   */
  constructor(exitCode, message, options) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * An I/O failure as a CliError naming the path and the system's reason (the
 * code, e.g. ENOENT, and its text; never file content).
 * @param {string} what e.g. "cannot read"
 * @param {string} path
 * @param {unknown} err
 */
export function ioError(what, path, err) {
  const e = /** @type {NodeJS.ErrnoException} */ (err);
  const reason = e && typeof e === 'object' && typeof e.code === 'string' ? describeErrno(e) : String(err);
  return new CliError(EXIT.IO, `${what} ${path}: ${reason}`, { cause: err });
}

/** @param {NodeJS.ErrnoException} e */
function describeErrno(e) {
  switch (e.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EEXIST': return 'already exists';
    case 'EISDIR': return 'is a directory';
    case 'ELOOP': return 'a symbolic link (refused here), or a loop of them';
    case 'ENOTDIR': return 'a parent is not a directory';
    case 'ENOSPC': return 'no space left on device';
    case 'EPIPE': return 'the reader went away (broken pipe)';
    default: return e.code ?? 'I/O error';
  }
}

/** @param {string} s quoted for messages: control characters escaped */
export const quote = (s) => `'${JSON.stringify(s).slice(1, -1)}'`;
