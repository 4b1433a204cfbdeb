// Compiled with `tsc --noEmit` (tests/types/tsconfig.json): the shipped
// .d.ts files resolve through the exports map and describe the API as used.
import { EnveilError, ErrorCode, Keyring, init, type KeyringEntry } from 'enveil';
import { aes256gcmOpen, aes256gcmSeal, hkdfSha256, hmacSha256, hmacSha256Verify, randomBytes } from 'enveil/hazmat';

await init();
const kek: Uint8Array = randomBytes(32);
const ring: Keyring = Keyring.create({ kek, store: 's', kekId: 'k' });
const ct: Uint8Array = ring.encrypt('text', 'ctx', { scope: 'default' });
const pt: Uint8Array = ring.decrypt(ct, new Uint8Array(1));
const id: number = ring.rotate('index', 'contacts/email');
const idx: string = ring.blindIndex('contacts', 'email', 'a@b.c', { bits: 16, normalize: 'trim-lowercase', keyId: id });
const entries: KeyringEntry[] = ring.export();
ring.setStatus(entries[0].id, 'retired');
ring.rewrap({ kek, kekId: 'k2' });
const again = Keyring.load({ kek, entries });
again.destroy();
const destroyed: boolean = ring.destroyed;

const sealed = aes256gcmSeal(kek, randomBytes(12), pt);
aes256gcmOpen(kek, randomBytes(12), sealed, new Uint8Array(0));
const ok: boolean = hmacSha256Verify(kek, pt, hmacSha256(kek, pt));
hkdfSha256(kek, new Uint8Array(0), new Uint8Array(0), 32);

try {
  ring.decrypt(ct, 'other');
} catch (err) {
  if (err instanceof EnveilError && err.code === ErrorCode.AUTH_FAILED) {
    const code: 'AUTH_FAILED' = err.code;
    void code;
  }
}

// @ts-expect-error: 'keys' is not a KeyKind
ring.rotate('keys', 'x');
// @ts-expect-error: blind-index normalisation modes are a closed set
ring.blindIndex('c', 'f', 'v', { normalize: 'upper' });
// @ts-expect-error: the constructor is private
new Keyring();

void idx; void destroyed; void ok;

// The store and the providers.
import { EncryptedStore, providers, type KeyProvider } from 'enveil';
const provider: KeyProvider = providers.memory(kek);
const store = await EncryptedStore.open({
  name: 'app',
  provider,
  collections: { contacts: { encrypted: ['email'], blindIndex: { email: { bits: 16, normalize: 'lowercase' } }, indexes: ['city'] } },
  autoLockMs: 60_000,
});
await store.put('contacts', 'c1', { email: 'a@b.c', city: 'Oslo' });
const found: { id: string | number }[] = await store.findBy('contacts', 'email', 'A@B.C');
await store.where('contacts', 'email', { exists: true });
await store.list('contacts', { limit: 10, after: 'c0' });
await store.rotateDataKeys({ batchSize: 50, onProgress: (p) => void p.processed });
await store.rotateIndexKeys({ field: 'email' });
await store.rotateMasterKey(providers.webCrypto({ name: 'device' }));
const recoveryKey: string = await store.createRecoveryKey();
await EncryptedStore.recover({ name: 'app', recoveryKey, newProvider: providers.capacitorKeystore({
  wrapKey: async () => ({ wrapped: '' }), unwrapKey: async () => ({ key: '' }),
}, { alias: 'a', biometric: { title: 'Unlock' } }) });
store.lock();
await store.unlock();
void found;
// @ts-expect-error: where() takes exists or ne
await store.where('contacts', 'email', { gt: 1 });
const wrote: boolean = await store.putIf('contacts', 'c1', { email: 'b@c.d' }, (current) => current?.city === 'Oslo');
void wrote;
// Events are typed by name.
store.on('unreadable', (p) => { const id: string | number = p.id; const code: 'AUTH_FAILED' = p.code; void id; void code; });
store.on('key-rotated', (p) => { if (p.kind === 'master') void p.providerId; else { const r: number[] = p.retired; void r; } });
store.on('audit', (e) => { const seq: number = e.seq; void seq; });
store.on('rotation-error', (err) => void err.message);
// @ts-expect-error: no such store event
store.on('unlock', () => {});

// The token vault.
import { TokenVault, RefreshError } from 'enveil';
const vault = await TokenVault.open({
  store,
  refresh: async (refreshToken) => {
    if (!refreshToken) throw new RefreshError('invalid');
    return { accessToken: 'a', refreshToken: 'b', expiresIn: 300 };
  },
  offlineGraceMs: 3_600_000,
});
await vault.setTokens({ accessToken: 'a', refreshToken: 'r', expiresIn: 300, scope: 'openid' });
const at: string | null = await vault.getAccessToken();
const info = await vault.getAccessTokenInfo({ forceRefresh: true });
const offline: boolean | undefined = info?.offline;
const st: 'locked' | 'empty' | 'valid' | 'expired' | 'offline-grace' = await vault.status();
const verdict = await vault.verifyAuditLog();
if (!verdict.ok) void verdict.reason;
vault.on('REFRESH_REUSED', (p) => { const code: 'REFRESH_REUSED' = p.code; void code; });
vault.on('refresh-failed', (p) => { const reason: 'reused' | 'invalid' | 'network' | 'other' = p.reason; void reason; });
// @ts-expect-error: the vault has no 'audit' event (read vault.auditLog())
vault.on('audit', () => {});
void at; void offline; void st;
