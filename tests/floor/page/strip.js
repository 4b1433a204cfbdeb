// Run as a classic script before the bundle (stripped.html): deletes the
// APIs that engines at the compatibility floor (iOS 15.0's WKWebView,
// Android System WebView 85) lack, so the checks prove enveil's fallbacks or
// show what needs a newer engine. globalThis.floorStripped lists what was
// there and deleted; floorAbsent what the engine never had.
(function strip() {
  var typedArray = Object.getPrototypeOf(Uint8Array.prototype);
  var targets = [
    // Safari 15.4 / Chrome 69 (Web Locks), 15.4 / 54 (BroadcastChannel), 15.4 / 98 (structuredClone)
    ['navigator.locks', typeof Navigator === 'function' ? Navigator.prototype : null, 'locks'],
    ['BroadcastChannel', globalThis, 'BroadcastChannel'],
    ['structuredClone', globalThis, 'structuredClone'],
    // Safari 15.4 / Chrome 92-97
    ['Object.hasOwn', Object, 'hasOwn'],
    ['Array.prototype.at', Array.prototype, 'at'],
    ['String.prototype.at', String.prototype, 'at'],
    ['%TypedArray%.prototype.at', typedArray, 'at'],
    ['Array.prototype.findLast', Array.prototype, 'findLast'],
    ['Array.prototype.findLastIndex', Array.prototype, 'findLastIndex'],
    ['crypto.randomUUID', typeof Crypto === 'function' ? Crypto.prototype : null, 'randomUUID'],
    ['AbortSignal.timeout', typeof AbortSignal === 'function' ? AbortSignal : null, 'timeout'],
    // Safari 16-17.4 / Chrome 110-119
    ['String.prototype.isWellFormed', String.prototype, 'isWellFormed'],
    ['String.prototype.toWellFormed', String.prototype, 'toWellFormed'],
    ['Array.prototype.toSorted', Array.prototype, 'toSorted'],
    ['Array.prototype.toReversed', Array.prototype, 'toReversed'],
    ['Array.prototype.with', Array.prototype, 'with'],
    ['Array.fromAsync', Array, 'fromAsync'],
    ['Object.groupBy', Object, 'groupBy'],
    ['Promise.withResolvers', Promise, 'withResolvers'],
    ['AbortSignal.any', typeof AbortSignal === 'function' ? AbortSignal : null, 'any'],
    // Safari 16.4 / Chrome 80: init() inflates the WASM payload with fflate
    ['DecompressionStream', globalThis, 'DecompressionStream'],
  ];
  var stripped = [];
  var absent = [];
  for (var i = 0; i < targets.length; i++) {
    var label = targets[i][0], owner = targets[i][1], name = targets[i][2];
    if (!owner || !(name in owner)) {
      absent.push(label);
      continue;
    }
    if (!delete owner[name] || name in owner) throw new Error('could not delete ' + label);
    stripped.push(label);
  }
  if (globalThis.navigator && 'locks' in globalThis.navigator) throw new Error('navigator.locks is still there');
  // Safari 16.4 / Chrome 91: WebAssembly SIMD cannot be deleted; validate
  // answering false makes init() load the baseline build, as there.
  if (typeof WebAssembly === 'object' && WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]))) {
    WebAssembly.validate = function validate() { return false; };
    stripped.push('WebAssembly SIMD');
  } else {
    absent.push('WebAssembly SIMD');
  }
  globalThis.floorStripped = stripped;
  globalThis.floorAbsent = absent;
})();
