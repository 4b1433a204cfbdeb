// Emscripten 3.1.6 (Debian bookworm) reads `__dirname` in its Node branch,
// which does not exist in an ES module. With -sSINGLE_FILE the WASM is
// embedded, so the script directory is never used: a local empty value is
// enough, and keeps the module free of Node-only imports for bundlers.
var __dirname = '';
