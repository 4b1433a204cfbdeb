/**
 * The one error class enveil throws, with a stable `code` (DESIGN.md §7).
 * Messages name the argument or the operation, never a secret; decryption
 * failures all read the same, whatever part of the ciphertext was wrong.
 * @module
 */

/** @type {Readonly<Record<string, string>>} */
export const ErrorCode = Object.freeze({
  AUTH_FAILED: 'AUTH_FAILED',
  UNKNOWN_KEY: 'UNKNOWN_KEY',
  KEY_UNAVAILABLE: 'KEY_UNAVAILABLE',
  LOCKED: 'LOCKED',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  STORAGE_FAILED: 'STORAGE_FAILED',
  ROTATION_IN_PROGRESS: 'ROTATION_IN_PROGRESS',
  REFRESH_FAILED: 'REFRESH_FAILED',
  REFRESH_REUSED: 'REFRESH_REUSED',
  UNSUPPORTED: 'UNSUPPORTED',
});

export class EnveilError extends Error {
  /**
   * @param {keyof typeof ErrorCode} code
   * @param {string} message
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'EnveilError';
    /** @readonly */
    this.code = code;
  }
}

/** Numeric codes returned by the WASM core (src/status.h ErrorCode). */
const CORE_CODES = /** @type {const} */ ([
  undefined,
  'AUTH_FAILED',
  'UNKNOWN_KEY',
  'KEY_UNAVAILABLE',
  'INVALID_ARGUMENT',
  'UNSUPPORTED',
  'LOCKED',
]);

/**
 * @typedef {Partial<Record<keyof typeof ErrorCode, string>>} CoreMessages
 *   what each code means for one operation (a default names the code)
 */

/**
 * Turns a negative return value of the core into an EnveilError.
 * @param {number} rc negative core status
 * @param {CoreMessages} messages
 * @returns {EnveilError}
 */
export function coreError(rc, messages) {
  const code = CORE_CODES[-rc] ?? 'UNSUPPORTED';
  return new EnveilError(code, messages[code] ?? `operation failed (${code})`);
}

/**
 * The one way a core return value is read: a success (zero or more: a
 * length, a key id) is returned; a failure (-ErrorCode) is thrown as its
 * EnveilError with this operation's message.
 * @param {number} rc
 * @param {CoreMessages | (() => CoreMessages)} messages or a function
 *   building them, called on failure only
 * @returns {number}
 */
export function coreResult(rc, messages) {
  if (rc < 0) throw coreError(rc, typeof messages === 'function' ? messages() : messages);
  return rc;
}
