// Shared by the EncryptedStore tests: the declarations, a seeded store, and
// a way to make IndexedDB writes fail.
import { rejectionCode } from '../helpers.js';
import { EncryptedStore } from '../../../js/index.js';

export const COLLECTIONS = {
  contacts: {
    encrypted: ['email', 'phone', 'notes'],
    blindIndex: { email: { bits: 8, normalize: 'trim-lowercase' }, phone: { bits: 16, normalize: 'digits' } },
    indexes: ['city'],
  },
  notes: { encrypted: ['body'] },
};

export async function openStore(idb, provider, extra = {}) {
  return EncryptedStore.open({ name: 'app', provider, collections: COLLECTIONS, indexedDB: idb, ...extra });
}

export const email = (i) => `User${i}@Example.com`;
export const phone = (i) => `+1 (555) ${String(i).padStart(4, '0')}`;

export async function seed(store, n) {
  for (let i = 0; i < n; i++) {
    await store.put('contacts', `c${String(i).padStart(5, '0')}`, {
      name: `user ${i}`, email: email(i), phone: phone(i), city: ['Paris', 'Rome', 'Oslo'][i % 3],
      ...(i % 4 === 0 ? { notes: { tags: ['vip'], score: i } } : {}),
    });
  }
}

export const codeOf = rejectionCode;

/** A store whose IndexedDB put() fails from the nth call on, with `error`. */
export function failPutsAfter(n, error) {
  const proto = globalThis.IDBObjectStore.prototype;
  const original = proto.put;
  let calls = 0;
  proto.put = function put(...args) {
    if (++calls > n) throw error;
    return original.apply(this, args);
  };
  return () => { proto.put = original; };
}
