// getentropy() for the WASM core: one crypto.getRandomValues call straight
// into WASM memory. Emscripten 3.1.6's own version calls it once per byte.
// Returns -1 (the core then reports UNSUPPORTED) when no CSPRNG exists;
// never falls back to a weak source.
mergeInto(LibraryManager.library, {
  getentropy: function (buffer, size) {
    if (typeof crypto !== 'object' || typeof crypto.getRandomValues !== 'function' || size > 256) {
      return -1;
    }
    crypto.getRandomValues(HEAPU8.subarray(buffer, buffer + size));
    return 0;
  },
});
