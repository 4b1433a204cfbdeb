// Table: the key providers side by side (issue 18). One wrap + one unwrap of
// a 32-byte store key, and the unlock of an existing EncryptedStore
// (EncryptedStore.open: IndexedDB, one provider unwrap, the keyring), per
// provider. memory() is the reference: the memory/x column says how many
// times slower each provider is than a KEK held in the process.
//
// Vault and KMS are tests/js/key-service-server.js on 127.0.0.1 (our
// loopback server speaking their documented protocols, no real service):
// their figures are the client side and one local HTTP round trip, never
// the network latency or the service's own cost. PKCS#11 is SoftHSM2, a
// software token, when it and pkcs11js are installed.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { progress } from '../lib/common.mjs';
import { measureSideBySide } from '../lib/measure.mjs';
import { EncryptedStore, init, providers } from '../../js/index.js';
import { awsKms, vaultTransit } from '../../js/providers/key-services.js';
import { startKeyServiceServer } from '../../tests/js/key-service-server.js';

const KEY_BYTES = 32;
const CONTEXT = new TextEncoder().encode('enveil/v1/smk|bench|smk-1');
const COLLECTIONS = { notes: { encrypted: ['body'] } };

/**
 * @param {boolean} ok
 * @param {string} what
 */
function check(ok, what) {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

/**
 * The PKCS#11 provider over a throwaway SoftHSM2 token, or why not.
 * @returns {Promise<{ provider: any, close(): Promise<void> } | { reason: string }>}
 */
async function softHsmProvider() {
  let pkcs11Module;
  try {
    pkcs11Module = await import('../../js/providers/pkcs11.js');
  } catch {
    return { reason: 'js/providers/pkcs11.js is not in this tree' };
  }
  const softhsm = await import('../../tests/js/softhsm.js');
  const reason = softhsm.softHsmSkipReason();
  if (reason) return { reason };
  softhsm.softHsmHome();
  const token = softhsm.createToken({ pin: 'bench-pin-1' });
  await pkcs11Module.createPkcs11Key({ ...token, key: 'kek' });
  const provider = pkcs11Module.pkcs11({ ...token, key: 'kek' });
  return {
    provider,
    async close() {
      await provider.close();
      token.cleanup();
    },
  };
}

/** The key-providers table. */
export async function keyProvidersTable() {
  await init();
  const server = await startKeyServiceServer();
  const hsm = await softHsmProvider();
  try {
    // maxAttempts 1: no SDK retry can hide in the figures (none is needed on loopback).
    const kmsClient = new KMSClient({
      endpoint: server.url, region: 'us-east-1', maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDLOOPBACKBENCH', secretAccessKey: 'loopback-bench-secret' },
    });
    const contenders = [
      { key: 'memory', label: 'memory() (KEK in the process)', enveil: true, provider: providers.memory() },
      { key: 'webCrypto', label: 'webCrypto() (crypto.subtle, fake-indexeddb)', provider: providers.webCrypto({ name: 'bench-keys', indexedDB: new IDBFactory() }) },
      { key: 'vault', label: 'vaultTransit() (loopback server)', provider: vaultTransit({ address: server.url, token: server.vaultToken, key: 'enveil' }) },
      { key: 'kms', label: 'awsKms() (loopback, @aws-sdk/client-kms)', provider: awsKms({ client: kmsClient, commands: { EncryptCommand, DecryptCommand }, keyId: 'alias/enveil' }) },
      ...('provider' in hsm ? [{ key: 'pkcs11', label: 'pkcs11() (SoftHSM2)', provider: hsm.provider }] : []),
    ];
    const skipped = 'reason' in hsm ? [{ label: 'pkcs11() (SoftHSM2)', reason: hsm.reason }] : [];

    const storeKey = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
    /** @type {Record<string, IDBFactory>} one database factory per provider, holding a store it made */
    const databases = {};
    for (const c of contenders) {
      const unwrapped = await c.provider.unwrapKey(await c.provider.wrapKey(storeKey.slice(), CONTEXT), CONTEXT);
      check(unwrapped.length === KEY_BYTES && unwrapped.every((b, i) => b === storeKey[i]), `${c.key} did not give the key back`);
      databases[c.key] = new IDBFactory();
      const store = await EncryptedStore.open({ name: 'bench', provider: c.provider, collections: COLLECTIONS, indexedDB: databases[c.key] });
      await store.put('notes', 1, { body: 'hello' });
      store.close();
    }

    progress(' wrap+unwrap');
    const wrapFigures = await measureSideBySide(contenders.map((c) => ({
      key: c.key,
      async: true,
      fn: async () => c.provider.unwrapKey(await c.provider.wrapKey(storeKey.slice(), CONTEXT), CONTEXT),
    })), { bytes: KEY_BYTES });

    progress(' unlock');
    const unlockFigures = await measureSideBySide(contenders.map((c) => ({
      key: c.key,
      async: true,
      fn: async () => {
        const store = await EncryptedStore.open({ name: 'bench', provider: c.provider, collections: COLLECTIONS, indexedDB: databases[c.key] });
        store.close();
      },
    })), { bytes: KEY_BYTES });

    const requests = { ...server.state.count };
    return {
      kind: 'throughput',
      contenders: contenders.map(({ key, label, enveil }) => ({ key, label, enveil: Boolean(enveil), async: true })),
      ratioOf: ['memory'],
      groups: [
        { label: 'wrap+unwrap', bytes: KEY_BYTES, figures: wrapFigures },
        { label: 'store unlock', bytes: KEY_BYTES, figures: unlockFigures },
      ],
      skipped,
      notes: [
        'wrap+unwrap: one wrapKey and one unwrapKey of a 32-byte key (ops/s = pairs per second). store unlock: EncryptedStore.open of an existing store (fake-indexeddb) then close. MB/s is of the 32-byte key only.',
        'memory/x: how many times slower provider x is than memory(). Vault and KMS: tests/js/key-service-server.js on 127.0.0.1, our server speaking their documented protocols, not a real Vault or KMS: the figures are the client side plus one loopback HTTP round trip per call; a real service adds the network and its own time (tens of ms across regions).',
        `loopback requests served during this table: Vault ${requests.vault}, KMS ${requests.kms}.`,
      ],
    };
  } finally {
    if ('close' in hsm) await hsm.close();
    await server.close();
  }
}
