// Loading the WASM core and moving bytes across the boundary. Every input is
// copied into fresh WASM memory and every output buffer is allocated at its
// exact size; after the call both are zero-filled and freed, and outputs are
// copied out, so no live view of the heap ever escapes (STYLE.md §9).
//
// The package ships two builds of the core: the baseline and one compiled
// with -msimd128. init() loads the JS glue (dist/enveil.wasm.js) and the
// payload it picks, both by dynamic import, so `import('enveil')` parses
// neither: the SIMD build where WebAssembly.validate accepts a SIMD module
// (as Squoosh and tfjs-backend-wasm decide), the baseline elsewhere (iOS
// before 16.4) or when asked with init({ simd: false }).
import { wasmBytes } from './wasm-payload.js';
import { EnveilError, coreResult } from '../errors.js';

/** @type {any} */
let core = null;
/** @type {Promise<EnveilBuild> | null} */
let loading = null;
/** @type {EnveilBuild | null} the build being loaded or loaded */
let chosen = null;

/**
 * @typedef {object} EnveilBuild which build of the core init() loaded
 * @property {boolean} simd true for the WASM SIMD build
 */

// (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt): the module
// wasm-feature-detect validates for SIMD. i8x16.popcnt is among the last
// opcodes of the final SIMD proposal, so an engine that validates it runs
// what clang emits for -msimd128.
const SIMD_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];

/** Whether this engine runs WebAssembly SIMD (the SIMD build). */
export function simdSupported() {
  try {
    return WebAssembly.validate(new Uint8Array(SIMD_PROBE));
  } catch {
    return false;
  }
}

/**
 * Loads and instantiates the WASM module once; later calls return the same
 * promise. After it resolves every crypto call is synchronous. It resolves
 * to the build it loaded.
 * @param {{ simd?: boolean }} [options] `simd: false` loads the baseline
 *   build even where SIMD runs; `simd: true` requires the SIMD build
 * @returns {Promise<EnveilBuild>}
 */
export function init(options) {
  /** @type {boolean | undefined} */
  let want;
  try {
    want = simdOption(options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (loading && chosen) {
    if (want !== undefined && want !== chosen.simd) {
      return Promise.reject(new EnveilError('INVALID_ARGUMENT',
        `init({ simd: ${want} }): enveil is already ${core ? 'initialised' : 'initialising'} with the ${buildName(chosen.simd)} build; ` +
        'a page or process has one core, so ask for the build in the first init() call'));
    }
    return loading;
  }
  const supported = simdSupported();
  if (want === true && !supported) {
    return Promise.reject(new EnveilError('UNSUPPORTED', 'init({ simd: true }): this engine does not run WebAssembly SIMD; call init() to load the baseline build'));
  }
  const build = { simd: want ?? supported };
  chosen = build;
  loading = load(build.simd).then(
    (m) => {
      core = m;
      return Object.freeze({ ...build });
    },
    (err) => {
      loading = null;
      chosen = null;
      throw new EnveilError('UNSUPPORTED', `the enveil WASM module (${buildName(build.simd)} build) could not be instantiated`, { cause: err });
    },
  );
  return loading;
}

/** @type {(payload: string) => Promise<Uint8Array>} */
let payloadDecoder = wasmBytes;

/**
 * Replaces how a payload module's text becomes WASM bytes (package-internal:
 * the command line, which runs the js/ sources in Node, sets the zlib one
 * of js/node/inflate-payload.js, where DecompressionStream would first load
 * Node's web streams). Only before init().
 * @param {(payload: string) => Promise<Uint8Array>} decode
 */
export function setPayloadDecoder(decode) {
  if (loading) throw new EnveilError('INVALID_ARGUMENT', 'setPayloadDecoder() after init()');
  payloadDecoder = decode;
}

/** @param {boolean} simd */
const buildName = (simd) => (simd ? 'SIMD' : 'baseline');

/**
 * @param {unknown} options
 * @returns {boolean | undefined}
 */
function simdOption(options) {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') {
    throw new EnveilError('INVALID_ARGUMENT', 'init(options): options must be an object such as { simd: false }');
  }
  for (const key of Object.keys(options)) {
    if (key !== 'simd') throw new EnveilError('INVALID_ARGUMENT', `init(options): unknown option '${key}' (init takes { simd })`);
  }
  const simd = /** @type {{ simd?: unknown }} */ (options).simd;
  if (simd !== undefined && typeof simd !== 'boolean') {
    throw new EnveilError('INVALID_ARGUMENT', 'init(options): simd must be true or false');
  }
  return simd;
}

/**
 * The glue and the picked payload, inflated, instantiated.
 * @param {boolean} simd
 */
async function load(simd) {
  const [glue, payload] = await Promise.all([
    import('../../dist/enveil.wasm.js'),
    simd ? import('../../dist/enveil-simd.wasm.js') : import('../../dist/enveil-baseline.wasm.js'),
  ]);
  const wasmBinary = await payloadDecoder(payload.default);
  return glue.default({ wasmBinary });
}


/** Whether init() has completed (and wasm() will not throw). */
export function isInitialised() {
  return core !== null;
}

/** The loaded module; throws when init() has not completed. */
export function wasm() {
  if (core === null) {
    throw new EnveilError('UNSUPPORTED', 'enveil is not initialised: await init() first');
  }
  return core;
}

const encoder = new TextEncoder();

// Byte arguments are read through the original %TypedArray%.prototype
// getters, captured here once: a subclass, or an array with own properties
// of these names, cannot change what is checked, sized or copied. The
// getters read the array's internal slots, work across realms (a Uint8Array
// from another frame, a Node Buffer) and answer undefined or throw for
// anything that is not a typed array.
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
/** @param {PropertyKey} name */
const intrinsicGetter = (name) =>
  /** @type {(this: unknown) => any} */ (
    /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(typedArrayPrototype, name)).get
  );
const typedArrayTag = /** @type {(this: unknown) => string | undefined} */ (intrinsicGetter(Symbol.toStringTag));
const typedArrayLength = /** @type {(this: Uint8Array) => number} */ (intrinsicGetter('length'));

/**
 * @param {unknown} value
 * @returns {value is Uint8Array}
 */
export function isBytes(value) {
  return typedArrayTag.call(value) === 'Uint8Array';
}

/**
 * The number of bytes a Uint8Array really holds (0 once its buffer is
 * detached), whatever its own `length` says. Use it, never `.length`, on a
 * caller's array.
 * @param {Uint8Array} bytes
 * @returns {number}
 */
export function byteCount(bytes) {
  return typedArrayLength.call(bytes);
}

/**
 * Checks that `value` is a Uint8Array (of `length` bytes when given).
 * @param {unknown} value
 * @param {string} name argument name for the error message
 * @param {number} [length]
 * @returns {Uint8Array}
 */
export function bytesArg(value, name, length) {
  if (!isBytes(value)) {
    throw new EnveilError('INVALID_ARGUMENT', `${name} must be a Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && byteCount(value) !== length) {
    throw new EnveilError('INVALID_ARGUMENT', `${name} must be ${length} bytes, got ${byteCount(value)}`);
  }
  return value;
}

/**
 * A Uint8Array as is, or a string as its UTF-8 bytes.
 * @param {unknown} value
 * @param {string} name
 * @returns {Uint8Array}
 */
export function bytesOrString(value, name) {
  if (typeof value === 'string') {
    if (!isWellFormed(value)) {
      throw new EnveilError('INVALID_ARGUMENT', `${name} is not a well-formed string (lone surrogate)`);
    }
    return encoder.encode(value);
  }
  if (isBytes(value)) return value;
  throw new EnveilError('INVALID_ARGUMENT', `${name} must be a Uint8Array or a string, got ${describe(value)}`);
}

/**
 * Lone surrogates would be encoded as U+FFFD, silently changing the value:
 * a high surrogate not followed by a low one, or a low one not preceded by a
 * high one (at the start, or after any other code unit). Code units, no `u`
 * flag and no lookbehind, for what older WebKit gets wrong: lookbehind is a
 * syntax error before Safari 16.4 (the whole bundle fails to load), and
 * JavaScriptCore 2.38 matches the halves of a surrogate pair against
 * /[\uD800-\uDFFF]/u (README "Compatibility floor").
 * @param {string} s
 */
function isWellFormed(s) {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Contexts up to this many UTF-16 code units are encoded into a scratch array. */
const CONTEXT_SCRATCH_UNITS = 8192;
let contextScratch = new Uint8Array(256);

/**
 * Like bytesOrString, for a `context` that is passed straight to callCore
 * (which copies it into WASM memory): a string is encoded into one reused
 * scratch array (TextEncoder.encode allocates; in Chromium that was 1.7 µs
 * of a 9 µs record), and the view returned is valid only until the next
 * call. Contexts are not secret (the record format authenticates them, it
 * does not hide them), so the scratch array is not wiped.
 * @param {unknown} value
 * @param {string} name
 * @returns {Uint8Array}
 */
export function contextBytes(value, name) {
  if (typeof value !== 'string' || value.length > CONTEXT_SCRATCH_UNITS) return bytesOrString(value, name);
  if (!isWellFormed(value)) {
    throw new EnveilError('INVALID_ARGUMENT', `${name} is not a well-formed string (lone surrogate)`);
  }
  // At most 3 UTF-8 bytes per UTF-16 code unit.
  if (contextScratch.length < 3 * value.length) contextScratch = new Uint8Array(3 * CONTEXT_SCRATCH_UNITS);
  const { written } = encoder.encodeInto(value, contextScratch);
  return contextScratch.subarray(0, written);
}

/**
 * Like bytesOrString, and reports whether the bytes are a copy enveil made
 * (to be wiped after use) rather than the caller's own array.
 * @param {unknown} value
 * @param {string} name
 * @returns {[Uint8Array, boolean]}
 */
export function secretBytesOrString(value, name) {
  return [bytesOrString(value, name), typeof value === 'string'];
}

/**
 * Checks a keyring key id: an integer from `min` to 2^32-1.
 * @param {unknown} value
 * @param {string} name
 * @param {number} [min]
 * @returns {number}
 */
export function keyIdArg(value, name, min = 1) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 0xffffffff) {
    throw new EnveilError('INVALID_ARGUMENT', `${name} must be a key id (an integer from ${min} to 2^32-1)`);
  }
  return value;
}

/**
 * A string the core takes as a name (store, scope, field, kek id).
 * @param {unknown} value
 * @param {string} name
 * @returns {string}
 */
export function stringArg(value, name) {
  if (typeof value !== 'string') {
    throw new EnveilError('INVALID_ARGUMENT', `${name} must be a string, got ${describe(value)}`);
  }
  if (!isWellFormed(value)) {
    throw new EnveilError('INVALID_ARGUMENT', `${name} is not a well-formed string (lone surrogate)`);
  }
  return value;
}

/** @param {unknown} value */
function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return value.constructor?.name ?? 'a typed array';
  if (value instanceof ArrayBuffer) return 'an ArrayBuffer';
  return typeof value;
}

/**
 * Runs `fn` with each input copied into WASM memory and an output buffer of
 * `outLength` bytes; returns a copy of the output, or what `read` makes of it
 * while it is still in WASM memory (before it is wiped). `fn` receives
 * [ptr, len] pairs for the inputs and then the output's [ptr, len] (none
 * when outLength is null), and returns the core's status (negative on
 * failure). This is on every call's path: plain loops, no per-call closures.
 * @template [T=Uint8Array]
 * @param {Uint8Array[]} inputs
 * @param {number | null} outLength
 * @param {(args: number[]) => number} fn
 * @param {import('../errors.js').CoreMessages | (() => import('../errors.js').CoreMessages)} messages
 *   error messages by code, or a function building them (called on failure only)
 * @param {(heap: Uint8Array, ptr: number, rc: number) => T} [read]
 * @returns {T}
 */
export function callCore(inputs, outLength, fn, messages, read) {
  const m = wasm();
  const count = inputs.length;
  // Each input is sized once, from what it really holds, and that size is
  // what is allocated, copied, passed to the core and wiped.
  const lengths = new Array(count);
  // Each buffer 8-aligned, and never zero-sized (a distinct pointer each).
  let total = outLength === null ? 0 : align8(outLength || 1);
  for (let i = 0; i < count; i++) {
    // Callers check their arguments; this keeps anything else (an Array, a
    // Uint16Array) from being converted element by element.
    if (!isBytes(inputs[i])) throw new EnveilError('INVALID_ARGUMENT', 'an input is not a Uint8Array');
    lengths[i] = byteCount(inputs[i]);
    total += align8(lengths[i] || 1);
  }
  // Small calls reuse one scratch area (no malloc/free per call); large ones
  // get their own allocation so the scratch area never holds megabytes.
  const useScratch = total <= SCRATCH_MAX;
  const base = useScratch ? scratch(m, total) : m._malloc(total);
  if (base === 0) {
    throw new EnveilError('INVALID_ARGUMENT', `input too large for WASM memory (${total} bytes)`);
  }
  const heap = m.HEAPU8;
  /** @type {number[]} */
  const args = new Array(outLength === null ? 2 * count : 2 * count + 2);
  let at = base;
  try {
    for (let i = 0; i < count; i++) {
      const input = inputs[i];
      // set() reads the source's internal slots, so it copies exactly
      // lengths[i] bytes: nothing ran since they were counted.
      try {
        heap.set(input, at);
      } catch (err) {
        throw new EnveilError('INVALID_ARGUMENT', 'an input Uint8Array is detached or unreadable', { cause: err });
      }
      args[2 * i] = at;
      args[2 * i + 1] = lengths[i];
      at += align8(lengths[i] || 1);
    }
    if (outLength !== null) {
      args[2 * count] = at;
      args[2 * count + 1] = outLength;
    }
    const rc = coreResult(fn(args), messages);
    // The core may have grown memory (and detached `heap`): read afresh.
    if (read) return read(m.HEAPU8, at, rc);
    if (outLength === null) return /** @type {T} */ (/** @type {unknown} */ (new Uint8Array(0)));
    return /** @type {T} */ (/** @type {unknown} */ (m.HEAPU8.slice(at, at + outLength)));
  } finally {
    // Memory may have grown during the call: wipe through the current view.
    m.HEAPU8.fill(0, base, base + total);
    if (!useScratch) m._free(base);
  }
}

/** @param {number} n */
const align8 = (n) => (n + 7) & ~7;

/** Calls up to this many bytes (inputs + output) use the scratch area. */
const SCRATCH_MAX = 256 * 1024;
let scratchPtr = 0;
let scratchSize = 0;

/**
 * The scratch area, grown to at least `size` bytes. It is zero between calls
 * (callCore wipes what it used).
 * @param {any} m
 * @param {number} size
 */
function scratch(m, size) {
  if (size > scratchSize) {
    if (scratchPtr) m._free(scratchPtr);
    scratchSize = Math.max(align8(size), 4096);
    scratchPtr = m._malloc(scratchSize);
    if (scratchPtr === 0) scratchSize = 0;
  }
  return scratchPtr;
}
