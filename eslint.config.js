// The static compatibility check (npm run test:compat; README
// "Compatibility floor"): what ships to webviews — js/ but the Node-only
// command line, and the built WASM glue — may use no API and no syntax the
// floor lacks. APIs: eslint-plugin-compat against .browserslistrc (MDN's
// compatibility data). Syntax and built-ins: eslint-plugin-es-x, which also
// reads regular expressions (compat does not see a lookbehind for Safari).
import compat from 'eslint-plugin-compat';
import esX from 'eslint-plugin-es-x';

/** Newer than the floor (iOS 15.0, Android System WebView 85), though ES2022 or older. */
const newerThanTheFloor = {
  'es-x/no-regexp-lookbehind-assertions': 'error', // ES2018; Safari 16.4
  'es-x/no-class-static-block': 'error', //           ES2022; Safari 16.4, Chrome 94
  'es-x/no-array-string-prototype-at': 'error', //    ES2022; Safari 15.4, Chrome 92
  'es-x/no-object-hasown': 'error', //                ES2022; Safari 15.4, Chrome 93
  'es-x/no-top-level-await': 'error', //              ES2022; Chrome 89
  'es-x/no-private-in': 'error', //                   ES2022; Chrome 91
  'es-x/no-regexp-d-flag': 'error', //                ES2022; Chrome 90
};

export default [
  // The command line runs in Node (engines: node >= 20), never in a webview.
  { ignores: ['js/cli/**'] },
  {
    files: ['js/**/*.js', 'dist/enveil.wasm.js', 'dist/enveil-baseline.wasm.js', 'dist/enveil-simd.wasm.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    plugins: { compat, 'es-x': esX },
    settings: {
      // Feature-detected, each with a fallback the floor tests run with the
      // API deleted (tests/floor/stripped.test.js): Web Locks
      // (js/internal/locks.js, js/providers/index.js) and BroadcastChannel
      // (js/store/keyring-sync.js), DecompressionStream (js/internal/wasm.js:
      // fflate inflates the WASM payload without it).
      polyfills: ['navigator.locks', 'BroadcastChannel', 'DecompressionStream'],
    },
    rules: {
      'compat/compat': 'error',
      ...esX.configs['flat/restrict-to-es2022'].rules,
      ...newerThanTheFloor,
    },
  },
];
