import type { KeyProvider } from './definitions.js';

/** Version byte leading every key blob webAuthnPrf() wraps (version ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag). */
export const WRAP_VERSION: 1;

/** @since 0.1.0 */
export interface CreatePasskeyOptions {
  /** The name shown to the user for the app (WebAuthn `rp.name`). */
  rpName: string;
  /** The account name shown in the passkey list. */
  userName: string;
  /** @default userName */
  userDisplayName?: string;
  /** WebAuthn user handle (at most 64 bytes). @default 16 random bytes */
  userId?: Uint8Array;
  /** A registrable suffix of the page's host. @default the page's host */
  rpId?: string;
  /** 'platform' for the device's own (Touch ID, Windows Hello, Android), 'cross-platform' for a security key. @default either */
  authenticatorAttachment?: AuthenticatorAttachment;
  /** Milliseconds the browser waits for the user. @default the browser's */
  timeout?: number;
  /** For tests. @default navigator.credentials */
  credentials?: CredentialsContainer;
}

/**
 * Creates a passkey with the WebAuthn PRF extension (one ceremony) and
 * returns its credential id, base64url: keep it (it is not a secret) and pass
 * it to webAuthnPrf().
 * @throws EnveilError UNSUPPORTED without WebAuthn, for an origin that cannot use the rpId (an IP address),
 *   and when the authenticator does not enable PRF (use providers.webCrypto() then);
 *   KEY_UNAVAILABLE when the user cancels; INVALID_ARGUMENT for a malformed option.
 * @since 0.1.0
 */
export function createPasskey(options: CreatePasskeyOptions): Promise<{ credentialId: string }>;

/** @since 0.1.0 */
export interface WebAuthnPrfOptions {
  /** createPasskey()'s credentialId (base64url). */
  credentialId: string;
  /** The rpId the passkey was created for. @default the page's host */
  rpId?: string;
  /** The PRF input: another salt is another key. @default SHA-256("enveil/v1/webauthn-prf") */
  salt?: Uint8Array;
  /** The provider id is `webauthn-prf:<name>`. @default the credential id */
  name?: string;
  /** Milliseconds each ceremony waits for the user. @default the browser's */
  timeout?: number;
  /** For tests. @default navigator.credentials */
  credentials?: CredentialsContainer;
  /** @default crypto.subtle */
  subtle?: SubtleCrypto;
}

/**
 * The store's master key from a passkey: each wrapKey/unwrapKey is one
 * WebAuthn ceremony with user verification, whose PRF output for the salt is
 * turned by HKDF-SHA-256 into a non-extractable AES-256-GCM key (the context
 * is the additional data). Calls reject with KEY_UNAVAILABLE when the user
 * cancels, the passkey is not on this device or did not wrap this key, or
 * the authenticator returns no PRF output (fall back to providers.webCrypto()).
 * @throws EnveilError UNSUPPORTED without WebAuthn (not a secure context); INVALID_ARGUMENT for a malformed option.
 * @since 0.1.0
 */
export function webAuthnPrf(options: WebAuthnPrfOptions): KeyProvider;

/**
 * A hint for offering passkeys: whether the browser has the PRF extension and
 * a platform or phone authenticator (getClientCapabilities(), else
 * isUserVerifyingPlatformAuthenticatorAvailable()). False outside a secure
 * context and on a page served from an IP address without `rpId`. The
 * authenticator the user picks decides: handle UNSUPPORTED from createPasskey.
 * @since 0.1.0
 */
export function webAuthnPrfSupported(options?: { rpId?: string }): Promise<boolean>;
