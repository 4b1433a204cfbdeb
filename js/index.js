/**
 * enveil: envelope encryption and blind indexes for data at rest in hybrid
 * apps, from a C++ core compiled to WASM. `await init()` once, then every
 * crypto call is synchronous.
 * @module
 */
export { init } from './internal/wasm.js';
export { EnveilError, ErrorCode } from './errors.js';
export { Keyring } from './keyring.js';
export { EncryptedStore } from './store/encrypted-store.js';
export { TokenVault, RefreshError } from './vault/token-vault.js';
export * as providers from './providers/index.js';
