// node --import ./tests/builds/no-simd.mjs --test tests/js/
// Runs the JS suite on the baseline WASM build: WebAssembly.validate answers
// false, as in an engine without WebAssembly SIMD (iOS before 16.4), so
// init() picks the baseline build in every module instance (js/ sources and
// the dist/node bundle alike). Only init() calls validate (its SIMD probe).
// node --test passes --import on to each test file's process.
const validate = WebAssembly.validate;
Object.defineProperty(WebAssembly, 'validate', {
  value: function validateWithoutSimd(/** @type {BufferSource} */ bytes) {
    validate.call(WebAssembly, bytes); // still throws for what is not a buffer
    return false;
  },
  writable: true,
  configurable: true,
});
process.env.ENVEIL_TEST_NO_SIMD = '1';
